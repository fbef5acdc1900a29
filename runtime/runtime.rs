//! `Runtime` and its `Builder`: the one place that ties a backend, a reactor and an
//! executor together; and [`Handle`], to spawn onto a runtime from other threads.

#[path = "handle.rs"]
mod handle;

#[path = "multi_thread.rs"]
mod multi_thread;

#[path = "runtime_builder.rs"]
mod builder;

pub use builder::{Builder, BACKEND_ENV};
pub(crate) use handle::current_outstanding;
pub use handle::{Handle, TryCurrentError};
pub use multi_thread::{MultiThread, MultiThreadRuntime};

use std::cell::Cell;
use std::future::Future;
use std::io;
use std::panic::Location;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use crate::executor::{Core, TaskMeta};
use crate::task::Outstanding;
use crate::JoinHandle;

/// A single-threaded corio runtime: one reactor and one executor on the calling thread.
///
/// Most programs need only [`crate::block_on`]; build a `Runtime` to handle creation errors
/// yourself, to reuse one runtime for several `block_on` calls, or to choose its options.
/// Tasks left pending when `block_on` returns stay on the runtime and run again in the
/// next `block_on`; dropping the runtime drops them (their handles report cancelled).
///
/// A `Runtime` is neither `Send` nor `Sync` (its tasks need not be `Send`, so they must
/// stay on its thread): where tokio code builds a runtime and moves it into
/// `std::thread::spawn`, build it inside the thread instead, and reach it from other
/// threads through its [`Handle`]:
///
/// ```
/// let (tx, rx) = std::sync::mpsc::channel();
/// let thread = std::thread::spawn(move || {
///     let runtime = corio::Runtime::new().unwrap();
///     tx.send(runtime.handle()).unwrap();
///     runtime.block_on(corio::time::sleep(std::time::Duration::from_millis(50)));
/// });
/// let handle = rx.recv().unwrap();
/// let task = handle.spawn(async { 6 * 7 });
/// thread.join().unwrap();
/// # drop(task);
/// ```
///
/// # Shutdown
///
/// Dropping a runtime first drops its tasks, then blocks until every
/// [`spawn_blocking`](crate::task::spawn_blocking) job spawned from it has ended, as
/// tokio's does. That includes the pool jobs under [`fs::File`](crate::fs::File),
/// [`stdout`](crate::io::stdout) and [`stderr`](crate::io::stderr): a write accepted but
/// not flushed when `block_on` (or `#[corio::main]`) returns still reaches the file
/// before the program exits. Jobs still queued for a pool thread are run, not dropped
/// (tokio drops queued jobs other than its file operations; corio's pool is shared by
/// every runtime of the process and does not sort them). [`shutdown_timeout`] bounds the
/// wait and [`shutdown_background`] skips it.
///
/// One kind of job is not waited for: a read of [`stdin`](crate::io::stdin), which may
/// wait for input forever. On tokio a pending stdin read holds up the runtime's drop; on
/// corio the runtime drops and the process exits, ending the read's thread with it.
///
/// A job that never returns (an endless loop, a read from a peer that never writes) keeps
/// the drop waiting forever: use [`shutdown_timeout`] where that can happen.
///
/// [`shutdown_timeout`]: Runtime::shutdown_timeout
/// [`shutdown_background`]: Runtime::shutdown_background
pub struct Runtime {
    core: Rc<Core>,
    /// This runtime's [`Handle`], made on first demand.
    handle: Rc<handle::HandleCell>,
    /// Dropped after `core` (fields drop in order), so tasks holding a pool job's object
    /// (a `File` with a write in flight) are dropped before the wait for the jobs.
    shutdown: ShutdownWait,
}

/// Waits, when dropped, for the runtime's unfinished blocking-pool jobs.
struct ShutdownWait {
    jobs: Arc<Outstanding>,
    /// How long to wait; `None`: until they have all ended.
    limit: Cell<Option<Duration>>,
}

impl Drop for ShutdownWait {
    fn drop(&mut self) {
        self.jobs.wait(self.limit.get());
    }
}

impl Runtime {
    /// Wraps a new executor core (from [`Builder::build`]) with its handle and its wait
    /// for blocking jobs.
    fn from_core(core: Core) -> Runtime {
        let handle = Rc::new(handle::HandleCell::new());
        let shutdown = ShutdownWait {
            jobs: handle.blocking().clone(),
            limit: Cell::new(None),
        };
        Runtime {
            core: Rc::new(core),
            handle,
            shutdown,
        }
    }

    /// A runtime with default options.
    ///
    /// # Errors
    /// If the OS refuses the backend's descriptors (for example `EMFILE`).
    pub fn new() -> io::Result<Runtime> {
        Builder::new().build()
    }

    /// Options for a runtime.
    pub fn builder() -> Builder {
        Builder::new()
    }

    /// Runs `future` to completion on this thread, with every task it spawns, and returns
    /// its output. Spawned tasks still pending stay on the runtime.
    ///
    /// # Panics
    /// If called from inside a `block_on` of this same runtime (spawn the future instead),
    /// or if `future` panics.
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        let caller = std::panic::Location::caller();
        if self.handle.is_current() {
            // Re-entered from one of its own tasks: the core refuses, with its message.
            return self.core.block_on(future, caller);
        }
        let _entered = handle::enter(self.handle.clone());
        if self.handle.driver_pending() {
            // A handle was taken while the runtime was not running: its driver starts
            // first, so jobs sent meanwhile are spawned now.
            let cell = self.handle.clone();
            return self.core.block_on(
                async move {
                    cell.start_driver();
                    future.await
                },
                caller,
            );
        }
        self.core.block_on(future, caller)
    }

    /// Spawns `future` as a task of this runtime and returns a handle to await its output.
    ///
    /// Inside this runtime's `block_on` the task is spawned as by [`spawn`](crate::spawn).
    /// Outside, it waits in the runtime and starts at the next `block_on`. Unlike tokio's,
    /// the future need not be `Send`: a `Runtime` is `!Send` and its tasks run on the
    /// thread that owns it, which is also why this takes no `Send` bound on the output.
    /// From another thread, spawn through a [`Handle`] instead.
    ///
    /// ```
    /// let rt = corio::Runtime::new()?;
    /// let task = rt.spawn(async { 6 * 7 });
    /// assert_eq!(rt.block_on(task).unwrap(), 42);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// # Panics
    /// When the runtime already holds `u32::MAX` tasks.
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        match self
            .core
            .spawn(future, TaskMeta::new(None, Location::caller()))
        {
            Ok(handle) => handle,
            Err(e) => panic!("corio: Runtime::spawn: {e}"),
        }
    }

    /// Drops the runtime's tasks and waits at most `timeout` for its blocking-pool jobs
    /// to end (see [Shutdown](Runtime#shutdown)); jobs still running then go on in the
    /// background, their results discarded.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// let rt = corio::Runtime::new()?;
    /// rt.block_on(async {
    ///     drop(corio::task::spawn_blocking(|| std::thread::sleep(Duration::from_secs(1))));
    /// });
    /// let started = Instant::now();
    /// rt.shutdown_timeout(Duration::from_millis(10));
    /// assert!(started.elapsed() < Duration::from_secs(1));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn shutdown_timeout(self, timeout: Duration) {
        self.shutdown.limit.set(Some(timeout));
    }

    /// Drops the runtime's tasks without waiting for its blocking-pool jobs, which go on
    /// in the background (see [Shutdown](Runtime#shutdown)).
    pub fn shutdown_background(self) {
        self.shutdown.limit.set(Some(Duration::ZERO));
    }

    /// How many [`spawn_blocking`](crate::task::spawn_blocking) jobs spawned from this
    /// runtime have not ended (queued or running): what dropping the runtime waits for.
    pub fn blocking_jobs(&self) -> usize {
        self.shutdown.jobs.pending()
    }

    /// A [`Handle`] to this runtime, to spawn onto it from other threads (or from this
    /// one, before `block_on`: the task then runs at the next `block_on`). The first
    /// handle taken adds one task to the runtime, the driver that receives those spawns
    /// (see [`Handle`]).
    ///
    /// ```
    /// let rt = corio::Runtime::new()?;
    /// let task = rt.handle().spawn(async { "spawned before block_on" });
    /// assert_eq!(rt.block_on(task).unwrap(), "spawned before block_on");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn handle(&self) -> Handle {
        self.handle.handle()
    }

    /// A snapshot of this runtime's counters (tasks, polls, wakes, reactor waits and
    /// events); inside a task, [`metrics::current`](crate::metrics::current) gives the same.
    pub fn metrics(&self) -> crate::metrics::Metrics {
        self.core.metrics()
    }

    /// The slow-poll detector's threshold, if it is on (see
    /// [`Builder::slow_poll_threshold`]).
    pub fn slow_poll_threshold(&self) -> Option<Duration> {
        self.core.slow_poll_threshold()
    }

    /// The name of the OS backend this runtime waits on (`"epoll"`, ...).
    pub fn backend_name(&self) -> &'static str {
        self.core.reactor().backend_name()
    }

    /// How many spawned tasks are alive (not yet finished).
    pub fn alive_tasks(&self) -> usize {
        self.core.alive()
    }

    /// How many sources (sockets) are registered with the reactor.
    pub fn registered_sources(&self) -> usize {
        self.core.reactor().registered()
    }
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("backend", &self.backend_name())
            .finish_non_exhaustive()
    }
}
