//! A waker that wakes a list of wakers: how several tasks wait on one direction of one
//! source without the reactor's hot path knowing about lists.
//!
//! `ScheduledIo` stores one waker per direction. When a second task parks on a direction
//! that already has a waiting task, the stored waker becomes a [`FanOut`] holding both;
//! the reactor wakes it like any waker, and it wakes every member. From then on every
//! park on that direction joins it. The usual case (one task per direction) never builds
//! one, so it pays nothing.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::Waker;

use futures_task::ArcWake;

/// How many members a fan-out holds before it sheds them (see [`FanOut`]).
pub(super) const SHED_AT: usize = 64;

/// The tasks waiting on one direction.
///
/// A waker cannot say whether its task still waits, so a member that gave up (a
/// `recv_from` dropped by a `timeout`) stays listed until the next wake empties the list.
/// A list that reaches its limit is *shed*: every member is woken once and dropped, and
/// the tasks still waiting park again. The limit then doubles, so a crowd of live waiters
/// costs amortised O(1) wakes each instead of a storm; a wake by an event sets it to
/// twice the members it woke, so the same crowd parks again without a shed.
///
/// Known limit: the doubling cannot tell a live crowd from waiters that gave up, so on a
/// socket that sees *no* event while ever new tasks wait on it and give up, the list keeps
/// up to about half of them (one waker each) until the next event frees them all. Telling
/// the two apart needs the waiting future to take its waker back when dropped, as tokio's
/// intrusive waiter lists do; that is the next step here.
///
/// The lock is never contended (the reactor and the parking tasks share one thread); it is
/// there because a `Waker` must be `Send + Sync`.
#[derive(Debug)]
pub(super) struct FanOut {
    members: Mutex<Members>,
}

#[derive(Debug)]
struct Members {
    wakers: Vec<Waker>,
    limit: usize,
}

impl FanOut {
    /// A fan-out of `first` and `second`, and the waker that wakes both.
    pub(super) fn new(first: Waker, second: Waker) -> (Arc<FanOut>, Waker) {
        let fan = Arc::new(FanOut {
            members: Mutex::new(Members {
                wakers: vec![first, second],
                limit: SHED_AT,
            }),
        });
        let waker = futures_task::waker(fan.clone());
        (fan, waker)
    }

    fn members(&self) -> MutexGuard<'_, Members> {
        // A member's wake or drop never runs under the lock, so it cannot be poisoned by
        // one; recover anyway rather than panic in the reactor.
        self.members.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds `waker` unless a member will wake the same task; sheds a full list first.
    pub(super) fn join(&self, waker: &Waker) {
        let mut members = self.members();
        if members.wakers.iter().any(|w| w.will_wake(waker)) {
            return;
        }
        let shed = if members.wakers.len() >= members.limit {
            members.limit = members.wakers.len() * 2;
            std::mem::take(&mut members.wakers)
        } else {
            Vec::new()
        };
        members.wakers.push(waker.clone());
        drop(members);
        // Woken with the lock released: a waker may run code that parks here again.
        for waker in shed {
            waker.wake();
        }
    }

    /// How many members are listed.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.members().wakers.len()
    }
}

impl ArcWake for FanOut {
    fn wake_by_ref(arc_self: &Arc<Self>) {
        let wakers = {
            let mut members = arc_self.members();
            // Room for all of them to park again without a shed.
            members.limit = SHED_AT.max(members.wakers.len() * 2);
            std::mem::take(&mut members.wakers)
        };
        for waker in wakers {
            waker.wake();
        }
    }
}
