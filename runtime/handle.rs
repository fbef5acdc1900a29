//! [`Handle`]: a `Send + Sync` reference to one runtime, to spawn onto it from anywhere.
//!
//! A corio runtime runs its tasks on one thread, the one that built it. A handle spawns
//! there by one of two roads:
//!
//! - on that thread, while the runtime's `block_on` runs, straight onto its executor;
//! - from any other thread (or from that thread while the runtime is not running), as a
//!   job on an unbounded [`mpsc`] channel. A *driver* task on the runtime receives the
//!   jobs and spawns each on arrival. The channel wakes the driver like any wake from
//!   another thread: through the runtime's cross-thread run queue and its doorbell.
//!
//! Either way the spawner gets the [`RemoteJoinHandle`] that
//! [`WorkersHandle::spawn_on`](crate::workers::WorkersHandle::spawn_on) returns, built by
//! the same code (`workers/remote.rs`): it is `Send`, and reports the outcome, a panic,
//! or cancellation when the runtime is dropped first.
//!
//! The driver is spawned the first time a handle of the runtime is taken
//! ([`Handle::current`], [`Runtime::handle`](crate::Runtime::handle)), at once if the
//! runtime is running, else at its next `block_on`. From then on it counts as one task in
//! the runtime's [`metrics`](crate::metrics) and `alive_tasks`, as the signal driver does.

use std::cell::{Cell, OnceCell, RefCell};
use std::fmt;
use std::future::Future;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe, Location};
use std::rc::Rc;
use std::sync::Arc;
use std::thread::{self, ThreadId};

use crate::executor::drop_contained;
use crate::sync::mpsc;
use crate::task::Outstanding;
use crate::workers::{remote, RemoteJoinHandle};

/// Work for the driver: build one task on the runtime's thread and spawn it there.
type Job = Box<dyn FnOnce() + Send>;

thread_local! {
    /// The handle slot of the runtime whose `block_on` runs on this thread, if any.
    static CURRENT: RefCell<Option<Rc<HandleCell>>> = const { RefCell::new(None) };
}

/// A reference to one runtime, for spawning onto it from any thread.
///
/// Cheap to clone, `Send` and `Sync`. Get one with [`Handle::current`] inside a runtime,
/// or [`Runtime::handle`](crate::Runtime::handle) outside.
///
/// ```
/// use std::thread;
///
/// let rt = corio::Runtime::new()?;
/// let handle = rt.handle();
/// let runtime_thread = thread::current().id();
/// let ran_on = rt.block_on(async move {
///     // A plain thread hands a `Send` future to the runtime; it runs on the runtime's
///     // thread, and its handle can be awaited here.
///     let task = thread::spawn(move || handle.spawn(async { thread::current().id() }))
///         .join()
///         .unwrap();
///     task.await.unwrap()
/// });
/// assert_eq!(ran_on, runtime_thread);
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # Differences from tokio
/// [`spawn`](Self::spawn) and [`spawn_blocking`](Self::spawn_blocking) return a
/// [`RemoteJoinHandle`], not a [`JoinHandle`](crate::JoinHandle): a corio `JoinHandle`
/// is tied to the runtime's thread, and a handle's spawns come from any thread. It is
/// awaited, aborted and dropped the same way. There is no `enter`: corio's
/// [`spawn`](crate::spawn) works on the runtime's own thread only.
#[derive(Clone)]
pub struct Handle {
    /// Jobs for the driver task; also the handle's identity (`same_channel`).
    jobs: mpsc::UnboundedSender<Job>,
    /// The thread the runtime lives on (a `Runtime` is `!Send`, so it never moves).
    thread: ThreadId,
}

impl Handle {
    /// The handle of the runtime running on this thread.
    ///
    /// # Panics
    /// Outside a runtime (not inside `block_on`, or on a [`spawn_blocking`] thread: take
    /// the handle before and move it there), as tokio's does; see
    /// [`try_current`](Self::try_current).
    ///
    /// [`spawn_blocking`]: crate::task::spawn_blocking
    #[track_caller]
    pub fn current() -> Handle {
        match Handle::try_current() {
            Ok(handle) => handle,
            Err(e) => panic!("{e}"),
        }
    }

    /// The handle of the runtime running on this thread, or an error outside one.
    ///
    /// ```
    /// assert!(corio::runtime::Handle::try_current().is_err());
    /// corio::block_on(async {
    ///     assert!(corio::runtime::Handle::try_current().is_ok());
    /// });
    /// ```
    ///
    /// # Errors
    /// [`TryCurrentError`] when no runtime's `block_on` runs on this thread.
    pub fn try_current() -> Result<Handle, TryCurrentError> {
        let cell = CURRENT
            .try_with(|c| c.borrow().clone())
            .map_err(|_| TryCurrentError { destroyed: true })?;
        match cell {
            Some(cell) => Ok(cell.handle()),
            None => Err(TryCurrentError { destroyed: false }),
        }
    }

    /// Spawns `future` on this handle's runtime and returns a handle to await its output
    /// from any thread.
    ///
    /// On the runtime's thread while it runs, the task is spawned right away, as
    /// [`spawn`](crate::spawn) does. Otherwise it is sent to the runtime and spawned there
    /// when the runtime next runs; the future must be `Send` to travel, as on tokio. If
    /// the runtime was dropped, the future is dropped here and awaiting the handle gives a
    /// [`JoinError`](crate::JoinError) that is
    /// [`is_cancelled`](crate::JoinError::is_cancelled).
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> RemoteJoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.spawn_with(move || future, Location::caller())
    }

    /// Runs `f` on the blocking pool ([`task::spawn_blocking`]) on behalf of this
    /// handle's runtime; a panic in `f` reaches the handle as
    /// [`is_panic`](crate::JoinError::is_panic).
    ///
    /// The job is queued from the runtime's thread, so it starts once the runtime runs
    /// (tokio's pool would start it at once). Aborting the handle discards the result; a
    /// job already running runs to its end, as on tokio.
    ///
    /// [`task::spawn_blocking`]: crate::task::spawn_blocking
    #[track_caller]
    pub fn spawn_blocking<F, R>(&self, f: F) -> RemoteJoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let location = Location::caller();
        self.spawn_with(
            move || async move {
                match crate::task::spawn_blocking(f).await {
                    Ok(value) => value,
                    // The job panicked: this task panics with the same payload.
                    Err(e) => match e.try_into_panic() {
                        Ok(payload) => resume_unwind(payload),
                        // Cancelled only when the runtime drops its tasks, this one with
                        // them; wait for that drop, which reports "cancelled".
                        Err(_) => std::future::pending().await,
                    },
                }
            },
            location,
        )
    }

    /// Runs `future` to completion on the calling thread, parking it between polls.
    ///
    /// This does not run the handle's runtime: that runtime's thread runs it. Inside
    /// `future`, await what another thread completes: channels, the [`sync`] types, and
    /// the handles of tasks spawned with [`spawn`](Self::spawn) (which run on the
    /// runtime). corio's sockets and timers belong to the runtime of the thread that
    /// makes them, and this thread has none: spawn the work that needs them onto the
    /// runtime and wait for its handle. (tokio's current-thread runtime has a like limit:
    /// its `Handle::block_on` drives neither I/O nor timers.)
    ///
    /// ```
    /// let rt = corio::Runtime::new()?;
    /// let handle = rt.handle();
    /// let (tx, rx) = corio::sync::oneshot::channel();
    /// let helper = std::thread::spawn(move || {
    ///     let out = handle.block_on(async { handle.spawn(async { 6 * 7 }).await.unwrap() });
    ///     tx.send(out).unwrap();
    /// });
    /// // The runtime runs (and so runs the helper's task) until the helper is done.
    /// let out = rt.block_on(async { rx.await.unwrap() });
    /// helper.join().unwrap();
    /// assert_eq!(out, 42);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// # Panics
    /// On a thread that runs a corio runtime (await the future instead), and on this
    /// handle's runtime's own thread: nothing would run the runtime's tasks while that
    /// thread waits (use [`Runtime::block_on`](crate::Runtime::block_on) there).
    ///
    /// [`sync`]: crate::sync
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        assert!(
            thread::current().id() != self.thread,
            "corio: Handle::block_on called on its runtime's own thread, where nothing could \
             run the runtime's tasks while it waits; use Runtime::block_on there"
        );
        crate::sync::block_on_thread(future)
    }

    /// Whether this handle's runtime is the one running on this thread now.
    fn is_running_here(&self) -> bool {
        CURRENT
            .try_with(|c| {
                c.borrow()
                    .as_ref()
                    .and_then(|cell| cell.handle.get())
                    .is_some_and(|current| current.jobs.same_channel(&self.jobs))
            })
            .unwrap_or(false)
    }

    /// Spawns the future `make` builds, on the runtime's thread (where it is built, so it
    /// need not be `Send`).
    fn spawn_with<M, F>(
        &self,
        make: M,
        location: &'static Location<'static>,
    ) -> RemoteJoinHandle<F::Output>
    where
        M: FnOnce() -> F + Send + 'static,
        F: Future + 'static,
        F::Output: Send + 'static,
    {
        let (task_end, handle) = remote::link();
        let job = move || {
            // An error (a full task table) drops the task, which reports "cancelled".
            let _ = crate::executor::try_spawn_at(task_end.run(make()), None, location);
        };
        if self.is_running_here() {
            job();
        } else if let Err(unsent) = self.jobs.send(Box::new(job)) {
            // The runtime is gone: dropping the job drops the future and tells the
            // handle "cancelled".
            drop(unsent);
        }
        handle
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("thread", &self.thread)
            .finish_non_exhaustive()
    }
}

/// [`Handle::try_current`] found no runtime on this thread.
#[derive(Debug)]
pub struct TryCurrentError {
    destroyed: bool,
}

impl TryCurrentError {
    /// Whether no runtime was running on this thread.
    pub fn is_missing_context(&self) -> bool {
        !self.destroyed
    }

    /// Whether the thread is exiting and its thread-local storage, which records the
    /// running runtime, is already gone.
    pub fn is_thread_local_destroyed(&self) -> bool {
        self.destroyed
    }
}

impl fmt::Display for TryCurrentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.destroyed {
            f.write_str(
                "the thread-local storage that records the current corio runtime was destroyed",
            )
        } else {
            f.write_str(
                "there is no reactor running, must be called from the context of a corio runtime",
            )
        }
    }
}

impl std::error::Error for TryCurrentError {}

/// One runtime's handle, made on first demand, and its driver until it is spawned.
pub(crate) struct HandleCell {
    handle: OnceCell<Handle>,
    /// The receiving end of the handle's jobs, until the driver task takes it.
    pending_driver: Cell<Option<mpsc::UnboundedReceiver<Job>>>,
    thread: ThreadId,
    /// The runtime's unfinished blocking-pool jobs, which its drop waits for.
    blocking: Arc<Outstanding>,
}

impl HandleCell {
    /// An empty cell for a runtime on this thread.
    pub(crate) fn new() -> HandleCell {
        HandleCell {
            handle: OnceCell::new(),
            pending_driver: Cell::new(None),
            thread: thread::current().id(),
            blocking: Arc::default(),
        }
    }

    /// The runtime's count of unfinished blocking-pool jobs.
    pub(crate) fn blocking(&self) -> &Arc<Outstanding> {
        &self.blocking
    }

    /// The runtime's handle, made on the first call. The driver starts now if the runtime
    /// runs; otherwise at its next `block_on`.
    pub(crate) fn handle(self: &Rc<Self>) -> Handle {
        let handle = self
            .handle
            .get_or_init(|| {
                let (jobs, receiver) = mpsc::unbounded_channel();
                self.pending_driver.set(Some(receiver));
                Handle {
                    jobs,
                    thread: self.thread,
                }
            })
            .clone();
        if self.is_current() {
            self.start_driver();
        }
        handle
    }

    /// Whether this runtime's `block_on` is the one running on this thread.
    pub(crate) fn is_current(self: &Rc<Self>) -> bool {
        CURRENT
            .try_with(|c| c.borrow().as_ref().is_some_and(|cur| Rc::ptr_eq(cur, self)))
            .unwrap_or(false)
    }

    /// Whether a handle was taken and its driver has yet to be spawned.
    pub(crate) fn driver_pending(&self) -> bool {
        let receiver = self.pending_driver.take();
        let pending = receiver.is_some();
        self.pending_driver.set(receiver);
        pending
    }

    /// Spawns the driver if it waits to be. Call only inside this runtime's `block_on`.
    pub(crate) fn start_driver(&self) {
        if let Some(jobs) = self.pending_driver.take() {
            // Fails only with a full task table; the receiver is then dropped, and every
            // spawn through the handle reports "cancelled".
            let _ = crate::executor::try_spawn(drive(jobs), Some("corio runtime handle"));
        }
    }
}

/// Receives the handle's jobs and runs each: each builds and spawns one task.
async fn drive(mut jobs: mpsc::UnboundedReceiver<Job>) {
    while let Some(job) = jobs.recv().await {
        // A job only builds and spawns; a panic there (in a future's constructor or
        // `Drop`) must not end the driver.
        drop_contained(catch_unwind(AssertUnwindSafe(job)));
    }
}

/// The count of unfinished blocking-pool jobs of the runtime running on this thread, if
/// one runs here.
pub(crate) fn current_outstanding() -> Option<Arc<Outstanding>> {
    CURRENT
        .try_with(|c| c.borrow().as_ref().map(|cell| cell.blocking.clone()))
        .ok()
        .flatten()
}

/// Makes `cell` the running runtime's handle slot on this thread until dropped.
pub(crate) fn enter(cell: Rc<HandleCell>) -> Entered {
    let previous = CURRENT.with(|c| c.replace(Some(cell)));
    Entered { previous }
}

/// Restores the previous handle slot (an enclosing runtime's, or none) when dropped.
pub(crate) struct Entered {
    previous: Option<Rc<HandleCell>>,
}

impl Drop for Entered {
    fn drop(&mut self) {
        let previous = self.previous.take();
        let _ = CURRENT.try_with(|c| c.replace(previous));
    }
}
