//! Tasks: spawning, joining (one by one, or as a [`JoinSet`]), cancelling and yielding.
//!
//! [`block_in_place`] does not compile: it turns a worker of tokio's multi-thread runtime
//! into a blocking thread, and corio's runtime has one thread (tokio's current-thread
//! runtime panics on it too). Move blocking work to the pool with [`spawn_blocking`] and
//! await its handle.
//!
//! Dropping a [`Runtime`](crate::Runtime) waits for the [`spawn_blocking`] jobs spawned
//! from it (see [its shutdown](crate::Runtime#shutdown)).
//!
//! # After `fork`
//!
//! A child made by `fork` gets a copy of the parent's memory and descriptors but only the
//! thread that called `fork`. What that means for corio in the child:
//!
//! - **Build a new runtime; never use one made before the fork**, not even to drop it
//!   (`std::mem::forget` it, or `exec`/`_exit` without returning to it). Its epoll
//!   descriptor names the *same* kernel object as the parent's: the child's waits would
//!   take the parent's edge-triggered events, and its deregistrations would remove the
//!   parent's sockets from the parent's set (a kqueue is not inherited at all: its number
//!   is dead in the child, or reused). Its doorbell and sockets are shared as well. So
//!   fork outside `block_on`, or have the child `exec`/`_exit` right where it forked.
//! - **The blocking pool** ([`spawn_blocking`]) is per process: the child starts with none
//!   and makes its own at its first job (a `pthread_atfork` child handler forgets the
//!   parent's, whose threads were not copied). Jobs the parent had queued stay the
//!   parent's and never run in the child. A *job* that calls `fork` must `exec` or `_exit`
//!   in the child: that child's only thread is the parent's pool thread, and going back to
//!   the parent's pool there could wait forever on a lock held by an uncopied thread.
//! - **Signal self-pipes** ([`signal`](crate::signal)) are process-wide and inherited. In
//!   the child, corio's handler still writes a byte to every pipe the parent had made, so
//!   a signal sent to the child also wakes the parent's signal tasks (which find no new
//!   delivery and wait again). A child that listens for signals may reuse a pipe that was
//!   free in the parent at the fork; if the parent later lends that pipe to one of its own
//!   runtimes, the two processes read one pipe and either may consume the other's wake-up
//!   byte, so a delivery can go unseen until the next one. After a fork, let only one of
//!   the two processes start listening for signals on a new runtime.
//! - **Locks held at the fork** by another thread stay held in the child. The blocking
//!   pool's lock is never touched there (see above). The signal module holds its locks
//!   only while a runtime starts or stops listening for signals, so a child can hang in
//!   [`signal`](crate::signal::signal) only if another thread of the parent was doing
//!   that at the moment of the fork.

mod abort_handle;
mod block_in_place;
mod blocking;
mod builder;
mod join_set;
mod local;
mod outstanding;
mod yield_now;

pub use crate::executor::{JoinError, JoinHandle};
pub use abort_handle::AbortHandle;
pub use block_in_place::{block_in_place, BlockInPlace};
pub(crate) use blocking::uncounted;
pub use blocking::{blocking_threads, spawn_blocking, KEEP_ALIVE, MAX_THREADS};
pub use builder::Builder;
pub use join_set::JoinSet;
pub use local::{spawn_local, LocalSet};
pub(crate) use outstanding::Outstanding;
pub use yield_now::{yield_now, YieldNow};

use std::future::Future;

/// Spawns `future` as a new task on the current thread's runtime and returns a handle to
/// await its output. The task starts at the runtime's next scheduling point, never inside
/// this call. It need not be `Send`: it stays on this thread.
///
/// The spawn site (this call's file and line) is recorded for reports such as the
/// slow-poll detector's; [`Builder`] also names the task.
///
/// A task that panics gives `Err` to its handle ([`JoinError::is_panic`]) and nothing else
/// stops. Dropping the handle detaches the task.
///
/// ```
/// let out = corio::block_on(async {
///     let handle = corio::spawn(async { 6 * 7 });
///     handle.await.unwrap()
/// });
/// assert_eq!(out, 42);
/// ```
///
/// # Panics
/// When called outside [`block_on`](crate::block_on) or
/// [`Runtime::block_on`](crate::Runtime::block_on): there is no runtime to run the task.
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    crate::executor::spawn(future)
}
