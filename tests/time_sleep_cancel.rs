//! A dropped timer never fires: a `Sleep` (or a `Timeout`'s timer) cancelled by drop,
//! after `reset` too, or dropped from inside a waker's `Drop` while the reactor replaces
//! that waker, never wakes its task (PITFALLS.md, Timers).

mod time_common;

use corio::time::{Duration, Instant};
use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Waker};

use corio::time::{sleep, sleep_until, timeout_at, Sleep};
use time_common::{counted, margin, poll_noop, poll_once, runtimes, with_watchdog, Gate};

const WATCHDOG: Duration = Duration::from_secs(20);

// ---------------------------------------------------------------------------------------
// 4. A dropped timer never fires
// ---------------------------------------------------------------------------------------

/// A task registers a sleep (one poll), drops it, and parks on a gate. The sleep's
/// deadline passing must not poll the task: its poll count stays at one until the gate
/// opens. The same for a timeout whose inner future completed (its timer is dropped with
/// it) and for a sleep dropped after `reset`.
#[test]
fn a_dropped_timer_never_wakes_its_task() {
    with_watchdog(WATCHDOG, || {
        for (name, runtime) in runtimes() {
            runtime.block_on(async {
                let deadline = Instant::now() + margin(Duration::from_millis(30));
                let gate = Gate::new();

                let g = gate.clone();
                let (plain, plain_polls) = counted(async move {
                    let mut s = sleep_until(deadline);
                    assert!(poll_once(&mut s).await.is_pending());
                    drop(s);
                    g.wait().await;
                });
                let g = gate.clone();
                let (via_timeout, timeout_polls) = counted(async move {
                    // The timer is registered (the inner future is pending at first), then
                    // the whole Timeout is dropped.
                    let mut t = Box::pin(timeout_at(deadline, std::future::pending::<()>()));
                    assert!(poll_once(&mut t).await.is_pending());
                    drop(t);
                    g.wait().await;
                });
                let g = gate.clone();
                let (reset_then_drop, reset_polls) = counted(async move {
                    let mut s = sleep(Duration::from_secs(3600));
                    assert!(poll_once(&mut s).await.is_pending());
                    s.reset(deadline);
                    assert!(poll_once(&mut s).await.is_pending());
                    drop(s);
                    g.wait().await;
                });
                let handles = [
                    corio::spawn(plain),
                    corio::spawn(via_timeout),
                    corio::spawn(reset_then_drop),
                ];
                let polls = [plain_polls, timeout_polls, reset_polls];

                // Wait well past the dropped timers' deadline, on a timer of our own.
                sleep_until(deadline + margin(Duration::from_millis(50))).await;
                // Let anything a stray wake queued run.
                for _ in 0..3 {
                    corio::task::yield_now().await;
                }
                let counts: Vec<usize> = polls.iter().map(|p| p.get()).collect();
                assert_eq!(counts, [1, 1, 1], "{name}: polls after the deadline passed");

                gate.open();
                for h in handles {
                    h.await.unwrap();
                }
                let counts: Vec<usize> = polls.iter().map(|p| p.get()).collect();
                assert_eq!(counts, [2, 2, 2], "{name}: polls after the gate opened");
            });
        }
    });
}

thread_local! {
    /// The sleep a [`DropsSleep`] waker drops when it is itself dropped.
    static HELD_SLEEP: RefCell<Option<Sleep>> = const { RefCell::new(None) };
}

/// A waker whose drop drops [`HELD_SLEEP`]: user code that runs when the reactor lets go
/// of a waker (a waker owning a task, say).
struct DropsSleep;

impl std::task::Wake for DropsSleep {
    fn wake(self: Arc<Self>) {}
}

impl Drop for DropsSleep {
    fn drop(&mut self) {
        let sleep = HELD_SLEEP.with(|s| s.borrow_mut().take());
        drop(sleep);
    }
}

/// Counts its wakes.
struct CountingWaker(AtomicUsize);

impl std::task::Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A sleep dropped from inside a waker's `Drop`, run while the reactor replaces that waker
/// (the task polled a sleep with a new waker), must still be cancelled: its waker is never
/// woken.
#[test]
fn a_sleep_dropped_from_a_waker_drop_is_still_cancelled() {
    with_watchdog(WATCHDOG, || {
        corio::block_on(async {
            let counter = Arc::new(CountingWaker(AtomicUsize::new(0)));
            let counting = Waker::from(counter.clone());
            // B: registered with the counting waker, then handed to the hook.
            let mut b = sleep(margin(Duration::from_millis(20)));
            let poll = Pin::new(&mut b).poll(&mut Context::from_waker(&counting));
            assert!(poll.is_pending());
            HELD_SLEEP.with(|s| *s.borrow_mut() = Some(b));
            // A: registered with the hook waker, of which the reactor holds the only clone.
            let mut a = sleep(Duration::from_secs(3600));
            {
                let hook = Waker::from(Arc::new(DropsSleep));
                assert!(Pin::new(&mut a)
                    .poll(&mut Context::from_waker(&hook))
                    .is_pending());
            }
            // Polling A with another waker makes the reactor drop the hook: B is dropped.
            assert!(poll_noop(&mut a).is_pending());
            assert!(HELD_SLEEP.with(|s| s.borrow().is_none()), "the hook ran");
            // Past B's deadline: B's waker must not have been woken.
            sleep(margin(Duration::from_millis(60))).await;
            let wakes = counter.0.load(Ordering::SeqCst);
            assert_eq!(wakes, 0, "the dropped sleep's timer fired");
        });
    });
}
