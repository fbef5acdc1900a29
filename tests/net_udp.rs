//! `UdpSocket`: datagrams whole and in order, empty datagrams, connected sockets, and a
//! receiver that waits without spinning.

mod util;

use std::io::ErrorKind;
use std::time::Duration;

use corio::net::UdpSocket;
use util::within;

const LIMIT: Duration = Duration::from_secs(20);

#[test]
fn datagrams_arrive_whole_with_their_sender() {
    corio::block_on(within(LIMIT, "udp exchange", async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let (a_addr, b_addr) = (a.local_addr().unwrap(), b.local_addr().unwrap());
        for msg in [&b"one"[..], b"two two", &[0xff; 1200]] {
            assert_eq!(a.send_to(msg, b_addr).await.unwrap(), msg.len());
        }
        let mut buf = [0u8; 2048];
        for msg in [&b"one"[..], b"two two", &[0xff; 1200]] {
            let (n, from) = b.recv_from(&mut buf).await.unwrap();
            assert_eq!((&buf[..n], from), (msg, a_addr));
        }
    }));
}

#[test]
fn an_empty_datagram_is_delivered_as_one() {
    corio::block_on(within(LIMIT, "empty datagram", async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        a.send_to(&[], b.local_addr().unwrap()).await.unwrap();
        a.send_to(b"after", b.local_addr().unwrap()).await.unwrap();
        let mut buf = [0u8; 16];
        let (n, from) = b.recv_from(&mut buf).await.unwrap();
        assert_eq!((n, from), (0, a.local_addr().unwrap()));
        let (n, _) = b.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"after");
    }));
}

#[test]
fn a_long_datagram_is_truncated_to_the_buffer_and_the_rest_dropped() {
    corio::block_on(within(LIMIT, "truncation", async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        a.send_to(b"0123456789", b.local_addr().unwrap())
            .await
            .unwrap();
        a.send_to(b"next", b.local_addr().unwrap()).await.unwrap();
        let mut small = [0u8; 4];
        assert_eq!(b.recv(&mut small).await.unwrap(), 4);
        assert_eq!(&small, b"0123");
        let mut buf = [0u8; 16];
        let n = b.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"next");
    }));
}

#[test]
fn connected_sockets_send_and_recv_and_filter_other_senders() {
    corio::block_on(within(LIMIT, "connected udp", async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let stranger = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        a.connect(b.local_addr().unwrap()).await.unwrap();
        b.connect(a.local_addr().unwrap()).await.unwrap();
        assert_eq!(a.peer_addr().unwrap(), b.local_addr().unwrap());
        stranger
            .send_to(b"spam", b.local_addr().unwrap())
            .await
            .unwrap();
        a.send(b"hello").await.unwrap();
        let mut buf = [0u8; 16];
        let n = b.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"hello"); // the stranger's datagram was filtered out
        b.send(b"back").await.unwrap();
        let n = a.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"back");
    }));
}

#[test]
fn unconnected_peer_addr_and_try_recv_on_empty_are_errors() {
    corio::block_on(async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        assert_eq!(a.peer_addr().unwrap_err().kind(), ErrorKind::NotConnected);
        let mut buf = [0u8; 4];
        assert_eq!(
            a.try_recv_from(&mut buf).unwrap_err().kind(),
            ErrorKind::WouldBlock
        );
    });
}

#[test]
fn a_waiting_receiver_is_woken_by_a_datagram_from_another_task() {
    corio::block_on(within(LIMIT, "wake", async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let target = b.local_addr().unwrap();
        let receiver = corio::spawn(async move {
            let mut buf = [0u8; 8];
            let (n, _) = b.recv_from(&mut buf).await.unwrap();
            buf[..n].to_vec()
        });
        corio::task::yield_now().await; // the receiver parks first
        a.send_to(b"late", target).await.unwrap();
        assert_eq!(receiver.await.unwrap(), b"late");
    }));
}
