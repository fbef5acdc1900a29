//! `spawn_local` and `LocalSet`: tokio's names for tasks that stay on their thread, which
//! on corio is every task.

use std::future::Future;
use std::marker::PhantomData;
use std::rc::Rc;

use crate::executor::JoinHandle;
use crate::Runtime;

/// Spawns a `!Send` future on this thread's runtime: the same as [`spawn`](crate::spawn).
///
/// tokio needs a [`LocalSet`] for this; a corio runtime runs every task on its own
/// thread, so any task may be `!Send` and no `LocalSet` is needed (one may still be used).
///
/// ```
/// use std::rc::Rc;
///
/// corio::block_on(async {
///     let shared = Rc::new(5);
///     let task = corio::task::spawn_local({
///         let shared = shared.clone();
///         async move { *shared * 2 }
///     });
///     assert_eq!(task.await.unwrap(), 10);
/// });
/// ```
///
/// # Panics
/// Outside a runtime, as [`spawn`](crate::spawn).
#[track_caller]
pub fn spawn_local<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    crate::executor::spawn(future)
}

/// tokio's set of `!Send` tasks, kept so tokio programs compile; on corio a thin type.
///
/// Every corio task already stays on the thread that spawned it, so this set holds
/// nothing: [`run_until`](Self::run_until) just awaits its future,
/// [`spawn_local`](Self::spawn_local) spawns onto the runtime like [`spawn`](crate::spawn),
/// and [`block_on`](Self::block_on) is [`Runtime::block_on`].
///
/// ```
/// use corio::task::{self, LocalSet};
///
/// let rt = corio::Runtime::new()?;
/// let local = LocalSet::new();
/// let out = local.block_on(&rt, async {
///     let task = task::spawn_local(async { std::rc::Rc::new("not Send") });
///     *task.await.unwrap()
/// });
/// assert_eq!(out, "not Send");
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # Differences from tokio
/// Tasks spawned through a `LocalSet` belong to the runtime, not to the set: they run
/// while the runtime runs (not only inside `run_until`), dropping the set does not drop
/// them, and [`spawn_local`](Self::spawn_local) must be called inside a runtime. A
/// `LocalSet` is not a future to await.
#[derive(Debug, Default)]
pub struct LocalSet {
    /// `!Send` and `!Sync`, as tokio's.
    _thread_bound: PhantomData<Rc<()>>,
}

impl LocalSet {
    /// A new (empty) set.
    pub fn new() -> LocalSet {
        LocalSet::default()
    }

    /// Spawns `future` on this thread's runtime: the same as [`spawn_local`].
    ///
    /// # Panics
    /// Outside a runtime (tokio would queue the task until the set runs).
    #[track_caller]
    pub fn spawn_local<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        crate::executor::spawn(future)
    }

    /// Awaits `future`: tasks spawned meanwhile run on the runtime as any task does.
    pub async fn run_until<F: Future>(&self, future: F) -> F::Output {
        future.await
    }

    /// Runs `future` to completion on `runtime`: [`Runtime::block_on`].
    ///
    /// # Panics
    /// As [`Runtime::block_on`].
    #[track_caller]
    pub fn block_on<F: Future>(&self, runtime: &Runtime, future: F) -> F::Output {
        runtime.block_on(future)
    }
}
