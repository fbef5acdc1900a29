//! The bounded channel: a sender waits for a free slot (back-pressure), so a fast producer
//! cannot bury a slow consumer in memory.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::chan::Chan;
use super::error::{SendError, TryRecvError, TrySendError};
use super::permit::{OwnedPermit, Permit};
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
    /// it sends nothing and holds no slot, and the value it owned is dropped with it. To
    /// keep the value, wait for a slot first with [`reserve`](Self::reserve), then
    /// [`Permit::send`] it; or [`try_send`](Self::try_send), which hands it back.
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

    /// Waits for a free slot and reserves it: the returned [`Permit`] sends one value
    /// without waiting, and gives the slot back if dropped unused. Slots are granted in
    /// the order senders asked. Fails if the receiver is gone or closed (before or while
    /// waiting).
    ///
    /// Cancel-safe: dropped while waiting, it holds no slot and leaves the queue (there is
    /// no value to lose yet).
    ///
    /// ```
    /// corio::block_on(async {
    ///     let (tx, mut rx) = corio::sync::mpsc::channel(1);
    ///     let permit = tx.reserve().await.unwrap(); // the only slot
    ///     assert!(tx.try_send(1).is_err()); // full: the slot is reserved
    ///     permit.send(2);
    ///     assert_eq!(rx.recv().await, Some(2));
    /// });
    /// ```
    pub async fn reserve(&self) -> Result<Permit<'_, T>, SendError<()>> {
        self.reserve_slot().await?;
        Ok(Permit::new(&self.chan))
    }

    /// A [`Permit`] if a slot is free now: [`TrySendError::Full`] if not,
    /// [`TrySendError::Closed`] if the receiver is gone or closed.
    pub fn try_reserve(&self) -> Result<Permit<'_, T>, TrySendError<()>> {
        self.try_reserve_slot()?;
        Ok(Permit::new(&self.chan))
    }

    /// [`reserve`](Self::reserve) for a sender given away: the [`OwnedPermit`] owns it
    /// (`'static`) and hands it back when used. On failure the sender is dropped.
    /// Cancel-safe as `reserve` (though the sender moved into the future is dropped with
    /// it).
    pub async fn reserve_owned(self) -> Result<OwnedPermit<T>, SendError<()>> {
        self.reserve_slot().await?;
        Ok(OwnedPermit::new(self))
    }

    /// [`try_reserve`](Self::try_reserve) for a sender given away; on failure the sender
    /// comes back inside the error.
    pub fn try_reserve_owned(self) -> Result<OwnedPermit<T>, TrySendError<Self>> {
        match self.try_reserve_slot() {
            Ok(()) => Ok(OwnedPermit::new(self)),
            Err(TrySendError::Full(())) => Err(TrySendError::Full(self)),
            Err(TrySendError::Closed(())) => Err(TrySendError::Closed(self)),
        }
    }

    /// Takes a slot from the semaphore and records it as reserved.
    async fn reserve_slot(&self) -> Result<(), SendError<()>> {
        if let Some(slots) = &self.chan.slots {
            match slots.acquire().await {
                Ok(slot) => slot.forget(), // the permit gives it back, or its message does
                Err(_) => return Err(SendError(())),
            }
        }
        self.record_reservation().map_err(|()| SendError(()))
    }

    fn try_reserve_slot(&self) -> Result<(), TrySendError<()>> {
        if let Some(slots) = &self.chan.slots {
            match slots.try_acquire() {
                Ok(slot) => slot.forget(),
                Err(TryAcquireError::NoPermits) => return Err(TrySendError::Full(())),
                Err(TryAcquireError::Closed) => return Err(TrySendError::Closed(())),
            }
        }
        self.record_reservation()
            .map_err(|()| TrySendError::Closed(()))
    }

    /// Records a slot just taken as reserved, or gives it back if the receiver closed
    /// in between.
    fn record_reservation(&self) -> Result<(), ()> {
        if self.chan.reserve() {
            return Ok(());
        }
        if let Some(slots) = &self.chan.slots {
            slots.release(1);
        }
        Err(())
    }

    /// Completes once the receiver is gone or closed (at once if it is already):
    /// a producer's cue to stop preparing values. Cancel-safe.
    pub async fn closed(&self) {
        self.chan.closed().await;
    }

    pub(super) fn chan(&self) -> &Chan<T> {
        &self.chan
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

    /// Receives several messages at once: waits until at least one is queued, then
    /// appends up to `limit` of those queued (without waiting for more) to `buffer` and
    /// returns how many it appended. Returns 0 when `limit` is 0 (at once), or when the
    /// channel is finished as for [`recv`](Self::recv)'s `None` (every sender gone or the
    /// receiver closed, and the queue drained). Cancel-safe: a cancelled call has
    /// received nothing, so no message is lost.
    ///
    /// ```
    /// corio::block_on(async {
    ///     let (tx, mut rx) = corio::sync::mpsc::channel(8);
    ///     for i in 0..3 {
    ///         tx.send(i).await.unwrap();
    ///     }
    ///     drop(tx);
    ///     let mut batch = Vec::new();
    ///     assert_eq!(rx.recv_many(&mut batch, 2).await, 2);
    ///     assert_eq!(rx.recv_many(&mut batch, 2).await, 1);
    ///     assert_eq!(rx.recv_many(&mut batch, 2).await, 0);
    ///     assert_eq!(batch, [0, 1, 2]);
    /// });
    /// ```
    pub async fn recv_many(&mut self, buffer: &mut Vec<T>, limit: usize) -> usize {
        if limit == 0 {
            return 0;
        }
        let mut waiting = Recv {
            chan: &self.chan,
            parked: false,
        };
        std::future::poll_fn(|cx| {
            let poll = waiting.chan.poll_recv_many(cx, buffer, limit);
            waiting.parked = poll.is_pending();
            poll
        })
        .await
    }

    /// [`recv_many`](Self::recv_many) as a poll function, for hand-written futures.
    /// `Ready(0)` when `limit` is 0 or the channel is finished.
    pub fn poll_recv_many(
        &mut self,
        cx: &mut Context<'_>,
        buffer: &mut Vec<T>,
        limit: usize,
    ) -> Poll<usize> {
        if limit == 0 {
            return Poll::Ready(0);
        }
        self.chan.poll_recv_many(cx, buffer, limit)
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

    /// Stops the channel: sends and reservations fail from now on (waiting ones too),
    /// while messages already queued can still be received, and so can those sent through
    /// a [`Permit`] reserved before: `recv` returns `None` only once those are used or
    /// dropped.
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
