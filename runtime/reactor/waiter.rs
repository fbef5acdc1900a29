//! [`Waiter`]: a future's own place in the list of tasks waiting on one direction of a
//! source, taken when it first parks and given back when it is dropped.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use super::{Direction, Registration};
use crate::coop;

/// Waits until a direction of a source may make progress, holding an entry in that
/// direction's list of waiters while it waits, so any number of tasks can wait at once.
///
/// As a future it spends one unit of the task's cooperative budget when ready, like an
/// operation: a loop of "ready, try, would block" that never clears readiness still
/// yields. [`poll_ready`](Self::poll_ready) is the same wait without the budget, for the
/// "try; on `WouldBlock` wait again" loop that keeps one `Waiter` across its retries.
#[must_use = "futures do nothing unless awaited"]
#[derive(Debug)]
pub(crate) struct Waiter<'a> {
    registration: &'a Registration,
    dir: Direction,
    /// This future's key in the direction's list, once it parked.
    entry: Option<usize>,
}

impl<'a> Waiter<'a> {
    pub(super) fn new(registration: &'a Registration, dir: Direction) -> Waiter<'a> {
        Waiter {
            registration,
            dir,
            entry: None,
        }
    }

    /// Ready if the direction may make progress; otherwise parks this future's entry
    /// (adding it the first time) and returns `Pending`, or the backend's error.
    pub(crate) fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.registration.is_ready(self.dir) {
            return Poll::Ready(Ok(()));
        }
        self.registration
            .park_entry(cx, self.dir, &mut self.entry)
            .map(Err)
    }
}

impl Future for Waiter<'_> {
    type Output = io::Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(coop::poll_proceed(cx));
        let result = ready!(this.poll_ready(cx));
        coop::consume();
        Poll::Ready(result)
    }
}

impl Drop for Waiter<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.entry.take() {
            self.registration.leave(self.dir, key);
        }
    }
}
