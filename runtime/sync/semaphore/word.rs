//! The semaphore's state word: the free permits and two flags in one `AtomicUsize`, so
//! that an uncontended acquire or release is one compare-and-swap and takes no lock.
//!
//! # Layout
//!
//! ```text
//!   bit:   usize::BITS-1 ............ 2      1        0
//!          [ free permits            ]  [CLOSED] [QUEUED]
//! ```
//!
//! - free permits: permits nobody holds and no waiter has collected. At most
//!   `Semaphore::MAX_PERMITS` (`usize::MAX >> 3`), so shifted left by two it still fits.
//! - `QUEUED`: the wait list (behind the semaphore's lock) is not empty.
//! - `CLOSED`: `Semaphore::close` was called; never cleared.
//!
//! # Who changes what
//!
//! ```text
//!   without the lock (fast paths)           with the lock held (slow paths)
//!   F1 take: CAS free -= n, only while      S1 queue: CAS that sets QUEUED (taking what
//!      QUEUED and CLOSED are clear and         is free if the list was empty), then push
//!      free >= n                            S2 give: CAS free += n (saturating), then
//!   F2 give: CAS free += n (saturating),       serve the list's front in order (S3)
//!      only while QUEUED is clear           S3 serve: CAS free -= k for the front waiter;
//!                                              on popping the last waiter, clear QUEUED
//!                                           S4 unlink (cancel, close): clear QUEUED
//!                                              when the list becomes empty
//!                                           S5 close: set CLOSED
//! ```
//!
//! Invariants:
//! 1. `QUEUED` and `CLOSED` change only with the lock held, and whenever the lock is free,
//!    `QUEUED` is set exactly when the wait list is not empty (S1 sets it before the push;
//!    S3 and S4 clear it as the last entry leaves).
//! 2. While `QUEUED` is set, nothing changes the word without the lock: F1 and F2 only
//!    write while they see it clear, and their CAS fails if it was set since they read.
//!    So a queued waiter cannot be overtaken (F1 refuses to take), and a permit given back
//!    goes through the lock to the front of the queue (F2 refuses to add).
//! 3. While `QUEUED` is clear, fast paths race the lock's holder for the word: every
//!    change under the lock is a CAS or read-modify-write too, never a plain store that
//!    could overwrite a fast path's change.
//!
//! # Why no wake-up is lost
//!
//! The race that matters: a waiter queues (S1) while a permit comes back on the fast path
//! (F2). Both are read-modify-writes of this one word, so they are totally ordered:
//! - F2 first: S1's CAS reads F2's count, so the queuer sees the permit and takes it
//!   (completing at once if it is enough).
//! - S1 first: F2's CAS compares against a value older than S1's and fails; the value it
//!   gets back has `QUEUED` set, so the releaser takes the lock, which it gets only after
//!   the queuer pushed its entry and unlocked, and serves it (S2, S3).
//!
//! A release that saw `QUEUED` and then finds the list emptied (the waiters were cancelled
//! or served) adds its permits with S2's CAS, racing fast acquirers as rule 3 demands.
//!
//! # Orderings
//!
//! A permit carries the data it guards (`Mutex`, `RwLock`): what one holder wrote before
//! giving it back must be visible to the next holder. F2 is `Release`, F1 `Acquire`; every
//! write to the word is a read-modify-write, so the release sequence headed by F2 is never
//! broken and F1 synchronizes with it even when other changes came in between. The locked
//! changes are `AcqRel`: S1 may take permits a fast release gave (acquire), S2 gives
//! permits a fast acquire may take (release). A waiter served under the lock is ordered
//! after its releaser by the lock itself. Failed CASes and plain loads are `Relaxed` for
//! decisions that a CAS or the lock then confirms; `available_permits` and `is_closed`
//! load with `Acquire`, to see the state as of the change they read.

use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};

use crate::std_or_loom::AtomicUsize;

/// The wait list is not empty.
const QUEUED: usize = 1;
/// `close` was called.
const CLOSED: usize = 2;
/// The free permits start above the flags.
const SHIFT: u32 = 2;

/// A copy of the word, read at one instant.
#[derive(Clone, Copy, Debug)]
pub(super) struct Snapshot(usize);

impl Snapshot {
    #[inline]
    pub(super) fn permits(self) -> usize {
        self.0 >> SHIFT
    }

    #[inline]
    pub(super) fn queued(self) -> bool {
        self.0 & QUEUED != 0
    }

    #[inline]
    pub(super) fn closed(self) -> bool {
        self.0 & CLOSED != 0
    }
}

/// Why a fast-path take ([`Word::try_take`]) took nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Refused {
    /// `CLOSED` is set.
    Closed,
    /// Waiters are queued, or fewer than asked are free.
    NoPermits,
}

/// What [`Word::take_or_queue`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Queue {
    /// `CLOSED` is set: nothing taken, nothing queued.
    Closed,
    /// All `n` permits were taken.
    Taken,
    /// `QUEUED` is set and the caller must push its entry; `taken` permits were collected
    /// on the way (only when nobody was queued ahead).
    Queued { taken: usize },
}

/// The state word (see the module docs for the protocol).
pub(super) struct Word(AtomicUsize);

impl Word {
    /// A word with `permits` free (the caller checked `permits <= MAX_PERMITS`).
    #[cfg(not(loom))]
    pub(super) const fn new(permits: usize) -> Word {
        Word(AtomicUsize::new(permits << SHIFT))
    }

    /// A word with `permits` free (loom's atomics have no `const fn new`).
    #[cfg(loom)]
    pub(super) fn new(permits: usize) -> Word {
        Word(AtomicUsize::new(permits << SHIFT))
    }

    /// The word now, for reporting or for a decision the lock backs.
    #[inline]
    pub(super) fn load(&self) -> Snapshot {
        Snapshot(self.0.load(Acquire))
    }

    /// F1: takes `n` permits if the semaphore is open, nobody is queued and `n` are free.
    #[inline]
    pub(super) fn try_take(&self, n: usize) -> Result<(), Refused> {
        let mut word = self.0.load(Relaxed);
        loop {
            let now = Snapshot(word);
            if now.closed() {
                return Err(Refused::Closed);
            }
            if now.queued() || now.permits() < n {
                return Err(Refused::NoPermits);
            }
            let new = word - (n << SHIFT);
            match self.0.compare_exchange_weak(word, new, Acquire, Relaxed) {
                Ok(_) => return Ok(()),
                Err(actual) => word = actual,
            }
        }
    }

    /// F2: gives `n` permits back (keeping at most `max`) unless waiters are queued;
    /// `false` means `QUEUED` is set and the caller must go through the lock.
    #[inline]
    pub(super) fn try_give(&self, n: usize, max: usize) -> bool {
        let mut word = self.0.load(Relaxed);
        loop {
            if Snapshot(word).queued() {
                return false;
            }
            match self
                .0
                .compare_exchange_weak(word, add(word, n, max), Release, Relaxed)
            {
                Ok(_) => return true,
                Err(actual) => word = actual,
            }
        }
    }

    /// S1, with the lock held: takes `n` permits if nobody is queued and they are free;
    /// otherwise sets `QUEUED`, collecting what is free if nobody is queued ahead.
    pub(super) fn take_or_queue(&self, n: usize) -> Queue {
        let mut word = self.0.load(Relaxed);
        loop {
            let now = Snapshot(word);
            if now.closed() {
                return Queue::Closed;
            }
            if now.queued() {
                // Nobody changes the word without the lock now (invariant 2): nothing to
                // write, and nothing may be collected ahead of the queue.
                return Queue::Queued { taken: 0 };
            }
            let taken = now.permits().min(n);
            let mut new = word - (taken << SHIFT);
            if taken < n {
                new |= QUEUED;
            }
            match self.0.compare_exchange_weak(word, new, AcqRel, Relaxed) {
                Ok(_) if taken == n => return Queue::Taken,
                Ok(_) => return Queue::Queued { taken },
                Err(actual) => word = actual,
            }
        }
    }

    /// S2, with the lock held: adds `n` free permits (keeping at most `max`), whatever
    /// the flags; the caller then serves the queue.
    pub(super) fn give_locked(&self, n: usize, max: usize) {
        let mut word = self.0.load(Relaxed);
        loop {
            match self
                .0
                .compare_exchange_weak(word, add(word, n, max), AcqRel, Relaxed)
            {
                Ok(_) => return,
                Err(actual) => word = actual,
            }
        }
    }

    /// S3, with the lock held: takes up to `n` of the free permits for the front waiter
    /// and says how many it took.
    pub(super) fn take_locked(&self, n: usize) -> usize {
        let mut word = self.0.load(Relaxed);
        loop {
            let taken = Snapshot(word).permits().min(n);
            let new = word - (taken << SHIFT);
            match self.0.compare_exchange_weak(word, new, AcqRel, Relaxed) {
                Ok(_) => return taken,
                Err(actual) => word = actual,
            }
        }
    }

    /// S3/S4, with the lock held: the wait list became empty.
    pub(super) fn clear_queued(&self) {
        self.0.fetch_and(!QUEUED, AcqRel);
    }

    /// S5, with the lock held.
    pub(super) fn close(&self) {
        self.0.fetch_or(CLOSED, AcqRel);
    }
}

/// `word` with `n` more free permits, capped at `max`, flags kept.
#[inline]
fn add(word: usize, n: usize, max: usize) -> usize {
    let permits = Snapshot(word).permits().saturating_add(n).min(max);
    (permits << SHIFT) | (word & (QUEUED | CLOSED))
}
