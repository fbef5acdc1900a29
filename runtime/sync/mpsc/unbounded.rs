//! The unbounded channel: `send` never waits (it is a plain function, callable from any
//! thread), at the price of no back-pressure — the queue grows while the receiver lags.

use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::bounded::{Receiver, Recv};
use super::chan::Chan;
use super::error::{SendError, TryRecvError};

/// A channel with no bound on queued messages.
pub fn unbounded_channel<T>() -> (UnboundedSender<T>, UnboundedReceiver<T>) {
    let chan = Chan::new(None);
    (
        UnboundedSender { chan: chan.clone() },
        UnboundedReceiver {
            inner: Receiver::from_chan(chan),
        },
    )
}

/// Sends into an unbounded channel; clone it for more producers.
pub struct UnboundedSender<T> {
    chan: Arc<Chan<T>>,
}

impl<T> UnboundedSender<T> {
    /// Queues `value` now; hands it back if the receiver is gone or closed.
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        self.chan.push(value)
    }

    /// Whether the receiver is gone or closed.
    pub fn is_closed(&self) -> bool {
        self.chan.is_rx_closed()
    }

    /// Completes once the receiver is gone or closed (at once if it is already).
    /// Cancel-safe.
    pub async fn closed(&self) {
        self.chan.closed().await;
    }

    /// Whether both senders feed the same channel.
    pub fn same_channel(&self, other: &UnboundedSender<T>) -> bool {
        Arc::ptr_eq(&self.chan, &other.chan)
    }
}

impl<T> Clone for UnboundedSender<T> {
    fn clone(&self) -> Self {
        self.chan.add_sender();
        UnboundedSender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Drop for UnboundedSender<T> {
    fn drop(&mut self) {
        self.chan.drop_sender();
    }
}

/// Receives from an unbounded channel: the same behaviour as the bounded [`Receiver`].
pub struct UnboundedReceiver<T> {
    inner: Receiver<T>,
}

impl<T> UnboundedReceiver<T> {
    /// See [`Receiver::recv`].
    pub fn recv(&mut self) -> Recv<'_, T> {
        self.inner.recv()
    }

    /// See [`Receiver::poll_recv`].
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.inner.poll_recv(cx)
    }

    /// See [`Receiver::recv_many`]: waits for at least one message, then takes up to
    /// `limit` of those queued; 0 when `limit` is 0 or the channel is finished.
    pub async fn recv_many(&mut self, buffer: &mut Vec<T>, limit: usize) -> usize {
        self.inner.recv_many(buffer, limit).await
    }

    /// See [`Receiver::poll_recv_many`].
    pub fn poll_recv_many(
        &mut self,
        cx: &mut Context<'_>,
        buffer: &mut Vec<T>,
        limit: usize,
    ) -> Poll<usize> {
        self.inner.poll_recv_many(cx, buffer, limit)
    }

    /// See [`Receiver::try_recv`].
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        self.inner.try_recv()
    }

    /// See [`Receiver::blocking_recv`].
    #[track_caller]
    pub fn blocking_recv(&mut self) -> Option<T> {
        self.inner.blocking_recv()
    }

    /// See [`Receiver::close`].
    pub fn close(&mut self) {
        self.inner.close();
    }

    /// Messages queued now.
    pub fn len(&self) -> usize {
        self.inner.len()
    }

    /// Whether nothing is queued now.
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }
}

impl<T> fmt::Debug for UnboundedSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnboundedSender").finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for UnboundedReceiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnboundedReceiver")
            .field("queued", &self.len())
            .finish()
    }
}
