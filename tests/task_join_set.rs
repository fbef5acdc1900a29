//! `task::JoinSet`: exact sums and counts, completion order, abort, drop, panics, and one
//! wake of the waiter per finished task.

mod common_exec;

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use common_exec::{with_watchdog, DropCounter};
use corio::sync::oneshot;
use corio::task::{JoinError, JoinSet};

const WATCHDOG: Duration = Duration::from_secs(30);
const TASKS: usize = if cfg!(miri) { 40 } else { 1000 };

/// Spawns `TASKS` members that each wait for their gate (opened or dropped), yield a few
/// times (so a task finishes some scheduling rounds after its gate opens), then return
/// their index.
fn gated_set() -> (JoinSet<usize>, Vec<oneshot::Sender<()>>) {
    let mut set = JoinSet::new();
    let mut gates = Vec::with_capacity(TASKS);
    for i in 0..TASKS {
        let (tx, rx) = oneshot::channel::<()>();
        gates.push(tx);
        set.spawn(async move {
            let _ = rx.await;
            for _ in 0..3 {
                corio::task::yield_now().await;
            }
            i
        });
    }
    (set, gates)
}

#[test]
fn a_thousand_tasks_give_an_exact_sum_and_count_in_release_order() {
    with_watchdog(WATCHDOG, || {
        corio::block_on(async {
            let (mut set, gates) = gated_set();
            assert_eq!(set.len(), TASKS);
            corio::task::yield_now().await; // every task starts and waits on its gate
                                            // Open every gate, last index first: the tasks are woken, so finish, in that
                                            // order, which is not the order they were spawned in.
            for gate in gates.into_iter().rev() {
                gate.send(()).unwrap();
            }
            let mut order = Vec::with_capacity(TASKS);
            while let Some(outcome) = set.join_next().await {
                order.push(outcome.unwrap());
            }
            let expected: Vec<usize> = (0..TASKS).rev().collect();
            assert_eq!(order, expected);
            assert_eq!(order.iter().sum::<usize>(), TASKS * (TASKS - 1) / 2);
            assert!(set.is_empty());
        })
    });
}

/// Counts the polls of the future it wraps.
struct CountPolls<'a, F> {
    inner: Pin<Box<F>>,
    polls: &'a mut usize,
}

impl<F: Future> Future for CountPolls<'_, F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        *self.polls += 1;
        self.inner.as_mut().poll(cx)
    }
}

#[test]
fn join_next_is_woken_once_per_finished_task() {
    with_watchdog(WATCHDOG, || {
        corio::block_on(async {
            let (mut set, mut gates) = gated_set();
            let mut polls = 0;
            for expected in (0..TASKS).rev() {
                gates.pop().unwrap().send(()).unwrap();
                let next = CountPolls {
                    inner: Box::pin(set.join_next()),
                    polls: &mut polls,
                };
                assert_eq!(next.await.unwrap().unwrap(), expected);
            }
            // Each finished task: one poll that finds nothing yet, one wake, one poll that
            // takes the outcome. A set woken by every member (or never) would differ.
            assert_eq!(polls, 2 * TASKS);
            let (mut set, gates) = gated_set();
            drop(gates); // every task finishes, all in one run of the queue
            let (mut polls, mut sum) = (0, 0);
            for _ in 0..TASKS {
                let next = CountPolls {
                    inner: Box::pin(set.join_next()),
                    polls: &mut polls,
                };
                sum += next.await.unwrap().unwrap();
            }
            assert!(set.join_next().await.is_none());
            assert_eq!(sum, TASKS * (TASKS - 1) / 2);
            // One poll that waits, one wake for the first outcome, then every other
            // outcome is already on the ready list.
            assert_eq!(polls, TASKS + 1);
        })
    });
}

#[test]
fn abort_all_cancels_every_task() {
    with_watchdog(WATCHDOG, || {
        corio::block_on(async {
            let (mut set, gates) = gated_set();
            corio::task::yield_now().await; // every task starts and waits on its gate
            set.abort_all();
            let mut cancelled = 0;
            while let Some(outcome) = set.join_next().await {
                let err: JoinError = outcome.unwrap_err();
                assert!(err.is_cancelled(), "{err:?}");
                cancelled += 1;
            }
            assert_eq!(cancelled, TASKS);
            assert!(gates.iter().all(|gate| gate.is_closed()));
        })
    });
}

#[test]
fn dropping_the_set_aborts_its_tasks() {
    with_watchdog(WATCHDOG, || {
        corio::block_on(async {
            let drops = DropCounter::new();
            let mut set = JoinSet::new();
            let (tx, rx) = oneshot::channel::<()>();
            let guard = drops.guard();
            let ran_on = Rc::new(std::cell::Cell::new(false));
            let ran = ran_on.clone();
            set.spawn(async move {
                let _guard = guard;
                let _ = rx.await;
                ran.set(true);
            });
            corio::task::yield_now().await;
            drop(set);
            for _ in 0..10 {
                corio::task::yield_now().await;
            }
            assert_eq!(drops.count(), 1, "the task was not dropped");
            assert!(tx.is_closed());
            assert!(!ran_on.get(), "the task ran on after the set was dropped");
        })
    });
}

#[test]
fn an_empty_set_joins_to_none() {
    with_watchdog(WATCHDOG, || {
        corio::block_on(async {
            let mut set = JoinSet::<u8>::new();
            assert!(set.join_next().await.is_none());
            assert!(set.try_join_next().is_none());
            set.spawn(async { 7 });
            assert_eq!(set.join_next().await.unwrap().unwrap(), 7);
            assert!(set.join_next().await.is_none());
        })
    });
}

#[test]
fn a_panicking_member_gives_is_panic_and_the_others_complete() {
    with_watchdog(WATCHDOG, || {
        corio::block_on(async {
            let mut set = JoinSet::new();
            for i in 0..10u32 {
                set.spawn(async move {
                    corio::task::yield_now().await;
                    if i == 3 {
                        panic!("member three");
                    }
                    i
                });
            }
            let (mut panics, mut sum, mut count) = (0, 0, 0);
            while let Some(outcome) = set.join_next().await {
                match outcome {
                    Ok(i) => {
                        sum += i;
                        count += 1;
                    }
                    Err(e) => {
                        assert!(e.is_panic());
                        assert_eq!(e.to_string(), "task panicked: member three");
                        panics += 1;
                    }
                }
            }
            assert_eq!((panics, count, sum), (1, 9, 45 - 3));
        })
    });
}

#[test]
fn try_join_next_takes_only_finished_tasks_and_loses_no_wake() {
    with_watchdog(WATCHDOG, || {
        corio::block_on(async {
            let mut set = JoinSet::new();
            let (tx, rx) = oneshot::channel::<()>();
            set.spawn(async move { rx.await.map(|()| "opened") });
            assert!(set.try_join_next().is_none()); // not started
            corio::task::yield_now().await;
            assert!(set.try_join_next().is_none()); // waiting on its gate
            tx.send(()).unwrap();
            // join_next after try_join_next still hears of the completion.
            assert_eq!(set.join_next().await.unwrap().unwrap(), Ok("opened"));
        })
    });
}

#[test]
fn join_next_dropped_mid_wait_loses_no_outcome() {
    with_watchdog(WATCHDOG, || {
        corio::block_on(async {
            let mut set = JoinSet::new();
            let (tx, rx) = oneshot::channel::<()>();
            set.spawn(async move {
                rx.await.unwrap();
                11
            });
            // A join_next that loses a race is dropped while waiting.
            let lost = corio::future::race(set.join_next(), async { None }).await;
            assert!(lost.is_none());
            tx.send(()).unwrap();
            assert_eq!(set.join_next().await.unwrap().unwrap(), 11);
        })
    });
}

#[test]
fn abort_handle_cancels_one_member() {
    with_watchdog(WATCHDOG, || {
        corio::block_on(async {
            let mut set = JoinSet::new();
            let keep = set.spawn(async { 1 });
            let cancel = set.spawn(std::future::pending::<u32>());
            cancel.abort();
            let mut outcomes = Vec::new();
            while let Some(outcome) = set.join_next().await {
                outcomes.push(outcome.map_err(|e| e.is_cancelled()));
            }
            outcomes.sort();
            assert_eq!(outcomes, [Ok(1), Err(true)]);
            assert!(keep.is_finished() && cancel.is_finished());
        })
    });
}

#[test]
fn shutdown_join_all_detach_all_and_collect() {
    with_watchdog(WATCHDOG, || {
        corio::block_on(async {
            let mut set: JoinSet<u32> = (0..5u32).map(|i| async move { i }).collect();
            set.extend([async { 10 }]);
            let mut all = set.join_all().await;
            all.sort();
            assert_eq!(all, [0, 1, 2, 3, 4, 10]);

            let drops = DropCounter::new();
            let mut set = JoinSet::new();
            let guard = drops.guard();
            set.spawn(async move {
                let _guard = guard;
                std::future::pending::<()>().await
            });
            set.shutdown().await;
            assert!(set.is_empty());
            assert_eq!(drops.count(), 1);

            let (tx, rx) = oneshot::channel::<u8>();
            let mut set = JoinSet::new();
            set.spawn(async move { tx.send(9).unwrap() });
            set.detach_all();
            assert!(set.is_empty());
            drop(set); // detached: the task is not aborted
            assert_eq!(rx.await.unwrap(), 9);
        })
    });
}

#[test]
#[cfg_attr(miri, ignore)] // the blocking pool's threads outlive the test
fn spawn_blocking_and_spawn_local_join_like_spawn() {
    with_watchdog(WATCHDOG, || {
        corio::block_on(async {
            let mut set = JoinSet::new();
            set.spawn_blocking(|| 40u64);
            let not_send = Rc::new(2u64);
            set.spawn_local(async move { *not_send });
            let mut sum = 0;
            while let Some(outcome) = set.join_next().await {
                sum += outcome.unwrap();
            }
            assert_eq!(sum, 42);
        })
    });
}
