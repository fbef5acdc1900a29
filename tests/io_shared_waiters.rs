//! Several tasks waiting on one direction of one socket: every one is woken by the event
//! that concerns it, and none is lost (`reactor/slot.rs`, the extra waiters). Before, a
//! second waiter replaced the first, which then waited for ever.

mod util;

use std::rc::Rc;
use std::time::Duration;

use corio::net::{TcpListener, TcpStream, UdpSocket};
use corio::task::yield_now;
use util::within;

const LIMIT: Duration = Duration::from_secs(20);

/// Lets every spawned task run up to its first `Pending`.
async fn let_them_park() {
    for _ in 0..3 {
        yield_now().await;
    }
}

#[test]
fn two_tasks_in_recv_from_on_one_udp_socket_each_get_a_datagram() {
    corio::block_on(within(LIMIT, "shared udp receive", async {
        let rx = Rc::new(UdpSocket::bind("127.0.0.1:0").unwrap());
        let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
        let to = rx.local_addr().unwrap();
        let receivers: Vec<_> = (0..2)
            .map(|_| {
                let rx = rx.clone();
                corio::spawn(async move {
                    let mut buf = [0u8; 16];
                    let (n, _) = rx.recv_from(&mut buf).await.unwrap();
                    buf[..n].to_vec()
                })
            })
            .collect();
        let_them_park().await;
        tx.send_to(b"one", to).await.unwrap();
        tx.send_to(b"two", to).await.unwrap();
        let mut got = Vec::new();
        for r in receivers {
            got.push(r.await.unwrap());
        }
        got.sort();
        assert_eq!(got, vec![b"one".to_vec(), b"two".to_vec()]);
    }));
}

#[test]
fn the_waiter_that_found_nothing_gets_the_next_datagram() {
    corio::block_on(within(LIMIT, "udp second datagram", async {
        let rx = Rc::new(UdpSocket::bind("127.0.0.1:0").unwrap());
        let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
        let to = rx.local_addr().unwrap();
        let (done_tx, done_rx) = corio::sync::mpsc::unbounded_channel();
        for i in 0..2u8 {
            let (rx, done) = (rx.clone(), done_tx.clone());
            corio::spawn(async move {
                let mut buf = [0u8; 16];
                let (n, _) = rx.recv_from(&mut buf).await.unwrap();
                done.send((i, buf[..n].to_vec())).unwrap();
            });
        }
        let_them_park().await;
        // One datagram for two waiters: both wake, one reads it, the other meets
        // `EAGAIN` and parks again — and must still be woken by the second datagram.
        let mut done_rx = done_rx;
        tx.send_to(b"first", to).await.unwrap();
        let (a, first) = done_rx.recv().await.unwrap();
        assert_eq!(first, b"first");
        let_them_park().await;
        tx.send_to(b"second", to).await.unwrap();
        let (b, second) = done_rx.recv().await.unwrap();
        assert_eq!(second, b"second");
        assert_ne!(a, b);
    }));
}

#[test]
fn two_tasks_accepting_on_one_listener_both_get_a_connection() {
    corio::block_on(within(LIMIT, "shared accept", async {
        let listener = Rc::new(TcpListener::bind("127.0.0.1:0").unwrap());
        let addr = listener.local_addr().unwrap();
        let acceptors: Vec<_> = (0..2)
            .map(|_| {
                let l = listener.clone();
                corio::spawn(async move { l.accept().await.map(|(_, peer)| peer) })
            })
            .collect();
        let_them_park().await;
        let c1 = TcpStream::connect(addr).await.unwrap();
        let c2 = TcpStream::connect(addr).await.unwrap();
        let mut peers = Vec::new();
        for a in acceptors {
            peers.push(a.await.unwrap().unwrap());
        }
        peers.sort();
        let mut expected = vec![c1.local_addr().unwrap(), c2.local_addr().unwrap()];
        expected.sort();
        assert_eq!(peers, expected);
    }));
}

#[test]
fn every_task_awaiting_readable_on_one_stream_is_woken() {
    use corio::io::AsyncWriteExt;
    corio::block_on(within(LIMIT, "shared readable", async {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (server, _) = listener.accept().await.unwrap();
        let server = Rc::new(server);
        // An accepted stream starts out assumed readable; learn that it is not.
        let mut buf = [0u8; 4];
        let empty = server.try_read(&mut buf).unwrap_err();
        assert_eq!(empty.kind(), std::io::ErrorKind::WouldBlock);
        let waiters: Vec<_> = (0..3)
            .map(|_| {
                let s = server.clone();
                corio::spawn(async move { s.readable().await })
            })
            .collect();
        let_them_park().await;
        client.write_all(b"x").await.unwrap();
        for w in waiters {
            w.await.unwrap().unwrap();
        }
        assert_eq!(server.try_read(&mut buf).unwrap(), 1);
    }));
}

#[test]
fn a_waiter_that_gave_up_does_not_stop_the_others() {
    corio::block_on(within(LIMIT, "timed-out waiter", async {
        let rx = Rc::new(UdpSocket::bind("127.0.0.1:0").unwrap());
        let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
        let to = rx.local_addr().unwrap();
        let patient = {
            let rx = rx.clone();
            corio::spawn(async move {
                let mut buf = [0u8; 16];
                let (n, _) = rx.recv_from(&mut buf).await.unwrap();
                buf[..n].to_vec()
            })
        };
        let_them_park().await;
        // A second waiter parks behind it and gives up before anything arrives.
        let mut buf = [0u8; 16];
        let gave_up = corio::time::timeout(Duration::from_millis(1), rx.recv_from(&mut buf)).await;
        assert!(gave_up.is_err());
        tx.send_to(b"late", to).await.unwrap();
        assert_eq!(patient.await.unwrap(), b"late");
    }));
}
