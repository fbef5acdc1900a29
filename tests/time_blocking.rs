//! The tutorials' lesson (004_d57aa4328e12da80.txt, 协程): coroutines share one thread, so
//! a *blocking* call inside one of them (Python's `time.sleep`, Rust's
//! `std::thread::sleep`) stops every other coroutine too, while the *asynchronous* sleep
//! (`gevent.sleep`, `asyncio.sleep`, `corio::time::sleep`) lets them run.
//!
//! Task A sleeps 300 ms, task B sleeps 20 ms. With A blocking the thread, B cannot finish
//! before A's 300 ms are over; with A awaiting a corio sleep, B finishes after about
//! 20 ms, long before A.

mod time_common;

use corio::time::{Duration, Instant};

use time_common::{ms, runtimes, with_watchdog};

const WATCHDOG: Duration = Duration::from_secs(20);
const LONG: Duration = Duration::from_millis(300);
const SHORT: Duration = Duration::from_millis(20);

/// Runs A (blocking or not) and B side by side; returns (A done, B done) since the start.
fn race(runtime: &corio::Runtime, a_blocks: bool) -> (Duration, Duration) {
    runtime.block_on(async {
        let start = Instant::now();
        // B is spawned first, so it registers its timer before A runs: the order that
        // gives B every chance. It still cannot run while A holds the thread.
        let b = corio::spawn(async move {
            corio::time::sleep(SHORT).await;
            start.elapsed()
        });
        let a = corio::spawn(async move {
            if a_blocks {
                std::thread::sleep(LONG); // blocks the whole thread: B cannot be polled
            } else {
                corio::time::sleep(LONG).await; // parks this task only
            }
            start.elapsed()
        });
        let b_done = b.await.unwrap();
        let a_done = a.await.unwrap();
        (a_done, b_done)
    })
}

/// A blocking call in one task blocks every task on the thread: B's 20 ms sleep completes
/// only after A's 300 ms blocking sleep.
#[test]
fn a_blocking_sleep_in_one_task_stalls_the_others() {
    with_watchdog(WATCHDOG, || {
        for (name, runtime) in runtimes() {
            let (a_done, b_done) = race(&runtime, true);
            println!(
                "{name}: A blocking {LONG:?}: A done at {:.1} ms, B ({SHORT:?} sleep) done at \
                 {:.1} ms",
                ms(a_done),
                ms(b_done)
            );
            assert!(a_done >= LONG, "{name}");
            assert!(
                b_done >= LONG,
                "{name}: B finished while A blocked the thread"
            );
        }
    });
}

/// An asynchronous sleep parks only its own task: B completes after its own 20 ms, well
/// before A's 300 ms.
#[test]
fn an_async_sleep_in_one_task_lets_the_others_run() {
    with_watchdog(WATCHDOG, || {
        for (name, runtime) in runtimes() {
            let (a_done, b_done) = race(&runtime, false);
            println!(
                "{name}: A async {LONG:?}: A done at {:.1} ms, B ({SHORT:?} sleep) done at \
                 {:.1} ms",
                ms(a_done),
                ms(b_done)
            );
            assert!(b_done >= SHORT, "{name}: B woke early");
            assert!(
                b_done < Duration::from_millis(200),
                "{name}: B waited for A"
            );
            assert!(a_done >= LONG, "{name}: A woke early");
            assert!(a_done > b_done, "{name}");
        }
    });
}
