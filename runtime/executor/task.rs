//! One spawned task as the executor's table holds it: a reference to its cell (`cell.rs`,
//! `raw.rs`) and its name.

use super::meta::TaskMeta;
use super::raw::RawTask;

/// One spawned task.
///
/// # States
///
/// A task's state is its header's `queued` flag (`raw.rs`) together with where its id
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
/// 1. `Core::spawn`: the header starts with `queued` set and the id goes on the local queue.
/// 2. `Core::run_task`: the id is popped and `Header::clear_queued` swaps `queued` to
///    false *before* the poll, so a wake during the poll is not lost.
/// 3. A wake during the poll finds `queued` false, sets it and pushes the id again; the
///    task runs once more after this poll returns `Pending`.
/// 4. The poll returns `Pending` and nothing woke it: the task waits for a wake.
/// 5. `Header::wake` (every waker's) swaps `queued` from false to true and pushes the id
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
/// The task's cell lives on while anything else holds a reference to it (its
/// `JoinHandle`, wakers): dropping this entry ends only the table's hold, after dropping
/// the future if it never finished (the runtime's drop), which tells the handle
/// "cancelled".
pub(super) struct Task {
    pub(super) raw: RawTask,
    /// Name and spawn site, for reports (the slow-poll detector).
    pub(super) meta: TaskMeta,
}

impl Drop for Task {
    fn drop(&mut self) {
        let cancel = self.raw.header().vtable.cancel;
        // SAFETY: the table's entries live on the owner thread, and a task is dropped
        // outside any poll (after `run_task`'s poll, or in `Core`'s drop).
        unsafe { cancel(self.raw.ptr()) };
    }
}
