//! `JoinHandle` and `JoinError`: how a task's result, panic or cancellation reaches its
//! spawner.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};

use super::raw::RawTask;

/// An owned permission to await a spawned task's output, or to abort it.
///
/// Awaiting it gives `Ok(output)`, or `Err` if the task panicked or was cancelled.
/// Dropping it detaches the task, which runs on to completion unobserved; the runtime then
/// drops the task's output (or panic payload), and a panic in that drop is contained: it
/// is reported by the panic hook like any panic, and every other task runs on.
///
/// It is a reference to the task's one allocation (`executor/cell.rs`), where the output
/// waits until taken. It is `Send` and `Sync` when the output is `Send`, as tokio's is, so
/// it may sit in a future a framework requires to be `Send`, or be awaited, aborted or
/// dropped on another thread: the task still runs on the thread that spawned it, and its
/// outcome is handed over through an atomic protocol (`executor/join_state.rs`).
///
/// # Panics
/// Polling the handle again after it returned `Ready` panics with "JoinHandle polled after
/// completion", as tokio's does: the outcome was handed out once and there is nothing left
/// to return (the `Future` contract allows a panic here). Use
/// [`is_finished`](Self::is_finished) to look without taking.
pub struct JoinHandle<T> {
    task: RawTask,
    /// The cell's output type: the handle is made only by `Core::spawn`, for the cell of a
    /// future whose output is `T`.
    _output: PhantomData<T>,
}

impl<T> JoinHandle<T> {
    /// A handle over `task`, whose future's output is `T`.
    pub(super) fn new(task: RawTask) -> JoinHandle<T> {
        JoinHandle {
            task,
            _output: PhantomData,
        }
    }

    /// Cancels the task: its future is dropped, on this (its owner) thread, before it is
    /// polled again, and awaiting the handle gives a [`JoinError`] that
    /// [`is_cancelled`](JoinError::is_cancelled). No effect on a finished task.
    pub fn abort(&self) {
        self.task.abort();
    }

    /// Whether the task has finished (completed, panicked or been cancelled).
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    /// An [`AbortHandle`](crate::task::AbortHandle) for this task, which cancels it
    /// without owning its output.
    pub fn abort_handle(&self) -> crate::task::AbortHandle {
        crate::task::AbortHandle::new(self.task.clone())
    }
}

/// The handle is a pointer: the output never lives in it, so it may move whatever `T` is.
impl<T> Unpin for JoinHandle<T> {}

// SAFETY: a handle touches the task's cell only through atomics (the reference count, the
// join protocol's bits), the waker slot and the stage under that protocol's hand-over
// (`join_state.rs`), and the output `T`, which is `Send`; dropping the last reference on
// this thread frees memory without running the task's code (`cell.rs`). So it may move
// to, and be used from, any thread.
unsafe impl<T: Send> Send for JoinHandle<T> {}
// SAFETY: its `&self` methods (`abort`, `is_finished`, `abort_handle`) are the atomic
// operations above; polling and dropping need `&mut self`.
unsafe impl<T: Send> Sync for JoinHandle<T> {}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let header = self.task.header();
        if !header.join.poll_join(cx.waker()) {
            return Poll::Pending;
        }
        let mut outcome: Option<Result<T, JoinError>> = None;
        // SAFETY: FINISHED with this handle alive, so the stage is ours (`join_state.rs`),
        // and `outcome` has the cell's output type (`new`).
        unsafe {
            (header.vtable.take_output)(self.task.ptr(), std::ptr::addr_of_mut!(outcome).cast())
        };
        // None: an earlier poll took it.
        Poll::Ready(outcome.expect("JoinHandle polled after completion"))
    }
}

impl<T> Drop for JoinHandle<T> {
    /// Detaches the task. An outcome already stored is dropped here, contained as when the
    /// task finishes after this, so that dropping a handle behaves the same either way.
    fn drop(&mut self) {
        let header = self.task.header();
        if header.join.detach() {
            // SAFETY: FINISHED before the handle went: the stage is ours, as in `poll`.
            unsafe { (header.vtable.drop_output)(self.task.ptr()) };
        }
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("finished", &self.is_finished())
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
