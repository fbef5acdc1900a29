//! One registered fd's state: readiness bits and the parked wakers, shared by the reactor
//! (which sets readiness from events) and the source's `Registration` (which reads and
//! clears it). Both live on one thread, so plain `Cell`s suffice: no lock, no borrow flag.

use std::cell::Cell;
use std::task::Waker;

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
/// One waiter per direction: a second task parking on the same direction replaces the
/// first, which is then never woken (as in tokio and mio). Share a listener or a stream
/// half between tasks only if one task at a time awaits each direction.
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
    /// The task that last parked on reads (one per direction, as in tokio and mio).
    reader: Cell<Option<Waker>>,
    /// The task that last parked on writes.
    writer: Cell<Option<Waker>>,
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
        }
    }

    fn waiter(&self, dir: Direction) -> (&Cell<Option<Waker>>, u8) {
        match dir {
            Direction::Read => (&self.reader, READ_ARMED),
            Direction::Write => (&self.writer, WRITE_ARMED),
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
    pub(crate) fn wake(&self, fire: u8) {
        for dir in [Direction::Read, Direction::Write] {
            let (cell, bit) = self.waiter(dir);
            if fire & bit == 0 {
                continue;
            }
            if let Some(waker) = cell.take() {
                waker.wake_by_ref();
                // Keep a waker parked during the wake, if any, over ours.
                match cell.take() {
                    Some(newer) => cell.set(Some(newer)),
                    None => cell.set(Some(waker)),
                }
            }
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
    /// caller drops with nothing borrowed. The same task parking again costs no clone.
    #[inline]
    pub(crate) fn park(&self, dir: Direction, waker: &Waker) -> Option<Waker> {
        let (cell, bit) = self.waiter(dir);
        self.armed.set(self.armed.get() | bit);
        match cell.take() {
            Some(parked) if parked.will_wake(waker) => {
                cell.set(Some(parked));
                None
            }
            replaced => {
                cell.set(Some(waker.clone()));
                replaced
            }
        }
    }

    /// Takes the stored wakers (the source is going away).
    pub(crate) fn clear_waiters(&self) -> (Option<Waker>, Option<Waker>) {
        self.armed.set(0);
        (self.reader.take(), self.writer.take())
    }
}
