//! `Runtime` and its `Builder`: the one place that ties a backend, a reactor and an
//! executor together; and [`Handle`], to spawn onto a runtime from other threads.

#[path = "handle.rs"]
mod handle;

#[path = "multi_thread.rs"]
mod multi_thread;

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

use crate::executor::slow_poll::SlowPoll;
use crate::executor::{Core, TaskMeta};
use crate::reactor::Reactor;
use crate::sys::{Backend, Selector};
use crate::task::Outstanding;
use crate::JoinHandle;

/// A single-threaded corio runtime: one reactor and one executor on the calling thread.
///
/// Most programs need only [`crate::block_on`]; build a `Runtime` to handle creation errors
/// yourself, to reuse one runtime for several `block_on` calls, or to choose its options.
/// Tasks left pending when `block_on` returns stay on the runtime and run again in the
/// next `block_on`; dropping the runtime drops them (their handles report cancelled).
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

/// The environment variable that picks the backend when the builder does not.
pub const BACKEND_ENV: &str = "CORIO_BACKEND";

/// Options for a [`Runtime`].
///
/// Every corio runtime runs its tasks on one thread: [`new_current_thread`] is tokio's
/// name for what [`new`] gives. tokio's [`new_multi_thread`] exists only so that its
/// `build()` fails to compile with a message naming the alternatives: this builder, or
/// [`build_workers`] for one runtime per core (see [`MultiThread`]).
///
/// [`new_current_thread`]: Builder::new_current_thread
/// [`new`]: Builder::new
/// [`new_multi_thread`]: Builder::new_multi_thread
/// [`build_workers`]: Builder::build_workers
///
/// ```
/// let rt = corio::Runtime::builder().backend(corio::Backend::Poll).build()?;
/// assert_eq!(rt.backend_name(), "poll");
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Default)]
pub struct Builder {
    backend: Option<Backend>,
    /// A user-supplied backend, which wins over `backend` and `CORIO_BACKEND`.
    custom: Option<SelectorFactory>,
    /// `Some(setting)` once set by the builder; otherwise `CORIO_SLOW_POLL_MS` decides.
    slow_poll: Option<Option<Duration>>,
    /// Worker threads for `build_workers`; `None`: as many as the process may use cores.
    workers: Option<usize>,
    /// Pin each worker to a core.
    pin_workers: bool,
}

/// Makes a fresh selector for each runtime a builder builds.
type SelectorFactory = Rc<dyn Fn() -> io::Result<Box<dyn Selector>>>;

impl std::fmt::Debug for Builder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Builder")
            .field("backend", &self.backend)
            .field("custom", &self.custom.is_some())
            .field("slow_poll", &self.slow_poll)
            .field("workers", &self.workers)
            .field("pin_workers", &self.pin_workers)
            .finish()
    }
}

impl Builder {
    /// Default options.
    pub fn new() -> Builder {
        Builder::default()
    }

    /// Default options, under tokio's name: every corio [`Runtime`] runs its tasks on the
    /// thread that calls `block_on`, as tokio's current-thread runtime does. (For one
    /// runtime per core, see [`build_workers`](Self::build_workers).)
    pub fn new_current_thread() -> Builder {
        Builder::default()
    }

    /// Does nothing, and exists so tokio's `enable_all()` compiles: a corio runtime always
    /// has its I/O reactor and its timers.
    pub fn enable_all(&mut self) -> &mut Builder {
        self
    }

    /// Does nothing, as [`enable_all`](Self::enable_all): the I/O reactor is always on.
    pub fn enable_io(&mut self) -> &mut Builder {
        self
    }

    /// Does nothing, as [`enable_all`](Self::enable_all): timers are always on.
    pub fn enable_time(&mut self) -> &mut Builder {
        self
    }

    /// Chooses the OS backend. Without this call the backend comes from the
    /// `CORIO_BACKEND` environment variable (`epoll`, `poll` or `kqueue`), and without
    /// that from [`Backend::os_default`].
    pub fn backend(&mut self, backend: Backend) -> &mut Builder {
        self.backend = Some(backend);
        self
    }

    /// Plugs in a backend of your own: `make` is called once per `build` and must return
    /// a selector honouring the contract in [`crate::sys`]. Wins over
    /// [`backend`](Self::backend) and `CORIO_BACKEND`.
    pub fn selector<F>(&mut self, make: F) -> &mut Builder
    where
        F: Fn() -> io::Result<Box<dyn Selector>> + 'static,
    {
        self.custom = Some(Rc::new(make));
        self
    }

    /// Turns on the slow-poll detector: any single poll of a task longer than
    /// `threshold` prints one line to stderr naming the task (its name, if it was spawned
    /// with [`task::Builder`](crate::task::Builder)), where it was spawned, and how long
    /// it held the thread. `None` turns it off. Without this call the
    /// `CORIO_SLOW_POLL_MS` environment variable decides (milliseconds; unset: off).
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let rt = corio::Runtime::builder()
    ///     .slow_poll_threshold(Some(Duration::from_millis(50)))
    ///     .build()?;
    /// rt.block_on(async {
    ///     corio::spawn(async {
    ///         std::thread::sleep(Duration::from_millis(60)); // blocks: reported
    ///     })
    ///     .await
    ///     .unwrap();
    /// });
    /// assert_eq!(rt.metrics().slow_polls, 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn slow_poll_threshold(&mut self, threshold: Option<Duration>) -> &mut Builder {
        self.slow_poll = Some(threshold);
        self
    }

    /// How many worker threads [`build_workers`](Self::build_workers) starts. Without
    /// this call: as many as the cores this process may use
    /// (`std::thread::available_parallelism`).
    pub fn workers(&mut self, count: usize) -> &mut Builder {
        self.workers = Some(count);
        self
    }

    /// Pins worker `i` to the `i`-th core this process may use (Linux; elsewhere
    /// `build_workers` fails with `Unsupported`).
    pub fn pin_workers(&mut self, pin: bool) -> &mut Builder {
        self.pin_workers = pin;
        self
    }

    /// Starts the workers: threads each running their own single-threaded runtime with
    /// this builder's backend and slow-poll settings (see [`workers`](crate::workers)).
    ///
    /// # Errors
    /// If a custom selector was given (a factory made for one thread cannot be shared
    /// with others), if `workers(0)` was asked, or if any worker cannot build its
    /// runtime or be pinned; no worker is left running then.
    pub fn build_workers(&self) -> io::Result<crate::workers::Workers> {
        if self.custom.is_some() {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "build_workers: a custom selector factory cannot be shared between threads",
            ));
        }
        let count = match self.workers {
            Some(count) => count,
            None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        };
        let settings = crate::workers::WorkerSettings {
            backend: self.backend,
            slow_poll: self.slow_poll,
        };
        crate::workers::start(settings, count, self.pin_workers)
    }

    /// The built-in backend `build` will use (unless a custom selector was given): the builder's choice, else `CORIO_BACKEND`, else the
    /// OS default.
    ///
    /// # Errors
    /// `InvalidInput` if `CORIO_BACKEND` names no backend (or is not UTF-8).
    pub fn chosen_backend(&self) -> io::Result<Backend> {
        if let Some(backend) = self.backend {
            return Ok(backend);
        }
        match std::env::var(BACKEND_ENV) {
            Ok(name) if !name.is_empty() => Backend::from_name(&name)
                .map_err(|e| io::Error::new(e.kind(), format!("{BACKEND_ENV}={name:?}: {e}"))),
            Ok(_) | Err(std::env::VarError::NotPresent) => Ok(Backend::os_default()),
            Err(std::env::VarError::NotUnicode(_)) => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{BACKEND_ENV} is not valid UTF-8"),
            )),
        }
    }

    /// Creates the runtime.
    ///
    /// # Errors
    /// If the chosen backend is unknown or unavailable on this OS, or the OS refuses its
    /// descriptors; if `CORIO_SLOW_POLL_MS` (consulted when the builder did not set the
    /// threshold) is not a number of milliseconds.
    pub fn build(&self) -> io::Result<Runtime> {
        let slow_poll = match self.slow_poll {
            Some(setting) => setting,
            None => SlowPoll::threshold_from_env()?,
        };
        let selector = match &self.custom {
            Some(make) => make()?,
            None => self.chosen_backend()?.selector()?,
        };
        let reactor = Rc::new(Reactor::new(selector)?);
        let handle = Rc::new(handle::HandleCell::new());
        let shutdown = ShutdownWait {
            jobs: handle.blocking().clone(),
            limit: Cell::new(None),
        };
        Ok(Runtime {
            core: Rc::new(Core::new(reactor, slow_poll)),
            handle,
            shutdown,
        })
    }
}
