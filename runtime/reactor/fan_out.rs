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
use slab::Slab;

/// How many members a fan-out holds before it sheds them (see [`FanOut`]).
pub(super) const SHED_AT: usize = 64;

/// A waiting future's own entry in a fan-out: which emptying of the list it belongs to
/// (`epoch`), and its key there. Stale once the list is emptied by a wake or a shed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Membership {
    epoch: u64,
    key: usize,
}

/// The tasks waiting on one direction.
///
/// Members come in two kinds. A future that waits through
/// [`Source::waiting`](crate::io::source::Source::waiting) (`recv_from`, `accept`,
/// `readable`, ...) gets an entry of its own, a [`Membership`], and removes it when it
/// completes or is dropped: a `recv_from` given up by a `timeout` leaves nothing behind,
/// and two such futures of one task are two entries, so dropping one never strands the
/// other. A plain `poll_*` call has no future to remember an entry, so it joins by waker,
/// once per task; such a member cannot tell the list that its task gave up, and stays
/// until the next wake empties the list.
///
/// For those, a list that reaches its limit is *shed*: every member is woken once and
/// dropped, and the tasks still waiting park again. The limit then doubles, so a crowd of
/// live waiters costs amortised O(1) wakes each instead of a storm; a wake by an event
/// sets it to twice the members it woke, so the same crowd parks again without a shed.
///
/// The lock is never contended (the reactor and the parking tasks share one thread); it is
/// there because a `Waker` must be `Send + Sync`.
#[derive(Debug)]
pub(super) struct FanOut {
    members: Mutex<Members>,
}

#[derive(Debug)]
struct Members {
    wakers: Slab<Member>,
    limit: usize,
    /// Bumped each time the list is emptied, so an old [`Membership`] matches nothing.
    epoch: u64,
}

#[derive(Debug)]
struct Member {
    waker: Waker,
    /// Held by a waiting future, which removes it; not merged with joins by waker.
    owned: bool,
}

impl FanOut {
    /// A fan-out of `first` (a member by waker) and `second`, and the waker that wakes
    /// both; `second` becomes an owned member if `claim` is given, which is updated.
    pub(super) fn new(
        first: Waker,
        second: &Waker,
        claim: Option<&mut Option<Membership>>,
    ) -> (Arc<FanOut>, Waker) {
        let fan = Arc::new(FanOut {
            members: Mutex::new(Members {
                wakers: Slab::new(),
                limit: SHED_AT,
                epoch: 0,
            }),
        });
        fan.members().wakers.insert(Member {
            waker: first,
            owned: false,
        });
        // Two members and the limit at 64: neither join can shed.
        match claim {
            Some(claim) => fan.join_owned(second, claim).wake(),
            None => fan.join(second),
        }
        let waker = futures_task::waker(fan.clone());
        (fan, waker)
    }

    fn members(&self) -> MutexGuard<'_, Members> {
        // A member's wake or drop never runs under the lock, so it cannot be poisoned by
        // one; recover anyway rather than panic in the reactor.
        self.members.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds `waker` unless a member by waker will wake the same task; sheds a full list
    /// first.
    pub(super) fn join(&self, waker: &Waker) {
        let mut members = self.members();
        let listed = members
            .wakers
            .iter()
            .any(|(_, m)| !m.owned && m.waker.will_wake(waker));
        if listed {
            return;
        }
        let shed = members.make_room();
        members.wakers.insert(Member {
            waker: waker.clone(),
            owned: false,
        });
        drop(members);
        wake_all(shed);
    }

    /// Keeps a waiting future's own entry, with `waker`: refreshes the one `claim` names
    /// if the list still holds it, else adds one and records it in `claim`. Returns the
    /// members a full list shed, for the caller to wake once it has put `claim` back.
    #[must_use = "the shed members must be woken"]
    pub(super) fn join_owned(&self, waker: &Waker, claim: &mut Option<Membership>) -> Shed {
        let mut members = self.members();
        if let Some(held) = *claim {
            if held.epoch == members.epoch {
                if let Some(member) = members.wakers.get_mut(held.key) {
                    if member.waker.will_wake(waker) {
                        return Shed(Slab::new());
                    }
                    let old = std::mem::replace(&mut member.waker, waker.clone());
                    drop(members);
                    drop(old); // with the lock released, like every other waker here
                    return Shed(Slab::new());
                }
            }
        }
        let shed = members.make_room();
        let key = members.wakers.insert(Member {
            waker: waker.clone(),
            owned: true,
        });
        *claim = Some(Membership {
            epoch: members.epoch,
            key,
        });
        Shed(shed)
    }

    /// Removes the entry `membership` names, if the list still holds it, and hands its
    /// waker back to be dropped with nothing borrowed.
    pub(super) fn leave(&self, membership: Membership) -> Option<Waker> {
        let mut members = self.members();
        if membership.epoch != members.epoch {
            return None;
        }
        match members.wakers.get(membership.key) {
            Some(member) if member.owned => Some(members.wakers.remove(membership.key).waker),
            _ => None,
        }
    }

    /// How many members are listed.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.members().wakers.len()
    }
}

impl Members {
    /// Empties the list if it is full, raising the limit; returns what to wake.
    fn make_room(&mut self) -> Slab<Member> {
        if self.wakers.len() < self.limit {
            return Slab::new();
        }
        self.limit = self.wakers.len() * 2;
        self.take()
    }

    /// Empties the list, ending every membership in it.
    fn take(&mut self) -> Slab<Member> {
        self.epoch += 1;
        std::mem::take(&mut self.wakers)
    }
}

/// Members shed by [`FanOut::join_owned`], to be woken with nothing borrowed.
pub(super) struct Shed(Slab<Member>);

impl Shed {
    /// Wakes them (a waker may run code that parks here again).
    pub(super) fn wake(self) {
        wake_all(self.0);
    }
}

/// Wakes every member of an emptied list; called with the lock released, since a waker
/// may run code that parks here again.
fn wake_all(members: Slab<Member>) {
    for (_, member) in members {
        member.waker.wake();
    }
}

impl ArcWake for FanOut {
    fn wake_by_ref(arc_self: &Arc<Self>) {
        let members = {
            let mut members = arc_self.members();
            // Room for all of them to park again without a shed.
            members.limit = SHED_AT.max(members.wakers.len() * 2);
            members.take()
        };
        wake_all(members);
    }
}
