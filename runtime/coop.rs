//! Cooperative budget: how many I/O operations one task poll may complete.
//!
//! A task whose sockets are always ready (a flooding peer) would otherwise loop inside one
//! `poll` forever and starve every other task, the reactor and the timers. The executor
//! refills the budget before each poll; each ready I/O operation spends one unit; at zero,
//! the operation wakes its own task and returns `Pending`, so the task goes to the back
//! of the run queue. The value follows tokio's (128).

use std::cell::Cell;
use std::task::{Context, Poll};

/// Operations one task poll may complete before it is made to yield.
pub(crate) const BUDGET: u32 = 128;

/// The budget outside any task poll (a future driven by hand): effectively no limit.
const UNLIMITED: u32 = u32::MAX;

thread_local! {
    /// Operations left in the current task poll.
    static REMAINING: Cell<u32> = const { Cell::new(UNLIMITED) };
}

/// Runs `f` (one task poll) with a fresh budget, restoring the previous one afterwards.
#[inline]
pub(crate) fn with_budget<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(u32);
    impl Drop for Restore {
        #[inline]
        fn drop(&mut self) {
            REMAINING.set(self.0);
        }
    }
    let _restore = Restore(REMAINING.replace(BUDGET));
    f()
}

/// Checks the budget before an operation; when none is left, schedules the task again
/// and returns `Pending`.
#[inline]
pub(crate) fn poll_proceed(cx: &mut Context<'_>) -> Poll<()> {
    if REMAINING.get() == 0 {
        cx.waker().wake_by_ref();
        return Poll::Pending;
    }
    Poll::Ready(())
}

/// Spends one unit: an operation completed. Operations that park cost nothing.
#[inline]
pub(crate) fn consume() {
    let left = REMAINING.get();
    if left != UNLIMITED {
        REMAINING.set(left.saturating_sub(1));
    }
}
