//! `AbortHandle`: permission to cancel a task, without awaiting it.

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

use crate::executor::JoinHandle;

/// Cancels one task without owning its output: what [`JoinSet::spawn`] returns.
///
/// [`abort`](Self::abort) acts as [`JoinHandle::abort`]: the task's future is dropped on
/// its thread before it is polled again, and whoever joins it gets a
/// [`JoinError`](crate::JoinError) that is
/// [`is_cancelled`](crate::JoinError::is_cancelled). A finished task is not affected.
/// Dropping an `AbortHandle` does nothing to the task.
///
/// Unlike tokio's, it is `!Send`, as the task it refers to never leaves its thread; and
/// only a [`JoinSet`] hands one out (a [`JoinHandle`] has [`abort`](JoinHandle::abort)
/// itself).
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
    task: Rc<dyn Abortable>,
}

impl AbortHandle {
    /// An abort handle for the task `handle` joins; the set keeps polling `handle`.
    pub(super) fn new<T: 'static>(handle: Rc<RefCell<JoinHandle<T>>>) -> AbortHandle {
        AbortHandle { task: handle }
    }

    /// Cancels the task, if it has not finished: see [`JoinHandle::abort`].
    pub fn abort(&self) {
        self.task.abort();
    }

    /// Whether the task has finished (completed, panicked or been cancelled).
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }
}

impl fmt::Debug for AbortHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AbortHandle")
            .field("finished", &self.is_finished())
            .finish()
    }
}

/// A `JoinHandle` of any output type, seen only as something to abort.
trait Abortable {
    fn abort(&self);
    fn is_finished(&self) -> bool;
}

impl<T> Abortable for RefCell<JoinHandle<T>> {
    // The set borrows the handle mutably only inside its own poll of it, which runs no
    // code of the program's: these shared borrows never meet it.
    fn abort(&self) {
        self.borrow().abort();
    }

    fn is_finished(&self) -> bool {
        self.borrow().is_finished()
    }
}
