//! The two ways to wait on one direction of a source side by side: a waiting future
//! (`recv_from`, `readable`) holds its own entry in the direction's list, while a plain
//! `poll_*` caller is the direction's one stored waker, where the last task to park is
//! the one woken. Neither disturbs the other, and a future given up takes only its own
//! entry away.

mod util;

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Wake, Waker};
use std::time::Duration;

use corio::net::UdpSocket;
use util::{poll_once, within};

/// Counts its wakes.
struct Count(AtomicUsize);

impl Wake for Count {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

fn count() -> (Arc<Count>, Waker) {
    let c = Arc::new(Count(AtomicUsize::new(0)));
    (c.clone(), Waker::from(c))
}

/// Runs reactor turns until `done` holds (each sleep is one turn with a timer).
async fn until(done: impl Fn() -> bool) {
    while !done() {
        corio::time::sleep(Duration::from_millis(1)).await;
    }
}

#[test]
#[cfg_attr(miri, ignore)]
fn a_given_up_future_leaves_the_plain_poller_waiting() {
    corio::block_on(within(Duration::from_secs(20), "plain and future", async {
        let rx = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let tx = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = rx.local_addr().unwrap();
        let mut buf = [0u8; 16];
        // A plain poller parks (readiness assumed at registration is cleared on the way).
        let (plain, plain_waker) = count();
        let polled = rx.poll_recv_from(&mut Context::from_waker(&plain_waker), &mut buf);
        assert!(polled.is_pending());
        // A waiting future parks on the same direction, then gives up.
        let mut mine = Box::pin(async { rx.recv_from(&mut [0u8; 16]).await.map(|(n, _)| n) });
        assert!(poll_once(&mut mine).await.is_pending());
        drop(mine);
        // The plain poller still waits and is woken by the datagram, once.
        tx.send_to(b"1", addr).await.unwrap();
        until(|| plain.0.load(SeqCst) > 0).await;
        assert_eq!(plain.0.load(SeqCst), 1);
    }));
}

#[test]
#[cfg_attr(miri, ignore)]
fn a_plain_poller_and_a_waiting_future_are_both_woken() {
    corio::block_on(within(Duration::from_secs(20), "both kinds woken", async {
        let rx = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let tx = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = rx.local_addr().unwrap();
        let mut buf = [0u8; 16];
        let (plain, plain_waker) = count();
        assert!(rx
            .poll_recv_from(&mut Context::from_waker(&plain_waker), &mut buf)
            .is_pending());
        let mut readable = Box::pin(rx.readable());
        assert!(poll_once(&mut readable).await.is_pending());
        tx.send_to(b"1", addr).await.unwrap();
        readable.await.unwrap(); // the future's own entry was woken
        until(|| plain.0.load(SeqCst) > 0).await;
        assert_eq!(plain.0.load(SeqCst), 1);
    }));
}

#[test]
#[cfg_attr(miri, ignore)]
fn of_two_plain_pollers_only_the_last_to_park_is_woken() {
    corio::block_on(within(
        Duration::from_secs(20),
        "last plain poller",
        async {
            let rx = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let tx = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let addr = rx.local_addr().unwrap();
            let mut buf = [0u8; 16];
            let (first, first_waker) = count();
            let (last, last_waker) = count();
            for waker in [&first_waker, &last_waker] {
                let polled = rx.poll_recv_from(&mut Context::from_waker(waker), &mut buf);
                assert!(polled.is_pending());
            }
            assert_eq!(first.0.load(SeqCst), 0, "the replaced poller is not woken");
            tx.send_to(b"1", addr).await.unwrap();
            until(|| last.0.load(SeqCst) > 0).await;
            assert_eq!((first.0.load(SeqCst), last.0.load(SeqCst)), (0, 1));
        },
    ));
}
