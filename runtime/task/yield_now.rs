//! `yield_now`: let every other ready task run before continuing.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Gives way once: the task goes to the back of the run queue and continues after the
/// tasks queued before it have run (and, at least every 61 polls, the reactor).
pub fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

/// Future of [`yield_now`].
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
