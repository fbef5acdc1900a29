//! Several tasks waiting on one direction of one socket through its `async fn`s: every one
//! is woken by the event that concerns it, and none is lost (each waiting future holds
//! its own entry in the direction's list: `reactor/io_state.rs`, `reactor/waiter.rs`).

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
        let rx = Rc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
        let tx = UdpSocket::bind("127.0.0.1:0").await.unwrap();
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
        let rx = Rc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
        let tx = UdpSocket::bind("127.0.0.1:0").await.unwrap();
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
        let listener = Rc::new(TcpListener::bind("127.0.0.1:0").await.unwrap());
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
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
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
        let rx = Rc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
        let tx = UdpSocket::bind("127.0.0.1:0").await.unwrap();
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

thread_local! {
    /// The socket the hook below parks on, and the waker it parks with.
    static TARGET: std::cell::RefCell<Option<(Rc<UdpSocket>, std::task::Waker)>> =
        const { std::cell::RefCell::new(None) };
}

/// A waker that, when woken, drains `TARGET`'s socket and parks another waker on it: user
/// code running inside a wake, in the middle of a reactor turn.
struct ParkElsewhere {
    inner: std::task::Waker,
    ran: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl std::task::Wake for ParkElsewhere {
    fn wake(self: std::sync::Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        use std::sync::atomic::Ordering;
        if self.ran.fetch_add(1, Ordering::SeqCst) == 0 {
            let (socket, waker) = TARGET.with(|t| t.borrow().clone()).expect("target set");
            let mut cx = std::task::Context::from_waker(&waker);
            let mut buf = [0u8; 16];
            while socket.poll_recv_from(&mut cx, &mut buf).is_ready() {}
        }
        self.inner.wake_by_ref();
    }
}

/// One turn brings events for X, then Y. X's wake runs code that parks a new waker on Y
/// after Y's event was recorded and before Y's wake: the task that waited on Y must not
/// lose its wake to the newcomer.
#[test]
fn a_park_inside_another_wake_in_the_same_turn_loses_no_waiter() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    corio::block_on(within(LIMIT, "park inside another wake", async {
        let x = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let y = Rc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
        let (x_addr, y_addr) = (x.local_addr().unwrap(), y.local_addr().unwrap());
        let newcomer = std::task::Waker::from(Arc::new(ParkElsewhere {
            inner: futures_task::noop_waker(),
            ran: Arc::new(AtomicUsize::new(1)), // a plain waker: never parks anything
        }));
        TARGET.with(|t| *t.borrow_mut() = Some((y.clone(), newcomer)));
        let waiter = {
            let y = y.clone();
            corio::spawn(async move {
                let mut buf = [0u8; 16];
                let (n, _) = y.recv_from(&mut buf).await.unwrap();
                buf[..n].to_vec()
            })
        };
        let ran = Arc::new(AtomicUsize::new(0));
        let mut xbuf = [0u8; 16];
        std::future::poll_fn(|cx| {
            let hook = std::task::Waker::from(Arc::new(ParkElsewhere {
                inner: cx.waker().clone(),
                ran: ran.clone(),
            }));
            let first = x.poll_recv_from(&mut std::task::Context::from_waker(&hook), &mut xbuf);
            assert!(first.is_pending());
            std::task::Poll::Ready(())
        })
        .await;
        let_them_park().await;
        // Both datagrams queue before the next turn, X's first.
        let tx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        tx.send_to(b"x", x_addr).unwrap();
        tx.send_to(b"y1", y_addr).unwrap();
        while ran.load(Ordering::SeqCst) == 0 {
            yield_now().await;
        }
        // The hook drained y1; y2 must reach the task that has waited all along.
        tx.send_to(b"y2", y_addr).unwrap();
        assert_eq!(waiter.await.unwrap(), b"y2");
    }));
}
