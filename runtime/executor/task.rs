//! One spawned task: its future, its waker and its name, as the executor's table holds it.

use std::future::Future;
use std::pin::Pin;
use std::ptr::NonNull;
use std::sync::Arc;

use super::meta::TaskMeta;
use super::waker::TaskWaker;

/// One spawned task.
///
/// # States
///
/// A task's state is its waker's `queued` flag ([`TaskWaker`]) together with where its id
/// is: on a run queue, being polled, held only by wakers, or gone from the table.
///
/// ```text
///              spawn (1)
///                  |
///                  v
///             +--------+  pop, clear_queued, poll (2)  +---------+  Ready (7)  +------+
///  wake (6) ->| QUEUED |------------------------------>| RUNNING |------------>| DONE |
///  (no-op)    +--------+                               +---------+             +------+
///               ^    ^   Pending, woken during the poll (3)  |  |
///               |    +---------------------------------------+  |
///               |                                               |
///      wake (5) |            +------+   Pending, no wake (4)    |
///               +------------| IDLE |<--------------------------+
///                            +------+
/// ```
///
/// | state   | `queued`                 | the id                                          |
/// |---------|--------------------------|-------------------------------------------------|
/// | QUEUED  | true                     | on the local run queue or the remote queue      |
/// | RUNNING | false; true once woken   | popped; the executor is inside `poll`           |
/// | IDLE    | false                    | only in wakers (an I/O source, a timer, ...)    |
/// | DONE    | either                   | no longer in the table                          |
///
/// 1. `Core::spawn`: the waker starts with `queued` set and the id goes on the local queue.
/// 2. `Core::run_task`: the id is popped and `TaskWaker::clear_queued` swaps `queued` to
///    false *before* the poll, so a wake during the poll is not lost.
/// 3. A wake during the poll finds `queued` false, sets it and pushes the id again; the
///    task runs once more after this poll returns `Pending`.
/// 4. The poll returns `Pending` and nothing woke it: the task waits for a wake.
/// 5. `TaskWaker::wake_by_ref` swaps `queued` from false to true and pushes the id
///    (`Shared::schedule`: the local queue on the owner thread, the remote queue from
///    elsewhere).
/// 6. A wake that finds `queued` already set does nothing: a storm of wakes queues the task
///    once.
/// 7. The poll returns `Ready` (the future finished, panicked or was aborted):
///    `Core::run_task` takes the task out of the table and drops it. `Core`'s `Drop` takes
///    every task, in whatever state, to DONE the same way, and closes the wakers
///    (`Shared::close`).
///
/// A waker outlives its task: a late wake may still set `queued` and push the id, and the
/// executor then finds another generation (or nothing) at its key and skips it.
///
/// # Invariant
/// The future is kept as a raw pointer to its own heap allocation (made by `Box` in
/// [`Task::new`], freed in `Drop`) rather than as a `Box`, so the executor can poll it after
/// releasing its borrow of the table, without moving it out and back in; the table may grow
/// (and move this struct) during the poll, which moves the pointer, never the future.
/// `future` is valid, and never moved, from `new` until this task is dropped.
pub(super) struct Task {
    future: NonNull<dyn Future<Output = ()>>,
    /// Made once at spawn; every wake of this task goes through it.
    pub(super) waker: Arc<TaskWaker>,
    /// Name and spawn site, for reports (the slow-poll detector).
    pub(super) meta: TaskMeta,
}

impl Task {
    /// Boxes `future` into a new task.
    pub(super) fn new<F>(future: F, waker: Arc<TaskWaker>, meta: TaskMeta) -> Task
    where
        F: Future<Output = ()> + 'static,
    {
        let boxed: Box<dyn Future<Output = ()>> = Box::new(future);
        Task {
            // SAFETY: Box::into_raw never returns null.
            future: unsafe { NonNull::new_unchecked(Box::into_raw(boxed)) },
            waker,
            meta,
        }
    }

    /// The future, to poll once the table borrow is released.
    ///
    /// # Safety
    /// The caller must not let the returned reference outlive this task, and must not
    /// create two of them at once (the executor polls one task at a time and never
    /// re-enters itself).
    pub(super) unsafe fn future_mut<'a>(&self) -> Pin<&'a mut (dyn Future<Output = ()> + 'static)> {
        // SAFETY: by the invariant the pointer is valid and the future never moves, so
        // pinning is upheld; exclusivity and lifetime are the caller's contract.
        unsafe { Pin::new_unchecked(&mut *self.future.as_ptr()) }
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        // SAFETY: `future` came from Box::into_raw in `new` and is freed only here, once.
        drop(unsafe { Box::from_raw(self.future.as_ptr()) });
    }
}
