//! How a waiting future's park reaches the fan-out with its own entry, without a
//! parameter through every `poll_*` in between.
//!
//! [`Source::waiting`](crate::io::source::Source::waiting) polls its operation inside
//! [`with_claim`], which lends the future's [`Membership`] slot to this thread for the
//! length of the poll, tagged with the source and direction it waits on. If that poll
//! parks on that direction of that source while the direction is shared,
//! `ScheduledIo::park_other` takes the claim ([`take`]), joins the fan-out as an owned
//! member and gives it back ([`give_back`]) with the entry recorded. Any other park (another source, a
//! plain `poll_*` call) finds no claim and joins by waker, as before.
//!
//! The common path pays nothing: a park by the task already stored never reaches
//! `park_other`, so the claim is only read where a list is involved.

use std::cell::Cell;

use super::fan_out::Membership;
use super::slot::{Direction, ScheduledIo};

/// A lent membership slot: for which source (by address, compared, never dereferenced)
/// and direction, and the slot.
#[derive(Clone, Copy)]
pub(super) struct Claim {
    io: *const ScheduledIo,
    dir: Direction,
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
        membership: *membership,
    };
    let previous = CLAIM.with(|c| c.replace(Some(claim)));
    let _restore = Restore {
        previous,
        membership,
    };
    poll()
}

/// Takes the claim lent for `dir` of `io`, if exactly that is active; the caller records
/// its entry in it and hands it back with [`give_back`]. Taken meanwhile, so a park nested
/// inside (a waker woken by a shed that polls inline) cannot use it too.
pub(super) fn take(io: &ScheduledIo, dir: Direction) -> Option<Claim> {
    CLAIM
        .try_with(|c| {
            let claim = c.get()?;
            let ours = std::ptr::eq(claim.io, io) && claim.dir == dir;
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
