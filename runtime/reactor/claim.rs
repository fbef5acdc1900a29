//! How a waiting future's park reaches the fan-out with its own entry, without a
//! parameter through every `poll_*` in between.
//!
//! [`Source::waiting`](crate::io::source::Source::waiting) polls its operation inside
//! [`with_claim`], which lends the future's [`Membership`] slot to this thread for the
//! length of the poll, tagged with the source and direction it waits on and the address
//! of the poll's own `Waker`. If that poll parks on that direction of that source with
//! that waker while the direction is shared, `ScheduledIo::park_other` takes the claim
//! ([`take`]), joins the fan-out as an owned member and gives it back ([`give_back`])
//! with the entry recorded. Any other park (another source, a plain `poll_*` call, or a
//! wait of someone else's run inside the poll: a waker woken or dropped there may run
//! user code that parks on this very source) finds no claim and joins by waker, as before.
//!
//! The common path pays nothing: a park by the task already stored never reaches
//! `park_other`, and there the claim is read only where a list is involved (a fan-out
//! exists, or is being built), not on a first park or a replacement.

use std::cell::Cell;
use std::task::Waker;

use super::fan_out::Membership;
use super::slot::{Direction, ScheduledIo};

/// A lent membership slot: for which source and direction, parked with which waker (both
/// by address, compared, never dereferenced), and the slot.
#[derive(Clone, Copy)]
pub(super) struct Claim {
    io: *const ScheduledIo,
    dir: Direction,
    /// The `Waker` of the lending poll's `Context`: a park with any other waker (one run
    /// by a waker woken or dropped inside the poll, or by user code in an `AsyncFd` op)
    /// is someone else's wait and must not take the entry.
    waker: *const Waker,
    /// The future's entry, as lent, and as the park leaves it.
    pub(super) membership: Option<Membership>,
}

thread_local! {
    /// The claim lent by the future being polled on this thread, if any.
    static CLAIM: Cell<Option<Claim>> = const { Cell::new(None) };
}

/// Runs `poll` with `membership` lent to parks on `dir` of `io`, and takes back what they
/// recorded in it.
pub(crate) fn with_claim<R>(
    io: &ScheduledIo,
    dir: Direction,
    waker: *const Waker,
    membership: &mut Option<Membership>,
    poll: impl FnOnce() -> R,
) -> R {
    /// Puts the previous claim back and hands ours out, even if `poll` panics.
    struct Restore<'a> {
        previous: Option<Claim>,
        membership: &'a mut Option<Membership>,
    }
    impl Drop for Restore<'_> {
        fn drop(&mut self) {
            if let Ok(Some(ours)) = CLAIM.try_with(|c| c.replace(self.previous)) {
                *self.membership = ours.membership;
            }
        }
    }
    let claim = Claim {
        io,
        dir,
        waker,
        membership: *membership,
    };
    let previous = CLAIM.with(|c| c.replace(Some(claim)));
    let _restore = Restore {
        previous,
        membership,
    };
    poll()
}

/// Takes the claim lent for `dir` of `io` and `waker` (the lending poll's own, by
/// address), if exactly that is active; the caller records
/// its entry in it and hands it back with [`give_back`]. Taken meanwhile, so a park nested
/// inside (a waker woken by a shed that polls inline) cannot use it too.
pub(super) fn take(io: &ScheduledIo, dir: Direction, waker: &Waker) -> Option<Claim> {
    CLAIM
        .try_with(|c| {
            let claim = c.get()?;
            let ours =
                std::ptr::eq(claim.io, io) && claim.dir == dir && std::ptr::eq(claim.waker, waker);
            ours.then(|| c.take())?
        })
        .ok()
        .flatten()
}

/// Puts back what [`take`] returned, with the entry recorded.
pub(super) fn give_back(claim: Option<Claim>) {
    if let Some(claim) = claim {
        let _ = CLAIM.try_with(|c| c.set(Some(claim)));
    }
}
