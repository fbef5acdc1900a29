//! The bounded channel: a sender waits for a free slot (back-pressure), so a fast producer
//! cannot bury a slow consumer in memory.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::chan::Chan;
use super::error::{SendError, TryRecvError, TrySendError};
use crate::sync::block::block_on_thread;
use crate::sync::TryAcquireError;

/// A channel holding at most `capacity` messages: [`Sender::send`] waits while it is full.
///
/// # Panics
/// If `capacity` is 0 (use a `oneshot`, or capacity 1, for a hand-over) or exceeds
/// [`Semaphore::MAX_PERMITS`](crate::sync::Semaphore::MAX_PERMITS).
pub fn channel<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(capacity > 0, "mpsc::channel: capacity must be at least 1");
    assert!(
        capacity <= crate::sync::Semaphore::MAX_PERMITS,
        "mpsc::channel: capacity exceeds Semaphore::MAX_PERMITS"
    );
    let chan = Chan::new(Some(capacity));
    (
        Sender {
            chan: chan.clone(),
            capacity,
        },
        Receiver::from_chan(chan),
    )
}

/// Sends into a bounded channel; clone it for more producers. `Send + Sync` when `T: Send`.
pub struct Sender<T> {
    chan: Arc<Chan<T>>,
    capacity: usize,
}

impl<T> Sender<T> {
    /// Waits for a free slot, then queues `value`. Fails, handing `value` back, if the
    /// receiver is gone or closes while waiting. Senders get slots in the order they asked.
    ///
    /// Not cancel-safe for the value: dropped while waiting (raced against a timeout, say),
    /// it sends nothing and holds no slot, and the value it owned is dropped with it.
    /// (corio has no `reserve` yet, tokio's way to wait for a slot before giving up the
    /// value; [`try_send`](Self::try_send) hands the value back when the channel is full.)
    pub async fn send(&self, value: T) -> Result<(), SendError<T>> {
        let Some(slots) = &self.chan.slots else {
            return self.chan.push(value);
        };
        match slots.acquire().await {
            Ok(slot) => slot.forget(), // the receiver gives it back when it takes the message
            Err(_) => return Err(SendError(value)),
        }
        self.chan.push(value).inspect_err(|_| slots.release(1))
    }

    /// Queues `value` if a slot is free now.
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        let Some(slots) = &self.chan.slots else {
            return self.chan.push(value).map_err(|e| TrySendError::Closed(e.0));
        };
        match slots.try_acquire() {
            Ok(slot) => slot.forget(),
            Err(TryAcquireError::NoPermits) => return Err(TrySendError::Full(value)),
            Err(TryAcquireError::Closed) => return Err(TrySendError::Closed(value)),
        }
        self.chan.push(value).map_err(|e| {
            slots.release(1);
            TrySendError::Closed(e.0)
        })
    }

    /// [`send`](Self::send) from a thread outside any runtime (it parks the thread).
    ///
    /// # Panics
    /// On a runtime thread, where parking would stall every task there.
    #[track_caller]
    pub fn blocking_send(&self, value: T) -> Result<(), SendError<T>> {
        block_on_thread(self.send(value))
    }

    /// Whether the receiver is gone or closed (a send would fail).
    pub fn is_closed(&self) -> bool {
        self.chan.is_rx_closed()
    }

    /// Free slots now.
    pub fn capacity(&self) -> usize {
        self.chan
            .slots
            .as_ref()
            .map_or(0, |s| s.available_permits())
    }

    /// The capacity the channel was made with.
    pub fn max_capacity(&self) -> usize {
        self.capacity
    }

    /// Whether both senders feed the same channel.
    pub fn same_channel(&self, other: &Sender<T>) -> bool {
        Arc::ptr_eq(&self.chan, &other.chan)
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.chan.add_sender();
        Sender {
            chan: self.chan.clone(),
            capacity: self.capacity,
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        self.chan.drop_sender();
    }
}

/// Receives from a channel (bounded here; [`UnboundedReceiver`](super::UnboundedReceiver)
/// has the same methods).
pub struct Receiver<T> {
    chan: Arc<Chan<T>>,
}

impl<T> Receiver<T> {
    pub(super) fn from_chan(chan: Arc<Chan<T>>) -> Self {
        Receiver { chan }
    }

    /// The next message, in the order they were queued; `None` once every sender is gone
    /// (or [`close`](Self::close) was called) and the queue is drained. Cancel-safe:
    /// dropping the future loses no message and leaves no waker behind.
    pub fn recv(&mut self) -> Recv<'_, T> {
        Recv {
            chan: &self.chan,
            parked: false,
        }
    }

    /// [`recv`](Self::recv) as a poll function, for hand-written futures.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.chan.poll_recv(cx)
    }

    /// The next message if one is queued now.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        self.chan.try_recv()
    }

    /// [`recv`](Self::recv) from a thread outside any runtime (it parks the thread).
    ///
    /// # Panics
    /// On a runtime thread, where parking would stall every task there.
    #[track_caller]
    pub fn blocking_recv(&mut self) -> Option<T> {
        block_on_thread(self.recv())
    }

    /// Stops the channel: sends fail from now on (waiting senders too), while messages
    /// already queued can still be received.
    pub fn close(&mut self) {
        self.chan.close_rx();
    }

    /// Messages queued now.
    pub fn len(&self) -> usize {
        self.chan.len()
    }

    /// Whether nothing is queued now.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The future of [`Receiver::recv`] (and [`UnboundedReceiver::recv`](super::UnboundedReceiver::recv)).
#[must_use = "futures do nothing unless awaited"]
pub struct Recv<'a, T> {
    chan: &'a Chan<T>,
    /// Whether the last poll left our waker in the channel.
    parked: bool,
}

impl<T> Future for Recv<'_, T> {
    type Output = Option<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let poll = self.chan.poll_recv(cx);
        self.parked = poll.is_pending();
        poll
    }
}

impl<T> Drop for Recv<'_, T> {
    fn drop(&mut self) {
        if self.parked {
            self.chan.forget_waker();
        }
    }
}

impl<T> fmt::Debug for Recv<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recv")
            .field("parked", &self.parked)
            .finish()
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.chan.drop_rx();
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("queued", &self.len())
            .finish()
    }
}
