//! Where a wake goes: how a task gets back onto the run queue, from this thread or any
//! other.
//!
//! A task's waker is a counted reference to its cell (`raw.rs`): waking never allocates.
//! Its header's `queued` flag makes a storm of wakes put the task on the queue once (the
//! task's states are drawn on `Task`, in `task.rs`); the first wake calls
//! [`Shared::schedule`]. On the owner thread that pushes onto the executor's local run
//! queue ([`push_local`]); from any other thread it goes through the executor's
//! [`RemoteQueue`], whose doc states the cross-thread handshake.

use std::cell::Cell;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::{Core, CURRENT_PTR};
use crate::metrics::Counters;
use crate::std_or_loom::{AtomicBool, AtomicU64};
use crate::sys::RemoteQueue;

/// What the wakers of one executor share with it, across threads.
#[derive(Debug)]
pub(crate) struct Shared {
    /// Where wakes from other threads go; the executor drains it.
    remote: Arc<RemoteQueue>,
    /// Set when the runtime is dropped: later wakes do nothing.
    closed: AtomicBool,
    /// Wakes that came through `remote` (a counter for `Metrics`).
    remote_wakes: AtomicU64,
}

impl Shared {
    /// State for an executor whose wakes from other threads arrive through `remote`.
    pub(crate) fn new(remote: Arc<RemoteQueue>) -> Shared {
        Shared {
            remote,
            closed: AtomicBool::new(false),
            remote_wakes: AtomicU64::new(0),
        }
    }

    /// Queues `id`: on the owner thread straight onto the local queue, elsewhere onto the
    /// remote queue ([`RemoteQueue::push`]: push, mark pending, ring unless rung).
    #[inline]
    pub(super) fn schedule(self: &Arc<Self>, id: u64) {
        // The owner thread's executor is alive whenever it is current (a dropped runtime
        // is never current), so the local path needs no `closed` check.
        if push_local(self, id) {
            return;
        }
        if self.closed.load(Ordering::Acquire) {
            return;
        }
        self.remote_wakes.fetch_add(1, Ordering::Relaxed);
        self.remote.push(id);
    }

    /// How many wakes came from other threads.
    pub(crate) fn remote_wakes(&self) -> u64 {
        self.remote_wakes.load(Ordering::Relaxed)
    }

    /// Makes every later wake a no-op.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
    }
}

/// Pushes `id` onto the local run queue if `shared` belongs to this thread's executor;
/// `false` sends the wake down the remote path.
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
    let core: &Core = unsafe { &*core };
    if !Arc::ptr_eq(&core.shared, shared) {
        return false;
    }
    match core.run_queue.try_borrow_mut() {
        Ok(mut queue) => {
            queue.push_back(id);
            Counters::bump(&core.counters.wakes_local);
            true
        }
        Err(_) => {
            // The queue is borrowed only while an id is pushed or popped, which runs no
            // waker. Were that broken, the locked remote path is still correct.
            debug_assert!(false, "a wake ran while the run queue was borrowed");
            false
        }
    }
}

#[cfg(all(test, loom))]
#[path = "waker_loom.rs"]
mod loom_models;
