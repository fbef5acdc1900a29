//! Keeping a task's waker for a later wake: the one step every waiting future shares.

use std::task::Waker;

/// Stores `waker` in `stored` unless the waker there already wakes the same task (then
/// nothing is cloned); returns the waker it replaced. The caller drops that with no lock
/// held and nothing borrowed: a waker's `Drop` may run arbitrary code.
#[inline]
pub(crate) fn replace(stored: &mut Option<Waker>, waker: &Waker) -> Option<Waker> {
    match stored {
        Some(old) if old.will_wake(waker) => None,
        _ => stored.replace(waker.clone()),
    }
}
