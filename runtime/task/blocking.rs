//! `spawn_blocking`: a bounded pool of threads for blocking or CPU-bound work, the
//! tutorials' advice (002_6f00e0160d5b1c4f.txt, 进程池) to hand such work to a pool
//! instead of stalling the event loop.
//!
//! One pool per process, started lazily (a forked child starts its own: see
//! `forget_pool_in_child`). Up to [`MAX_THREADS`] threads; more jobs queue.
//! A thread idle for [`KEEP_ALIVE`] retires. The result comes back over a
//! [`oneshot`](crate::sync::oneshot) channel to a local task, whose [`JoinHandle`] the
//! caller gets, so a panic in the job reaches the handle as [`JoinError::is_panic`].
//!
//! [`JoinError::is_panic`]: crate::JoinError::is_panic

use std::cell::Cell;
use std::collections::VecDeque;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::time::Duration;

use crate::std_or_loom::{thread, Mutex, MutexGuard, TimedCondvar};
use crate::sync::oneshot;
use crate::JoinHandle;

/// The most threads the pool runs at once.
pub const MAX_THREADS: usize = 64;
/// How long an idle thread waits for work before it exits.
pub const KEEP_ALIVE: Duration = Duration::from_secs(2);

type Job = Box<dyn FnOnce() + Send + 'static>;

struct Pool {
    state: Mutex<PoolState>,
    /// Where idle threads wait for a job, until [`KEEP_ALIVE`] passes.
    work: TimedCondvar,
}

#[derive(Default)]
struct PoolState {
    queue: VecDeque<Job>,
    threads: usize,
    idle: usize,
    /// Idle threads already signalled for a queued job: without this, a burst of jobs
    /// would all be handed to one idle thread instead of starting more.
    notified: usize,
}

/// This process's pool, null until the first job. Every pointer stored here comes from
/// `Box::into_raw` and is never freed, so a `&'static Pool` made from it stays valid.
static POOL: AtomicPtr<Pool> = AtomicPtr::new(ptr::null_mut());

/// Whether `forget_pool_in_child` is registered with `pthread_atfork`.
#[cfg(not(miri))]
static FORK_HANDLER_REGISTERED: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

/// The pool, made on first use: one atomic load once it exists.
fn pool() -> &'static Pool {
    let current = POOL.load(Ordering::Acquire);
    if current.is_null() {
        return install_pool();
    }
    // SAFETY: a non-null `POOL` points to a leaked `Pool` that is never freed.
    unsafe { &*current }
}

/// Makes and publishes the pool (the first job of this process, or of a forked child).
#[cold]
fn install_pool() -> &'static Pool {
    // Registered before any pool is published, so no fork can copy a pool into a child
    // without the handler that makes the child forget it. Threads racing through here at
    // first use may each register once; the handler is idempotent. A forked child
    // inherits the registration (and this flag), so it never registers again.
    #[cfg(not(miri))] // Miri can neither fork nor call pthread_atfork
    if !FORK_HANDLER_REGISTERED.load(Ordering::Acquire) {
        // SAFETY: registers a child handler that only does an atomic store, which is
        // async-signal-safe as the child side of a fork requires. A failure (ENOMEM)
        // leaves forked children with the problem described at `forget_pool_in_child`.
        unsafe { libc::pthread_atfork(None, None, Some(forget_pool_in_child)) };
        FORK_HANDLER_REGISTERED.store(true, Ordering::Release);
    }
    let fresh = Box::into_raw(Box::new(Pool::new()));
    match POOL.compare_exchange(ptr::null_mut(), fresh, Ordering::AcqRel, Ordering::Acquire) {
        // SAFETY: `fresh` is now published and, like every pool, never freed.
        Ok(_) => unsafe { &*fresh },
        Err(winner) => {
            // SAFETY: `fresh` lost the race and was never shared: we still own it.
            drop(unsafe { Box::from_raw(fresh) });
            // SAFETY: `winner` is the published pool, never freed.
            unsafe { &*winner }
        }
    }
}

/// Runs in the child of every `fork` (`pthread_atfork`): the child starts with no pool.
///
/// The parent's pool does not work in the child: its counts describe threads that were
/// not copied (a job handed to an "idle" thread would never run), its mutex may be held
/// by one of them forever, and its queued jobs are the parent's, which must not run twice.
/// So the child never touches it (it is leaked there) and makes its own on first use.
#[cfg(not(miri))]
extern "C" fn forget_pool_in_child() {
    // Only the forking thread exists in the child at this point: no ordering to uphold.
    POOL.store(ptr::null_mut(), Ordering::Relaxed);
}

impl Pool {
    fn new() -> Pool {
        Pool {
            state: Mutex::new(PoolState::default()),
            work: TimedCondvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, PoolState> {
        // Jobs run outside the lock, so a poisoned lock only means a panic elsewhere.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues `job`, waking an idle thread or starting one if under the cap.
    fn execute(&'static self, job: Job) {
        let mut state = self.lock();
        state.queue.push_back(job);
        if state.idle > state.notified {
            state.notified += 1;
            drop(state);
            self.work.notify_one();
            return;
        }
        if state.threads >= MAX_THREADS {
            return; // a busy thread picks it up when it finishes its job
        }
        state.threads += 1;
        drop(state);
        let started = thread::Builder::new()
            .name("corio-blocking".into())
            .spawn(move || self.work_loop());
        if started.is_err() {
            // No thread: drop the job we just queued if no other thread will run it, which
            // drops its result sender and fails the task with a clear error.
            let mut state = self.lock();
            state.threads -= 1;
            if state.threads == 0 {
                let orphans: Vec<Job> = state.queue.drain(..).collect();
                drop(state);
                drop(orphans);
            }
        }
    }

    fn work_loop(&self) {
        let mut state = self.lock();
        loop {
            if let Some(job) = state.queue.pop_front() {
                drop(state);
                job(); // never panics: spawn_blocking's job catches the user's panic
                state = self.lock();
                continue;
            }
            state.idle += 1;
            let (next, timeout) = self
                .work
                .wait_timeout(state, KEEP_ALIVE)
                .unwrap_or_else(|e| e.into_inner());
            state = next;
            state.idle -= 1;
            state.notified = state.notified.saturating_sub(1);
            // The queue is looked at again, under the lock, before leaving: `execute` may
            // have counted this thread as idle and handed it a job just as its wait timed
            // out, and would start no other thread for that job (the loom model in
            // `blocking_loom.rs` runs this race).
            if timeout.timed_out() && state.queue.is_empty() {
                state.threads -= 1;
                return;
            }
        }
    }
}

/// Runs `f` on the blocking pool and returns a handle to await its result from a task.
///
/// Use it for work that would stall every other task on this thread: blocking system
/// calls, file I/O, long computations. A panic in `f` reaches the handle as an error
/// whose [`is_panic`](crate::JoinError::is_panic) is true.
///
/// ```
/// let sum = corio::block_on(async {
///     corio::task::spawn_blocking(|| (1..=100u64).sum::<u64>()).await.unwrap()
/// });
/// assert_eq!(sum, 5050);
/// ```
///
/// The pool is per process: a child made by `fork` gets a pool of its own at its first
/// job, and never runs the parent's queued jobs. See [the module docs](crate::task#after-fork)
/// for what else a fork shares, and why a job that forks must `exec` or `_exit` in the child.
///
/// # Panics
/// Outside a corio runtime, like [`spawn`](crate::spawn).
#[track_caller]
pub fn spawn_blocking<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let (tx, rx) = oneshot::channel();
    // Counted by the runtime that spawns it (see `Outstanding`); dropped after the result
    // is sent, or with the job if the pool drops it unrun.
    let counted = if UNCOUNTED.with(Cell::get) {
        None
    } else {
        crate::runtime::current_outstanding().map(|jobs| jobs.count())
    };
    let handle = crate::spawn(async move {
        match rx.await {
            Ok(Ok(value)) => value,
            Ok(Err(payload)) => resume_unwind(payload),
            Err(_) => panic!("corio: the blocking pool could not start a thread for this job"),
        }
    });
    pool().execute(Box::new(move || {
        let result = catch_unwind(AssertUnwindSafe(f));
        let _ = tx.send(result); // the handle may have been dropped: nothing to tell
        drop(counted);
    }));
    handle
}

thread_local! {
    /// Set while [`uncounted`] runs: jobs spawned then do not hold up the runtime's drop.
    static UNCOUNTED: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f`; the pool jobs it spawns are not waited for when the runtime is dropped.
///
/// For jobs that may block forever on input no task controls (a read of the process's
/// standard input): waiting for them would keep the runtime's drop, and so the process,
/// from ending.
pub(crate) fn uncounted<R>(f: impl FnOnce() -> R) -> R {
    struct Reset(bool);
    impl Drop for Reset {
        fn drop(&mut self) {
            UNCOUNTED.with(|u| u.set(self.0));
        }
    }
    let _reset = Reset(UNCOUNTED.with(|u| u.replace(true)));
    f()
}

/// How many blocking-pool threads are alive (running a job or idle).
pub fn blocking_threads() -> usize {
    pool().lock().threads
}

#[cfg(all(test, loom))]
#[path = "blocking_loom.rs"]
mod loom_models;
