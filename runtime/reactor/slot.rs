//! One registered fd's state inside the reactor: readiness bits and the parked wakers.

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

/// A registration's slot in the reactor's slab.
///
/// # Invariant
/// `generation` is the one packed into the token the fd was registered with; events whose
/// token carries another generation belong to an earlier occupant and are dropped.
#[derive(Debug)]
pub(crate) struct Slot {
    /// Which occupant of this slab key this is.
    pub(crate) generation: u32,
    /// What the last events said and no syscall has contradicted yet.
    pub(crate) readiness: Readiness,
    /// The task parked on reads, if any (one per direction, as in tokio and mio).
    pub(crate) reader: Option<Waker>,
    /// The task parked on writes, if any.
    pub(crate) writer: Option<Waker>,
}

impl Slot {
    /// Records what an event reported and hands over the wakers it releases.
    pub(crate) fn on_event(&mut self, ready: Readiness, woken: &mut Vec<Waker>) {
        self.readiness.0 |= ready.0;
        if ready.intersects(Readiness::READ_SIDE) {
            woken.extend(self.reader.take());
        }
        if ready.intersects(Readiness::WRITE_SIDE) {
            woken.extend(self.writer.take());
        }
    }

    /// The waker slot for `dir`.
    pub(crate) fn waiter(&mut self, dir: Direction) -> &mut Option<Waker> {
        match dir {
            Direction::Read => &mut self.reader,
            Direction::Write => &mut self.writer,
        }
    }
}
