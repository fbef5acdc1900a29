//! A counting semaphore: a pool of permits that tasks (on any thread) acquire and give
//! back — the tutorials' `Semaphore`, for limiting how many tasks do something at once.
//!
//! Fair: waiters are served in arrival order, and a waiter that wants several permits
//! collects them as they come back (so a large request is not starved by a stream of small
//! ones). It is also the engine under [`Mutex`](super::Mutex) (one permit) and the bounded
//! [`mpsc`](super::mpsc) channel (one permit per free slot).
//!
//! ```
//! use std::sync::Arc;
//! use corio::sync::Semaphore;
//!
//! corio::block_on(async {
//!     let limit = Arc::new(Semaphore::new(2));
//!     let a = limit.acquire().await.unwrap();
//!     let _b = limit.acquire().await.unwrap();
//!     assert!(limit.try_acquire().is_err()); // both permits are out
//!     drop(a);
//!     assert_eq!(limit.available_permits(), 1);
//! });
//! ```

use std::fmt;
use std::sync::Arc;

use super::permit::{OwnedSemaphorePermit, SemaphorePermit};
use super::waiters::{wake_in_batches, WaitList};
use crate::std_or_loom::{Mutex, MutexGuard};

mod acquire;
mod word;

pub use acquire::Acquire;
use acquire::{refuse_front, serve_front, Waiter};
use word::{Refused, Word};

/// A counting semaphore. `Send + Sync`; share it by reference or in an `Arc`.
///
/// An uncontended acquire or release is one compare-and-swap on a state word and takes
/// no lock; the lock guards the wait list, and is taken only by those who must queue or
/// serve the queue (the protocol is in `semaphore/word.rs`).
pub struct Semaphore {
    /// Free permits and the `QUEUED`/`CLOSED` flags.
    word: Word,
    /// The queued [`Acquire`]s, in arrival order.
    waiters: Mutex<WaitList<Waiter>>,
}

impl Semaphore {
    /// The most permits a semaphore may hold (leaves headroom so sums cannot overflow).
    pub const MAX_PERMITS: usize = usize::MAX >> 3;

    /// A semaphore holding `permits` permits.
    ///
    /// # Panics
    /// If `permits` exceeds [`MAX_PERMITS`](Self::MAX_PERMITS).
    #[cfg(not(loom))]
    pub const fn new(permits: usize) -> Self {
        assert!(permits <= Self::MAX_PERMITS, "too many permits");
        Semaphore {
            word: Word::new(permits),
            waiters: Mutex::new(WaitList::new()),
        }
    }

    /// A semaphore holding `permits` permits (not `const` in the loom build, whose
    /// `Mutex::new` is not).
    ///
    /// # Panics
    /// If `permits` exceeds [`MAX_PERMITS`](Self::MAX_PERMITS).
    #[cfg(loom)]
    pub fn new(permits: usize) -> Self {
        assert!(permits <= Self::MAX_PERMITS, "too many permits");
        Semaphore {
            word: Word::new(permits),
            waiters: Mutex::new(WaitList::new()),
        }
    }

    /// The wait list. Every update under the lock completes before anything that can
    /// panic (wakers run after it is released), so a poisoned lock is taken over as is.
    fn lock(&self) -> MutexGuard<'_, WaitList<Waiter>> {
        self.waiters.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Permits free right now.
    #[inline]
    pub fn available_permits(&self) -> usize {
        self.word.load().permits()
    }

    /// Whether [`close`](Self::close) was called.
    #[inline]
    pub fn is_closed(&self) -> bool {
        self.word.load().closed()
    }

    /// Waits for one permit. Fails only if the semaphore is closed.
    ///
    /// Cancel-safe: dropping the future before it completes gives back anything it had
    /// collected and takes it out of the queue.
    #[inline]
    pub fn acquire(&self) -> Acquire<'_> {
        self.acquire_many(1)
    }

    /// Waits for `n` permits at once (collected in arrival order). Zero permits are
    /// granted at once unless the semaphore is closed.
    ///
    /// # Panics
    /// If `n` exceeds [`MAX_PERMITS`](Self::MAX_PERMITS): such a request could never be
    /// served and would block every waiter behind it.
    #[inline]
    #[track_caller]
    pub fn acquire_many(&self, n: usize) -> Acquire<'_> {
        assert!(
            n <= Self::MAX_PERMITS,
            "acquire_many: more than MAX_PERMITS permits"
        );
        Acquire {
            semaphore: self,
            n,
            key: None,
        }
    }

    /// Like [`acquire`](Self::acquire), for a semaphore in an `Arc`: the permit keeps the
    /// semaphore alive and can move into a spawned task.
    pub async fn acquire_owned(self: Arc<Self>) -> Result<OwnedSemaphorePermit, AcquireError> {
        self.acquire_many_owned(1).await
    }

    /// [`acquire_many`](Self::acquire_many) for a semaphore in an `Arc`.
    pub async fn acquire_many_owned(
        self: Arc<Self>,
        n: usize,
    ) -> Result<OwnedSemaphorePermit, AcquireError> {
        self.acquire_many(n).await?.forget();
        Ok(OwnedSemaphorePermit { semaphore: self, n })
    }

    /// One permit if it is free now and nobody is queued ahead.
    #[inline]
    pub fn try_acquire(&self) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.try_acquire_many(1)
    }

    /// `n` permits if they are free now and nobody is queued ahead (for `n` above
    /// [`MAX_PERMITS`](Self::MAX_PERMITS), never: `NoPermits`). Takes no lock.
    #[inline]
    pub fn try_acquire_many(&self, n: usize) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        match self.word.try_take(n) {
            Ok(()) => Ok(SemaphorePermit { semaphore: self, n }),
            Err(Refused::Closed) => Err(TryAcquireError::Closed),
            Err(Refused::NoPermits) => Err(TryAcquireError::NoPermits),
        }
    }

    /// Adds `n` permits (serving waiters first, in order).
    ///
    /// # Panics
    /// If the total would exceed [`MAX_PERMITS`](Self::MAX_PERMITS).
    pub fn add_permits(&self, n: usize) {
        let available = self.available_permits();
        assert!(
            available.saturating_add(n) <= Self::MAX_PERMITS,
            "add_permits: more than MAX_PERMITS permits"
        );
        self.release(n);
    }

    /// Refuses every current and future waiter: they get [`AcquireError`]. Permits already
    /// handed out stay valid and may still be returned.
    pub fn close(&self) {
        let waiters = self.lock();
        self.word.close();
        wake_in_batches(
            waiters,
            || self.lock(),
            |waiters| refuse_front(waiters, &self.word),
        );
    }

    /// Gives `n` permits back and hands them to the front of the queue. Never panics: it
    /// runs in a permit's `Drop`, where a panic during unwinding would abort. Permits
    /// beyond `MAX_PERMITS` (only after `add_permits` filled it while some were out)
    /// are dropped.
    #[inline]
    pub(crate) fn release(&self, n: usize) {
        if n != 0 && !self.word.try_give(n, Self::MAX_PERMITS) {
            self.release_to_queue(n);
        }
    }

    /// The rest of [`release`](Self::release) when waiters are queued: under the lock,
    /// add the permits and serve the queue's front in order.
    fn release_to_queue(&self, n: usize) {
        let waiters = self.lock();
        self.word.give_locked(n, Self::MAX_PERMITS);
        wake_in_batches(
            waiters,
            || self.lock(),
            |waiters| serve_front(waiters, &self.word),
        );
    }
}

/// The semaphore was closed while (or before) waiting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AcquireError(());

impl fmt::Display for AcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the semaphore is closed")
    }
}

impl std::error::Error for AcquireError {}

/// Why [`Semaphore::try_acquire`] gave nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TryAcquireError {
    /// The semaphore is closed.
    Closed,
    /// Not enough permits free now (or others are queued ahead).
    NoPermits,
}

impl fmt::Display for TryAcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryAcquireError::Closed => f.write_str("the semaphore is closed"),
            TryAcquireError::NoPermits => f.write_str("no permits available"),
        }
    }
}

impl std::error::Error for TryAcquireError {}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let word = self.word.load();
        f.debug_struct("Semaphore")
            .field("permits", &word.permits())
            .field("waiters", &self.lock().len())
            .field("closed", &word.closed())
            .finish()
    }
}
