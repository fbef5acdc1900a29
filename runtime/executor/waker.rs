//! Wakers: how a task gets back onto the run queue, from this thread or any other.
//!
//! Each task owns one [`TaskWaker`] behind an `Arc`, made once at spawn: waking never
//! allocates. The `queued` flag makes a storm of wakes put the task on the queue once.

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use futures_task::ArcWake;

use crate::std_or_loom::{AtomicBool, AtomicU64, Mutex};
use crate::sys::Notifier;

/// What the wakers of one executor share with it, across threads.
#[derive(Debug)]
pub(crate) struct Shared {
    /// Task ids woken from other threads, moved to the local queue by the executor.
    remote: Mutex<Vec<u64>>,
    /// Set when `remote` has ids, so the executor checks it without taking the lock.
    remote_pending: AtomicBool,
    /// Rings the reactor out of its wait when a remote wake arrives.
    notifier: Arc<Notifier>,
    /// Set when the runtime is dropped: later wakes do nothing.
    closed: AtomicBool,
    /// Wakes that came through `remote` (a counter for `Metrics`).
    remote_wakes: AtomicU64,
}

impl Shared {
    /// State for an executor whose reactor is rung through `notifier`.
    pub(crate) fn new(notifier: Arc<Notifier>) -> Shared {
        Shared {
            remote: Mutex::new(Vec::new()),
            remote_pending: AtomicBool::new(false),
            notifier,
            closed: AtomicBool::new(false),
            remote_wakes: AtomicU64::new(0),
        }
    }

    /// Queues `id`: on the owner thread straight onto the local queue, elsewhere onto the
    /// locked remote queue followed by a ring of the reactor's doorbell.
    ///
    /// The remote path is one side of a store-buffering pair: publish (`remote_pending`,
    /// release), then ring (`Notifier::wake`, a swap of its `pending`). It cannot be lost
    /// because the reactor clears `pending` with a swap too (`Notifier::acknowledge`); the
    /// litmus argument is at the end of `sys/notify.rs`.
    #[inline]
    fn schedule(self: &Arc<Self>, id: u64) {
        // The owner thread's executor is alive whenever it is current (a dropped runtime
        // is never current), so the local path needs no `closed` check.
        if super::push_local(self, id) {
            return;
        }
        if self.closed.load(Ordering::Acquire) {
            return;
        }
        self.remote
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(id);
        self.remote_pending.store(true, Ordering::Release);
        self.remote_wakes.fetch_add(1, Ordering::Relaxed);
        self.notifier.wake();
    }

    /// How many wakes came from other threads.
    pub(crate) fn remote_wakes(&self) -> u64 {
        self.remote_wakes.load(Ordering::Relaxed)
    }

    /// Whether remote wakes wait to be collected. Read after the reactor acknowledged a
    /// ring, it sees the flag of every wake that ring covered: the acknowledgement's swap
    /// synchronizes with the ringers' (`sys/notify.rs`).
    pub(crate) fn has_remote(&self) -> bool {
        self.remote_pending.load(Ordering::Acquire)
    }

    /// Moves remote wakes onto `local`. The swap (acquire) pairs with `schedule`'s
    /// release store, so the locked drain finds the id that set the flag.
    pub(crate) fn drain_remote(&self, local: &mut VecDeque<u64>) {
        if self.remote_pending.swap(false, Ordering::AcqRel) {
            let mut remote = self.remote.lock().unwrap_or_else(|e| e.into_inner());
            local.extend(remote.drain(..));
        }
    }

    /// Makes every later wake a no-op.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
    }
}

/// The waker of one task (or of `block_on`'s own future).
#[derive(Debug)]
pub(crate) struct TaskWaker {
    shared: Arc<Shared>,
    /// The task's id: slab key and generation, so a wake after the task finished (and its
    /// slot was reused) finds a different generation and is ignored.
    id: u64,
    /// True from the wake until the executor starts the next poll.
    queued: AtomicBool,
}

impl TaskWaker {
    /// A waker for task `id`, already counted as queued (the spawner queues it).
    pub(crate) fn new(shared: Arc<Shared>, id: u64) -> TaskWaker {
        TaskWaker {
            shared,
            id,
            queued: AtomicBool::new(true),
        }
    }

    /// Called right before a poll: a wake during the poll must queue the task again.
    ///
    /// A swap, not a store: as a read-modify-write it is ordered before the poll's own
    /// loads, so a remote thread that publishes data and then finds `queued` still set is
    /// guaranteed that this poll sees the data (a plain release store could sit in the
    /// store buffer while the poll reads stale state, losing the wake).
    pub(crate) fn clear_queued(&self) {
        self.queued.swap(false, Ordering::AcqRel);
    }
}

impl ArcWake for TaskWaker {
    #[inline]
    fn wake_by_ref(arc_self: &Arc<Self>) {
        if !arc_self.queued.swap(true, Ordering::AcqRel) {
            arc_self.shared.schedule(arc_self.id);
        }
    }
}

#[cfg(all(test, loom))]
#[path = "waker_loom.rs"]
mod loom_models;
