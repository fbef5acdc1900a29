//! [`Waiting`]: an operation on a source as a future that, when it completes or is
//! dropped, takes its own entry off the source's list of waiters.
//!
//! Only a direction that several tasks wait on keeps a list (`reactor/fan_out.rs`); there,
//! a future given up by a `timeout` or a `race` would otherwise leave its task's waker
//! listed until the next event. One task per direction (the usual case) never gets an
//! entry, and this adds a thread-local swap per poll and nothing per wake.

use std::future::Future;
use std::os::fd::AsRawFd;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use super::source::Source;
use crate::reactor::{Direction, Membership};

/// The future of [`Source::waiting`].
#[must_use = "futures do nothing unless awaited"]
pub(crate) struct Waiting<'a, T: AsRawFd, F> {
    source: &'a Source<T>,
    dir: Direction,
    /// This future's own entry in the direction's fan-out, once it has one.
    membership: Option<Membership>,
    poll: F,
}

impl<'a, T: AsRawFd, F> Waiting<'a, T, F> {
    pub(super) fn new(source: &'a Source<T>, dir: Direction, poll: F) -> Self {
        Waiting {
            source,
            dir,
            membership: None,
            poll,
        }
    }

    fn leave(&mut self) {
        if let Some(membership) = self.membership.take() {
            self.source.registration().leave(self.dir, membership);
        }
    }
}

impl<T: AsRawFd, F: FnMut(&mut Context<'_>) -> Poll<R> + Unpin, R> Future for Waiting<'_, T, F> {
    type Output = R;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<R> {
        let this = self.get_mut();
        let registration = this.source.registration();
        let poll = &mut this.poll;
        // The claim is for parks with this poll's own waker only (compared by address).
        let waker: *const Waker = cx.waker();
        let result = registration.with_claim(this.dir, waker, &mut this.membership, || poll(cx));
        if result.is_ready() {
            this.leave(); // done, maybe without the list's wake: nothing to keep listed
        }
        result
    }
}

impl<T: AsRawFd, F> Drop for Waiting<'_, T, F> {
    fn drop(&mut self) {
        self.leave();
    }
}
