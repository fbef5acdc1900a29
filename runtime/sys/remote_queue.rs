//! The cross-thread half of a run queue: ids pushed from other threads, and the doorbell
//! that brings the owner thread's reactor out of its wait to collect them.

use std::collections::VecDeque;
use std::io;
use std::os::fd::RawFd;
use std::sync::atomic::Ordering;

use super::notify::Doorbell;
use crate::std_or_loom::{AtomicBool, Mutex};

/// Ids woken on other threads, on their way to the owner thread's run queue.
///
/// The ids are opaque here (the executor's task ids). The owner thread's reactor registers
/// [`fd`](Self::fd) with its selector under `Token::NOTIFY`.
///
/// # The handshake
///
/// Two flags, each with one job:
/// - `pending`: ids wait in `ids`. Set by every push, cleared by the drain that takes them.
/// - `rung`: the doorbell was rung and the reactor has not acknowledged it yet. While it
///   is set a push skips the syscall, so a storm of wakes costs one write per turn.
///
/// ```text
///   producer: push (any thread)                 consumer (the owner thread)
///   P1  ids.lock().push(id)                     C1  acknowledge: doorbell.reset,
///   P2  pending.store(true, Release)                rung.swap(false, AcqRel)   [reactor turn]
///   P3  was_rung = rung.swap(true, AcqRel)      C2  drain_into: pending.swap(false, AcqRel),
///   P4  if !was_rung { doorbell.ring() }            then ids.lock().drain(..)  [executor]
/// ```
///
/// The consumer acknowledges only when its reactor saw the doorbell's event, and drains
/// after every turn and whenever its local queue runs dry. Before blocking in the reactor
/// it checks [`has_pending`](Self::has_pending): a push that this check misses finds
/// `rung` either false, and rings, or true, and then a ring is already on its way that no
/// acknowledgement has consumed: either way the blocking wait returns.
///
/// # Why no wake is lost: both sides swap `rung`
///
/// The outcome that must be impossible: P3 reads `true` (so P4 rings nothing) while C2
/// reads `false` (so the id is not collected); the reactor then blocks with the id stranded.
///
/// Case 1: C1 precedes P3 in `rung`'s modification order. Then P3 reads C1's `false` (or a
/// later `true` whose pusher rings), so P4 or that pusher rings, and the reactor's next
/// wait returns: nothing is lost.
///
/// Case 2: P3 precedes C1 (the `true` P3 read was set before this acknowledgement). Every
/// write to `rung` is a read-modify-write (P3's swap, and C1's), so C1 reads P3's value or
/// that of a later swap in P3's release sequence: C1 (acquire) synchronizes with P3
/// (release). So P2 happens before C1, hence before C2, and coherence makes C2 read P2's
/// `true` (or a later value: another pusher's `true`, or the `false` of a drain on this
/// thread that already collected the id). The forbidden outcome cannot happen.
///
/// Had C1 been a plain store, it would read nothing and synchronize with nothing: the
/// memory model (and POWER or Arm hardware; x86 hides it) lets C1 sit in a store buffer
/// while C2 reads a stale `false`, and P3 read the old `true`: the wake is lost. loom
/// cannot show this (it lets a read-modify-write read the newest store), so this argument
/// is what covers it; the models in `executor/waker_loom.rs` cover the interleavings.
///
/// P2 (release) / C2 (acquire) are still needed on their own: when C2 reads P2 directly,
/// that pair orders P1's push before C2's locked drain.
#[derive(Debug)]
pub(crate) struct RemoteQueue {
    /// The pushed ids, in push order.
    ids: Mutex<Vec<u64>>,
    /// Set when `ids` may hold ids, so the owner checks without taking the lock.
    pending: AtomicBool,
    /// Set by the push that rings, cleared by the acknowledgement.
    rung: AtomicBool,
    doorbell: Doorbell,
}

impl RemoteQueue {
    /// An empty queue with a fresh (non-blocking, close-on-exec) doorbell.
    pub(crate) fn new() -> io::Result<RemoteQueue> {
        Ok(RemoteQueue {
            ids: Mutex::new(Vec::new()),
            pending: AtomicBool::new(false),
            rung: AtomicBool::new(false),
            doorbell: Doorbell::new()?,
        })
    }

    /// The doorbell's fd, for the reactor to register for read interest.
    pub(crate) fn fd(&self) -> RawFd {
        self.doorbell.fd()
    }

    /// Queues `id` and rings the doorbell unless a ring is already on its way (P1 to P4).
    /// Callable from any thread.
    pub(crate) fn push(&self, id: u64) {
        self.ids.lock().unwrap_or_else(|e| e.into_inner()).push(id);
        self.pending.store(true, Ordering::Release);
        if !self.rung.swap(true, Ordering::AcqRel) {
            self.doorbell.ring();
        }
    }

    /// Acknowledges a ring so the next push rings again (C1); called by the reactor when it
    /// sees the doorbell's event, before the executor drains. `must_drain` is
    /// `Selector::notify_needs_drain`: whether the fd must be read.
    pub(crate) fn acknowledge(&self, must_drain: bool) {
        self.doorbell.reset(must_drain);
        // A read-modify-write, not a store: see "Why no wake is lost" above.
        self.rung.swap(false, Ordering::AcqRel);
    }

    /// Whether ids wait to be drained. Read after an acknowledgement, it sees the flag of
    /// every push that ring covered (case 2 above).
    pub(crate) fn has_pending(&self) -> bool {
        self.pending.load(Ordering::Acquire)
    }

    /// Moves the waiting ids onto `local`, in push order (C2). The swap (acquire) pairs
    /// with `push`'s release store, so the locked drain finds the id that set the flag.
    pub(crate) fn drain_into(&self, local: &mut VecDeque<u64>) {
        if self.pending.swap(false, Ordering::AcqRel) {
            let mut ids = self.ids.lock().unwrap_or_else(|e| e.into_inner());
            local.extend(ids.drain(..));
        }
    }

    /// The model reactor's blocking wait on the doorbell (see `Doorbell::wait_for_ring`).
    #[cfg(all(loom, test))]
    pub(crate) fn wait_for_ring(&self, seen: &mut u64) {
        self.doorbell.wait_for_ring(seen);
    }
}
