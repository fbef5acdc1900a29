//! One registered fd's state: readiness bits and the parked wakers, shared by the reactor
//! (which sets readiness from events) and the source's `Registration` (which reads and
//! clears it). Both live on one thread, so plain `Cell`s suffice: no lock, no borrow flag.

use std::cell::Cell;
use std::sync::Arc;
use std::task::Waker;

use super::claim;
use super::fan_out::{FanOut, Membership};
use crate::sys::Readiness;

/// Which half of an fd a task waits on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    /// Reads and accepts.
    Read,
    /// Writes and connects.
    Write,
}

impl Direction {
    /// The readiness bits that let this direction make progress.
    pub(crate) fn readiness(self) -> Readiness {
        match self {
            Direction::Read => Readiness::READ_SIDE,
            Direction::Write => Readiness::WRITE_SIDE,
        }
    }
}

/// A registration's state, behind an `Rc` held by both the reactor's slab and the source.
///
/// A parked waker stays stored after it fires and is only *disarmed*: the next park by the
/// same task re-arms it without cloning (no atomic reference-count traffic per request),
/// and a disarmed waker is never woken. (A task that parked and then stopped waiting, say
/// a read inside an expired `timeout`, stays armed and gets one harmless extra wake.)
///
/// Several tasks may wait on one direction (two tasks in `recv_from` on one UDP socket, or
/// in `accept` on one listener): when a second task parks while the first still waits,
/// the stored waker becomes a [`FanOut`] of both, which the event wakes like any waker
/// and which wakes them all; whoever then finds nothing to do parks again. The usual case,
/// one task per direction, never builds one, and the event path does not change.
///
/// # Invariant
/// `generation` is the one packed into the token the fd was registered with; events whose
/// token carries another generation belong to an earlier occupant of the slab key and are
/// dropped before they reach this value.
pub(crate) struct ScheduledIo {
    /// Which occupant of its slab key this is.
    pub(crate) generation: u32,
    /// What the last events said and no syscall has contradicted yet.
    readiness: Cell<Readiness>,
    /// Which directions have a task waiting (`READ_ARMED`, `WRITE_ARMED`).
    armed: Cell<u8>,
    /// The task that last parked on reads, or a fan-out waking several.
    reader: Cell<Option<Waker>>,
    /// The task that last parked on writes, or a fan-out waking several.
    writer: Cell<Option<Waker>>,
    /// The fan-out `reader` holds, if it holds one (to add members to it).
    reader_fan: Cell<Option<Arc<FanOut>>>,
    /// Likewise for `writer`.
    writer_fan: Cell<Option<Arc<FanOut>>>,
}

/// `armed` bit: a task waits to read.
pub(crate) const READ_ARMED: u8 = 0b01;
/// `armed` bit: a task waits to write.
pub(crate) const WRITE_ARMED: u8 = 0b10;

impl std::fmt::Debug for ScheduledIo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScheduledIo")
            .field("generation", &self.generation)
            .field("readiness", &self.readiness.get())
            .field("armed", &self.armed.get())
            .finish_non_exhaustive()
    }
}

impl ScheduledIo {
    /// Fresh state assuming `ready` until the first event.
    pub(crate) fn new(generation: u32, ready: Readiness) -> ScheduledIo {
        ScheduledIo {
            generation,
            readiness: Cell::new(ready),
            armed: Cell::new(0),
            reader: Cell::new(None),
            writer: Cell::new(None),
            reader_fan: Cell::new(None),
            writer_fan: Cell::new(None),
        }
    }

    fn waiter(&self, dir: Direction) -> (&Cell<Option<Waker>>, u8) {
        match dir {
            Direction::Read => (&self.reader, READ_ARMED),
            Direction::Write => (&self.writer, WRITE_ARMED),
        }
    }

    fn fan(&self, dir: Direction) -> &Cell<Option<Arc<FanOut>>> {
        match dir {
            Direction::Read => &self.reader_fan,
            Direction::Write => &self.writer_fan,
        }
    }

    /// Records what an event reported; returns the armed directions it fires, now
    /// disarmed, for the reactor to wake once nothing is borrowed.
    #[inline]
    pub(crate) fn on_event(&self, ready: Readiness) -> u8 {
        self.readiness.set(self.readiness.get().union(ready));
        let mut fire = 0;
        if ready.intersects(Readiness::READ_SIDE) {
            fire |= READ_ARMED;
        }
        if ready.intersects(Readiness::WRITE_SIDE) {
            fire |= WRITE_ARMED;
        }
        let armed = self.armed.get();
        self.armed.set(armed & !fire);
        armed & fire
    }

    /// Wakes the tasks parked on the directions in `fire`, leaving their wakers stored.
    /// Called with nothing borrowed: a waker may run arbitrary code.
    #[inline]
    pub(crate) fn wake(&self, fire: u8) {
        if fire & READ_ARMED != 0 {
            wake_stored(&self.reader);
        }
        if fire & WRITE_ARMED != 0 {
            wake_stored(&self.writer);
        }
    }

    /// The current readiness bits.
    pub(crate) fn readiness(&self) -> Readiness {
        self.readiness.get()
    }

    /// Clears the bits in `mask`.
    pub(crate) fn clear(&self, mask: Readiness) {
        self.readiness
            .set(Readiness(self.readiness.get().0 & !mask.0));
    }

    /// Parks `waker` for `dir` (arming it), returning the waker it replaced, which the
    /// caller *wakes* with nothing borrowed. The same task parking again costs no clone.
    /// Only a waker whose direction fired is replaced — while the direction is armed, a
    /// second task joins a fan-out with the first instead — and since its wake may still
    /// be pending in this turn, it is woken rather than dropped: at worst a spurious wake.
    #[inline]
    pub(crate) fn park(&self, dir: Direction, waker: &Waker) -> Option<Waker> {
        let (cell, bit) = self.waiter(dir);
        match cell.take() {
            Some(parked) if parked.will_wake(waker) => {
                cell.set(Some(parked));
                self.armed.set(self.armed.get() | bit);
                None
            }
            other => self.park_other(dir, other, waker),
        }
    }

    /// [`park`](Self::park) when the stored waker, `stored`, is another task's (or none).
    #[cold]
    #[inline(never)]
    fn park_other(&self, dir: Direction, stored: Option<Waker>, waker: &Waker) -> Option<Waker> {
        let (cell, bit) = self.waiter(dir);
        let armed = self.armed.get();
        self.armed.set(armed | bit);
        let fan = self.fan(dir);
        if let Some(group) = fan.take() {
            // Once shared, a direction keeps its fan-out: every park joins it, even on a
            // disarmed direction, whose event may not have been woken yet (a waker woken
            // earlier in the same turn can park here between `on_event` and `wake`).
            cell.set(stored);
            fan.set(Some(group.clone()));
            // A future waiting through `Source::waiting` lends its entry slot (claim.rs).
            let mut claim = claim::take(self, dir, waker);
            // Last: shedding wakes wakers, which may park here again.
            match &mut claim {
                Some(lent) => {
                    let shed = group.join_owned(waker, &mut lent.membership);
                    // The entry is recorded before any shed waker runs (it may panic).
                    claim::give_back(claim);
                    shed.wake();
                }
                None => group.join(waker),
            }
            return None;
        }
        match stored {
            Some(parked) if armed & bit != 0 => {
                // Both wait: the stored waker becomes a fan-out of the two.
                let mut claim = claim::take(self, dir, waker);
                let membership = claim.as_mut().map(|claim| &mut claim.membership);
                let (group, fan_waker) = FanOut::new(parked, waker, membership);
                cell.set(Some(fan_waker));
                fan.set(Some(group));
                claim::give_back(claim);
                None
            }
            replaced => {
                cell.set(Some(waker.clone()));
                replaced
            }
        }
    }

    /// Takes a waiting future's own entry off `dir`'s fan-out (it completed or was
    /// dropped); returns its waker, to be dropped with nothing borrowed.
    pub(crate) fn leave(&self, dir: Direction, membership: Membership) -> Option<Waker> {
        let fan = self.fan(dir);
        let group = fan.take()?;
        let left = group.leave(membership);
        fan.set(Some(group));
        left
    }

    /// How many tasks wait on `dir` (for tests): the fan-out's members, or the one waker.
    #[cfg(test)]
    fn waiting(&self, dir: Direction) -> usize {
        let (_, bit) = self.waiter(dir);
        let group = self.fan(dir).take();
        let n = match &group {
            Some(group) => group.len(),
            None => usize::from(self.armed.get() & bit != 0),
        };
        self.fan(dir).set(group);
        n
    }

    /// Takes the stored wakers (the source is going away); the caller drops them with
    /// nothing borrowed.
    pub(crate) fn clear_waiters(&self) -> Waiters {
        self.armed.set(0);
        Waiters {
            _reader: self.reader.take(),
            _writer: self.writer.take(),
            _fans: [self.reader_fan.take(), self.writer_fan.take()],
        }
    }
}

/// Wakes the waker stored in `cell` by reference and leaves it stored.
#[inline]
fn wake_stored(cell: &Cell<Option<Waker>>) {
    if let Some(waker) = cell.take() {
        waker.wake_by_ref();
        // Keep a waker parked during the wake, if any, over ours.
        match cell.take() {
            Some(newer) => cell.set(Some(newer)),
            None => cell.set(Some(waker)),
        }
    }
}

/// Every waker a source held, on their way to being dropped.
#[must_use = "dropping the wakers is the point; drop them with nothing borrowed"]
pub(crate) struct Waiters {
    _reader: Option<Waker>,
    _writer: Option<Waker>,
    _fans: [Option<Arc<FanOut>>; 2],
}

#[cfg(test)]
#[path = "slot_tests.rs"]
mod tests;
