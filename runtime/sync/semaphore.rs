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
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use super::permit::{OwnedSemaphorePermit, SemaphorePermit};
use super::waiters::{wake_in_batches, WaitList};
use crate::coop;
use crate::std_or_loom::{Mutex, MutexGuard};

/// A counting semaphore. `Send + Sync`; share it by reference or in an `Arc`.
pub struct Semaphore {
    state: Mutex<State>,
}

struct State {
    permits: usize,
    closed: bool,
    waiters: WaitList<Waiter>,
}

impl State {
    const fn new(permits: usize) -> State {
        assert!(permits <= Semaphore::MAX_PERMITS, "too many permits");
        State {
            permits,
            closed: false,
            waiters: WaitList::new(),
        }
    }
}

struct Waiter {
    waker: Option<Waker>,
    /// Permits still to be handed to this waiter; 0 once it is served.
    need: usize,
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
        Semaphore {
            state: Mutex::new(State::new(permits)),
        }
    }

    /// A semaphore holding `permits` permits (not `const` in the loom build, whose
    /// `Mutex::new` is not).
    ///
    /// # Panics
    /// If `permits` exceeds [`MAX_PERMITS`](Self::MAX_PERMITS).
    #[cfg(loom)]
    pub fn new(permits: usize) -> Self {
        Semaphore {
            state: Mutex::new(State::new(permits)),
        }
    }

    /// The state. Every update under the lock completes before anything that can panic
    /// (wakers run after it is released), so a poisoned lock is taken over as is.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Permits free right now.
    pub fn available_permits(&self) -> usize {
        self.lock().permits
    }

    /// Whether [`close`](Self::close) was called.
    pub fn is_closed(&self) -> bool {
        self.lock().closed
    }

    /// Waits for one permit. Fails only if the semaphore is closed.
    ///
    /// Cancel-safe: dropping the future before it completes gives back anything it had
    /// collected and takes it out of the queue.
    pub fn acquire(&self) -> Acquire<'_> {
        self.acquire_many(1)
    }

    /// Waits for `n` permits at once (collected in arrival order). Zero permits are
    /// granted at once unless the semaphore is closed.
    ///
    /// # Panics
    /// If `n` exceeds [`MAX_PERMITS`](Self::MAX_PERMITS): such a request could never be
    /// served and would block every waiter behind it.
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
    pub fn try_acquire(&self) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.try_acquire_many(1)
    }

    /// `n` permits if they are free now and nobody is queued ahead (for `n` above
    /// [`MAX_PERMITS`](Self::MAX_PERMITS), never: `NoPermits`).
    pub fn try_acquire_many(&self, n: usize) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        let mut state = self.lock();
        if state.closed {
            return Err(TryAcquireError::Closed);
        }
        if !state.waiters.is_empty() || state.permits < n {
            return Err(TryAcquireError::NoPermits);
        }
        state.permits -= n;
        Ok(SemaphorePermit { semaphore: self, n })
    }

    /// Adds `n` permits (serving waiters first, in order).
    ///
    /// # Panics
    /// If the total would exceed [`MAX_PERMITS`](Self::MAX_PERMITS).
    pub fn add_permits(&self, n: usize) {
        let available = self.lock().permits;
        assert!(
            available.saturating_add(n) <= Self::MAX_PERMITS,
            "add_permits: more than MAX_PERMITS permits"
        );
        self.release(n);
    }

    /// Refuses every current and future waiter: they get [`AcquireError`]. Permits already
    /// handed out stay valid and may still be returned.
    pub fn close(&self) {
        let mut state = self.lock();
        state.closed = true;
        wake_in_batches(
            state,
            || self.lock(),
            |state| {
                let key = state.waiters.pop_front()?;
                // Left with `need > 0`: the future reads that as "closed".
                Some(state.waiters.get_mut(key).waker.take())
            },
        );
    }

    /// Gives `n` permits back and hands them to the front of the queue. Never panics: it
    /// runs in a permit's `Drop`, where a panic during unwinding would abort. Permits
    /// beyond `MAX_PERMITS` (only after `add_permits` filled it while some were out)
    /// are dropped.
    pub(crate) fn release(&self, n: usize) {
        if n == 0 {
            return;
        }
        let mut state = self.lock();
        state.permits = state.permits.saturating_add(n).min(Self::MAX_PERMITS);
        wake_in_batches(state, || self.lock(), serve_front);
    }
}

/// Hands free permits to the front waiter: once its request is complete it is popped and
/// its waker returned; `None` (stop) when nobody waits or the front still lacks permits.
fn serve_front(state: &mut State) -> Option<Option<Waker>> {
    let key = state.waiters.front()?;
    let waiter = state.waiters.get_mut(key);
    let give = waiter.need.min(state.permits);
    waiter.need -= give;
    state.permits -= give;
    if waiter.need > 0 {
        return None; // the front waits for more; nobody may overtake it
    }
    let waker = waiter.waker.take();
    state.waiters.pop_front();
    Some(waker)
}

/// The future of [`Semaphore::acquire`] and [`Semaphore::acquire_many`].
#[must_use = "futures do nothing unless awaited"]
pub struct Acquire<'a> {
    semaphore: &'a Semaphore,
    n: usize,
    /// Our entry in the wait list once queued.
    key: Option<usize>,
}

impl<'a> Future for Acquire<'a> {
    type Output = Result<SemaphorePermit<'a>, AcquireError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let semaphore = this.semaphore;
        if coop::poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
        let mut state = semaphore.lock();
        let Some(key) = this.key else {
            if state.closed {
                return Poll::Ready(Err(AcquireError(())));
            }
            // Zero permits are always available (as in tokio): queueing such a request
            // could strand it behind a waiter that is later cancelled.
            if this.n == 0 || (state.waiters.is_empty() && state.permits >= this.n) {
                state.permits -= this.n;
                coop::consume();
                return Poll::Ready(Ok(SemaphorePermit {
                    semaphore,
                    n: this.n,
                }));
            }
            // Queue, taking what is free now only if nobody is ahead (fairness).
            let take = if state.waiters.is_empty() {
                state.permits.min(this.n)
            } else {
                0
            };
            state.permits -= take;
            this.key = Some(state.waiters.push_back(Waiter {
                waker: Some(cx.waker().clone()),
                need: this.n - take,
            }));
            return Poll::Pending;
        };
        if state.waiters.is_linked(key) {
            let waiter = state.waiters.get_mut(key);
            let stale = crate::stored_waker::replace(&mut waiter.waker, cx.waker());
            drop(state);
            drop(stale); // outside the lock
            return Poll::Pending;
        }
        // Popped: either served in full, or refused by `close`.
        let waiter = state.waiters.remove(key);
        this.key = None;
        if waiter.need == 0 {
            coop::consume();
            return Poll::Ready(Ok(SemaphorePermit {
                semaphore,
                n: this.n,
            }));
        }
        let collected = this.n - waiter.need;
        state.permits += collected; // closed: nobody to serve, just keep the count right
        Poll::Ready(Err(AcquireError(())))
    }
}

impl Drop for Acquire<'_> {
    /// Cancelled while queued (or served but never polled again): leave the queue and
    /// give back whatever was collected, so the next waiter can have it.
    fn drop(&mut self) {
        let Some(key) = self.key.take() else { return };
        let mut state = self.semaphore.lock();
        let waiter = state.waiters.remove(key);
        drop(state);
        self.semaphore.release(self.n - waiter.need);
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
        let state = self.lock();
        f.debug_struct("Semaphore")
            .field("permits", &state.permits)
            .field("waiters", &state.waiters.len())
            .field("closed", &state.closed)
            .finish()
    }
}

impl fmt::Debug for Acquire<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Acquire").field("n", &self.n).finish()
    }
}
