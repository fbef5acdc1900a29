//! A task started on another worker: the future that runs it there (catching its panic,
//! honouring a cross-thread abort) and the handle the spawner awaits.
//!
//! The two ends share two things: a `oneshot` channel that carries the one outcome to
//! the handle, and an `AbortState` that carries an abort to the task. An abort and the
//! task's finishing may race; the task settles it on its own thread, at each poll: an
//! abort seen before the poll cancels it (the future is dropped there, the outcome is
//! `Err(cancelled)`), an abort that comes later finds the outcome already decided. The
//! loom models in `remote_loom.rs` run both races.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll, Waker};

use pin_project_lite::pin_project;

use crate::executor::{drop_contained, Contained};
use crate::std_or_loom::Mutex;
use crate::sync::oneshot;
use crate::JoinError;

/// A remote task's two ends: the [`TaskEnd`] that goes to the owner worker, and the
/// handle that stays with the spawner.
pub(crate) fn link<T>() -> (TaskEnd<T>, RemoteJoinHandle<T>) {
    let (outcome, result) = oneshot::channel();
    let abort = Arc::new(AbortState::default());
    let handle = RemoteJoinHandle {
        result: Some(result),
        abort: abort.clone(),
    };
    (TaskEnd { outcome, abort }, handle)
}

/// The worker's end of a remote task, before the task exists.
pub(crate) struct TaskEnd<T> {
    outcome: oneshot::Sender<Result<T, JoinError>>,
    abort: Arc<AbortState>,
}

impl<T> TaskEnd<T> {
    /// The task to spawn on the owner worker: runs `future` under the abort and sends the
    /// outcome to the handle.
    pub(crate) async fn run<F: Future<Output = T>>(self, future: F) {
        let outcome = RemoteTask::new(future, self.abort).await;
        send_outcome(self.outcome, outcome);
    }

    /// The task could not be built: the handle gets `error`.
    pub(super) fn fail(self, error: JoinError) {
        send_outcome(self.outcome, Err(error));
    }
}

/// Sends `outcome` to the handle; if the handle is gone, drops it here, contained.
fn send_outcome<T>(to: oneshot::Sender<Result<T, JoinError>>, outcome: Result<T, JoinError>) {
    if let Err(unsent) = to.send(outcome) {
        drop_contained(unsent); // nobody to tell
    }
}

/// What a remote task and its handle share for `abort`.
#[derive(Debug, Default)]
struct AbortState {
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
        let stale = crate::stored_waker::replace(&mut inner.1, waker);
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
    struct RemoteTask<F> {
        #[pin]
        task: Contained<F>,
        abort: Arc<AbortState>,
    }
}

impl<F: Future> RemoteTask<F> {
    fn new(future: F, abort: Arc<AbortState>) -> Self {
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
/// # Panics
/// Polling it again after it returned `Ready` panics with "RemoteJoinHandle polled after
/// completion", as a local [`JoinHandle`](crate::JoinHandle) does.
///
/// [`WorkersHandle::spawn_on`]: super::WorkersHandle::spawn_on
pub struct RemoteJoinHandle<T> {
    /// `None` once a poll returned `Ready`, and inside `Drop`.
    result: Option<oneshot::Receiver<Result<T, JoinError>>>,
    abort: Arc<AbortState>,
}

impl<T> RemoteJoinHandle<T> {
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
            panic!("RemoteJoinHandle polled after completion");
        };
        let outcome = ready!(Pin::new(result).poll(cx)).unwrap_or_else(|_| {
            // The task was dropped unfinished (its worker shut down).
            Err(JoinError::cancelled())
        });
        self.result = None; // the receiver is empty now: dropping it drops no outcome
        Poll::Ready(outcome)
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

#[cfg(all(test, loom))]
#[path = "remote_loom.rs"]
mod loom_models;
