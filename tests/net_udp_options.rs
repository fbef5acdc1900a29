//! The rest of `UdpSocket`'s surface: peeking leaves the datagram queued, the `try_*`
//! calls never wait (and a `WouldBlock` is reported, not hidden), and the socket options
//! read back what was set.

mod util;

use std::io::ErrorKind;
use std::time::Duration;

use corio::net::UdpSocket;
use util::within;

const LIMIT: Duration = Duration::from_secs(20);

#[test]
fn peek_from_leaves_the_datagram_for_the_next_receive() {
    corio::block_on(within(LIMIT, "peek", async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        a.send_to(b"peeked", b.local_addr().unwrap()).await.unwrap();
        let mut buf = [0u8; 16];
        let (n, from) = b.peek_from(&mut buf).await.unwrap();
        assert_eq!((&buf[..n], from), (&b"peeked"[..], a.local_addr().unwrap()));
        let mut again = [0u8; 16];
        let (m, _) = b.recv_from(&mut again).await.unwrap();
        assert_eq!(&again[..m], b"peeked");
    }));
}

#[test]
fn try_calls_do_not_wait_and_say_would_block() {
    corio::block_on(within(LIMIT, "try calls", async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let mut buf = [0u8; 16];
        let empty = b.try_recv_from(&mut buf).unwrap_err();
        assert_eq!(empty.kind(), ErrorKind::WouldBlock);
        assert_eq!(a.try_send_to(b"now", b.local_addr().unwrap()).unwrap(), 3);
        b.readable().await.unwrap();
        let (n, from) = b.try_recv_from(&mut buf).unwrap();
        assert_eq!((&buf[..n], from), (&b"now"[..], a.local_addr().unwrap()));
        // Connected: try_send / try_recv.
        a.connect(b.local_addr().unwrap()).await.unwrap();
        b.connect(a.local_addr().unwrap()).await.unwrap();
        assert_eq!(a.try_send(b"pair").unwrap(), 4);
        b.readable().await.unwrap();
        assert_eq!(b.try_recv(&mut buf).unwrap(), 4);
        assert_eq!(&buf[..4], b"pair");
        assert_eq!(
            b.try_recv(&mut buf).unwrap_err().kind(),
            ErrorKind::WouldBlock
        );
    }));
}

#[test]
fn options_read_back_what_was_set() {
    corio::block_on(async {
        let s = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        s.set_ttl(17).unwrap();
        assert_eq!(s.ttl().unwrap(), 17);
        assert!(!s.broadcast().unwrap());
        s.set_broadcast(true).unwrap();
        assert!(s.broadcast().unwrap());
        assert!(s.take_error().unwrap().is_none());
    });
}
