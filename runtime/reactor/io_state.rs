//! One registered fd's state: readiness bits and, per direction, who waits. Shared by the
//! reactor (which sets readiness from events and wakes) and the source's `Registration`
//! (which reads and clears readiness and parks). Both live on one thread: `Cell`s and a
//! `RefCell` suffice, no lock.
//!
//! Each direction has two ways to wait:
//!
//! * **the stored waker**, for plain `poll_*` callers (`poll_read`, `poll_recv_from`, ...),
//!   which have no future in which to keep an entry. One per direction: *the last task to
//!   park is the one woken*. A different task parking on an armed direction replaces the
//!   stored waker, and the earlier task is not woken (waking it would only make the two
//!   replace each other in a loop). Two tasks calling `poll_read` on one `&TcpStream`
//!   therefore must not both wait: use `readable()` or the `async fn`s for that. The
//!   waker stays stored after it fires, so the same task parking again costs no clone.
//! * **the list of waiting futures** ([`Waiter`](super::Waiter)), one entry each, owned
//!   by the future: added on its first park, refreshed in place, removed in its `Drop`.
//!   Any number of tasks may wait this way; each is woken once per event, and a future
//!   given up (dropped) leaves nothing behind.
//!
//! Per direction, the state machine (`armed` holds one bit per way of waiting):
//!
//! ```text
//!            park / park_entry                 on_event (bits cleared,
//!   idle ───────────────────────► armed ────── wakers gathered) ──────► fired
//!    ▲                              ▲                                    │
//!    │                              └──── park / park_entry ─────────────┤
//!    │                                                                   │
//!    └───────────── clear_waiters (source dropped) ◄── any state ────────┘
//! ```
//!
//! * idle: nothing parked yet.
//! * armed: a stored waker or some entry waits; the next event on this direction fires.
//! * fired: the event cleared the bits and the reactor wakes, after its turn releases
//!   every borrow, the stored waker (by reference, kept stored) and each entry's waker
//!   (taken out, the entry kept and marked fired by its `None`). An event on a direction
//!   that is not armed only records readiness.

use std::cell::{Cell, RefCell};
use std::task::Waker;

use slab::Slab;

use crate::sys::Readiness;

/// Which half of an fd a task waits on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    /// Reads and accepts.
    Read = 0,
    /// Writes and connects.
    Write = 1,
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

/// Which waiters of a source are armed (or, returned by [`IoState::on_event`], fired):
/// per direction, the stored waker and the list, one bit each.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Armed(u8);

impl Armed {
    /// Nothing armed.
    pub(crate) const NONE: Armed = Armed(0);
    const READ_WAKER: Armed = Armed(0b0001);
    const WRITE_WAKER: Armed = Armed(0b0010);
    const READ_LIST: Armed = Armed(0b0100);
    const WRITE_LIST: Armed = Armed(0b1000);
    const LISTS: Armed = Armed(Armed::READ_LIST.0 | Armed::WRITE_LIST.0);

    /// `dir`'s stored waker.
    const fn waker(dir: Direction) -> Armed {
        Armed(Armed::READ_WAKER.0 << dir as u8)
    }

    /// `dir`'s list of waiting futures.
    const fn list(dir: Direction) -> Armed {
        Armed(Armed::READ_LIST.0 << dir as u8)
    }

    /// Both waiters of every direction `ready` concerns.
    #[inline]
    fn concerned_by(ready: Readiness) -> Armed {
        let mut bits = 0;
        if ready.intersects(Readiness::READ_SIDE) {
            bits |= Armed::READ_WAKER.0 | Armed::READ_LIST.0;
        }
        if ready.intersects(Readiness::WRITE_SIDE) {
            bits |= Armed::WRITE_WAKER.0 | Armed::WRITE_LIST.0;
        }
        Armed(bits)
    }

    /// Whether every bit of `other` is set here.
    #[inline]
    pub(crate) fn contains(self, other: Armed) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether any bit of `other` is set here.
    #[inline]
    fn intersects(self, other: Armed) -> bool {
        self.0 & other.0 != 0
    }

    /// Whether nothing is set.
    #[inline]
    pub(crate) fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// One direction's waiters.
#[derive(Default)]
struct DirectionState {
    /// The task that last parked through a plain `poll_*` call.
    waker: Cell<Option<Waker>>,
    /// Waiting futures' entries: `Some(waker)` while waiting, `None` once fired. Only
    /// their futures remove them, so a key stays theirs while they live.
    waiters: RefCell<Slab<Option<Waker>>>,
}

/// A registration's state, behind an `Rc` held by both the reactor's table of sources and
/// the source. Events reach it only through the key the reactor registered the fd under,
/// so an event for an earlier occupant of that key's index never does.
pub(crate) struct IoState {
    /// What the last events said and no syscall has contradicted yet.
    readiness: Cell<Readiness>,
    /// Which waiters wait for the next event; see the module's state machine.
    armed: Cell<Armed>,
    /// Indexed by `Direction`.
    directions: [DirectionState; 2],
}

impl std::fmt::Debug for IoState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IoState")
            .field("readiness", &self.readiness.get())
            .field("armed", &self.armed.get())
            .finish_non_exhaustive()
    }
}

/// A stored waker that a park by another task displaced.
#[must_use = "release it with nothing borrowed"]
pub(crate) struct Replaced {
    waker: Waker,
    /// Whether its direction was still armed: its task was waiting, and is not woken.
    armed: bool,
}

impl Replaced {
    /// Drops the waker if it was still armed (the last task to park is the one woken);
    /// wakes it if its direction had fired: its event may be recorded but not yet woken
    /// in this turn (a waker woken earlier in the turn can park here in between), so
    /// dropping it could lose that wake. At worst, a spurious wake.
    pub(crate) fn release(self) {
        if !self.armed {
            self.waker.wake();
        }
    }
}

impl IoState {
    /// Fresh state assuming `ready` until the first event.
    pub(crate) fn new(ready: Readiness) -> IoState {
        IoState {
            readiness: Cell::new(ready),
            armed: Cell::new(Armed::NONE),
            directions: Default::default(),
        }
    }

    fn direction(&self, dir: Direction) -> &DirectionState {
        &self.directions[dir as usize]
    }

    fn arm(&self, bits: Armed) -> Armed {
        let armed = self.armed.get();
        self.armed.set(Armed(armed.0 | bits.0));
        armed
    }

    /// Records what an event reported; returns the waiters it fires, now disarmed, for
    /// the reactor to [`wake`](Self::wake) once nothing is borrowed.
    #[inline]
    pub(crate) fn on_event(&self, ready: Readiness) -> Armed {
        self.readiness.set(self.readiness.get().union(ready));
        let concerned = Armed::concerned_by(ready);
        let armed = self.armed.get();
        self.armed.set(Armed(armed.0 & !concerned.0));
        Armed(armed.0 & concerned.0)
    }

    /// Wakes the stored wakers in `fired`, leaving them stored, and moves the wakers of
    /// the fired lists into `batch`, leaving their entries marked fired; the caller wakes
    /// `batch` afterwards. Called with nothing borrowed: a waker may run arbitrary code.
    #[inline]
    pub(crate) fn wake(&self, fired: Armed, batch: &RefCell<Vec<Waker>>) {
        if fired.contains(Armed::READ_WAKER) {
            wake_stored(&self.direction(Direction::Read).waker);
        }
        if fired.contains(Armed::WRITE_WAKER) {
            wake_stored(&self.direction(Direction::Write).waker);
        }
        if fired.intersects(Armed::LISTS) {
            self.take_listed(fired, batch);
        }
    }

    /// The list half of [`wake`](Self::wake): no code runs while a list is borrowed.
    #[cold]
    #[inline(never)]
    fn take_listed(&self, fired: Armed, batch: &RefCell<Vec<Waker>>) {
        let mut batch = batch.borrow_mut();
        for dir in [Direction::Read, Direction::Write] {
            if fired.contains(Armed::list(dir)) {
                let mut waiters = self.direction(dir).waiters.borrow_mut();
                batch.extend(waiters.iter_mut().filter_map(|(_, waker)| waker.take()));
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

    /// Stores `waker` as `dir`'s plain waiter and arms it. The same task parking again
    /// costs no clone; another task's waker it displaces comes back to be released.
    #[inline]
    pub(crate) fn park(&self, dir: Direction, waker: &Waker) -> Option<Replaced> {
        let bit = Armed::waker(dir);
        let was_armed = self.arm(bit).contains(bit);
        let cell = &self.direction(dir).waker;
        match cell.take() {
            Some(parked) if parked.will_wake(waker) => {
                cell.set(Some(parked));
                None
            }
            stored => replace_stored(cell, stored, waker, was_armed),
        }
    }

    /// Parks a waiting future's own entry on `dir` with `waker`, arming the list: adds the
    /// entry (recording its key in `entry`) or refreshes it. Returns a waker it displaced
    /// (the future moved to another task), to be dropped with nothing borrowed.
    pub(crate) fn park_entry(
        &self,
        dir: Direction,
        entry: &mut Option<usize>,
        waker: &Waker,
    ) -> Option<Waker> {
        self.arm(Armed::list(dir));
        let waiters = &self.direction(dir).waiters;
        if let Some(key) = *entry {
            let current = waiters.borrow().get(key).map(|w| match w {
                Some(stored) => stored.will_wake(waker),
                None => false,
            });
            match current {
                Some(true) => return None, // still listed with this waker
                Some(false) => {
                    let fresh = waker.clone(); // user code: before the borrow
                    let mut waiters = waiters.borrow_mut();
                    return waiters.get_mut(key).and_then(|slot| slot.replace(fresh));
                }
                None => {} // not ours any more: add a new entry
            }
        }
        let fresh = waker.clone();
        *entry = Some(waiters.borrow_mut().insert(Some(fresh)));
        None
    }

    /// Removes a waiting future's entry (it completed or was dropped); returns its waker,
    /// to be dropped with nothing borrowed.
    pub(crate) fn leave(&self, dir: Direction, key: usize) -> Option<Waker> {
        let mut waiters = self.direction(dir).waiters.borrow_mut();
        waiters.try_remove(key).flatten()
    }

    /// How many tasks wait on `dir` (for tests): the armed stored waker and the entries
    /// not yet fired.
    #[cfg(test)]
    fn waiting(&self, dir: Direction) -> usize {
        let stored = usize::from(self.armed.get().contains(Armed::waker(dir)));
        let waiters = self.direction(dir).waiters.borrow();
        stored + waiters.iter().filter(|(_, w)| w.is_some()).count()
    }

    /// Takes every waker (the source is going away); the caller drops them with nothing
    /// borrowed.
    pub(crate) fn clear_waiters(&self) -> Waiters {
        self.armed.set(Armed::NONE);
        let take = |dir| {
            let state = self.direction(dir);
            (state.waker.take(), state.waiters.take())
        };
        Waiters {
            _read: take(Direction::Read),
            _write: take(Direction::Write),
        }
    }
}

/// [`IoState::park`] when the stored waker, `stored`, is another task's (or none).
#[cold]
#[inline(never)]
fn replace_stored(
    cell: &Cell<Option<Waker>>,
    stored: Option<Waker>,
    waker: &Waker,
    armed: bool,
) -> Option<Replaced> {
    cell.set(Some(waker.clone()));
    stored.map(|waker| Replaced { waker, armed })
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
    _read: (Option<Waker>, Slab<Option<Waker>>),
    _write: (Option<Waker>, Slab<Option<Waker>>),
}

#[cfg(test)]
#[path = "io_state_tests.rs"]
mod tests;
