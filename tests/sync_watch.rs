//! `corio::sync::watch`: a config reload seen by several receivers, coalescing of sends
//! nobody looked at, the end of the channel from both sides, `wait_for`, the
//! `send_*` variants, cancellation of `changed()`, and a sender on another thread.

mod common_exec;
mod util;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use common_exec::{assert_send, assert_send_val, assert_sync, counting_waker, n, poll};
use common_exec::{with_watchdog, yield_until};
use corio::sync::watch::{self, error::RecvError, error::SendError};
use util::within;

const WATCHDOG: Duration = Duration::from_secs(20);
const LIMIT: Duration = Duration::from_secs(10);

type Changed<'a> = Pin<Box<dyn Future<Output = Result<(), RecvError>> + 'a>>;

#[test]
fn the_halves_and_their_futures_are_send_and_sync() {
    assert_send::<watch::Sender<String>>();
    assert_sync::<watch::Sender<String>>();
    assert_send::<watch::Receiver<String>>();
    assert_sync::<watch::Receiver<String>>();
    let (tx, mut rx) = watch::channel(0u32);
    assert_send_val(&tx.closed());
    assert_send_val(&rx.changed());
    assert_send_val(&rx.wait_for(|v| *v > 0));
}

/// The config-reload shape: one publisher, three watchers. Each watcher sees values in
/// increasing order, ends on the last one (100), and then learns the sender is gone.
#[test]
fn three_receivers_follow_a_hundred_sends_to_the_last_value_then_err() {
    let results = corio::block_on(async {
        let (tx, rx) = watch::channel(0u32);
        let watchers: Vec<_> = (0..3)
            .map(|_| {
                let mut rx = rx.clone();
                corio::spawn(async move {
                    let mut seen = Vec::new();
                    while rx.changed().await.is_ok() {
                        seen.push(*rx.borrow_and_update());
                    }
                    // After the loop: the sender is gone and the last value was seen.
                    assert_eq!(rx.changed().await, Err(rx_err()));
                    seen
                })
            })
            .collect();
        drop(rx);
        for version in 1..=100u32 {
            tx.send(version).unwrap();
            if version % 7 == 0 {
                corio::task::yield_now().await; // let the watchers look now and then
            }
        }
        drop(tx);
        let mut results = Vec::new();
        for watcher in watchers {
            results.push(within(LIMIT, "watcher", watcher).await.unwrap());
        }
        results
    });
    for seen in results {
        assert_eq!(seen.last(), Some(&100));
        assert!(
            seen.windows(2).all(|w| w[0] < w[1]),
            "out of order: {seen:?}"
        );
    }
}

/// A `RecvError` to compare with (its constructor is private).
fn rx_err() -> RecvError {
    let (tx, rx) = watch::channel(());
    drop(tx);
    match rx.has_changed() {
        Err(e) => e,
        Ok(_) => panic!("has_changed after the sender left"),
    }
}

#[test]
fn two_sends_before_a_look_wake_once_and_show_the_latest() {
    let (tx, mut rx) = watch::channel("a");
    let (waker, wakes) = counting_waker();
    {
        let mut changed: Changed<'_> = Box::pin(rx.changed());
        assert!(poll(&mut changed, &waker).is_pending());
        tx.send("b").unwrap();
        tx.send("c").unwrap();
        assert_eq!(n(&wakes), 1, "two sends, one wake");
        assert!(poll(&mut changed, &waker).is_ready());
    }
    assert_eq!(*rx.borrow_and_update(), "c");
    // Nothing newer: the next changed() waits, and no stale wake arrives.
    let mut changed: Changed<'_> = Box::pin(rx.changed());
    assert!(poll(&mut changed, &waker).is_pending());
    assert_eq!(n(&wakes), 1);
    drop(changed);
    // Sends with nobody polling: one immediate completion, the latest value.
    tx.send("d").unwrap();
    tx.send("e").unwrap();
    corio::block_on(async {
        rx.changed().await.unwrap();
        assert_eq!(*rx.borrow(), "e");
        let mut again: Changed<'_> = Box::pin(rx.changed());
        assert!(util::poll_once(&mut again).await.is_pending());
    });
}

#[test]
fn a_dropped_sender_ends_changed_only_after_the_last_value_was_seen() {
    let (tx, mut rx) = watch::channel(1);
    tx.send(2).unwrap();
    drop(tx);
    assert_eq!(
        rx.has_changed(),
        Err(rx_err()),
        "has_changed fails once closed"
    );
    corio::block_on(async {
        assert_eq!(rx.changed().await, Ok(()), "the unseen 2 first");
        assert_eq!(*rx.borrow_and_update(), 2);
        assert_eq!(rx.changed().await, Err(rx_err()));
        assert_eq!(rx.changed().await, Err(rx_err()), "and it stays closed");
    });
    // A receiver already waiting is woken by the drop.
    let (tx, mut rx) = watch::channel(0);
    let (waker, wakes) = counting_waker();
    let mut changed: Changed<'_> = Box::pin(rx.changed());
    assert!(poll(&mut changed, &waker).is_pending());
    drop(tx);
    assert_eq!(n(&wakes), 1);
    assert_eq!(
        poll(&mut changed, &waker),
        std::task::Poll::Ready(Err(rx_err()))
    );
}

#[test]
fn send_needs_a_receiver_send_replace_does_not() {
    let (tx, rx) = watch::channel(String::from("one"));
    assert_eq!(tx.receiver_count(), 1);
    drop(rx);
    assert!(tx.is_closed());
    let SendError(back) = tx.send("two".into()).unwrap_err();
    assert_eq!(back, "two");
    assert_eq!(*tx.borrow(), "one", "a failed send stores nothing");
    assert_eq!(tx.send_replace("three".into()), "one");
    let mut rx = tx.subscribe();
    assert_eq!(tx.receiver_count(), 1);
    assert_eq!(*rx.borrow(), "three");
    assert_eq!(
        rx.has_changed(),
        Ok(false),
        "subscribe counts the current value seen"
    );
    tx.send("four".into()).unwrap();
    assert_eq!(rx.has_changed(), Ok(true));
    let seen = rx.borrow_and_update();
    assert!(seen.has_changed());
    assert_eq!(*seen, "four");
    drop(seen);
    assert!(!rx.borrow().has_changed());
    let lone = watch::Sender::new(7u8);
    assert_eq!((lone.receiver_count(), *lone.borrow()), (0, 7));
}

#[test]
fn send_if_modified_wakes_only_when_told_and_send_modify_always() {
    let (tx, mut rx) = watch::channel(vec![1]);
    let (waker, wakes) = counting_waker();
    let mut changed: Changed<'_> = Box::pin(rx.changed());
    assert!(poll(&mut changed, &waker).is_pending());
    assert!(!tx.send_if_modified(|v| {
        v.push(2); // changed, but not published
        false
    }));
    assert_eq!(n(&wakes), 0);
    assert!(poll(&mut changed, &waker).is_pending());
    assert!(tx.send_if_modified(|v| {
        v.push(3);
        true
    }));
    assert_eq!(n(&wakes), 1);
    assert!(poll(&mut changed, &waker).is_ready());
    drop(changed);
    assert_eq!(*rx.borrow_and_update(), [1, 2, 3]);
    tx.send_modify(|v| v.clear());
    assert_eq!(rx.has_changed(), Ok(true));
    assert!(rx.borrow_and_update().is_empty());
}

#[test]
fn mark_changed_and_mark_unchanged_move_the_seen_version() {
    let (tx, mut rx) = watch::channel(0);
    rx.mark_changed();
    assert_eq!(rx.has_changed(), Ok(true));
    corio::block_on(async { rx.changed().await.unwrap() });
    assert_eq!(rx.has_changed(), Ok(false));
    tx.send(1).unwrap();
    rx.mark_unchanged();
    assert_eq!(rx.has_changed(), Ok(false));
    assert_eq!(*rx.borrow(), 1);
}

#[test]
fn wait_for_checks_the_current_value_then_each_new_one() {
    corio::block_on(async {
        let (tx, mut rx) = watch::channel(5);
        assert_eq!(*rx.wait_for(|v| *v == 5).await.unwrap(), 5, "already true");
        let checked = Arc::new(std::sync::Mutex::new(Vec::new()));
        let waiter = corio::spawn({
            let checked = checked.clone();
            async move {
                let found = *rx
                    .wait_for(|v| {
                        checked.lock().unwrap().push(*v);
                        *v >= 3 && *v % 2 == 0
                    })
                    .await
                    .unwrap();
                (found, rx)
            }
        });
        let checks = || checked.lock().unwrap().len();
        // Each send once the waiter has checked the value before it.
        for (value, before) in [(1, 1), (3, 2), (4, 3)] {
            assert!(
                yield_until(|| checks() == before, 10).await,
                "checked {before}"
            );
            tx.send(value).unwrap();
        }
        let (found, mut rx) = within(LIMIT, "wait_for", waiter).await.unwrap();
        let checked = checked.lock().unwrap().clone();
        assert_eq!(found, 4);
        assert_eq!(checked, [5, 1, 3, 4]);
        assert_eq!(
            rx.has_changed(),
            Ok(false),
            "checked values are marked seen"
        );
        // Closed and never satisfied: an error (after checking the last value).
        tx.send(9).unwrap();
        drop(tx);
        assert_eq!(rx.wait_for(|v| *v == 100).await.unwrap_err(), rx_err());
        assert_eq!(
            *rx.wait_for(|v| *v == 9).await.unwrap(),
            9,
            "the last value still counts"
        );
    });
}

#[test]
fn a_cancelled_changed_marks_nothing_seen() {
    let (tx, mut rx) = watch::channel(0);
    let (waker, _) = counting_waker();
    let mut changed: Changed<'_> = Box::pin(rx.changed());
    assert!(poll(&mut changed, &waker).is_pending());
    tx.send(1).unwrap();
    drop(changed); // woken, never polled again
    assert_eq!(rx.has_changed(), Ok(true));
    corio::block_on(async {
        within(LIMIT, "changed", rx.changed()).await.unwrap();
    });
    assert_eq!(*rx.borrow(), 1);
}

#[test]
fn closed_completes_when_the_last_receiver_goes() {
    corio::block_on(async {
        let (tx, rx) = watch::channel(());
        let rx2 = rx.clone();
        let tx = Arc::new(tx);
        let waiter = corio::spawn({
            let tx = tx.clone();
            async move { tx.closed().await }
        });
        let waiter_done = || waiter.is_finished();
        assert!(!yield_until(waiter_done, 5).await, "two receivers left");
        drop(rx);
        assert!(!yield_until(waiter_done, 5).await, "one receiver left");
        drop(rx2);
        within(LIMIT, "closed", waiter).await.unwrap();
        assert!(tx.is_closed());
        tx.closed().await; // at once when already closed
    });
}

#[test]
#[cfg_attr(miri, ignore)]
fn a_sender_on_another_thread_feeds_receivers_on_this_runtime() {
    const SENDS: u64 = if cfg!(miri) { 50 } else { 2_000 };
    with_watchdog(WATCHDOG, || {
        let (tx, rx) = watch::channel(0u64);
        let sender = std::thread::spawn(move || {
            corio::block_on(async move {
                for v in 1..=SENDS {
                    tx.send_modify(|x| *x = v);
                    if v % 64 == 0 {
                        corio::task::yield_now().await;
                    }
                }
            })
        });
        let lasts = corio::block_on(async move {
            let tasks: Vec<_> = (0..2)
                .map(|_| {
                    let mut rx = rx.clone();
                    corio::spawn(async move {
                        let mut last = 0;
                        while rx.changed().await.is_ok() {
                            let v = *rx.borrow_and_update();
                            assert!(v > last, "went back from {last} to {v}");
                            last = v;
                        }
                        last
                    })
                })
                .collect();
            drop(rx);
            let mut lasts = Vec::new();
            for task in tasks {
                lasts.push(task.await.unwrap());
            }
            lasts
        });
        sender.join().unwrap();
        assert_eq!(lasts, [SENDS, SENDS]);
    });
}
