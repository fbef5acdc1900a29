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
    sender_gone: bool,
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

    /// Whether the receiver has been dropped (a send would fail).
    pub fn is_closed(&self) -> bool {
        self.shared
            .as_ref()
            .map_or(true, |s| s.lock().receiver_gone)
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        if let Some(shared) = self.shared.take() {
            let waker = {
                let mut state = shared.lock();
                state.sender_gone = true;
                state.receiver.take()
            };
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
            None if state.sender_gone => Err(TryRecvError::Closed),
            None => Err(TryRecvError::Empty),
        }
    }
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = self.shared.lock();
        if let Some(value) = state.value.take() {
            return Poll::Ready(Ok(value));
        }
        if state.sender_gone {
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
        let (value, waker) = {
            let mut state = self.shared.lock();
            state.receiver_gone = true;
            (state.value.take(), state.receiver.take())
        };
        drop((value, waker)); // a value's Drop runs outside the lock
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
