//! The queue both mpsc flavours share: messages in a `VecDeque`, the receiver's waker,
//! the count of live senders. The bounded flavour adds a [`Semaphore`] of free slots in
//! front of it (see `bounded.rs`); the queue itself never refuses a message.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use super::error::{SendError, TryRecvError};
use crate::coop;
use crate::sync::Semaphore;

/// State shared by every sender and the receiver.
pub(super) struct Chan<T> {
    state: Mutex<State<T>>,
    /// Free slots, for a bounded channel: a sender takes one before pushing, the
    /// receiver gives one back per message taken.
    pub(super) slots: Option<Semaphore>,
}

struct State<T> {
    queue: VecDeque<T>,
    receiver: Option<Waker>,
    senders: usize,
    /// The receiver closed or dropped: no message is accepted any more.
    rx_closed: bool,
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
            }),
            slots: slots.map(Semaphore::new),
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
    }

    /// The receiver is gone: close, and drop what is queued (outside the lock: a
    /// message's `Drop` may do anything, even use this channel).
    pub(super) fn drop_rx(&self) {
        self.close_rx();
        let queued = std::mem::take(&mut self.lock().queue);
        drop(queued);
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
        if state.senders == 0 || state.rx_closed {
            return Poll::Ready(None);
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
            None if state.senders == 0 || state.rx_closed => Err(TryRecvError::Disconnected),
            None => Err(TryRecvError::Empty),
        }
    }

    fn slot_freed(&self) {
        if let Some(slots) = &self.slots {
            slots.release(1);
        }
    }
}
