//! The timer store: a hierarchical wheel of millisecond ticks over a table of entries.
//!
//! Each timer is an entry of a [`KeyTable`] linked into one list: a wheel slot
//! (`wheel.rs` says which) or the *due* list, for timers whose tick had already passed
//! when they were stored. An id ([`TimerId`]) is the timer's key in the table, which is
//! never issued twice: a fired `Sleep` still holding its id can never cancel or refresh
//! another task's timer, however many timers came and went since. Cancelling, refreshing
//! the waker, and finding that a timer already fired are each one table lookup: O(1),
//! where a B-tree paid O(log n) to insert, to fire, and again for the failed lookup when
//! a fired `Sleep` completed.
//!
//! Ticks are whole milliseconds since the store was made. A deadline is rounded *up* to
//! its tick and `now` *down*, so a timer never fires before its deadline; it may fire up
//! to a millisecond after it, as the backend's wait has millisecond resolution anyway.
//! Timers fire in deadline order to the nanosecond (the timers that come due in one tick
//! are sorted, which costs nothing when they were stored in order), equal deadlines in the
//! order stored; timers already overdue when stored (a `Sleep::reset` into the past) fire
//! first, among themselves also by deadline.

pub(crate) mod inbox;
mod ops;
mod wheel;

#[cfg(test)]
mod tests;

use std::task::Waker;
use std::time::{Duration, Instant};

use wheel::{LEVELS, SLOTS};

use crate::key::{Key, KeyTable};

/// "No entry" in a list link: a table index is never `u32::MAX`.
const NIL: u32 = u32::MAX;
/// The due list's index, after the wheel's `LEVELS * SLOTS` slot lists.
const DUE: usize = LEVELS * SLOTS;

/// One pending timer.
#[derive(Debug)]
struct Entry {
    /// The deadline, in nanoseconds since `origin` (saturating).
    deadline: u64,
    /// How many timers the store held before this one: among equal deadlines, the order
    /// stored. A `u64` count, so it never wraps.
    seq: u64,
    /// Which list holds it (a slot's index, or `DUE`).
    list: u16,
    prev: u32,
    next: u32,
    waker: Waker,
}

/// A doubly linked list threaded through the table by index.
#[derive(Debug, Clone, Copy)]
struct List {
    head: u32,
    tail: u32,
}

const EMPTY: List = List {
    head: NIL,
    tail: NIL,
};

/// Pending timers of one reactor.
#[derive(Debug)]
pub(crate) struct Timers {
    origin: Instant,
    /// Every tick up to and including this one has been fired.
    elapsed: u64,
    /// The timers, linked into the lists below by index.
    entries: KeyTable<Entry>,
    /// The wheel's slot lists, then the due list.
    lists: Box<[List; DUE + 1]>,
    /// A bit per non-empty slot, per level.
    occupied: [u64; LEVELS],
    /// The next timer's `seq`.
    next_seq: u64,
    /// Reused by `fire_list` to sort one tick's timers: (deadline, seq, index).
    scratch: Vec<(u64, u64, u32)>,
}

impl Entry {
    /// The first tick at or after the deadline.
    fn tick(&self) -> u64 {
        self.deadline.div_ceil(NANOS_PER_TICK)
    }
}

/// A tick is a millisecond.
const NANOS_PER_TICK: u64 = 1_000_000;

impl Timers {
    /// An empty store whose tick 0 is now.
    pub(crate) fn new() -> Timers {
        Timers {
            origin: Instant::now(),
            elapsed: 0,
            entries: KeyTable::new(),
            lists: Box::new([EMPTY; DUE + 1]),
            occupied: [0; LEVELS],
            next_seq: 0,
            scratch: Vec::new(),
        }
    }

    /// Test hook: an empty store that holds at most `limit` timers.
    #[cfg(test)]
    pub(crate) fn with_index_limit(limit: u32) -> Timers {
        Timers {
            entries: KeyTable::with_index_limit(limit),
            ..Timers::new()
        }
    }

    /// Stores `waker` to be woken at `deadline`, the time being `now`; returns the id to
    /// cancel or update it with, or gives `waker` back if the table has no key left
    /// (`u32::MAX` timers pending).
    pub(crate) fn insert(
        &mut self,
        now: Instant,
        deadline: Instant,
        waker: Waker,
    ) -> Result<TimerId, Waker> {
        if self.entries.is_empty() {
            // Nothing to fire on the way: catch up with the clock, so the first timer after
            // an idle spell does not make the reactor step through slots long past.
            self.elapsed = self.elapsed.max(self.tick_floor(now));
        }
        let deadline = self.nanos(deadline);
        let Some(vacant) = self.entries.vacant_entry() else {
            return Err(waker);
        };
        let seq = self.next_seq;
        self.next_seq = seq + 1;
        let id = vacant.insert(Entry {
            deadline,
            seq,
            list: 0,
            prev: NIL,
            next: NIL,
            waker,
        });
        self.place(id.index());
        Ok(id)
    }

    /// Replaces the waker of a pending timer. `Err(())` if it already fired (or was
    /// removed); otherwise the waker it replaced, if any, which the caller must drop
    /// *after* releasing its borrow of the store (a waker's `Drop` may cancel timers).
    pub(crate) fn update_waker(&mut self, id: TimerId, waker: &Waker) -> Result<Option<Waker>, ()> {
        let entry = self.entries.get_mut(id).ok_or(())?;
        if entry.waker.will_wake(waker) {
            return Ok(None);
        }
        Ok(Some(std::mem::replace(&mut entry.waker, waker.clone())))
    }

    /// Forgets a timer, returning its waker (`None` if it already fired).
    pub(crate) fn remove(&mut self, id: TimerId) -> Option<Waker> {
        self.entries.get(id)?;
        self.unlink(id.index());
        self.entries.remove_at(id.index()).map(|entry| entry.waker)
    }

    /// When the store next has something to do: a timer's deadline, or a slot's start
    /// when its timers must move down a level (never later than any timer in it).
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        let tick = if self.lists[DUE].head != NIL {
            self.elapsed
        } else {
            wheel::next_due(&self.occupied, self.elapsed)?.1
        };
        self.origin.checked_add(Duration::from_millis(tick))
    }

    /// Moves the wakers of every timer due at `now` into `woken`, in firing order.
    ///
    /// With `exact`, also the timers of the next tick whose deadline is already reached
    /// (`now` falls inside that tick): a paused clock jumps to a timer's exact deadline
    /// (`next_timer`), which the tick rounding alone would leave unfired. A running clock
    /// skips this scan; its timers fire at the tick, within a millisecond.
    pub(crate) fn fire_due(&mut self, now: Instant, woken: &mut Vec<Waker>, exact: bool) {
        let now_nanos = self.nanos(now);
        let now = now_nanos / NANOS_PER_TICK;
        self.fire_list(DUE, woken);
        let mut next = None;
        while let Some((list, due)) = wheel::next_due(&self.occupied, self.elapsed) {
            if due > now {
                next = Some((list, due));
                break;
            }
            self.elapsed = due;
            self.fire_list(list, woken);
        }
        self.elapsed = self.elapsed.max(now);
        if let Some((list, due)) = next.filter(|&(_, due)| exact && due == now + 1) {
            debug_assert_eq!(due, now + 1);
            self.fire_reached(list, now_nanos, woken);
        }
    }

    /// Fires the timers of list `index` whose exact deadline is at or before `now_nanos`,
    /// leaving the others where they are.
    fn fire_reached(&mut self, index: usize, now_nanos: u64, woken: &mut Vec<Waker>) {
        let mut due = std::mem::take(&mut self.scratch);
        let mut key = self.lists[index].head;
        while key != NIL {
            let entry = &self.entries[key];
            if entry.deadline <= now_nanos {
                due.push((entry.deadline, entry.seq, key));
            }
            key = entry.next;
        }
        due.sort_unstable();
        for &(_, _, key) in &due {
            self.unlink(key);
            woken.extend(self.entries.remove_at(key).map(|entry| entry.waker));
        }
        due.clear();
        self.scratch = due;
    }

    /// The earliest exact deadline of any pending timer (for a paused clock to jump to).
    /// O(timers in one slot): the lowest occupied level's next slot holds the earliest.
    pub(crate) fn next_timer(&self) -> Option<Instant> {
        let index = if self.lists[DUE].head != NIL {
            DUE
        } else {
            wheel::next_due(&self.occupied, self.elapsed)?.0
        };
        let mut earliest = u64::MAX;
        let mut key = self.lists[index].head;
        while key != NIL {
            let entry = &self.entries[key];
            earliest = earliest.min(entry.deadline);
            key = entry.next;
        }
        self.origin.checked_add(Duration::from_nanos(earliest))
    }

    /// The instant tick 0 starts at: when the store was made.
    pub(crate) fn origin(&self) -> Instant {
        self.origin
    }

    /// How many timers are pending.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Empties list `index`: fires what is due by `elapsed` (the slot's start), places
    /// the rest again, lower down. Firing only up to `elapsed`, even when `fire_due` will
    /// go further, keeps the order by deadline after a long wait: the rest pass through
    /// the lower levels' slots in turn.
    fn fire_list(&mut self, index: usize, woken: &mut Vec<Waker>) {
        let mut key = self.lists[index].head;
        self.lists[index] = EMPTY;
        if index < DUE {
            self.occupied[index / SLOTS] &= !(1 << (index % SLOTS));
        }
        let mut due = std::mem::take(&mut self.scratch);
        while key != NIL {
            let entry = &self.entries[key];
            let next = entry.next;
            if index == DUE || entry.tick() <= self.elapsed {
                due.push((entry.deadline, entry.seq, key));
            } else {
                self.place(key);
            }
            key = next;
        }
        // All of them are due at this one tick; within it, by deadline, then as stored.
        if due.windows(2).any(|pair| pair[0] > pair[1]) {
            due.sort_unstable();
        }
        for &(_, _, key) in &due {
            woken.extend(self.entries.remove_at(key).map(|entry| entry.waker));
        }
        due.clear();
        self.scratch = due;
    }

    /// Links entry `key` at the tail of the list its tick belongs in.
    fn place(&mut self, key: u32) {
        let tick = self.entries[key].tick();
        let index = if tick <= self.elapsed {
            DUE
        } else {
            wheel::list_for(self.elapsed, tick)
        };
        let tail = self.lists[index].tail;
        let entry = &mut self.entries[key];
        entry.list = index as u16;
        entry.prev = tail;
        entry.next = NIL;
        match tail {
            NIL => self.lists[index].head = key,
            tail => self.entries[tail].next = key,
        }
        self.lists[index].tail = key;
        if index < DUE {
            self.occupied[index / SLOTS] |= 1 << (index % SLOTS);
        }
    }

    /// Takes entry `key` out of its list.
    fn unlink(&mut self, key: u32) {
        let entry = &self.entries[key];
        let (index, prev, next) = (entry.list as usize, entry.prev, entry.next);
        match prev {
            NIL => self.lists[index].head = next,
            prev => self.entries[prev].next = next,
        }
        match next {
            NIL => self.lists[index].tail = prev,
            next => self.entries[next].prev = prev,
        }
        if index < DUE && self.lists[index].head == NIL {
            self.occupied[index / SLOTS] &= !(1 << (index % SLOTS));
        }
    }

    /// `instant` in nanoseconds since `origin`: 0 before it, saturating after ~584 years.
    fn nanos(&self, instant: Instant) -> u64 {
        let nanos = instant.saturating_duration_since(self.origin).as_nanos();
        u64::try_from(nanos).unwrap_or(u64::MAX)
    }

    /// The last tick at or before `instant`.
    fn tick_floor(&self, instant: Instant) -> u64 {
        // From the same saturating nanoseconds as deadlines, so a saturated deadline is never reached.
        self.nanos(instant) / NANOS_PER_TICK
    }
}

/// A timer's id: its key in the store's table, never issued twice.
pub(crate) type TimerId = Key;
#[cfg(test)]
mod model_tests;
