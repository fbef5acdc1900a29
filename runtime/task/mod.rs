//! Tasks: spawning, joining, cancelling and yielding.

mod blocking;
mod builder;
mod yield_now;

pub use crate::executor::{JoinError, JoinHandle};
pub use blocking::{blocking_threads, spawn_blocking, KEEP_ALIVE, MAX_THREADS};
pub use builder::Builder;
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
