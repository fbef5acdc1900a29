//! The join protocol: how a task's end reaches its `JoinHandle`, which may live on any
//! thread (the handle is `Send`), and how abort and detach reach the task.
//!
//! Four bits in one atomic word, and the join waker slot they guard:
//!
//! | bit          | set by                       | means                                                      |
//! |--------------|------------------------------|------------------------------------------------------------|
//! | `ABORTED`    | `abort` (any thread)         | the task's next poll drops its future instead              |
//! | `FINISHED`   | the executor's `finish`      | the future is gone and the outcome is in the cell's stage  |
//! | `DETACHED`   | the handle's drop            | nobody will take the outcome                               |
//! | `JOIN_WAKER` | the handle, after writing the slot | the slot holds the awaiter's waker, for `finish` to take |
//!
//! Who may touch what:
//! - **The stage** (the cell's future, then outcome) belongs to the executor until it
//!   sets `FINISHED`; then to the handle, unless `DETACHED` was already set, in which case
//!   `finish` drops the outcome itself. One read-modify-write on each side decides it, so
//!   exactly one of them drops an outcome nobody takes.
//! - **The slot** belongs to the handle while `JOIN_WAKER` is clear. While it is set, the
//!   handle does not touch the slot: `finish`, which sets `FINISHED` first, takes the
//!   waker; the handle may take the slot back only by clearing `JOIN_WAKER` with a
//!   compare-exchange that fails once `FINISHED` is set.
//!
//! ```text
//!  handle polls:  (slot ours) write waker ──CAS +JOIN_WAKER──> registered ──CAS −JOIN_WAKER──> (slot ours) ...
//!                       │ the CAS finds FINISHED: take the waker back, read the outcome
//!  executor:      outcome into the stage ──fetch_or FINISHED──> prev had DETACHED? drop the outcome
//!                                                               prev had JOIN_WAKER? take the waker, wake it
//!  handle drops:  CAS +DETACHED −JOIN_WAKER (drop our waker) ── or it finds FINISHED: drop the outcome
//! ```
//!
//! The orderings: the stage and the slot are written before the release half of the RMW
//! that hands them over, and read after the acquire half of the RMW (or load) that sees
//! it. `join_state_loom.rs` checks the protocol under every interleaving.

use std::sync::atomic::Ordering::{AcqRel, Acquire};
use std::task::Waker;

use crate::std_or_loom::{AtomicUsize, UnsafeCell};

const ABORTED: usize = 1;
const FINISHED: usize = 2;
const DETACHED: usize = 4;
const JOIN_WAKER: usize = 8;

/// A task's join bits and its awaiter's waker (the protocol is in the module doc).
pub(super) struct JoinState {
    state: AtomicUsize,
    waker: UnsafeCell<Option<Waker>>,
}

/// What `finish` leaves its caller to do.
pub(super) enum Finished {
    /// The outcome stays in the stage for the handle.
    Stored,
    /// The outcome stays for the handle, whose awaiter must be woken.
    Wake(Waker),
    /// The handle is gone: the caller drops the outcome.
    Detached,
}

impl JoinState {
    pub(super) fn new() -> JoinState {
        JoinState {
            state: AtomicUsize::new(0),
            waker: UnsafeCell::new(None),
        }
    }

    /// Whether `abort` was called (the executor checks this before each poll).
    #[inline]
    pub(super) fn is_aborted(&self) -> bool {
        self.state.load(Acquire) & ABORTED != 0
    }

    /// Whether the task finished.
    pub(super) fn is_finished(&self) -> bool {
        self.state.load(Acquire) & FINISHED != 0
    }

    /// Marks the task aborted; `true` if it had not finished (the caller then queues it).
    pub(super) fn abort(&self) -> bool {
        self.state.fetch_or(ABORTED, AcqRel) & FINISHED == 0
    }

    /// The executor's side: the outcome is in the stage; hands it over.
    pub(super) fn finish(&self) -> Finished {
        let prev = self.state.fetch_or(FINISHED, AcqRel);
        if prev & DETACHED != 0 {
            return Finished::Detached;
        }
        if prev & JOIN_WAKER == 0 {
            return Finished::Stored;
        }
        // SAFETY: JOIN_WAKER was set when FINISHED was: the slot is ours, and the handle
        // can no longer take it back (its compare-exchange requires FINISHED clear).
        match self.waker.with_mut(|slot| unsafe { (*slot).take() }) {
            Some(waker) => Finished::Wake(waker),
            None => Finished::Stored,
        }
    }

    /// The handle's poll: `true` once the outcome may be read from the stage; otherwise
    /// `waker` is registered for `finish` to wake. Whatever waker this displaces is
    /// dropped here, with nothing borrowed.
    pub(super) fn poll_join(&self, waker: &Waker) -> bool {
        let state = self.state.load(Acquire);
        if state & FINISHED != 0 {
            return true;
        }
        // Take the slot back to look at (or replace) the waker in it.
        if state & JOIN_WAKER != 0 && self.update(|s| s & !JOIN_WAKER).is_err() {
            return true; // finished meanwhile
        }
        let displaced = self.waker.with_mut(|slot| {
            // SAFETY: JOIN_WAKER is clear (and only this handle sets it): the slot is ours.
            let slot = unsafe { &mut *slot };
            crate::stored_waker::replace(slot, waker)
        });
        drop(displaced);
        match self.update(|s| s | JOIN_WAKER) {
            Ok(_) => false,
            Err(_) => {
                // Finished before the waker was handed over: the slot is still ours.
                // SAFETY: as above; JOIN_WAKER stayed clear.
                drop(self.waker.with_mut(|slot| unsafe { (*slot).take() }));
                true
            }
        }
    }

    /// The handle's drop: `true` if the task had finished, so the handle must drop the
    /// outcome; otherwise `DETACHED` is set and `finish` will drop it.
    pub(super) fn detach(&self) -> bool {
        match self.update(|s| (s | DETACHED) & !JOIN_WAKER) {
            Ok(_) => {
                // SAFETY: JOIN_WAKER is clear now and FINISHED was not set: the slot is
                // ours, and `finish` will not touch it.
                drop(self.waker.with_mut(|slot| unsafe { (*slot).take() }));
                false
            }
            Err(_) => true,
        }
    }

    /// Applies `change` to the state by compare-exchange while `FINISHED` is clear:
    /// `Ok(new state)`, or `Err(state)` once `FINISHED` is set (nothing changed then).
    fn update(&self, change: impl Fn(usize) -> usize) -> Result<usize, usize> {
        let mut state = self.state.load(Acquire);
        loop {
            if state & FINISHED != 0 {
                return Err(state);
            }
            let new = change(state);
            match self
                .state
                .compare_exchange_weak(state, new, AcqRel, Acquire)
            {
                Ok(_) => return Ok(new),
                Err(actual) => state = actual,
            }
        }
    }
}

#[cfg(all(test, loom))]
#[path = "join_state_loom.rs"]
mod loom_models;
