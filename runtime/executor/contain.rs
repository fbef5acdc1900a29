//! Panic containment for a task's future and its outcome: the one place that decides what
//! a panic in `poll` or in `Drop` becomes, shared by local tasks (`Harness`) and tasks
//! started on a worker (`workers::remote::RemoteTask`), so both report the same thing.

use std::any::Any;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use super::join::JoinError;

/// How many panics in a row `drop_contained` follows before it leaks the last payload.
const NESTED_DROP_PANICS: usize = 8;

/// Drops `value`, which nobody will observe (the outcome of a detached task, a panic
/// payload already superseded), so that a panic in its `Drop` stays here. A panic payload
/// is a `Box<dyn Any>` whose own `Drop` may panic in turn: each such payload is dropped the
/// same way, up to `NESTED_DROP_PANICS` deep; past that the payload is leaked, because a
/// payload that panics with another like itself when dropped would never end.
pub(crate) fn drop_contained<T>(value: T) {
    let mut panicked = match catch_unwind(AssertUnwindSafe(move || drop(value))) {
        Ok(()) => return,
        Err(payload) => payload,
    };
    for _ in 1..NESTED_DROP_PANICS {
        panicked = match catch_unwind(AssertUnwindSafe(move || drop(panicked))) {
            Ok(()) => return,
            Err(payload) => payload,
        };
    }
    std::mem::forget(panicked);
}

/// What a `Contained` polled after its future finished gives.
#[cold]
#[inline(never)]
fn finished_already() -> JoinError {
    JoinError::cancelled()
}

pin_project! {
    /// A task's future until it finishes, then nothing: it is dropped at once, inside
    /// `catch_unwind`, so that a panic in its `Drop` is part of the task's outcome.
    #[project = ContainedProj]
    pub(crate) enum Contained<F> {
        Running { #[pin] future: F },
        Finished,
    }
}

impl<F: Future> Contained<F> {
    /// Wraps `future`, not yet polled.
    pub(crate) fn new(future: F) -> Contained<F> {
        Contained::Running { future }
    }

    /// Polls the future; once it is ready (or panics) drops it and gives the outcome:
    /// - `Ok(output)` if it completed and its `Drop` did not panic;
    /// - the panic from its `Drop` if it completed and then panicked there (the output is
    ///   dropped, contained);
    /// - the panic from `poll` if it panicked there (a second panic from its `Drop` is
    ///   dropped, contained: the first panic is the task's).
    ///
    /// Polled again after that it gives `Err(cancelled)`, as an awaited `JoinHandle` does.
    ///
    /// Every task poll goes through here, and nearly all of them return `Pending`: that
    /// path is only the variant check and the poll inside `catch_unwind`, inlined into
    /// the caller; building the outcome is out of line, in `conclude`.
    #[inline]
    pub(crate) fn poll_outcome(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<F::Output, JoinError>> {
        let polled = match self.as_mut().project() {
            ContainedProj::Running { future } => catch_unwind(AssertUnwindSafe(|| future.poll(cx))),
            ContainedProj::Finished => return Poll::Ready(Err(finished_already())),
        };
        match polled {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(output)) => Poll::Ready(self.conclude(Ok(output))),
            Err(payload) => Poll::Ready(self.conclude(Err(payload))),
        }
    }

    /// The outcome of the poll that ended the future, `polled` (its output, or the panic
    /// from `poll`): drops the future, contained, and decides as `poll_outcome` says.
    #[cold]
    #[inline(never)]
    fn conclude(
        self: Pin<&mut Self>,
        polled: Result<F::Output, Box<dyn Any + Send + 'static>>,
    ) -> Result<F::Output, JoinError> {
        match polled {
            Ok(output) => match self.drop_future() {
                None => Ok(output),
                Some(payload) => {
                    drop_contained(output);
                    Err(JoinError::panic(payload))
                }
            },
            Err(payload) => {
                drop_contained(self.drop_future());
                Err(JoinError::panic(payload))
            }
        }
    }

    /// Drops the future now, if it is still there (an abort); a panic in its `Drop` is
    /// dropped, contained: the task is cancelled either way.
    pub(crate) fn cancel(self: Pin<&mut Self>) {
        drop_contained(self.drop_future());
    }

    /// Replaces the future by `Finished`, returning the payload if its `Drop` panicked.
    fn drop_future(self: Pin<&mut Self>) -> Option<Box<dyn Any + Send + 'static>> {
        let mut this = self;
        catch_unwind(AssertUnwindSafe(|| this.set(Contained::Finished))).err()
    }
}
