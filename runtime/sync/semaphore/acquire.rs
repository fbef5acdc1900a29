//! The waiting side of the semaphore: the [`Acquire`] future, its entry in the wait list,
//! and the rule by which given-back permits reach the queue's front.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use super::word::{Queue, Refused, Word};
use super::{AcquireError, Semaphore};
use crate::coop;
use crate::sync::permit::SemaphorePermit;
use crate::sync::waiters::WaitList;

/// A queued [`Acquire`], in the semaphore's wait list.
pub(super) struct Waiter {
    waker: Option<Waker>,
    /// Permits still to be handed to this waiter; 0 once it is served.
    need: usize,
}

/// Hands free permits to the front waiter (S3 in `word.rs`): once its request is complete
/// it is popped and its waker returned; `None` (stop) when nobody waits, the front still
/// lacks permits, or the semaphore is closed (`close` refuses the waiters left).
pub(super) fn serve_front(waiters: &mut WaitList<Waiter>, word: &Word) -> Option<Option<Waker>> {
    let key = waiters.front()?;
    if word.load().closed() {
        return None;
    }
    let waiter = waiters.get_mut(key);
    waiter.need -= word.take_locked(waiter.need);
    if waiter.need > 0 {
        return None; // the front waits for more; nobody may overtake it
    }
    let waker = waiter.waker.take();
    waiters.pop_front();
    if waiters.is_empty() {
        word.clear_queued();
    }
    Some(waker)
}

/// Pops the front waiter for `close` (S4 in `word.rs`) and returns its waker; `None` when
/// nobody is left. The popped entry keeps `need > 0`, which its future reads as "closed".
pub(super) fn refuse_front(waiters: &mut WaitList<Waiter>, word: &Word) -> Option<Option<Waker>> {
    let key = waiters.pop_front()?;
    if waiters.is_empty() {
        word.clear_queued();
    }
    Some(waiters.get_mut(key).waker.take())
}

/// The future of [`Semaphore::acquire`] and [`Semaphore::acquire_many`].
#[must_use = "futures do nothing unless awaited"]
pub struct Acquire<'a> {
    pub(super) semaphore: &'a Semaphore,
    pub(super) n: usize,
    /// Our entry in the wait list once queued.
    pub(super) key: Option<usize>,
}

impl<'a> Acquire<'a> {
    /// The permits, once taken.
    #[inline]
    fn granted(&self) -> Poll<Result<SemaphorePermit<'a>, AcquireError>> {
        coop::consume();
        Poll::Ready(Ok(SemaphorePermit {
            semaphore: self.semaphore,
            n: self.n,
        }))
    }

    /// The first poll: the fast path (F1), else under the lock take or queue (S1).
    #[inline]
    fn first_poll(&mut self, cx: &mut Context<'_>) -> Poll<<Self as Future>::Output> {
        let semaphore = self.semaphore;
        // Zero permits are always available (as in tokio): queueing such a request could
        // strand it behind a waiter that is later cancelled.
        let fast = match self.n {
            0 if semaphore.word.load().closed() => Err(Refused::Closed),
            0 => Ok(()),
            n => semaphore.word.try_take(n),
        };
        match fast {
            Ok(()) => self.granted(),
            Err(Refused::Closed) => Poll::Ready(Err(AcquireError(()))),
            Err(Refused::NoPermits) => self.take_or_queue(cx),
        }
    }

    /// The first poll's slow path: under the lock, take the permits or queue (S1).
    fn take_or_queue(&mut self, cx: &mut Context<'_>) -> Poll<<Self as Future>::Output> {
        let semaphore = self.semaphore;
        let mut waiters = semaphore.lock();
        match semaphore.word.take_or_queue(self.n) {
            Queue::Closed => Poll::Ready(Err(AcquireError(()))),
            Queue::Taken => {
                drop(waiters);
                self.granted()
            }
            Queue::Queued { taken } => {
                self.key = Some(waiters.push_back(Waiter {
                    waker: Some(cx.waker().clone()),
                    need: self.n - taken,
                }));
                Poll::Pending
            }
        }
    }

    /// A later poll, once queued under `key`: still waiting, served, or refused.
    fn poll_queued(&mut self, key: usize, cx: &mut Context<'_>) -> Poll<<Self as Future>::Output> {
        let semaphore = self.semaphore;
        let mut waiters = semaphore.lock();
        if waiters.is_linked(key) {
            let waiter = waiters.get_mut(key);
            let stale = crate::stored_waker::replace(&mut waiter.waker, cx.waker());
            drop(waiters);
            drop(stale); // outside the lock
            return Poll::Pending;
        }
        // Popped: either served in full, or refused by `close`.
        let waiter = waiters.remove(key);
        self.key = None;
        if waiter.need == 0 {
            drop(waiters);
            return self.granted();
        }
        // Closed: nobody is served any more, so what was collected just goes back.
        semaphore
            .word
            .give_locked(self.n - waiter.need, Semaphore::MAX_PERMITS);
        Poll::Ready(Err(AcquireError(())))
    }
}

impl<'a> Future for Acquire<'a> {
    type Output = Result<SemaphorePermit<'a>, AcquireError>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if coop::poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
        match this.key {
            None => this.first_poll(cx),
            Some(key) => this.poll_queued(key, cx),
        }
    }
}

impl Drop for Acquire<'_> {
    /// Cancelled while queued (or served but never polled again): leave the queue and
    /// give back whatever was collected, so the next waiter can have it.
    #[inline]
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.leave_queue(key);
        }
    }
}

impl Acquire<'_> {
    /// [`Drop`] for a future that was queued under `key`.
    fn leave_queue(&mut self, key: usize) {
        let mut waiters = self.semaphore.lock();
        let was_queued = waiters.is_linked(key);
        let waiter = waiters.remove(key);
        if was_queued && waiters.is_empty() {
            self.semaphore.word.clear_queued(); // S4
        }
        drop(waiters);
        self.semaphore.release(self.n - waiter.need);
    }
}

impl fmt::Debug for Acquire<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Acquire").field("n", &self.n).finish()
    }
}
