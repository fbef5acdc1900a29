//! Keeping a task's waker for a later wake: the one step every waiting future shares.

use std::task::Waker;

/// Stores `waker` in `slot` unless the waker there already wakes the same task (then
/// nothing is cloned); returns the waker it replaced. The caller drops that with no lock
/// held and nothing borrowed: a waker's `Drop` may run arbitrary code.
#[inline]
pub(crate) fn store(slot: &mut Option<Waker>, waker: &Waker) -> Option<Waker> {
    match slot {
        Some(stored) if stored.will_wake(waker) => None,
        _ => slot.replace(waker.clone()),
    }
}
