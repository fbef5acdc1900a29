//! A task started on another worker: the future that runs it there (catching its panic,
//! honouring a cross-thread abort) and the handle the spawner awaits.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use pin_project_lite::pin_project;

use crate::executor::{drop_contained, Contained};
use crate::sync::oneshot;
use crate::JoinError;

/// What a remote task and its handle share for `abort`.
#[derive(Debug, Default)]
pub(super) struct AbortState {
    /// `(aborted, the task's waker)` under one lock, so an abort cannot slip between the
    /// task's check and its registering a waker.
    inner: Mutex<(bool, Option<Waker>)>,
}

impl AbortState {
    fn abort(&self) {
        let waker = {
            let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            inner.0 = true;
            inner.1.take()
        };
        if let Some(waker) = waker {
            waker.wake(); // the owner worker polls the task, which then ends itself
        }
    }

    /// True if aborted; otherwise remembers `waker` for a later abort.
    fn check(&self, waker: &Waker) -> bool {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if inner.0 {
            return true;
        }
        let stale = crate::waker_slot::store(&mut inner.1, waker);
        drop(inner);
        drop(stale); // outside the lock
        false
    }
}

pin_project! {
    /// Runs on the owner worker: polls the user's future and, when it finishes, panics or
    /// is aborted, drops it right there, on the owner thread (where a `!Send` future must
    /// stay), through the same containment as a local task's harness: a panic in `poll` or
    /// in the future's `Drop` becomes the outcome exactly as a local `JoinHandle` would
    /// report it, and an abort ends with `Err(cancelled)`.
    pub(super) struct RemoteTask<F> {
        #[pin]
        task: Contained<F>,
        abort: Arc<AbortState>,
    }
}

impl<F: Future> RemoteTask<F> {
    pub(super) fn new(future: F, abort: Arc<AbortState>) -> Self {
        RemoteTask {
            task: Contained::new(future),
            abort,
        }
    }
}

impl<F: Future> Future for RemoteTask<F> {
    type Output = Result<F::Output, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if this.abort.check(cx.waker()) {
            this.task.cancel();
            return Poll::Ready(Err(JoinError::cancelled()));
        }
        this.task.poll_outcome(cx)
    }
}

/// Awaits a task running on another worker ([`WorkersHandle::spawn_on`]); `Send`, so it
/// can be awaited anywhere, or waited for from a plain thread with [`join`](Self::join).
///
/// [`WorkersHandle::spawn_on`]: super::WorkersHandle::spawn_on
pub struct RemoteJoinHandle<T> {
    /// `None` only inside `Drop`.
    result: Option<oneshot::Receiver<Result<T, JoinError>>>,
    abort: Arc<AbortState>,
}

impl<T> RemoteJoinHandle<T> {
    pub(super) fn new(
        result: oneshot::Receiver<Result<T, JoinError>>,
        abort: Arc<AbortState>,
    ) -> Self {
        RemoteJoinHandle {
            result: Some(result),
            abort,
        }
    }

    /// Asks the owner worker to cancel the task: it drops the future there, at the task's
    /// next scheduling point, and the handle then gives `Err` with
    /// [`is_cancelled`](JoinError::is_cancelled). A task that already finished keeps its
    /// result.
    pub fn abort(&self) {
        self.abort.abort();
    }

    /// Blocks this thread until the task finishes. For plain threads (such as `main`
    /// after starting the workers); inside a task, `.await` the handle instead.
    ///
    /// # Panics
    /// On a runtime thread (a worker's included), where blocking would stall its tasks.
    #[track_caller]
    pub fn join(self) -> Result<T, JoinError> {
        crate::sync::block_on_thread(self)
    }
}

impl<T> Future for RemoteJoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let Some(result) = self.result.as_mut() else {
            return Poll::Ready(Err(JoinError::cancelled()));
        };
        Pin::new(result).poll(cx).map(|received| match received {
            Ok(result) => result,
            // The task was dropped unfinished (its worker shut down), or the outcome was
            // already taken by an earlier poll.
            Err(_) => Err(JoinError::cancelled()),
        })
    }
}

impl<T> Drop for RemoteJoinHandle<T> {
    /// Detaches the task. An outcome already sent is dropped with the receiver, and that
    /// drop is contained, as a local `JoinHandle` contains the drop of the outcome it
    /// leaves; one sent later is handed back to the worker, which drops it the same way.
    fn drop(&mut self) {
        drop_contained(self.result.take());
    }
}

impl<T> fmt::Debug for RemoteJoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteJoinHandle").finish_non_exhaustive()
    }
}
