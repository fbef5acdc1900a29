//! `AbortHandle`: permission to cancel a task, without awaiting it.

use std::fmt;

use crate::executor::RawTask;

/// Cancels one task without owning its output: what [`JoinSet::spawn`] returns.
///
/// [`abort`](Self::abort) acts as [`JoinHandle::abort`](crate::JoinHandle::abort): the
/// task's future is dropped on its thread before it is polled again, and whoever joins it
/// gets a [`JoinError`](crate::JoinError) that is
/// [`is_cancelled`](crate::JoinError::is_cancelled). A finished task is not affected.
/// Dropping an `AbortHandle` does nothing to the task.
///
/// It is `Send` and `Sync`, as tokio's is: an abort from another thread queues the task
/// through its runtime's remote queue, and the future is still dropped on its own
/// thread. A [`JoinSet`] hands one out per task, and so does
/// [`JoinHandle::abort_handle`](crate::JoinHandle::abort_handle).
///
/// ```
/// use corio::task::JoinSet;
///
/// corio::block_on(async {
///     let mut set = JoinSet::new();
///     let forever = set.spawn(std::future::pending::<()>());
///     forever.abort();
///     let err = set.join_next().await.unwrap().unwrap_err();
///     assert!(err.is_cancelled());
///     assert!(forever.is_finished());
/// });
/// ```
///
/// [`JoinSet`]: super::JoinSet
/// [`JoinSet::spawn`]: super::JoinSet::spawn
#[derive(Clone)]
pub struct AbortHandle {
    /// A counted reference to the task's cell, as its `JoinHandle` holds.
    task: RawTask,
}

impl AbortHandle {
    /// An abort handle for `task`.
    pub(crate) fn new(task: RawTask) -> AbortHandle {
        AbortHandle { task }
    }

    /// Cancels the task, if it has not finished: see
    /// [`JoinHandle::abort`](crate::JoinHandle::abort).
    pub fn abort(&self) {
        self.task.abort();
    }

    /// Whether the task has finished (completed, panicked or been cancelled).
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }
}

// SAFETY: an `AbortHandle` uses only the task cell's atomics: the reference count and the
// join protocol's bits (`executor/join_state.rs`), and a wake, which any thread may make.
// It never touches the future or the output, and a last reference dropped here frees
// memory without running the task's code.
unsafe impl Send for AbortHandle {}
// SAFETY: as above; all its methods take `&self` and are those atomic operations.
unsafe impl Sync for AbortHandle {}

impl fmt::Debug for AbortHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AbortHandle")
            .field("finished", &self.is_finished())
            .finish()
    }
}
