//! The queue both mpsc flavours share: messages in a `VecDeque`, the receiver's waker,
//! the count of live senders and of reserved slots. The bounded flavour adds a
//! [`Semaphore`] of free slots in front of it (see `bounded.rs`); the queue itself refuses
//! a message only once the receiver closed (or, for a reserved slot, is gone).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use super::error::{SendError, TryRecvError};
use crate::coop;
use crate::sync::{Notify, Semaphore};

/// State shared by every sender and the receiver.
pub(super) struct Chan<T> {
    state: Mutex<State<T>>,
    /// Free slots, for a bounded channel: a sender takes one before pushing, the
    /// receiver gives one back per message taken.
    pub(super) slots: Option<Semaphore>,
    /// Senders in `closed()`: woken when the receiver closes or goes.
    rx_closed: Notify,
}

struct State<T> {
    queue: VecDeque<T>,
    receiver: Option<Waker>,
    senders: usize,
    /// The receiver closed or dropped: no message is accepted any more, except through
    /// a slot reserved before (tokio's rule: outstanding permits may still send).
    rx_closed: bool,
    /// The receiver is gone: nothing is accepted at all.
    rx_dropped: bool,
    /// Slots reserved by a `Permit` / `OwnedPermit` not yet used: after a close, the
    /// receiver reports the end only once they are all used or dropped.
    reserved: usize,
}

impl<T> State<T> {
    /// With the queue empty: whether no message can come any more (every sender gone, or
    /// the receiver closed and every reserved slot used or dropped).
    fn is_finished(&self) -> bool {
        (self.senders == 0 || self.rx_closed) && self.reserved == 0
    }
}

impl<T> Chan<T> {
    /// A channel with one sender; `slots` bounds it.
    pub(super) fn new(slots: Option<usize>) -> Arc<Self> {
        Arc::new(Chan {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                receiver: None,
                senders: 1,
                rx_closed: false,
                rx_dropped: false,
                reserved: 0,
            }),
            slots: slots.map(Semaphore::new),
            rx_closed: Notify::new(),
        })
    }

    /// The state; updates under it never panic half-way, so poison is ignored.
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Appends `value` and wakes the receiver; gives the value back if the receiver is
    /// gone (the caller owns any slot it took and must give it back).
    pub(super) fn push(&self, value: T) -> Result<(), SendError<T>> {
        let mut state = self.lock();
        if state.rx_closed {
            return Err(SendError(value));
        }
        state.queue.push_back(value);
        let waker = state.receiver.take();
        drop(state);
        if let Some(waker) = waker {
            waker.wake();
        }
        Ok(())
    }

    pub(super) fn add_sender(&self) {
        self.lock().senders += 1;
    }

    /// The last sender leaving wakes the receiver, which then drains and sees `None`.
    pub(super) fn drop_sender(&self) {
        let mut state = self.lock();
        state.senders -= 1;
        let waker = if state.senders == 0 {
            state.receiver.take()
        } else {
            None
        };
        drop(state);
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Whether the receiver closed or dropped.
    pub(super) fn is_rx_closed(&self) -> bool {
        self.lock().rx_closed
    }

    /// Messages waiting.
    pub(super) fn len(&self) -> usize {
        self.lock().queue.len()
    }

    /// The receiver stops accepting: senders fail from now on (waiting ones too), and
    /// messages already queued can still be received.
    pub(super) fn close_rx(&self) {
        self.lock().rx_closed = true;
        if let Some(slots) = &self.slots {
            slots.close();
        }
        self.rx_closed.notify_waiters();
    }

    /// The receiver is gone: close, and drop what is queued (outside the lock: a
    /// message's `Drop` may do anything, even use this channel).
    pub(super) fn drop_rx(&self) {
        self.close_rx();
        let mut state = self.lock();
        state.rx_dropped = true;
        let queued = std::mem::take(&mut state.queue);
        drop(state);
        drop(queued);
    }

    /// Completes once the receiver closed or is gone.
    pub(super) async fn closed(&self) {
        loop {
            // Created before the check: a close after it completes it.
            let notified = self.rx_closed.notified();
            if self.is_rx_closed() {
                return;
            }
            notified.await;
        }
    }

    /// Records a slot the caller took from `slots` as reserved; `false` (the caller gives
    /// the slot back) if the receiver closed meanwhile.
    pub(super) fn reserve(&self) -> bool {
        let mut state = self.lock();
        if state.rx_closed {
            return false;
        }
        state.reserved += 1;
        true
    }

    /// Queues `value` in a reserved slot, which passes to the message (the receiver gives
    /// it back when it takes the message). Accepted after a `close` too; if the receiver
    /// is gone the value is dropped and the slot given back.
    pub(super) fn push_reserved(&self, value: T) {
        let mut state = self.lock();
        state.reserved -= 1;
        if state.rx_dropped {
            drop(state);
            self.slot_freed();
            drop(value); // outside the lock: its `Drop` may use this channel
            return;
        }
        state.queue.push_back(value);
        let waker = state.receiver.take();
        drop(state);
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// A reserved slot dropped unused: it goes back to the senders, and a closed
    /// channel's receiver, waiting for the last reservation, learns the end.
    pub(super) fn unreserve(&self) {
        let mut state = self.lock();
        state.reserved -= 1;
        let waker = if state.reserved == 0 && state.rx_closed {
            state.receiver.take()
        } else {
            None
        };
        drop(state);
        self.slot_freed();
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Takes the next message, or learns the channel is finished, or registers the
    /// receiver's waker.
    pub(super) fn poll_recv(&self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        if coop::poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
        let mut state = self.lock();
        if let Some(value) = state.queue.pop_front() {
            drop(state);
            self.slot_freed();
            coop::consume();
            return Poll::Ready(Some(value));
        }
        if state.is_finished() {
            return Poll::Ready(None);
        }
        let stale = crate::stored_waker::replace(&mut state.receiver, cx.waker());
        drop(state);
        drop(stale);
        Poll::Pending
    }

    /// Moves up to `limit` queued messages (`limit > 0`) into `buffer`, returning how
    /// many; `Ready(0)` once the channel is finished; otherwise registers the receiver's
    /// waker. Never waits for more than the first message.
    pub(super) fn poll_recv_many(
        &self,
        cx: &mut Context<'_>,
        buffer: &mut Vec<T>,
        limit: usize,
    ) -> Poll<usize> {
        if coop::poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
        let mut state = self.lock();
        let taken = state.queue.len().min(limit);
        if taken > 0 {
            buffer.reserve(taken);
            buffer.extend(state.queue.drain(..taken));
            drop(state);
            if let Some(slots) = &self.slots {
                slots.release(taken);
            }
            coop::consume();
            return Poll::Ready(taken);
        }
        if state.is_finished() {
            return Poll::Ready(0);
        }
        let stale = crate::stored_waker::replace(&mut state.receiver, cx.waker());
        drop(state);
        drop(stale);
        Poll::Pending
    }

    /// Drops the receiver's stored waker: its receive future was cancelled, so a later
    /// send must not wake a task that no longer waits.
    pub(super) fn forget_waker(&self) {
        let stale = self.lock().receiver.take();
        drop(stale); // outside the lock
    }

    /// The next message if one is queued.
    pub(super) fn try_recv(&self) -> Result<T, TryRecvError> {
        let mut state = self.lock();
        match state.queue.pop_front() {
            Some(value) => {
                drop(state);
                self.slot_freed();
                Ok(value)
            }
            None if state.is_finished() => Err(TryRecvError::Disconnected),
            None => Err(TryRecvError::Empty),
        }
    }

    fn slot_freed(&self) {
        if let Some(slots) = &self.slots {
            slots.release(1);
        }
    }
}
