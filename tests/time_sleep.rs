//! `sleep` and `sleep_until`: accuracy, and edge deadlines (zero, past, `Duration::MAX`,
//! two at the same instant) and `reset`.
//!
//! Timing assertions are one-sided: a timer must never fire early (strict), and may be
//! late only within generous bounds, because the machine is shared and noisy.

mod time_common;

use corio::time::{Duration, Instant};
use std::cell::{Cell, RefCell};
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::rc::Rc;
use std::task::Poll;

use corio::time::{sleep, sleep_until, timeout, timeout_at, Elapsed};
use corio::JoinHandle;
use time_common::{margin, median, ms, poll_noop, poll_once, runtimes, with_watchdog, Gate};

const WATCHDOG: Duration = Duration::from_secs(20);

// ---------------------------------------------------------------------------------------
// 1. Accuracy
// ---------------------------------------------------------------------------------------

/// A 50 ms sleep never wakes before 50 ms; the median lateness of 5 runs is small. Also
/// sub-millisecond and 1 ms sleeps: the wait is rounded up, never down to a busy loop or
/// an early wake.
#[test]
#[cfg_attr(miri, ignore)]
fn sleep_never_wakes_early_and_is_not_very_late() {
    with_watchdog(WATCHDOG, || {
        for (name, runtime) in runtimes() {
            let target = Duration::from_millis(50);
            let mut lateness = Vec::new();
            for _ in 0..5 {
                let elapsed = runtime.block_on(async {
                    let start = Instant::now();
                    sleep(target).await;
                    start.elapsed()
                });
                assert!(
                    elapsed >= target,
                    "{name}: 50 ms sleep woke after {elapsed:?}"
                );
                lateness.push(elapsed - target);
            }
            let printed: Vec<String> = lateness.iter().map(|d| format!("{:.2}", ms(*d))).collect();
            let med = median(&mut lateness);
            println!(
                "{name}: 50 ms sleep lateness (ms): [{}], median {:.2}",
                printed.join(", "),
                ms(med)
            );
            assert!(
                med < Duration::from_millis(30),
                "{name}: median lateness {med:?}"
            );

            for target in [Duration::from_micros(300), Duration::from_millis(1)] {
                let elapsed = runtime.block_on(async {
                    let start = Instant::now();
                    sleep(target).await;
                    start.elapsed()
                });
                println!("{name}: {target:?} sleep took {:.3} ms", ms(elapsed));
                assert!(
                    elapsed >= target,
                    "{name}: {target:?} sleep woke after {elapsed:?}"
                );
                assert!(elapsed < Duration::from_millis(200), "{name}: {elapsed:?}");
            }
        }
    });
}

/// `sleep_until` wakes at (never before) its absolute deadline, and many sleeps running
/// concurrently in one task each wake on time.
#[test]
#[cfg_attr(miri, ignore)]
fn concurrent_sleeps_each_wake_at_their_own_deadline() {
    with_watchdog(WATCHDOG, || {
        corio::block_on(async {
            let start = Instant::now();
            let handles: Vec<JoinHandle<Duration>> = [60u64, 10, 40, 20, 30, 50]
                .into_iter()
                .map(|d| {
                    let deadline = start + Duration::from_millis(d);
                    corio::spawn(async move {
                        sleep_until(deadline).await;
                        let now = Instant::now();
                        assert!(now >= deadline);
                        now - deadline
                    })
                })
                .collect();
            for h in handles {
                let late = h.await.unwrap();
                assert!(late < Duration::from_millis(250), "late by {late:?}");
            }
        });
    });
}

// ---------------------------------------------------------------------------------------
// 3. Edge deadlines
// ---------------------------------------------------------------------------------------

/// Zero and past deadlines complete at the very first poll, with nobody to wake them.
#[test]
fn zero_and_past_deadlines_are_ready_at_first_poll() {
    corio::block_on(async {
        let mut zero = sleep(Duration::ZERO);
        assert!(zero.is_elapsed());
        assert_eq!(poll_noop(&mut zero), Poll::Ready(()));

        let past = Instant::now() - Duration::from_millis(10);
        let mut until_past = sleep_until(past);
        assert_eq!(until_past.deadline(), past);
        assert_eq!(poll_noop(&mut until_past), Poll::Ready(()));

        let mut until_now = sleep_until(Instant::now());
        assert_eq!(poll_noop(&mut until_now), Poll::Ready(()));

        // A timeout whose deadline already passed still lets a ready future through
        // (the inner future is polled first), and fails a pending one at once.
        let mut ok = timeout_at(past, std::future::ready(7));
        assert_eq!(poll_noop(&mut ok), Poll::Ready(Ok(7)));
        let mut late = timeout(Duration::ZERO, std::future::pending::<()>());
        assert!(matches!(
            poll_noop(&mut late),
            Poll::Ready(Err(Elapsed { .. }))
        ));
    });
}

/// `Duration::MAX` neither overflows nor panics nor completes; a `Duration::MAX` timeout
/// around a ready future is `Ok`.
#[test]
fn duration_max_neither_panics_nor_completes() {
    with_watchdog(WATCHDOG, || {
        corio::block_on(async {
            let forever = sleep(Duration::MAX);
            assert!(!forever.is_elapsed());
            assert!(forever.deadline() > Instant::now() + Duration::from_secs(86_400 * 365));
            let start = Instant::now();
            let r = timeout(Duration::from_millis(20), forever).await;
            assert!(matches!(r, Err(Elapsed { .. })), "{r:?}");
            assert!(start.elapsed() >= Duration::from_millis(20));

            assert_eq!(timeout(Duration::MAX, std::future::ready(5)).await, Ok(5));
            // And a MAX timeout around a short sleep lets the sleep finish.
            let r = timeout(Duration::MAX, sleep(Duration::from_millis(5))).await;
            assert_eq!(r, Ok(()));
            // A pending MAX sleep, registered with the reactor, does not stop the loop
            // from serving nearer timers.
            let mut far = sleep(Duration::MAX);
            assert!(poll_once(&mut far).await.is_pending());
            let start = Instant::now();
            sleep(Duration::from_millis(10)).await;
            assert!(start.elapsed() < Duration::from_secs(2));
            assert!(poll_once(&mut far).await.is_pending());
        });
    });
}

/// Two timers at the same instant both fire: in one task and in two tasks.
#[test]
fn two_timers_at_the_same_instant_both_fire() {
    with_watchdog(WATCHDOG, || {
        corio::block_on(async {
            let at = Instant::now() + margin(Duration::from_millis(20));
            // Two tasks.
            let fired = Rc::new(Cell::new(0));
            let handles: Vec<_> = (0..2)
                .map(|_| {
                    let fired = fired.clone();
                    corio::spawn(async move {
                        sleep_until(at).await;
                        assert!(Instant::now() >= at);
                        fired.set(fired.get() + 1);
                    })
                })
                .collect();
            // One task, two sleeps for the same instant, both registered.
            let (mut a, mut b) = (sleep_until(at), sleep_until(at));
            assert!(poll_once(&mut a).await.is_pending());
            assert!(poll_once(&mut b).await.is_pending());
            let (mut a_done, mut b_done) = (false, false);
            poll_fn(|cx| {
                a_done |= Pin::new(&mut a).poll(cx).is_ready();
                b_done |= Pin::new(&mut b).poll(cx).is_ready();
                if a_done && b_done {
                    Poll::Ready(())
                } else {
                    Poll::Pending
                }
            })
            .await;
            assert!(Instant::now() >= at);
            for h in handles {
                h.await.unwrap();
            }
            assert_eq!(fired.get(), 2);
        });
    });
}

/// `reset` to the past completes at the next poll; `reset` to later delays completion;
/// `reset` after completion re-arms.
#[test]
fn reset_moves_the_deadline_both_ways() {
    with_watchdog(WATCHDOG, || {
        corio::block_on(async {
            // Registered for an hour, reset to the past: ready at once.
            let mut s = sleep(Duration::from_secs(3600));
            assert!(poll_once(&mut s).await.is_pending());
            let past = Instant::now() - Duration::from_millis(1);
            s.reset(past);
            assert_eq!(s.deadline(), past);
            assert!(s.is_elapsed());
            assert_eq!(poll_noop(&mut s), Poll::Ready(()));

            // Registered for 10 ms, reset to 60 ms: completes at 60, not 10.
            let start = Instant::now();
            let mut s = sleep(margin(Duration::from_millis(10)));
            assert!(poll_once(&mut s).await.is_pending());
            s.reset(start + margin(Duration::from_millis(60)));
            (&mut s).await;
            let took = start.elapsed();
            println!("reset to later: completed after {:.1} ms", ms(took));
            assert!(took >= margin(Duration::from_millis(60)), "{took:?}");

            // Completed, then reset to later: pending again, then completes again.
            s.reset(Instant::now() + margin(Duration::from_millis(15)));
            assert!(!s.is_elapsed());
            let t = Instant::now();
            assert!(poll_once(&mut s).await.is_pending());
            (&mut s).await;
            assert!(t.elapsed() >= margin(Duration::from_millis(14)));

            // Unregistered (never polled) and reset: behaves like a fresh sleep.
            let mut s = sleep(Duration::from_secs(3600));
            s.reset(Instant::now() + Duration::from_millis(5));
            let t = Instant::now();
            s.await;
            assert!(t.elapsed() >= Duration::from_millis(5));
        });
    });
}

/// A task parked on a `Sleep` whose deadline another task moves must still be woken: at
/// once for a deadline in the past, at the new deadline for a later one. `Sleep::reset`
/// takes `&mut self`, so sharing it through a `RefCell` (or resetting it from inside a
/// poll that then returns `Pending` without polling it again) is legal.
/// (A regression test: `reset` used to drop the registration and its waker.)
#[test]
fn reset_wakes_a_task_parked_on_the_sleep() {
    with_watchdog(WATCHDOG, || {
        corio::block_on(async {
            for to_past in [true, false] {
                let shared = Rc::new(RefCell::new(sleep(Duration::from_secs(3600))));
                let registered = Gate::new();
                let (s, r) = (shared.clone(), registered.clone());
                let waiter = corio::spawn(async move {
                    let mut first = true;
                    poll_fn(|cx| {
                        let poll = Pin::new(&mut *s.borrow_mut()).poll(cx);
                        if first {
                            first = false;
                            r.open();
                        }
                        poll
                    })
                    .await;
                    Instant::now()
                });
                registered.wait().await;
                let reset_at = Instant::now();
                let new_deadline = if to_past {
                    reset_at - Duration::from_millis(1)
                } else {
                    reset_at + Duration::from_millis(30)
                };
                shared.borrow_mut().reset(new_deadline);
                match timeout(Duration::from_secs(2), waiter).await {
                    Ok(done) => {
                        let done = done.unwrap();
                        assert!(done >= new_deadline);
                        println!(
                            "reset (to_past={to_past}): waiter woke {:.1} ms after the reset",
                            ms(done - reset_at)
                        );
                    }
                    Err(_) => {
                        panic!("reset (to_past={to_past}): the parked task was never woken (2 s)")
                    }
                }
            }
        });
    });
}
