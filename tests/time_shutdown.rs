//! Timers and the runtime's lifetime: dropping a runtime that still has timers pending
//! (sleeps, intervals, timeouts) leaks nothing, the next runtime on the thread has working
//! timers, and a pending sleep polled outside any runtime panics clearly (PITFALLS.md,
//! Timers and Shutdown).

mod time_common;

use corio::time::{Duration, Instant};
use std::cell::Cell;
use std::rc::Rc;
use std::task::Poll;

use corio::time::{interval, sleep, timeout, MissedTickBehavior, Sleep};
use corio::JoinHandle;
use time_common::{margin, poll_noop, poll_once, runtimes, with_watchdog, DropGuard};

const WATCHDOG: Duration = Duration::from_secs(20);

// ---------------------------------------------------------------------------------------
// 6. Dropping a runtime with pending timers
// ---------------------------------------------------------------------------------------

/// Tasks sleeping for an hour, ticking an hourly interval, and waiting under an hourly
/// timeout are all dropped with the runtime: each future's drop guard runs exactly once,
/// nothing keeps a reference (`Rc` counts back to one), and every handle says cancelled.
/// A registered `Sleep` that outlives its runtime can still be dropped safely.
#[test]
fn dropping_a_runtime_with_pending_timers_leaks_nothing() {
    with_watchdog(WATCHDOG, || {
        for (name, runtime) in runtimes() {
            let drops = Rc::new(Cell::new(0));
            let polls = Rc::new(Cell::new(0));
            const EACH: usize = 10;
            let (handles, outliving) = runtime.block_on(async {
                let mut handles: Vec<JoinHandle<()>> = Vec::new();
                for i in 0..EACH {
                    let (guard, p) = (DropGuard::new(&drops), polls.clone());
                    handles.push(corio::spawn(async move {
                        let _guard = guard;
                        p.set(p.get() + 1);
                        sleep(Duration::from_secs(3600) + Duration::from_millis(i as u64)).await;
                        unreachable!("an hour passed");
                    }));
                    let (guard, p) = (DropGuard::new(&drops), polls.clone());
                    handles.push(corio::spawn(async move {
                        let _guard = guard;
                        p.set(p.get() + 1);
                        let mut every_hour = interval(Duration::from_secs(3600));
                        every_hour.set_missed_tick_behavior(MissedTickBehavior::Skip);
                        every_hour.tick().await; // the first tick is immediate
                        every_hour.tick().await;
                        unreachable!("an hour passed");
                    }));
                    let (guard, p) = (DropGuard::new(&drops), polls.clone());
                    handles.push(corio::spawn(async move {
                        let _guard = guard;
                        p.set(p.get() + 1);
                        let never = std::future::pending::<()>();
                        let _ = timeout(Duration::from_secs(3600), never).await;
                        unreachable!("an hour passed");
                    }));
                    // A timeout around a sleep, both registered.
                    let (guard, p) = (DropGuard::new(&drops), polls.clone());
                    handles.push(corio::spawn(async move {
                        let _guard = guard;
                        p.set(p.get() + 1);
                        let long = sleep(Duration::from_secs(7200));
                        let _ = timeout(Duration::from_secs(3600), long).await;
                        unreachable!("an hour passed");
                    }));
                }
                // Let every task run to its first await (registering its timers).
                let all = handles.len();
                for _ in 0..10 {
                    if polls.get() == all {
                        break;
                    }
                    corio::task::yield_now().await;
                }
                assert_eq!(polls.get(), all, "{name}: every task started");
                // A registered sleep that we take out of the runtime.
                let mut outliving = sleep(Duration::from_secs(3600));
                assert!(poll_once(&mut outliving).await.is_pending());
                (handles, outliving)
            });
            assert_eq!(runtime.alive_tasks(), 4 * EACH, "{name}");
            assert_eq!(
                drops.get(),
                0,
                "{name}: nothing dropped while the runtime lives"
            );
            assert!(handles.iter().all(|h| !h.is_finished()));

            drop(runtime);
            assert_eq!(
                drops.get(),
                4 * EACH,
                "{name}: each future dropped exactly once"
            );
            assert_eq!(
                Rc::strong_count(&drops),
                1,
                "{name}: a guard is still alive"
            );
            assert_eq!(Rc::strong_count(&polls), 1, "{name}: a task is still alive");
            for mut h in handles {
                assert!(h.is_finished(), "{name}");
                match poll_noop(&mut h) {
                    Poll::Ready(Err(e)) => assert!(e.is_cancelled(), "{name}: {e}"),
                    other => panic!("{name}: handle gave {:?}", other.map(|r| r.is_ok())),
                }
            }
            // Dropping a registered Sleep after its runtime is gone is safe.
            let outliving: Sleep = outliving;
            assert!(!outliving.is_elapsed());
            drop(outliving);
            assert_eq!(drops.get(), 4 * EACH, "{name}: no guard dropped twice");
        }
    });
}

/// A runtime dropped with pending timers does not disturb the next runtime on the same
/// thread: its timers are gone, and a new runtime's sleeps work normally.
#[test]
fn a_new_runtime_after_a_dropped_one_has_working_timers() {
    with_watchdog(WATCHDOG, || {
        let first = corio::Runtime::new().unwrap();
        first.block_on(async {
            corio::spawn(sleep(margin(Duration::from_millis(5))));
            let mut s = sleep(margin(Duration::from_millis(5)));
            assert!(poll_once(&mut s).await.is_pending());
        });
        drop(first);
        std::thread::sleep(Duration::from_millis(10));
        let elapsed = corio::block_on(async {
            let t = Instant::now();
            sleep(Duration::from_millis(20)).await;
            t.elapsed()
        });
        assert!(elapsed >= Duration::from_millis(20));
    });
}

/// Polling a pending `Sleep` outside a runtime panics with a clear message (there is no
/// reactor to wake it); a zero sleep outside a runtime is simply ready.
#[test]
#[should_panic(expected = "outside a runtime")]
fn pending_sleep_outside_a_runtime_panics_clearly() {
    let mut zero = sleep(Duration::ZERO);
    assert_eq!(poll_noop(&mut zero), Poll::Ready(()));
    let mut s = sleep(Duration::from_secs(1));
    let _ = poll_noop(&mut s);
}
