//! The executor: tasks in a slab, a run queue fed by wakers, and the loop that alternates
//! polling tasks with turning the reactor.
//!
//! One executor lives on one thread. Tasks need not be `Send`: they never leave the
//! thread that spawned them. Their wakers are `Send` and may be called anywhere: on the
//! owner thread a wake pushes onto the local queue; elsewhere it goes through a locked
//! queue and rings the reactor's doorbell.

mod harness;
mod join;
mod slot;
mod waker;

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_task::waker_ref;
use slab::Slab;

use crate::coop;
use crate::reactor::{self, Reactor};

use join::JoinState;
pub use join::{JoinError, JoinHandle};
use slot::TaskSlot;
use waker::{Shared, TaskWaker};

/// How many tasks run between two reactor turns, at most. With a busy queue the reactor
/// is still polled (without blocking) this often, so I/O and timers cannot starve.
const POLLS_PER_TURN: u32 = 61;

/// The id of `block_on`'s own future in the run queue; never a packed slab id in practice
/// (it would need key and generation both at `u32::MAX`).
const MAIN_ID: u64 = u64::MAX;

/// One thread's executor.
pub(crate) struct Core {
    shared: Arc<Shared>,
    run_queue: RefCell<VecDeque<u64>>,
    tasks: RefCell<Slab<TaskSlot>>,
    next_generation: Cell<u32>,
    reactor: Rc<Reactor>,
    /// Set while `block_on` runs, to refuse a re-entrant call on the same runtime.
    running: Cell<bool>,
}

thread_local! {
    /// The executor running on this thread, if any.
    static CURRENT: RefCell<Option<Rc<Core>>> = const { RefCell::new(None) };
    /// The same core as `CURRENT`, as a raw pointer, for the wake hot path: one load and
    /// one compare instead of a `RefCell` borrow and an `Rc` clone.
    ///
    /// # Invariant
    /// Null, or the `Core` that `CURRENT` holds an `Rc` to: set and cleared only by `Enter`,
    /// together with `CURRENT`, so it never outlives that `Rc`.
    static CURRENT_PTR: Cell<*const Core> = const { Cell::new(std::ptr::null()) };
}

/// Pushes `id` onto the local run queue if `shared` belongs to this thread's executor.
#[inline]
fn push_local(shared: &Arc<Shared>, id: u64) -> bool {
    let Ok(core) = CURRENT_PTR.try_with(Cell::get) else {
        return false; // thread-local storage is being torn down
    };
    if core.is_null() {
        return false;
    }
    // SAFETY: by CURRENT_PTR's invariant `core` points to the Core that CURRENT keeps
    // alive on this thread, and Core is only ever used from this thread.
    let core = unsafe { &*core };
    if !Arc::ptr_eq(&core.shared, shared) {
        return false;
    }
    match core.run_queue.try_borrow_mut() {
        Ok(mut queue) => {
            queue.push_back(id);
            true
        }
        Err(_) => false, // never expected; the locked remote path is always correct
    }
}

fn pack(key: usize, generation: u32) -> u64 {
    ((generation as u64) << 32) | key as u64
}

fn unpack(id: u64) -> (usize, u32) {
    ((id & 0xffff_ffff) as usize, (id >> 32) as u32)
}

/// Spawns onto this thread's executor.
///
/// # Panics
/// Outside `block_on` (there is no executor to run the task).
#[track_caller]
pub(crate) fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
{
    let core = CURRENT
        .try_with(|c| c.borrow().clone())
        .ok()
        .flatten()
        .expect("corio::spawn called outside a runtime: call it inside corio::block_on");
    core.spawn(future)
}

impl Core {
    /// An executor driving `reactor`.
    pub(crate) fn new(reactor: Rc<Reactor>) -> Core {
        Core {
            shared: Arc::new(Shared::new(reactor.notifier().clone())),
            run_queue: RefCell::new(VecDeque::with_capacity(256)),
            tasks: RefCell::new(Slab::new()),
            next_generation: Cell::new(0),
            reactor,
            running: Cell::new(false),
        }
    }

    /// The reactor this executor turns.
    pub(crate) fn reactor(&self) -> &Rc<Reactor> {
        &self.reactor
    }

    /// How many tasks are alive.
    pub(crate) fn alive(&self) -> usize {
        self.tasks.borrow().len()
    }

    fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
    {
        let generation = self.next_generation.get();
        self.next_generation.set(generation.wrapping_add(1));
        let mut tasks = self.tasks.borrow_mut();
        let entry = tasks.vacant_entry();
        let id = pack(entry.key(), generation);
        let waker = Arc::new(TaskWaker::new(self.shared.clone(), id));
        let state = Rc::new(JoinState::new(futures_task::waker(waker.clone())));
        let harness = harness::Harness::new(future, state.clone());
        entry.insert(TaskSlot::new(generation, harness, waker));
        drop(tasks);
        self.run_queue.borrow_mut().push_back(id);
        JoinHandle::new(state)
    }

    /// Polls task `id` once, if it still exists.
    #[inline]
    fn run_task(&self, id: u64) {
        let (key, generation) = unpack(id);
        let (future, waker) = {
            let tasks = self.tasks.borrow();
            match tasks.get(key) {
                Some(slot) if slot.generation == generation => {
                    // SAFETY: the slot is removed only below, after this poll (no other
                    // code removes task slots while the executor runs), and this executor
                    // polls one task at a time and refuses re-entry (`block_on`'s
                    // `running` flag), so this is the only reference to the future and it
                    // outlives its use.
                    let future = unsafe { slot.future_mut() };
                    (future, Arc::as_ptr(&slot.waker))
                }
                _ => return, // finished: a late wake for an old occupant of the slot
            }
        };
        // SAFETY: `waker` comes from the Arc in the same slot, alive until the slot is
        // removed after the poll (see above). ManuallyDrop keeps this borrowed view from
        // touching the reference count.
        let waker = std::mem::ManuallyDrop::new(unsafe { Arc::from_raw(waker) });
        waker.clear_queued();
        let waker_ref = waker_ref(&waker);
        let mut cx = Context::from_waker(&waker_ref);
        if coop::with_budget(|| future.poll(&mut cx)).is_ready() {
            let slot = self.tasks.borrow_mut().remove(key);
            drop(slot); // outside the borrow: dropping a task may wake or spawn
        }
    }

    #[inline]
    fn next_id(&self) -> Option<u64> {
        let mut queue = self.run_queue.borrow_mut();
        if queue.is_empty() {
            self.shared.drain_remote(&mut queue);
        }
        queue.pop_front()
    }

    /// Runs `future` to completion on this thread, with every task it spawns.
    ///
    /// # Panics
    /// If called from inside a `block_on` of the same runtime: the outer call could never
    /// make progress while the inner one runs. (Another runtime may be nested.)
    pub(crate) fn block_on<F: Future>(self: &Rc<Self>, future: F) -> F::Output {
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
        let main_waker = Arc::new(TaskWaker::new(self.shared.clone(), MAIN_ID));
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
                main_waker.clear_queued();
                let waker = waker_ref(&main_waker);
                let mut cx = Context::from_waker(&waker);
                if let Poll::Ready(output) = coop::with_budget(|| future.as_mut().poll(&mut cx)) {
                    return output;
                }
            }
            let idle = self.run_queue.borrow().is_empty() && !self.shared.has_remote();
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
            self.shared.drain_remote(&mut self.run_queue.borrow_mut());
        }
    }
}

impl Drop for Core {
    fn drop(&mut self) {
        self.shared.close();
        // Drop each pending task on this thread; a panic in a future's Drop must not stop
        // the others from being dropped. Harness::drop tells their handles "cancelled".
        let tasks: Vec<TaskSlot> = self.tasks.get_mut().drain().collect();
        for slot in tasks {
            let _ = catch_unwind(AssertUnwindSafe(|| drop(slot)));
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
