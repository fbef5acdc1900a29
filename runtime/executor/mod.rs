//! The executor: tasks in a table, a run queue fed by wakers, and the loop that alternates
//! polling tasks with turning the reactor.
//!
//! One executor lives on one thread. Tasks need not be `Send`: they never leave the
//! thread that spawned them. Their wakers are `Send` and may be called anywhere: on the
//! owner thread a wake pushes onto the local queue; elsewhere it goes through the
//! reactor's [`RemoteQueue`] and rings its doorbell (`waker.rs`).
//!
//! A task is one heap cell (`cell.rs`: header, then future, then outcome; `raw.rs`: the
//! counted pointer the table, its `JoinHandle` and its wakers share), found by id through
//! a [`Task`] in the [`TaskTable`]; its states (queued, running, idle, done) are drawn on
//! [`Task`].

mod cell;
mod contain;
mod join;
mod join_state;
mod meta;
mod raw;
pub(crate) mod slow_poll;
mod table;
mod task;
#[cfg(test)]
mod tests;
mod waker;

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::panic::Location;
use std::pin::pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::coop;
use crate::key::Key;
use crate::metrics::{Counters, Metrics};
use crate::reactor::{self, Reactor};
use crate::sys::RemoteQueue;

pub(crate) use contain::{drop_contained, Contained};
pub use join::{JoinError, JoinHandle};
pub(crate) use meta::TaskMeta;
pub(crate) use raw::RawTask;
use slow_poll::SlowPoll;
use table::TaskTable;
use task::Task;
use waker::Shared;

/// How many tasks run between two reactor turns, at most. With a busy queue the reactor
/// is still polled (without blocking) this often, so I/O and timers cannot starve.
const POLLS_PER_TURN: u32 = 61;

/// The id of `block_on`'s own future in the run queue; never a task's id (no table issues
/// [`Key::NONE`]).
const MAIN_ID: u64 = Key::NONE.to_u64();

/// One thread's executor.
pub(crate) struct Core {
    shared: Arc<Shared>,
    /// Wakes from other threads, drained into `run_queue` (the same queue `shared` pushes
    /// onto, held here too so the drain reads it in one load).
    remote_queue: Arc<RemoteQueue>,
    run_queue: RefCell<VecDeque<u64>>,
    tasks: RefCell<TaskTable>,
    reactor: Rc<Reactor>,
    /// Set while `block_on` runs, to refuse a re-entrant call on the same runtime.
    running: Cell<bool>,
    counters: Counters,
    slow_poll: SlowPoll,
}

thread_local! {
    /// The executor running on this thread, if any.
    static CURRENT: RefCell<Option<Rc<Core>>> = const { RefCell::new(None) };
    /// The same core as `CURRENT`, as a raw pointer, for the wake hot path (`push_local` in
    /// `waker.rs`): one load and one compare instead of a `RefCell` borrow and an `Rc`
    /// clone.
    ///
    /// # Invariant
    /// Null, or the `Core` that `CURRENT` holds an `Rc` to: set and cleared only by `Enter`,
    /// together with `CURRENT`, so it never outlives that `Rc`.
    static CURRENT_PTR: Cell<*const Core> = const { Cell::new(std::ptr::null()) };
}

/// Spawns onto this thread's executor.
///
/// # Panics
/// Outside `block_on` (there is no executor to run the task), or when the executor already
/// holds `u32::MAX` tasks.
#[track_caller]
pub(crate) fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
{
    match try_spawn(future, None) {
        Ok(handle) => handle,
        Err(e) if is_running_here() => panic!("corio::spawn: {e}"),
        Err(_) => panic!("corio::spawn called outside a runtime: call it inside corio::block_on"),
    }
}

/// Spawns onto this thread's executor, naming the task if `name` is given; an error
/// outside a runtime.
#[track_caller]
pub(crate) fn try_spawn<F>(future: F, name: Option<&str>) -> std::io::Result<JoinHandle<F::Output>>
where
    F: Future + 'static,
{
    try_spawn_at(future, name, Location::caller())
}

/// [`try_spawn`] with the spawn site given (for work handed over from elsewhere, such as
/// another worker, whose user-facing call site was recorded there).
pub(crate) fn try_spawn_at<F>(
    future: F,
    name: Option<&str>,
    location: &'static Location<'static>,
) -> std::io::Result<JoinHandle<F::Output>>
where
    F: Future + 'static,
{
    let core = CURRENT.try_with(|c| c.borrow().clone()).ok().flatten();
    match core {
        Some(core) => core.spawn(future, TaskMeta::new(name, location)),
        None => Err(std::io::Error::other(
            "no corio runtime on this thread: spawn inside corio::block_on",
        )),
    }
}

/// Whether a runtime's `block_on` is running on this thread.
pub(crate) fn is_running_here() -> bool {
    CURRENT_PTR
        .try_with(|p| !p.get().is_null())
        .unwrap_or(false)
}

/// The counters of this thread's runtime, if one is running.
pub(crate) fn current_metrics() -> Option<Metrics> {
    CURRENT
        .try_with(|c| c.borrow().as_ref().map(|core| core.metrics()))
        .ok()
        .flatten()
}

impl Core {
    /// An executor driving `reactor`, reporting polls longer than `slow_poll`.
    pub(crate) fn new(reactor: Rc<Reactor>, slow_poll: Option<Duration>) -> Core {
        Core {
            shared: Arc::new(Shared::new(reactor.remote_queue().clone())),
            remote_queue: reactor.remote_queue().clone(),
            run_queue: RefCell::new(VecDeque::with_capacity(256)),
            tasks: RefCell::new(TaskTable::new()),
            reactor,
            running: Cell::new(false),
            counters: Counters::default(),
            slow_poll: SlowPoll::new(slow_poll),
        }
    }

    /// The slow-poll threshold, if the detector is on.
    pub(crate) fn slow_poll_threshold(&self) -> Option<Duration> {
        self.slow_poll.threshold()
    }

    /// A snapshot of the counters.
    pub(crate) fn metrics(&self) -> Metrics {
        let (reactor_waits, reactor_events) = self.reactor.stats();
        Metrics {
            tasks_spawned: self.counters.tasks_spawned.get(),
            tasks_alive: self.alive(),
            polls: self.counters.polls.get(),
            wakes_local: self.counters.wakes_local.get(),
            wakes_remote: self.shared.remote_wakes(),
            reactor_waits,
            reactor_events,
            slow_polls: self.counters.slow_polls.get(),
            registered_sources: self.reactor.registered(),
            timers_pending: self.reactor.pending_timers(),
        }
    }

    /// The reactor this executor turns.
    pub(crate) fn reactor(&self) -> &Rc<Reactor> {
        &self.reactor
    }

    /// Test hook: as if `tasks` more tasks had taken vacant key `key` and finished.
    #[cfg(test)]
    pub(crate) fn pretend_spawned_and_finished(&self, key: usize, tasks: u64) {
        self.tasks
            .borrow_mut()
            .pretend_spawned_and_finished(key, tasks);
    }

    /// How many tasks are alive.
    pub(crate) fn alive(&self) -> usize {
        self.tasks.borrow().len()
    }

    pub(crate) fn spawn<F>(
        &self,
        future: F,
        meta: TaskMeta,
    ) -> std::io::Result<JoinHandle<F::Output>>
    where
        F: Future + 'static,
    {
        let inserted = self.tasks.borrow_mut().insert(|id| {
            let raw = cell::allocate(future, id, self.shared.clone());
            let handle = JoinHandle::new(raw.clone());
            (Task { raw, meta }, handle)
        });
        let Some((id, handle)) = inserted else {
            return Err(std::io::Error::other(
                "the task table is full (u32::MAX tasks)",
            ));
        };
        Counters::bump(&self.counters.tasks_spawned);
        self.run_queue.borrow_mut().push_back(id);
        Ok(handle)
    }

    /// Polls task `id` once, if it still exists. Always inlined into `block_on`'s loop,
    /// its only caller: this runs once per task poll, and a call would save and restore
    /// every callee-saved register each time.
    #[inline(always)]
    fn run_task(&self, id: u64) {
        let task = {
            // SAFETY: the shared reference is used only inside this block, which runs no
            // code that could borrow the table mutably (a lookup and a pointer read), so
            // skipping the borrow count costs nothing in safety; the check that no mutable
            // borrow is held stays.
            let tasks = unsafe { self.tasks.try_borrow_unguarded() }
                .expect("corio: the task table is borrowed while a task is polled");
            match tasks.get(id) {
                Some(task) => task.raw.ptr(),
                _ => return, // finished: a late wake for an old occupant of the key
            }
        };
        // SAFETY: the table's reference keeps the cell alive until the task is removed
        // after this poll (no other code removes tasks while the executor runs).
        let header = unsafe { task.as_ref() };
        header.clear_queued();
        // SAFETY: as above, the cell outlives this borrowed waker.
        let waker = unsafe { raw::borrowed_waker(task) };
        let mut cx = Context::from_waker(&waker);
        let poll_task = header.vtable.poll;
        Counters::bump(&self.counters.polls);
        let started = self.slow_poll.start();
        // SAFETY: owner thread; the cell is alive (above); this executor polls one task at
        // a time and refuses re-entry (`block_on`'s `running` flag), so nothing else
        // borrows the task's stage.
        let poll = coop::with_budget(|| unsafe { poll_task(task, &mut cx) });
        if started.is_some() {
            self.check_slow(started, id);
        }
        if poll.is_ready() {
            let task = self.tasks.borrow_mut().remove(id);
            drop(task); // outside the borrow: dropping a task may wake or spawn
        }
    }

    /// Reports task `id`'s last poll if it ran past the threshold.
    #[cold]
    fn check_slow(&self, started: Option<std::time::Instant>, id: u64) {
        let tasks = self.tasks.borrow();
        if let Some(task) = tasks.get(id) {
            if self.slow_poll.finish(started, &task.meta) {
                Counters::bump(&self.counters.slow_polls);
            }
        }
    }

    #[inline]
    fn next_id(&self) -> Option<u64> {
        let mut queue = self.run_queue.borrow_mut();
        if queue.is_empty() {
            self.remote_queue.drain_into(&mut queue);
        }
        queue.pop_front()
    }

    /// Runs `future` to completion on this thread, with every task it spawns.
    ///
    /// # Panics
    /// If called from inside a `block_on` of the same runtime: the outer call could never
    /// make progress while the inner one runs. (Another runtime may be nested.)
    pub(crate) fn block_on<F: Future>(
        self: &Rc<Self>,
        future: F,
        caller: &'static Location<'static>,
    ) -> F::Output {
        assert!(
            !self.running.replace(true),
            "corio: Runtime::block_on called from inside the same runtime; spawn the future \
             instead, or use a separate Runtime"
        );
        struct Running<'a>(&'a Cell<bool>);
        impl Drop for Running<'_> {
            fn drop(&mut self) {
                self.0.set(false);
            }
        }
        let _running = Running(&self.running);
        let _reactor = reactor::enter(self.reactor.clone());
        let _executor = Enter::new(self.clone());
        let mut future = pin!(future);
        let main_task = cell::waker_only(MAIN_ID, self.shared.clone());
        self.run_queue.borrow_mut().push_back(MAIN_ID);
        loop {
            let mut polls = 0;
            while polls < POLLS_PER_TURN {
                let Some(id) = self.next_id() else { break };
                polls += 1;
                if id != MAIN_ID {
                    self.run_task(id);
                    continue;
                }
                main_task.header().clear_queued();
                let waker = main_task.waker_ref();
                let mut cx = Context::from_waker(&waker);
                Counters::bump(&self.counters.polls);
                let started = self.slow_poll.start();
                let poll = coop::with_budget(|| future.as_mut().poll(&mut cx));
                let main = format_args!("block_on's future (called at {caller})");
                if self.slow_poll.finish(started, &main) {
                    Counters::bump(&self.counters.slow_polls);
                }
                if let Poll::Ready(output) = poll {
                    return output;
                }
            }
            let idle = self.run_queue.borrow().is_empty() && !self.remote_queue.has_pending();
            let timeout = if idle { None } else { Some(Duration::ZERO) };
            if let Err(e) = self.reactor.turn(timeout) {
                // Only a broken invariant (EBADF, EFAULT, EINVAL) gets here; nothing can
                // be served without the backend, so say so loudly.
                panic!(
                    "corio: the {} backend failed: {e}",
                    self.reactor.backend_name()
                );
            }
            // Collect wakes from other threads every turn, not only when the local queue
            // runs dry: an always-busy queue must not starve them.
            self.remote_queue
                .drain_into(&mut self.run_queue.borrow_mut());
        }
    }
}

impl Drop for Core {
    fn drop(&mut self) {
        self.shared.close();
        // Drop each pending task on this thread; a panic in a future's Drop (or in its
        // payload's) must not stop the others from being dropped. `Task`'s drop tells their
        // handles "cancelled". With the reactor entered, a task's `Sleep` finds its home
        // and removes its timer there, rather than posting to the inbox (`time/sleep.rs`).
        let _reactor = reactor::enter(self.reactor.clone());
        let tasks: Vec<Task> = self.tasks.get_mut().drain();
        for task in tasks {
            drop_contained(task);
        }
    }
}

/// Makes a core this thread's current executor until dropped.
struct Enter {
    previous: Option<Rc<Core>>,
}

impl Enter {
    fn new(core: Rc<Core>) -> Enter {
        let ptr = Rc::as_ptr(&core);
        let previous = CURRENT.with(|c| c.replace(Some(core)));
        CURRENT_PTR.with(|p| p.set(ptr));
        Enter { previous }
    }
}

impl Drop for Enter {
    fn drop(&mut self) {
        let previous = self.previous.take();
        let ptr = previous.as_ref().map_or(std::ptr::null(), Rc::as_ptr);
        // Clear the pointer before the Rc it borrows from can go.
        let _ = CURRENT_PTR.try_with(|p| p.set(ptr));
        let _ = CURRENT.try_with(|c| c.replace(previous));
    }
}
