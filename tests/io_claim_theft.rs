//! A park by someone else inside a waiting future's poll is not taken for the future's
//! own entry (`reactor/claim.rs` matches the poll's own waker). Here the someone else is
//! the replaced waker's wake, which `Registration::park` runs while `Waiting::poll` still
//! lends its entry slot; had that foreign park been recorded as the future's entry,
//! dropping the future would take it off the list and the foreign waiter would never be
//! woken (found by review; fails without the waker check).

mod util;

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Wake, Waker};
use std::time::Duration;

use corio::net::UdpSocket;
use util::{poll_once, within};

thread_local! {
    static ON_WAKE: RefCell<Option<Box<dyn FnOnce()>>> = const { RefCell::new(None) };
}

/// Counts its wakes; runs the thread's hook (once) when woken.
struct Hook(AtomicUsize);

impl Wake for Hook {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
        if let Some(hook) = ON_WAKE.with(|h| h.borrow_mut().take()) {
            hook();
        }
    }
}

fn hook() -> (Arc<Hook>, Waker) {
    let h = Arc::new(Hook(AtomicUsize::new(0)));
    (h.clone(), Waker::from(h))
}

async fn settle() {
    for _ in 0..5 {
        corio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[test]
fn a_park_run_by_a_replaced_wakers_wake_keeps_its_own_entry() {
    corio::block_on(within(Duration::from_secs(20), "claim theft", async {
        let rx = Rc::new(UdpSocket::bind("127.0.0.1:0").unwrap());
        let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = rx.local_addr().unwrap();
        let mut buf = [0u8; 16];

        // 1. A plain poller (waker h) parks on reads.
        let (h, hw) = hook();
        assert!(rx
            .poll_recv_from(&mut Context::from_waker(&hw), &mut buf)
            .is_pending());
        // 2. An event disarms reads and wakes h; h's owner drains the socket by hand.
        tx.send_to(b"1", addr).await.unwrap();
        settle().await;
        assert_eq!(h.0.load(SeqCst), 1);
        rx.try_recv_from(&mut buf).unwrap();
        assert!(rx.try_recv_from(&mut buf).is_err()); // WouldBlock: readiness cleared
                                                      // 3. When woken next, h's owner waits again with another waker, g (plain poll).
        let (g, gw) = hook();
        let rx2 = rx.clone();
        ON_WAKE.with(|c| {
            *c.borrow_mut() = Some(Box::new(move || {
                let mut b = [0u8; 16];
                let pending = rx2.poll_recv_from(&mut Context::from_waker(&gw), &mut b);
                assert!(pending.is_pending());
            }))
        });
        // 4. This task's recv_from parks: it replaces h (disarmed), whose wake, run by
        //    Registration::park inside Waiting::poll, parks g: a fan-out of us and g.
        let mut mine = Box::pin(async { rx.recv_from(&mut [0u8; 16]).await.map(|(n, _)| n) });
        assert!(poll_once(&mut mine).await.is_pending());
        assert_eq!(h.0.load(SeqCst), 2, "the hook ran");
        // 5. We give up: that must take our entry only, never g's.
        drop(mine);
        // 6. A datagram: g, still waiting, must be woken.
        tx.send_to(b"2", addr).await.unwrap();
        settle().await;
        assert_eq!(
            g.0.load(SeqCst),
            1,
            "g's wait was taken off the list: lost wakeup"
        );
    }));
}
