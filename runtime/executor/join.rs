//! `JoinHandle` and `JoinError`: how a task's result, panic or cancellation reaches its
//! spawner.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Mutex;
use std::task::{Context, Poll, Waker};

use super::contain::drop_contained;

/// The state a task and its handle share.
pub(crate) struct JoinState<T> {
    /// The outcome, once the task finished.
    pub(crate) result: RefCell<Option<Result<T, JoinError>>>,
    /// Whoever awaits the handle.
    pub(crate) join_waker: RefCell<Option<Waker>>,
    /// Set by `abort`; the task drops its future at its next poll.
    pub(crate) aborted: Cell<bool>,
    /// Set when the task finished, however.
    pub(crate) finished: Cell<bool>,
    /// Set when the `JoinHandle` is dropped: nobody will ever take the outcome.
    detached: Cell<bool>,
    /// Schedules the task, so an abort is acted on promptly.
    pub(crate) task_waker: Waker,
}

impl<T> JoinState<T> {
    /// Fresh state for a task woken through `task_waker`.
    pub(crate) fn new(task_waker: Waker) -> JoinState<T> {
        JoinState {
            result: RefCell::new(None),
            join_waker: RefCell::new(None),
            aborted: Cell::new(false),
            finished: Cell::new(false),
            detached: Cell::new(false),
            task_waker,
        }
    }

    /// Records the outcome (first one wins) and wakes the handle's awaiter. An outcome
    /// nobody will take — a later one, or any once the handle is gone — is dropped here,
    /// with a panic from its `Drop` (or its payload's) contained: it belongs to no task,
    /// and unwinding from here would take the executor down.
    pub(crate) fn finish(&self, result: Result<T, JoinError>) {
        if self.finished.replace(true) || self.detached.get() {
            drop_contained(result);
            return;
        }
        *self.result.borrow_mut() = Some(result);
        let waker = self.join_waker.borrow_mut().take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// An owned permission to await a spawned task's output, or to abort it.
///
/// Awaiting it gives `Ok(output)`, or `Err` if the task panicked or was cancelled.
/// Dropping it detaches the task, which runs on to completion unobserved; the runtime then
/// drops the task's output (or panic payload), and a panic in that drop is contained: it
/// is reported by the panic hook like any panic, and every other task runs on.
///
/// # Panics
/// Polling the handle again after it returned `Ready` panics with "JoinHandle polled after
/// completion", as tokio's does: the outcome was handed out once and there is nothing left
/// to return (the `Future` contract allows a panic here). Use
/// [`is_finished`](Self::is_finished) to look without taking.
pub struct JoinHandle<T> {
    state: Rc<JoinState<T>>,
}

impl<T> JoinHandle<T> {
    pub(crate) fn new(state: Rc<JoinState<T>>) -> JoinHandle<T> {
        JoinHandle { state }
    }

    /// Cancels the task: its future is dropped, on this (its owner) thread, before it is
    /// polled again, and awaiting the handle gives a [`JoinError`] that
    /// [`is_cancelled`](JoinError::is_cancelled). No effect on a finished task.
    pub fn abort(&self) {
        if !self.state.finished.get() {
            self.state.aborted.set(true);
            self.state.task_waker.wake_by_ref();
        }
    }

    /// Whether the task has finished (completed, panicked or been cancelled).
    pub fn is_finished(&self) -> bool {
        self.state.finished.get()
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Some(result) = self.state.result.borrow_mut().take() {
            return Poll::Ready(result);
        }
        // Finished with no result left: an earlier poll took it (a dropped handle, the only
        // other taker, is never polled).
        assert!(
            !self.state.finished.get(),
            "JoinHandle polled after completion"
        );
        let mut slot = self.state.join_waker.borrow_mut();
        let replaced = crate::stored_waker::replace(&mut slot, cx.waker());
        drop(slot);
        drop(replaced); // with nothing borrowed: a waker's Drop may run arbitrary code
        Poll::Pending
    }
}

impl<T> Drop for JoinHandle<T> {
    /// Detaches the task. An outcome already stored is dropped here, contained as in
    /// `JoinState::finish`, so that dropping a handle behaves the same whether the task
    /// finished before or after.
    fn drop(&mut self) {
        self.state.detached.set(true);
        let unobserved = self.state.result.borrow_mut().take();
        drop_contained(unobserved);
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("finished", &self.state.finished.get())
            .finish()
    }
}

/// Why a task produced no output.
pub struct JoinError {
    repr: Repr,
}

enum Repr {
    Cancelled,
    /// The payload sits in a mutex only so that `JoinError` is `Sync` (payloads are merely
    /// `Send`), which lets it become an `io::Error` or a boxed error like any other; its
    /// message, if it is a string, is copied out at construction.
    Panic {
        payload: Mutex<Box<dyn Any + Send + 'static>>,
        message: Option<String>,
    },
}

impl JoinError {
    pub(crate) fn cancelled() -> JoinError {
        JoinError {
            repr: Repr::Cancelled,
        }
    }

    pub(crate) fn panic(payload: Box<dyn Any + Send + 'static>) -> JoinError {
        let message = payload
            .downcast_ref::<&'static str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned());
        JoinError {
            repr: Repr::Panic {
                payload: Mutex::new(payload),
                message,
            },
        }
    }

    /// True if the task was aborted, or its runtime dropped before it finished.
    pub fn is_cancelled(&self) -> bool {
        matches!(self.repr, Repr::Cancelled)
    }

    /// True if the task panicked.
    pub fn is_panic(&self) -> bool {
        matches!(self.repr, Repr::Panic { .. })
    }

    /// The panic's payload, to resume it with `std::panic::resume_unwind`; `Err(self)` if
    /// the task was cancelled instead.
    pub fn try_into_panic(self) -> Result<Box<dyn Any + Send + 'static>, JoinError> {
        match self.repr {
            Repr::Panic { payload, .. } => {
                Ok(payload.into_inner().unwrap_or_else(|e| e.into_inner()))
            }
            Repr::Cancelled => Err(self),
        }
    }

    /// The panic message, when the payload is a string.
    fn panic_message(&self) -> Option<&str> {
        match &self.repr {
            Repr::Panic { message, .. } => message.as_deref(),
            Repr::Cancelled => None,
        }
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.repr, self.panic_message()) {
            (Repr::Cancelled, _) => f.write_str("task was cancelled"),
            (Repr::Panic { .. }, Some(msg)) => write!(f, "task panicked: {msg}"),
            (Repr::Panic { .. }, None) => f.write_str("task panicked"),
        }
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.repr, self.panic_message()) {
            (Repr::Cancelled, _) => f.write_str("JoinError::Cancelled"),
            (Repr::Panic { .. }, Some(msg)) => write!(f, "JoinError::Panic({msg:?})"),
            (Repr::Panic { .. }, None) => f.write_str("JoinError::Panic(..)"),
        }
    }
}

impl std::error::Error for JoinError {}
