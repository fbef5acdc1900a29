//! A channel for exactly one value, usable across threads: the sending half may live on
//! any thread (a blocking pool worker, say), the receiving half is awaited by a task.
//!
//! ```
//! corio::block_on(async {
//!     let (tx, rx) = corio::sync::oneshot::channel();
//!     std::thread::spawn(move || tx.send(6 * 7));
//!     assert_eq!(rx.await, Ok(42));
//! });
//! ```
//!
//! One lock-protected `State` holds both sides' wakers: the receiver's (woken by a send
//! or the sender's drop) and the sender's (woken by the receiver's drop or
//! [`Receiver::close`], for [`Sender::closed`]).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use crate::std_or_loom::{Arc, Mutex, MutexGuard};

/// A new channel: one [`Sender`], one [`Receiver`].
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            value: None,
            receiver: None,
            sender: None,
            sender_gone: false,
            receiver_gone: false,
        }),
    });
    (
        Sender {
            shared: Some(shared.clone()),
        },
        Receiver { shared },
    )
}

struct Shared<T> {
    state: Mutex<State<T>>,
}

struct State<T> {
    value: Option<T>,
    /// The task awaiting the receiver.
    receiver: Option<Waker>,
    /// The task in [`Sender::closed`] / [`Sender::poll_closed`].
    sender: Option<Waker>,
    sender_gone: bool,
    /// The receiver was dropped or [`close`](Receiver::close)d: no value is accepted.
    receiver_gone: bool,
}

impl<T> Shared<T> {
    /// The state; a panic while it was held cannot leave it inconsistent (every update
    /// is a single field write), so a poisoned lock is simply taken over.
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The sending half. Dropping it without sending makes the receiver fail with
/// [`RecvError`].
pub struct Sender<T> {
    /// `None` once `send` consumed it.
    shared: Option<Arc<Shared<T>>>,
}

impl<T> Sender<T> {
    /// Sends `value`; `Err(value)` if the receiver is gone (the value is handed back,
    /// never lost silently).
    pub fn send(mut self, value: T) -> Result<(), T> {
        let Some(shared) = self.shared.take() else {
            return Err(value);
        };
        let mut state = shared.lock();
        if state.receiver_gone {
            return Err(value);
        }
        state.value = Some(value);
        state.sender_gone = true;
        let waker = state.receiver.take();
        drop(state);
        if let Some(waker) = waker {
            waker.wake(); // outside the lock: a waker may run arbitrary code
        }
        Ok(())
    }

    /// Whether the receiver has been dropped or [`close`](Receiver::close)d (a send would
    /// fail).
    pub fn is_closed(&self) -> bool {
        self.shared
            .as_ref()
            .map_or(true, |s| s.lock().receiver_gone)
    }

    /// Completes once the receiver is dropped or [`close`](Receiver::close)d: a producer
    /// can stop computing a value nobody will receive, typically in a `select!` beside
    /// that work.
    ///
    /// Cancel-safe: dropping the future loses nothing (its waker stays registered until
    /// the next call replaces it or the channel ends; a stale wake only costs a poll).
    ///
    /// ```
    /// corio::block_on(async {
    ///     let (mut tx, rx) = corio::sync::oneshot::channel::<u32>();
    ///     corio::spawn(async move { drop(rx) });
    ///     tx.closed().await;
    ///     assert!(tx.is_closed());
    /// });
    /// ```
    pub async fn closed(&mut self) {
        std::future::poll_fn(|cx| self.poll_closed(cx)).await;
    }

    /// [`closed`](Self::closed) as a poll function: `Ready` once the receiver is dropped
    /// or closed; otherwise `Pending`, and `cx`'s waker is woken when that happens (only
    /// the waker of the latest call is kept).
    pub fn poll_closed(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let Some(shared) = &self.shared else {
            return Poll::Ready(());
        };
        let mut state = shared.lock();
        if state.receiver_gone {
            return Poll::Ready(());
        }
        let replaced = crate::stored_waker::replace(&mut state.sender, cx.waker());
        drop(state);
        drop(replaced); // outside the lock
        Poll::Pending
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        if let Some(shared) = self.shared.take() {
            let (waker, own) = {
                let mut state = shared.lock();
                state.sender_gone = true;
                (state.receiver.take(), state.sender.take())
            };
            drop(own); // outside the lock
            if let Some(waker) = waker {
                waker.wake();
            }
        }
    }
}

/// The receiving half: a future of `Result<T, RecvError>`.
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Receiver<T> {
    /// The value if it has been sent, without waiting.
    ///
    /// # Errors
    /// [`TryRecvError::Empty`] if nothing was sent yet, [`TryRecvError::Closed`] if the
    /// sender is gone without sending (or the value was already taken).
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let mut state = self.shared.lock();
        match state.value.take() {
            Some(value) => Ok(value),
            None if state.sender_gone || state.receiver_gone => Err(TryRecvError::Closed),
            None => Err(TryRecvError::Empty),
        }
    }

    /// Refuses the value from now on: a later [`Sender::send`] fails (handing its value
    /// back) and a sender waiting in [`Sender::closed`] is woken. A value sent before the
    /// close can still be received; otherwise receiving gives [`RecvError`] (or
    /// [`TryRecvError::Closed`]) at once.
    ///
    /// ```
    /// let (tx, mut rx) = corio::sync::oneshot::channel();
    /// rx.close();
    /// assert!(tx.is_closed());
    /// assert_eq!(tx.send(7), Err(7));
    /// ```
    pub fn close(&mut self) {
        let waker = {
            let mut state = self.shared.lock();
            state.receiver_gone = true;
            state.sender.take()
        };
        if let Some(waker) = waker {
            waker.wake(); // outside the lock: a waker may run arbitrary code
        }
    }

    /// Waits for the value on a thread outside any runtime, parking the thread (for
    /// synchronous code that receives from async code).
    ///
    /// # Errors
    /// [`RecvError`] if the sender is dropped without sending (or the receiver was
    /// [`close`](Self::close)d before a value came).
    ///
    /// # Panics
    /// When called on a thread running a corio runtime, as tokio panics when called
    /// within an asynchronous execution context: parking that thread would stall every
    /// task on it, often including the sender. Await the receiver there instead.
    ///
    /// ```
    /// let (tx, rx) = corio::sync::oneshot::channel();
    /// let waiter = std::thread::spawn(move || rx.blocking_recv());
    /// tx.send("done").unwrap();
    /// assert_eq!(waiter.join().unwrap(), Ok("done"));
    /// ```
    #[track_caller]
    pub fn blocking_recv(self) -> Result<T, RecvError> {
        super::block::block_on_thread(self)
    }
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = self.shared.lock();
        if let Some(value) = state.value.take() {
            return Poll::Ready(Ok(value));
        }
        if state.sender_gone || state.receiver_gone {
            return Poll::Ready(Err(RecvError(())));
        }
        let replaced = crate::stored_waker::replace(&mut state.receiver, cx.waker());
        drop(state);
        drop(replaced); // outside the lock
        Poll::Pending
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let (value, own, sender) = {
            let mut state = self.shared.lock();
            state.receiver_gone = true;
            (
                state.value.take(),
                state.receiver.take(),
                state.sender.take(),
            )
        };
        drop((value, own)); // a value's Drop runs outside the lock
        if let Some(waker) = sender {
            waker.wake();
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver").finish_non_exhaustive()
    }
}

/// The sender was dropped without sending.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecvError(());

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the sender was dropped without sending a value")
    }
}

impl std::error::Error for RecvError {}

/// Why [`Receiver::try_recv`] returned no value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TryRecvError {
    /// Nothing sent yet.
    Empty,
    /// The sender is gone without sending, or the value was already received.
    Closed,
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryRecvError::Empty => f.write_str("no value sent yet"),
            TryRecvError::Closed => f.write_str("the sender is gone"),
        }
    }
}

impl std::error::Error for TryRecvError {}
