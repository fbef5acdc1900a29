//! The timer store: deadlines keyed by `(Instant, id)` in a B-tree.
//!
//! The id makes two timers at the same instant distinct and orders them by creation. A
//! B-tree gives O(log n) insert, cancel and "earliest deadline", with no tombstones to
//! sweep, and stays cache-friendly at 100k+ entries.

use std::collections::BTreeMap;
use std::task::Waker;
use std::time::Instant;

/// Pending timers of one reactor.
#[derive(Debug, Default)]
pub(crate) struct Timers {
    entries: BTreeMap<(Instant, u64), Waker>,
    next_id: u64,
}

impl Timers {
    /// Stores `waker` to be woken at `deadline`; returns the id to cancel or update it.
    pub(crate) fn insert(&mut self, deadline: Instant, waker: Waker) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.entries.insert((deadline, id), waker);
        id
    }

    /// Replaces the waker of a pending timer. `Err(())` if it already fired; otherwise the
    /// waker it replaced, if any, which the caller must drop *after* releasing its borrow
    /// of the store (a waker's `Drop` may cancel other timers).
    pub(crate) fn update_waker(
        &mut self,
        deadline: Instant,
        id: u64,
        waker: &Waker,
    ) -> Result<Option<Waker>, ()> {
        match self.entries.get_mut(&(deadline, id)) {
            Some(w) if w.will_wake(waker) => Ok(None),
            Some(w) => Ok(Some(std::mem::replace(w, waker.clone()))),
            None => Err(()),
        }
    }

    /// Forgets a timer, returning its waker (`None` if it already fired).
    pub(crate) fn remove(&mut self, deadline: Instant, id: u64) -> Option<Waker> {
        self.entries.remove(&(deadline, id))
    }

    /// The earliest pending deadline.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.entries.keys().next().map(|&(deadline, _)| deadline)
    }

    /// Moves the wakers of every timer due at `now` into `woken`.
    pub(crate) fn fire_due(&mut self, now: Instant, woken: &mut Vec<Waker>) {
        while let Some(entry) = self.entries.first_entry() {
            if entry.key().0 > now {
                break;
            }
            woken.push(entry.remove());
        }
    }

    /// How many timers are pending.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}
