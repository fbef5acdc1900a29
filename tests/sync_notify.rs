//! `corio::sync::Notify`: a stored permit is exactly one, `notify_one` wakes exactly the
//! longest waiter, `notify_waiters` wakes every current waiter (even unpolled ones) and
//! stores nothing, a chosen-then-cancelled waiter passes its turn on, and a plain thread
//! can wake a task.
//!
//! Most tests poll the futures by hand, each with its own counting waker: that shows
//! exactly which waiter a notification woke and that no other one was touched.

mod common_exec;

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::AtomicUsize;
use std::sync::{mpsc, Arc};
use std::task::{Poll, Waker};
use std::time::Duration;

use common_exec::{
    assert_send, assert_sync, counted, counting_waker, n, poll, with_watchdog, yield_until,
};
use corio::sync::{Notified, Notify};

const WATCHDOG: Duration = Duration::from_secs(20);

/// `k` waiters, each polled once (so queued, in order) with its own counting waker.
fn queued_waiters(notify: &Notify, k: usize) -> Vec<(Notified<'_>, Waker, Arc<AtomicUsize>)> {
    (0..k)
        .map(|_| {
            let mut fut = notify.notified();
            let (waker, count) = counting_waker();
            assert!(poll(&mut fut, &waker).is_pending());
            (fut, waker, count)
        })
        .collect()
}

#[test]
fn notify_and_its_future_are_send_and_sync() {
    assert_send::<Notify>();
    assert_sync::<Notify>();
    assert_send::<Notified<'static>>();
    assert_sync::<Notified<'static>>();
    // Shared through an Arc into another thread.
    assert_send::<Arc<Notify>>();
}

#[test]
fn two_notify_one_calls_with_nobody_waiting_store_exactly_one_permit() {
    let notify = Notify::new();
    notify.notify_one();
    notify.notify_one();
    let (waker, count) = counting_waker();
    let mut first = notify.notified();
    assert_eq!(poll(&mut first, &waker), Poll::Ready(()));
    let mut second = notify.notified();
    assert_eq!(poll(&mut second, &waker), Poll::Pending);
    assert_eq!(n(&count), 0);
    // The next notify_one goes to the waiter, not into a permit.
    notify.notify_one();
    assert_eq!(n(&count), 1);
    assert_eq!(poll(&mut second, &waker), Poll::Ready(()));
    let mut third = notify.notified();
    assert_eq!(poll(&mut third, &waker), Poll::Pending);
}

#[test]
fn notify_one_wakes_only_the_longest_waiter_each_time() {
    let notify = Notify::new();
    let mut waiters = queued_waiters(&notify, 3);
    for turn in 0..3 {
        notify.notify_one();
        for (i, (fut, waker, count)) in waiters.iter_mut().enumerate() {
            let expected = usize::from(i <= turn);
            assert_eq!(n(count), expected, "turn {turn}: waiter {i} wake count");
            if i > turn {
                assert_eq!(poll(fut, waker), Poll::Pending, "turn {turn}: waiter {i}");
            }
        }
        let (fut, waker, _) = &mut waiters[turn];
        assert_eq!(poll(fut, waker), Poll::Ready(()));
    }
    // Three notifications, three waiters: no permit is left over.
    let (waker, count) = counting_waker();
    let mut late = notify.notified();
    assert_eq!(poll(&mut late, &waker), Poll::Pending);
    assert_eq!(n(&count), 0);
}

#[test]
fn notify_waiters_wakes_every_current_waiter_including_unpolled_and_stores_no_permit() {
    let notify = Notify::new();
    let mut waiters = queued_waiters(&notify, 2);
    let mut unpolled = notify.notified(); // created, never polled: still counts as waiting
    notify.notify_waiters();
    for (i, (fut, waker, count)) in waiters.iter_mut().enumerate() {
        assert_eq!(n(count), 1, "waiter {i}");
        assert_eq!(poll(fut, waker), Poll::Ready(()), "waiter {i}");
    }
    let (waker, count) = counting_waker();
    assert_eq!(poll(&mut unpolled, &waker), Poll::Ready(()));
    // Created after the call: not woken, and no permit was stored.
    let mut after = notify.notified();
    assert_eq!(poll(&mut after, &waker), Poll::Pending);
    assert_eq!(n(&count), 0);
    notify.notify_one();
    assert_eq!(n(&count), 1);
    assert_eq!(poll(&mut after, &waker), Poll::Ready(()));
}

#[test]
fn notify_waiters_wakes_more_waiters_than_one_batch_exactly_once_each() {
    let notify = Notify::new();
    let mut waiters = queued_waiters(&notify, 100);
    notify.notify_waiters();
    for (i, (fut, waker, count)) in waiters.iter_mut().enumerate() {
        assert_eq!(n(count), 1, "waiter {i}");
        assert_eq!(poll(fut, waker), Poll::Ready(()));
    }
    assert!(format!("{notify:?}").contains("waiters: 0"), "{notify:?}");
}

#[test]
fn a_waiter_moved_to_another_task_is_woken_through_its_latest_waker() {
    let notify = Notify::new();
    let (mut fut, _, old_count) = queued_waiters(&notify, 1).pop().unwrap();
    let (new_waker, new_count) = counting_waker();
    assert_eq!(poll(&mut fut, &new_waker), Poll::Pending);
    notify.notify_one();
    assert_eq!((n(&old_count), n(&new_count)), (0, 1));
    assert_eq!(poll(&mut fut, &new_waker), Poll::Ready(()));
}

#[test]
fn a_waiter_chosen_by_notify_one_then_dropped_passes_the_notification_on() {
    let notify = Notify::new();
    let mut waiters = queued_waiters(&notify, 3);
    notify.notify_one();
    assert_eq!(n(&waiters[0].2), 1);
    let (chosen, _, _) = waiters.remove(0);
    drop(chosen); // cancelled before it saw the notification
    assert_eq!(
        n(&waiters[0].2),
        1,
        "the next waiter inherits the notification"
    );
    assert_eq!(n(&waiters[1].2), 0, "and only that one");
    let (fut, waker, _) = &mut waiters[0];
    assert_eq!(poll(fut, waker), Poll::Ready(()));
    let (fut, waker, _) = &mut waiters[1];
    assert_eq!(poll(fut, waker), Poll::Pending);

    // With nobody left to inherit it, the notification becomes the stored permit.
    let notify = Notify::new();
    let mut lone = queued_waiters(&notify, 1);
    notify.notify_one();
    drop(lone.pop());
    let (waker, _) = counting_waker();
    let mut next = notify.notified();
    assert_eq!(poll(&mut next, &waker), Poll::Ready(()));
    let mut after = notify.notified();
    assert_eq!(poll(&mut after, &waker), Poll::Pending);
}

#[test]
fn a_cancelled_waiter_that_was_not_chosen_leaves_nothing_behind() {
    let notify = Notify::new();
    let mut waiters = queued_waiters(&notify, 3);
    drop(waiters.remove(1)); // cancel the middle waiter while it is still queued
    drop(waiters.remove(0)); // and the front one
    notify.notify_one();
    assert_eq!(n(&waiters[0].2), 1, "the one live waiter is woken");
    let (fut, waker, _) = &mut waiters[0];
    assert_eq!(poll(fut, waker), Poll::Ready(()));
    // No notification leaked to a dead waiter or into a permit.
    let (waker, count) = counting_waker();
    let mut after = notify.notified();
    assert_eq!(poll(&mut after, &waker), Poll::Pending);
    drop(after);
    // With every waiter cancelled, notify_one stores a permit instead of waking a ghost.
    notify.notify_one();
    let mut after = notify.notified();
    assert_eq!(poll(&mut after, &waker), Poll::Ready(()));
    assert_eq!(n(&count), 0);
}

#[test]
fn a_waiter_woken_by_notify_waiters_then_dropped_passes_nothing_on() {
    let notify = Notify::new();
    let mut waiters = queued_waiters(&notify, 2);
    notify.notify_waiters();
    drop(waiters.remove(0));
    assert_eq!(n(&waiters[0].2), 1, "woken once, by notify_waiters only");
    let (waker, count) = counting_waker();
    let mut after = notify.notified();
    assert_eq!(
        poll(&mut after, &waker),
        Poll::Pending,
        "no permit was created"
    );
    assert_eq!(n(&count), 0);
}

#[test]
fn tasks_are_woken_one_at_a_time_in_the_order_they_waited() {
    corio::block_on(async {
        let notify = Rc::new(Notify::new());
        let order = Rc::new(RefCell::new(Vec::new()));
        let mut polls = Vec::new();
        let mut handles = Vec::new();
        for id in 0..3 {
            let (task, count) = counted({
                let (notify, order) = (notify.clone(), order.clone());
                async move {
                    notify.notified().await;
                    order.borrow_mut().push(id);
                }
            });
            polls.push(count);
            handles.push(corio::spawn(task));
        }
        assert!(yield_until(|| polls.iter().all(|p| p.get() == 1), 10).await);
        for round in 0..3 {
            notify.notify_one();
            let done: Vec<usize> = (0..=round).collect();
            assert!(
                yield_until(|| *order.borrow() == done, 10).await,
                "round {round}"
            );
            // Give any wrongly woken task the chance to run, then check nobody else was.
            for _ in 0..3 {
                corio::task::yield_now().await;
            }
            for (id, p) in polls.iter().enumerate() {
                let expected = if id <= round { 2 } else { 1 };
                assert_eq!(p.get(), expected, "round {round}: polls of task {id}");
            }
        }
        for handle in handles {
            handle.await.unwrap();
        }
    });
}

#[test]
fn notify_one_from_a_plain_thread_wakes_a_task_parked_in_block_on() {
    with_watchdog(WATCHDOG, || {
        let notify = Arc::new(Notify::new());
        let (go_tx, go_rx) = mpsc::channel::<()>();
        let thread = std::thread::spawn({
            let notify = notify.clone();
            move || {
                go_rx.recv().unwrap();
                notify.notify_one();
            }
        });
        let polls = corio::block_on(async {
            let (mut fut, polls) = counted(notify.notified());
            // Queue the waiter with this task's waker, then let the thread notify: the
            // wake must come through the cross-thread path.
            let first = std::future::poll_fn(|cx| Poll::Ready(Pin::new(&mut fut).poll(cx))).await;
            assert!(first.is_pending());
            go_tx.send(()).unwrap();
            fut.await;
            polls.get()
        });
        thread.join().unwrap();
        // Pending, then (maybe Pending again before the thread ran) Ready: no spurious polls.
        assert!((2..=3).contains(&polls), "polled {polls} times");
    });
}

#[test]
fn ping_pong_between_a_thread_and_a_task_loses_no_notification() {
    const ROUNDS: usize = if cfg!(miri) { 100 } else { 2000 };
    with_watchdog(WATCHDOG, || {
        let ping = Arc::new(Notify::new());
        let (pong_tx, pong_rx) = mpsc::channel::<usize>();
        let thread = std::thread::spawn({
            let ping = ping.clone();
            move || {
                for i in 0..ROUNDS {
                    // Lands either on the parked task or, if it is not waiting yet, in the
                    // permit: both paths run many times.
                    ping.notify_one();
                    assert_eq!(pong_rx.recv().unwrap(), i);
                }
            }
        });
        corio::block_on(async {
            for i in 0..ROUNDS {
                ping.notified().await;
                pong_tx.send(i).unwrap();
            }
        });
        thread.join().unwrap();
        // Every ping was consumed by exactly one wait: none is left as a permit.
        let (waker, _) = counting_waker();
        assert_eq!(poll(&mut ping.notified(), &waker), Poll::Pending);
    });
}

#[test]
fn notify_waiters_from_a_plain_thread_wakes_every_task() {
    with_watchdog(WATCHDOG, || {
        let notify = Arc::new(Notify::new());
        let (go_tx, go_rx) = mpsc::channel::<()>();
        let thread = std::thread::spawn({
            let notify = notify.clone();
            move || {
                go_rx.recv().unwrap();
                notify.notify_waiters();
            }
        });
        let woken = corio::block_on(async {
            let woken = Rc::new(RefCell::new(Vec::new()));
            let started = Rc::new(RefCell::new(0));
            let handles: Vec<_> = (0..5)
                .map(|id| {
                    let (notify, woken, started) = (notify.clone(), woken.clone(), started.clone());
                    corio::spawn(async move {
                        let fut = notify.notified(); // waiting from creation on
                        *started.borrow_mut() += 1;
                        fut.await;
                        woken.borrow_mut().push(id);
                    })
                })
                .collect();
            assert!(yield_until(|| *started.borrow() == 5, 10).await);
            go_tx.send(()).unwrap();
            for handle in handles {
                handle.await.unwrap();
            }
            let woken = woken.borrow().clone();
            woken
        });
        thread.join().unwrap();
        let mut sorted = woken.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, vec![0, 1, 2, 3, 4]);
    });
}
