//! `interval` and `interval_at`: the first tick is immediate, ticks keep their spacing,
//! and each `MissedTickBehavior` does what it documents after the task was busy past
//! several deadlines; `Interval::reset` restarts the schedule.
//!
//! Returned instants are compared exactly (they are computed, not measured); measured
//! times only get one-sided, generous bounds. "Busy" is `std::thread::sleep` inside the
//! task: it blocks the whole thread, which is exactly how ticks get missed.

mod time_common;

use corio::time::{Duration, Instant};

use corio::time::{interval, interval_at, MissedTickBehavior};
use time_common::{ms, poll_noop, poll_once, runtimes, with_watchdog};

const WATCHDOG: Duration = Duration::from_secs(20);
const PERIOD: Duration = Duration::from_millis(20);
/// How long the task blocks the thread to miss ticks: 5.5 periods.
const BUSY: Duration = Duration::from_millis(110);
/// "At once": a tick that is already due takes no longer than this, even when loaded.
const PROMPT: Duration = Duration::from_millis(50);

/// The first tick is immediate and returns the start; then ticks come one period apart,
/// never early; defaults are Burst and the given period.
#[test]
fn first_tick_is_immediate_then_ticks_are_a_period_apart() {
    with_watchdog(WATCHDOG, || {
        for (name, runtime) in runtimes() {
            runtime.block_on(async {
                let before = Instant::now();
                let mut every = interval(PERIOD);
                assert_eq!(every.period(), PERIOD);
                assert_eq!(every.missed_tick_behavior(), MissedTickBehavior::Burst);
                // Due at once: ready at the very first poll, with nobody to wake.
                let start = {
                    let mut tick = Box::pin(every.tick());
                    match poll_noop(&mut tick) {
                        std::task::Poll::Ready(at) => at,
                        std::task::Poll::Pending => panic!("{name}: first tick not immediate"),
                    }
                };
                assert!(start >= before && start <= Instant::now(), "{name}");

                let mut gaps = Vec::new();
                let mut last_seen = Instant::now();
                for n in 1..=5u32 {
                    let at = every.tick().await;
                    let now = Instant::now();
                    assert_eq!(at, start + PERIOD * n, "{name}: tick {n} scheduled instant");
                    assert!(now >= at, "{name}: tick {n} came {:?} early", at - now);
                    gaps.push(now - last_seen);
                    last_seen = now;
                }
                let gaps: Vec<String> = gaps.iter().map(|g| format!("{:.1}", ms(*g))).collect();
                println!(
                    "{name}: gaps between {PERIOD:?} ticks (ms): {}",
                    gaps.join(", ")
                );
                let total = last_seen - start;
                assert!(total >= PERIOD * 5, "{name}: 5 periods took {total:?}");
                assert!(
                    total < PERIOD * 5 + Duration::from_secs(1),
                    "{name}: {total:?}"
                );
            });
        }
    });
}

/// `interval_at` with a start in the future waits for it; one in the past ticks at once
/// and returns the given start.
#[test]
fn interval_at_honours_its_start() {
    with_watchdog(WATCHDOG, || {
        corio::block_on(async {
            let start = Instant::now() + Duration::from_millis(40);
            let mut every = interval_at(start, PERIOD);
            let at = every.tick().await;
            assert_eq!(at, start);
            assert!(Instant::now() >= start);
            assert_eq!(every.tick().await, start + PERIOD);

            let past = Instant::now() - Duration::from_millis(5);
            let mut every = interval_at(past, Duration::from_secs(3600));
            let t = Instant::now();
            assert_eq!(every.tick().await, past);
            assert!(t.elapsed() < PROMPT);
        });
    });
}

/// Burst: after missing ticks, the missed ones fire back to back, each returning its
/// original instant (`start + n * period`), until caught up; then the schedule resumes.
#[test]
fn burst_fires_missed_ticks_back_to_back_on_the_original_schedule() {
    with_watchdog(WATCHDOG, || {
        corio::block_on(async {
            let mut every = interval(PERIOD);
            every.set_missed_tick_behavior(MissedTickBehavior::Burst);
            let start = every.tick().await;
            std::thread::sleep(BUSY); // miss ticks 1..=5
            let woke = Instant::now();
            let behind = ((woke - start).as_nanos() / PERIOD.as_nanos()) as u32;
            assert!(behind >= 5, "{behind}");
            let mut n = 1;
            while n <= behind {
                let t = Instant::now();
                let at = every.tick().await;
                assert_eq!(at, start + PERIOD * n, "missed tick {n}");
                assert!(
                    t.elapsed() < PROMPT,
                    "missed tick {n} took {:?}",
                    t.elapsed()
                );
                n += 1;
            }
            println!(
                "burst: {behind} missed ticks fired in {:.2} ms",
                ms(woke.elapsed())
            );
            // Caught up: the next one is on schedule, not early.
            let at = every.tick().await;
            assert_eq!(at, start + PERIOD * n);
            assert!(Instant::now() >= at);
        });
    });
}

/// Delay: after missing ticks, one tick fires at once (the overdue one), and the next
/// comes a full period after that late tick, not on the original schedule.
#[test]
fn delay_fires_once_then_reschedules_from_now() {
    with_watchdog(WATCHDOG, || {
        corio::block_on(async {
            let mut every = interval(PERIOD);
            every.set_missed_tick_behavior(MissedTickBehavior::Delay);
            assert_eq!(every.missed_tick_behavior(), MissedTickBehavior::Delay);
            let start = every.tick().await;
            std::thread::sleep(BUSY);
            let t = Instant::now();
            let overdue = every.tick().await;
            let fired = Instant::now();
            // Its instant is the overdue schedule point (not exact here: see the test below).
            assert!(
                overdue >= start + PERIOD && overdue <= t,
                "the overdue tick's instant"
            );
            assert!(fired - t < PROMPT, "the overdue tick took {:?}", fired - t);
            let next = every.tick().await;
            let now = Instant::now();
            // Scheduled one period after the moment the overdue tick was handled.
            assert!(next >= t + PERIOD, "next {:?} after t", next - t);
            assert!(
                next <= fired + PERIOD,
                "next {:?} after fired",
                next - fired
            );
            assert!(now >= next);
            // Off the original grid (it drifted by the time we were busy).
            let offset = (next - start).as_nanos() % PERIOD.as_nanos();
            println!(
                "delay: next tick {:.2} ms off the original grid",
                offset as f64 / 1e6
            );
            let after = every.tick().await;
            assert!(after >= next + PERIOD && after <= Instant::now());
        });
    });
}

/// Delay only changes the schedule when a tick was missed: an interval whose ticks are all
/// handled on time keeps `start + n * period`, like Burst and Skip (and tokio), instead of
/// drifting by each wake-up's lateness.
#[test]
fn delay_keeps_the_schedule_when_no_tick_is_missed() {
    with_watchdog(WATCHDOG, || {
        corio::block_on(async {
            let mut every = interval(PERIOD);
            every.set_missed_tick_behavior(MissedTickBehavior::Delay);
            let start = every.tick().await;
            let mut drift = Duration::ZERO;
            for n in 1..=5u32 {
                let at = every.tick().await;
                drift = at - (start + PERIOD * n);
                if drift > Duration::ZERO {
                    println!("delay: tick {n} drifted {:.3} ms off schedule", ms(drift));
                }
            }
            assert_eq!(
                drift,
                Duration::ZERO,
                "on-time ticks drifted off the schedule"
            );
        });
    });
}

/// Skip: after missing ticks, one tick fires at once, and the next is the first multiple
/// of the period on the original schedule that lies in the future.
#[test]
fn skip_fires_once_then_jumps_to_the_next_multiple() {
    with_watchdog(WATCHDOG, || {
        corio::block_on(async {
            let mut every = interval(PERIOD);
            every.set_missed_tick_behavior(MissedTickBehavior::Skip);
            let start = every.tick().await;
            std::thread::sleep(BUSY);
            let t = Instant::now();
            let overdue = every.tick().await;
            let fired = Instant::now();
            assert_eq!(overdue, start + PERIOD);
            assert!(fired - t < PROMPT, "the overdue tick took {:?}", fired - t);
            let next = every.tick().await;
            assert!(Instant::now() >= next);
            let since = (next - start).as_nanos();
            assert_eq!(since % PERIOD.as_nanos(), 0, "next is on the original grid");
            let k = (since / PERIOD.as_nanos()) as u32;
            // The first grid point after the moment the overdue tick was handled.
            assert!(next > t, "next tick not in the future of the catch-up");
            assert!(next <= fired + PERIOD, "skipped too far: k = {k}");
            assert!(k >= 6, "k = {k}: ticks 2..=5 were not skipped");
            println!("skip: after {BUSY:?} busy, next tick is start + {k} periods");
            // The one after stays on the grid (k + 1, or further if we were late again).
            let after = every.tick().await;
            assert_eq!((after - start).as_nanos() % PERIOD.as_nanos(), 0);
            assert!(after >= next + PERIOD && after <= Instant::now());
        });
    });
}

/// `reset` restarts the schedule: the next tick comes one period after the reset, not at
/// the next grid point.
#[test]
fn reset_restarts_the_schedule_from_now() {
    with_watchdog(WATCHDOG, || {
        corio::block_on(async {
            let mut every = interval(Duration::from_millis(50));
            let start = every.tick().await;
            corio::time::sleep(Duration::from_millis(30)).await;
            let reset_at = Instant::now();
            every.reset();
            let next = every.tick().await;
            let now = Instant::now();
            assert!(
                next >= reset_at + Duration::from_millis(50),
                "{:?}",
                next - reset_at
            );
            assert!(next <= now, "tick before its instant");
            assert!(
                next > start + Duration::from_millis(50),
                "the old grid point was kept"
            );
            println!(
                "reset: next tick {:.1} ms after the reset (period 50 ms)",
                ms(now - reset_at)
            );
            assert_eq!(every.tick().await, next + Duration::from_millis(50));
        });
    });
}

/// A zero period is refused (it would spin).
#[test]
#[should_panic(expected = "period must be non-zero")]
fn zero_period_panics() {
    let _ = interval(Duration::ZERO);
}

/// `interval(Duration::MAX)` neither overflows nor panics: the first tick is immediate,
/// the second never comes (it is a pending poll, not a wait), and `reset` saturates too.
#[test]
fn interval_duration_max_ticks_once_then_never_and_reset_does_not_panic() {
    with_watchdog(WATCHDOG, || {
        corio::block_on(async {
            let before = Instant::now();
            let mut every = interval(Duration::MAX);
            assert_eq!(every.period(), Duration::MAX);
            let first = {
                let mut tick = Box::pin(every.tick());
                match poll_noop(&mut tick) {
                    std::task::Poll::Ready(at) => at,
                    std::task::Poll::Pending => panic!("first tick not immediate"),
                }
            };
            assert!(first >= before && first <= Instant::now());
            let mut second = Box::pin(every.tick());
            assert!(poll_once(&mut second).await.is_pending());
            assert!(poll_once(&mut second).await.is_pending());
            drop(second);

            every.reset();
            let mut after_reset = Box::pin(every.tick());
            assert!(poll_once(&mut after_reset).await.is_pending());
        });
    });
}

/// Every missed-tick policy survives `Duration::MAX`, and so does an `interval_at` whose
/// start lies centuries ahead: no tick comes, and nothing overflows.
#[test]
fn interval_far_future_start_and_duration_max_period_do_not_overflow() {
    with_watchdog(WATCHDOG, || {
        corio::block_on(async {
            for behavior in [
                MissedTickBehavior::Burst,
                MissedTickBehavior::Delay,
                MissedTickBehavior::Skip,
            ] {
                let past = Instant::now() - Duration::from_millis(5);
                let mut every = interval_at(past, Duration::MAX);
                every.set_missed_tick_behavior(behavior);
                assert_eq!(every.tick().await, past, "{behavior:?}");
                let mut next = Box::pin(every.tick());
                assert!(poll_once(&mut next).await.is_pending(), "{behavior:?}");
            }

            let centuries = Duration::from_secs(86_400 * 365 * 500);
            let Some(start) = Instant::now().checked_add(centuries) else {
                eprintln!("skipped: this platform's Instant cannot reach 500 years ahead");
                return;
            };
            let mut every = interval_at(start, Duration::MAX);
            let mut first = Box::pin(every.tick());
            assert!(poll_once(&mut first).await.is_pending());
            drop(first);
            every.reset();
            let mut tick = Box::pin(every.tick());
            assert!(poll_once(&mut tick).await.is_pending());
        });
    });
}
