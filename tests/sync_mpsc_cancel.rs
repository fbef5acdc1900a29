//! `corio::sync::mpsc` cancellation and drops: a cancelled `recv` leaves no waker behind
//! and loses no message, a cancelled waiting `send` gives up its place and its slot, and
//! every message is dropped exactly once (outside the channel's lock).

mod common_exec;
mod mpsc_common;
mod util;

use std::task::Poll;
use std::time::Duration;

use common_exec::{counting_waker, n, with_watchdog, DropCounter, DropGuard};
use corio::sync::mpsc::{self, TryRecvError};
use mpsc_common::{poll, waiting_send};
use util::within;

const WATCHDOG: Duration = Duration::from_secs(30);
const LIMIT: Duration = Duration::from_secs(10);

/// Dropping a pending `recv()` takes its waker out of the channel, as the broadcast,
/// semaphore and notify futures do: the next send must not wake a task that no longer
/// waits (regression: the receive future used to be a plain `poll_fn`).
#[test]
fn a_cancelled_recv_leaves_no_waker_behind() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let (waker, count) = counting_waker();
    let mut fut = Box::pin(rx.recv());
    assert_eq!(poll(fut.as_mut(), &waker), Poll::Pending);
    drop(fut);
    tx.send(1).unwrap();
    assert_eq!(n(&count), 0, "the cancelled receive was woken");
    assert_eq!(rx.try_recv(), Ok(1));
}

#[test]
fn every_message_is_dropped_exactly_once_whichever_way_it_goes() {
    let drops = DropCounter::new();
    let (tx, mut rx) = mpsc::channel::<DropGuard>(8);
    for _ in 0..5 {
        tx.try_send(drops.guard()).unwrap();
    }
    assert_eq!(drops.count(), 0, "queued messages are kept");
    drop(rx.try_recv().unwrap()); // received: dropped by whoever holds it
    assert_eq!(drops.count(), 1);
    drop(rx); // the receiver leaves: the 4 still queued go with it
    assert_eq!(drops.count(), 5);
    let back = tx.try_send(drops.guard()).unwrap_err().into_inner();
    assert_eq!(
        drops.count(),
        5,
        "a refused message is handed back, not dropped"
    );
    drop(back);
    drop(tx);
    assert_eq!(drops.count(), 6);

    // Senders gone first: the queue lives on with the receiver, then goes with it.
    let (utx, urx) = mpsc::unbounded_channel::<DropGuard>();
    for _ in 0..3 {
        utx.send(drops.guard()).unwrap();
    }
    drop(utx);
    assert_eq!(drops.count(), 6);
    drop(urx);
    assert_eq!(drops.count(), 9);
}

/// A message whose `Drop` uses the channel it was queued in.
struct Probe {
    tx: mpsc::UnboundedSender<Probe>,
    _counted: DropGuard,
}

impl Drop for Probe {
    fn drop(&mut self) {
        assert!(self.tx.is_closed()); // takes the channel's lock
    }
}

#[test]
fn queued_messages_are_dropped_outside_the_channel_lock() {
    let drops = DropCounter::new();
    let got = drops.clone();
    with_watchdog(WATCHDOG, move || {
        let (tx, rx) = mpsc::unbounded_channel();
        for _ in 0..3 {
            let probe = Probe {
                tx: tx.clone(),
                _counted: drops.guard(),
            };
            tx.send(probe).unwrap();
        }
        drop(rx); // deadlocks if the queue is dropped under the lock
    });
    assert_eq!(got.count(), 3);
}

#[test]
fn a_cancelled_waiting_send_gives_up_its_place_and_its_slot() {
    let drops = DropCounter::new();
    let (tx, mut rx) = mpsc::channel::<(u8, DropGuard)>(1);
    tx.try_send((0, drops.guard())).unwrap();
    let (a, _wa, ca) = waiting_send(&tx, (1, drops.guard()));
    let (mut b, wb, cb) = waiting_send(&tx, (2, drops.guard()));
    drop(a); // cancelled while queued: its value is dropped, nothing is sent
    assert_eq!(drops.count(), 1);
    assert_eq!(rx.try_recv().unwrap().0, 0);
    assert_eq!((n(&ca), n(&cb)), (0, 1), "the slot went to b");
    assert_eq!(tx.capacity(), 0);
    assert!(matches!(poll(b.as_mut(), &wb), Poll::Ready(Ok(()))));
    assert_eq!(rx.try_recv().unwrap().0, 2);
    assert_eq!(tx.capacity(), 1);

    // Handed the slot, then cancelled before its next poll: the slot comes back.
    tx.try_send((3, drops.guard())).unwrap();
    let (c, _wc, cc) = waiting_send(&tx, (4, drops.guard()));
    assert_eq!(rx.try_recv().unwrap().0, 3);
    assert_eq!((n(&cc), tx.capacity()), (1, 0));
    drop(c);
    assert_eq!(tx.capacity(), 1, "the reserved slot is free again");
    assert_eq!(
        rx.try_recv().unwrap_err(),
        TryRecvError::Empty,
        "nothing sent"
    );
    tx.try_send((5, drops.guard())).unwrap();
    assert_eq!(rx.try_recv().unwrap().0, 5);
    drop(b);
    drop((tx, rx));
    assert_eq!(drops.count(), 6, "every value dropped exactly once");
}

#[test]
fn a_cancelled_recv_loses_no_message() {
    let (tx, mut rx) = mpsc::channel(2);
    let (waker, _) = counting_waker();
    let mut first = Box::pin(rx.recv());
    assert_eq!(poll(first.as_mut(), &waker), Poll::Pending);
    drop(first);
    tx.try_send(10).unwrap();
    tx.try_send(11).unwrap();
    assert_eq!(rx.try_recv(), Ok(10));
    corio::block_on(async {
        let res = corio::time::timeout(Duration::from_millis(5), rx.recv()).await;
        assert_eq!(res, Ok(Some(11)));
        let res = corio::time::timeout(Duration::from_millis(5), rx.recv()).await;
        assert!(res.is_err(), "nothing queued: the recv times out");
        tx.send(12).await.unwrap();
        let got = within(LIMIT, "recv after cancel", rx.recv()).await;
        assert_eq!(got, Some(12));
    });
}
