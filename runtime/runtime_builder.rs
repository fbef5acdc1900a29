//! [`Builder`]: a runtime's options (backend, selector, slow-poll threshold, workers) and
//! `build`, the one place a backend, a reactor and an executor are put together.

use std::io;
use std::rc::Rc;
use std::time::Duration;

use super::Runtime;
use crate::executor::slow_poll::SlowPoll;
use crate::executor::Core;
use crate::reactor::Reactor;
use crate::sys::{Backend, Selector};

/// The environment variable that picks the backend when the builder does not.
pub const BACKEND_ENV: &str = "CORIO_BACKEND";

/// Options for a [`Runtime`].
///
/// Every corio runtime runs its tasks on one thread: [`new_current_thread`] is tokio's
/// name for what [`new`] gives. tokio's [`new_multi_thread`] exists only so that its
/// `build()` fails to compile with a message naming the alternatives: this builder, or
/// [`build_workers`] for one runtime per core (see [`MultiThread`](super::MultiThread)).
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
    /// Start with the clock paused (`start_paused`).
    start_paused: bool,
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
            .field("start_paused", &self.start_paused)
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

    /// Starts the runtime with its clock paused, as [`time::pause`] would at its first
    /// instant: time then moves only through [`time::advance`] or auto-advance (with no
    /// task ready, the clock jumps to the next timer), so tests of long timeouts run in
    /// microseconds. The clock is frozen at the timers' tick 0, so whole-millisecond
    /// durations from the start land exactly on the instants they name.
    /// `#[corio::test(start_paused = true)]` sets this.
    ///
    /// [`time::pause`]: crate::time::pause
    /// [`time::advance`]: crate::time::advance
    ///
    /// ```
    /// use corio::time::{timeout, Duration, Instant};
    /// let rt = corio::runtime::Builder::new_current_thread().start_paused(true).build()?;
    /// rt.block_on(async {
    ///     let start = Instant::now();
    ///     let late = timeout(Duration::from_secs(30), std::future::pending::<()>()).await;
    ///     assert!(late.is_err()); // at once, in real time
    ///     assert_eq!(start.elapsed(), Duration::from_secs(30));
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn start_paused(&mut self, paused: bool) -> &mut Builder {
        self.start_paused = paused;
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
        if self.start_paused {
            reactor.start_paused();
        }
        Ok(Runtime::from_core(Core::new(reactor, slow_poll)))
    }
}
