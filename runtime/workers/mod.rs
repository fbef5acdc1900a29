//! Many cores: one single-threaded runtime per worker thread — the tutorials' nginx model
//! (one event loop per core), not work stealing.
//!
//! Each worker has its own reactor, executor and timers; a task stays on the worker that
//! spawned it, so it need not be `Send` and touches no lock. Work moves between workers
//! only when asked: [`WorkersHandle::spawn_on`] sends a `Send` future to a chosen worker.
//! For servers, bind one listener per worker with
//! [`TcpListener::bind_reuse_port`](crate::net::TcpListener::bind_reuse_port) and let the
//! kernel spread connections.
//!
//! ```
//! use corio::net::TcpListener;
//!
//! let workers = corio::Runtime::builder().workers(2).build_workers()?;
//! let outcomes = workers.block_on_each(|index| async move {
//!     // Built on the worker: this future need not be Send (an Rc would be fine).
//!     assert_eq!(corio::workers::current_index(), Some(index));
//!     index * 10
//! });
//! let got: Vec<usize> = outcomes.into_iter().map(Result::unwrap).collect();
//! assert_eq!(got, [0, 10]);
//! workers.shutdown();
//! # Ok::<(), std::io::Error>(())
//! ```

mod affinity;
pub(crate) mod remote;

use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

pub use remote::RemoteJoinHandle;

use crate::executor::drop_contained;
use crate::sync::mpsc;
use crate::sys::Backend;
use crate::JoinError;

/// Something for a worker to do, sent from any thread.
enum Job {
    /// Build a task on the worker (the closure runs there) and spawn it.
    Spawn(Box<dyn FnOnce() + Send>),
    /// Leave the job loop: the worker's runtime then drops its tasks and the thread ends.
    Stop,
}

thread_local! {
    /// This thread's worker index and the handle to all workers, on worker threads.
    static CURRENT: Cell<Option<usize>> = const { Cell::new(None) };
    static HANDLE: std::cell::RefCell<Option<WorkersHandle>> = const { std::cell::RefCell::new(None) };
}

/// The index of the worker running this thread; `None` off worker threads.
pub fn current_index() -> Option<usize> {
    CURRENT.with(Cell::get)
}

/// A handle to the workers this thread belongs to; `None` off worker threads.
pub fn current() -> Option<WorkersHandle> {
    HANDLE.with(|h| h.borrow().clone())
}

/// What each worker needs to build its runtime (the builder itself is not `Send`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct WorkerSettings {
    pub(crate) backend: Option<Backend>,
    pub(crate) slow_poll: Option<Option<Duration>>,
}

/// Running workers; dropping this (or [`shutdown`](Self::shutdown)) stops and joins them.
///
/// It may also be dropped by a task on one of its own workers (say, the last `Arc` of it
/// moved into a task): then every other worker is stopped and joined before the drop
/// returns, and the current worker, which cannot join itself, stops on its own the next
/// time its job loop runs.
pub struct Workers {
    handle: WorkersHandle,
    threads: Vec<thread::JoinHandle<()>>,
}

/// Sends work to the workers; cheap to clone, `Send + Sync`, usable from any thread and
/// from tasks on the workers themselves ([`current`]).
#[derive(Clone)]
pub struct WorkersHandle {
    jobs: Arc<Vec<mpsc::UnboundedSender<Job>>>,
}

/// Starts `count` workers; with `pin`, worker `i` is bound to the `i`-th CPU the process
/// may use (wrapping around).
pub(crate) fn start(settings: WorkerSettings, count: usize, pin: bool) -> io::Result<Workers> {
    if count == 0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "workers(0): need at least one worker",
        ));
    }
    let cpus = if pin {
        affinity::allowed_cpus()?
    } else {
        Vec::new()
    };
    let mut senders = Vec::with_capacity(count);
    let mut receivers = Vec::with_capacity(count);
    for _ in 0..count {
        let (tx, rx) = mpsc::unbounded_channel();
        senders.push(tx);
        receivers.push(rx);
    }
    let handle = WorkersHandle {
        jobs: Arc::new(senders),
    };
    let mut workers = Workers {
        handle: handle.clone(),
        threads: Vec::with_capacity(count),
    };
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    for (index, jobs) in receivers.into_iter().enumerate() {
        let cpu = (!cpus.is_empty()).then(|| cpus[index % cpus.len()]);
        let (handle, ready) = (handle.clone(), ready_tx.clone());
        let thread = thread::Builder::new()
            .name(format!("corio-worker-{index}"))
            .spawn(move || worker_main(index, settings, cpu, jobs, handle, ready))?;
        workers.threads.push(thread);
    }
    drop(ready_tx);
    // Wait until every worker has its runtime, so errors (no fds, bad backend, pinning
    // refused) surface here and not as a silently missing worker.
    for _ in 0..count {
        match ready_rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(e), // dropping `workers` stops the others
            Err(_) => return Err(io::Error::other("a worker thread died while starting")),
        }
    }
    Ok(workers)
}

/// A worker thread: build the runtime, then run jobs until told to stop.
fn worker_main(
    index: usize,
    settings: WorkerSettings,
    cpu: Option<usize>,
    mut jobs: mpsc::UnboundedReceiver<Job>,
    handle: WorkersHandle,
    ready: std::sync::mpsc::Sender<io::Result<()>>,
) {
    let setup = || -> io::Result<crate::Runtime> {
        if let Some(cpu) = cpu {
            affinity::pin_current_thread(cpu)?;
        }
        let mut builder = crate::Runtime::builder();
        if let Some(backend) = settings.backend {
            builder.backend(backend);
        }
        if let Some(slow_poll) = settings.slow_poll {
            builder.slow_poll_threshold(slow_poll);
        }
        builder.build()
    };
    let runtime = match setup() {
        Ok(runtime) => runtime,
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    CURRENT.with(|c| c.set(Some(index)));
    HANDLE.with(|h| *h.borrow_mut() = Some(handle));
    let _ = ready.send(Ok(()));
    drop(ready);
    runtime.block_on(async move {
        while let Some(job) = jobs.recv().await {
            match job {
                // The closure only builds and spawns; a panic there is caught (and
                // reported to its handle by the closure's own guard).
                Job::Spawn(job) => drop_contained(catch_unwind(AssertUnwindSafe(job))),
                Job::Stop => break,
            }
        }
    });
    HANDLE.with(|h| h.borrow_mut().take());
    // `runtime` drops here, on this thread: tasks still pending are dropped where they
    // lived, and their handles report "cancelled".
}

impl Workers {
    /// How many workers run.
    pub fn len(&self) -> usize {
        self.handle.len()
    }

    /// Always false: there is at least one worker.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// A handle for sending work, to keep or to move to other threads.
    pub fn handle(&self) -> WorkersHandle {
        self.handle.clone()
    }

    /// See [`WorkersHandle::spawn_on`].
    #[track_caller]
    pub fn spawn_on<F>(&self, worker: usize, future: F) -> io::Result<RemoteJoinHandle<F::Output>>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.handle.spawn_on(worker, future)
    }

    /// See [`WorkersHandle::spawn_on_with`].
    #[track_caller]
    pub fn spawn_on_with<M, F>(
        &self,
        worker: usize,
        make: M,
    ) -> io::Result<RemoteJoinHandle<F::Output>>
    where
        M: FnOnce() -> F + Send + 'static,
        F: Future + 'static,
        F::Output: Send + 'static,
    {
        self.handle.spawn_on_with(worker, make)
    }

    /// # Panics
    /// When called on a worker (or any runtime) thread: it blocks the thread. Spawn with
    /// [`spawn_on_with`](Self::spawn_on_with) and await the handles there instead.
    ///
    /// Runs `make(index)` as a task on every worker — the future is built on the worker,
    /// so it need not be `Send` — and blocks this thread until all have finished. The
    /// usual way to start a thread-per-core server: each worker binds its own
    /// `SO_REUSEPORT` listener and serves.
    pub fn block_on_each<M, F>(&self, make: M) -> Vec<Result<F::Output, JoinError>>
    where
        M: Fn(usize) -> F + Send + Sync + 'static,
        F: Future + 'static,
        F::Output: Send + 'static,
    {
        let make = Arc::new(make);
        let handles: Vec<_> = (0..self.len())
            .map(|index| {
                let make = make.clone();
                self.spawn_on_with(index, move || make(index))
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| match handle {
                Ok(handle) => handle.join(),
                Err(_) => Err(JoinError::cancelled()),
            })
            .collect()
    }

    /// Stops every worker (each drops its pending tasks on its own thread) and joins the
    /// threads — all but the calling one, when called on a worker. Dropping `Workers` does
    /// the same.
    pub fn shutdown(mut self) {
        self.stop_and_join();
    }

    /// Tells every worker to stop, then joins their threads. Called on one of these
    /// workers (a task there dropped the last `Workers`), it joins every other thread and
    /// leaves its own unjoined: a thread cannot join itself, and this one ends on its own
    /// once its job loop runs again and finds `Stop`.
    fn stop_and_join(&mut self) {
        for jobs in self.handle.jobs.iter() {
            let _ = jobs.send(Job::Stop);
        }
        let here = thread::current().id();
        for thread in self.threads.drain(..) {
            if thread.thread().id() == here {
                continue; // dropping the handle detaches the thread
            }
            // A worker's own code never panics (task panics are caught); if the thread
            // died anyway there is nothing more to stop. Its payload is dropped contained.
            drop_contained(thread.join());
        }
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

impl WorkersHandle {
    /// How many workers there are.
    pub fn len(&self) -> usize {
        self.jobs.len()
    }

    /// Always false: there is at least one worker.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Runs `future` as a task on worker `worker`; the handle can be awaited (or
    /// [`join`](RemoteJoinHandle::join)ed) from anywhere and aborts the task on its worker.
    ///
    /// # Errors
    /// `InvalidInput` for an index out of range; `NotConnected` once the workers stopped.
    #[track_caller]
    pub fn spawn_on<F>(&self, worker: usize, future: F) -> io::Result<RemoteJoinHandle<F::Output>>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.spawn_on_with(worker, move || future)
    }

    /// Runs `make()` on worker `worker` and spawns the future it returns there: the
    /// closure must be `Send`, the future need not be (it never leaves that worker).
    ///
    /// # Errors
    /// As [`spawn_on`](Self::spawn_on).
    #[track_caller]
    pub fn spawn_on_with<M, F>(
        &self,
        worker: usize,
        make: M,
    ) -> io::Result<RemoteJoinHandle<F::Output>>
    where
        M: FnOnce() -> F + Send + 'static,
        F: Future + 'static,
        F::Output: Send + 'static,
    {
        let jobs = self.jobs.get(worker).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("no worker {worker}: there are {}", self.len()),
            )
        })?;
        let location = std::panic::Location::caller(); // the spawn site reports name
        let (task_end, handle) = remote::link();
        let job = Box::new(move || match catch_unwind(AssertUnwindSafe(make)) {
            Ok(future) => {
                // Always a runtime here: jobs run inside the worker's block_on.
                let _ = crate::executor::try_spawn_at(task_end.run(future), None, location);
            }
            Err(payload) => task_end.fail(JoinError::panic(payload)),
        });
        jobs.send(Job::Spawn(job))
            .map_err(|_| io::Error::new(io::ErrorKind::NotConnected, "the workers have stopped"))?;
        Ok(handle)
    }
}

impl fmt::Debug for Workers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Workers").field("len", &self.len()).finish()
    }
}

impl fmt::Debug for WorkersHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkersHandle")
            .field("len", &self.len())
            .finish()
    }
}
