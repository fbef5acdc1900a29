//! A broadcast channel: every message goes to every receiver — the shape of the chat
//! room, where each line reaches all clients.
//!
//! The channel keeps the last `capacity` messages in a ring. Each receiver has its own
//! position in the stream; a receiver that falls more than `capacity` behind has lost
//! the oldest messages to newer ones, and its next `recv` says how many
//! ([`RecvError::Lagged`]) before going on from the oldest message still kept. A slow
//! receiver therefore never slows the senders, and memory stays bounded.
//!
//! ```
//! corio::block_on(async {
//!     let (tx, mut a) = corio::sync::broadcast::channel(2);
//!     let mut b = tx.subscribe();
//!     for i in 0..3 {
//!         tx.send(i).unwrap();
//!     }
//!     assert_eq!(a.recv().await, Err(corio::sync::broadcast::RecvError::Lagged(1)));
//!     assert_eq!(a.recv().await, Ok(1));
//!     assert_eq!(a.recv().await, Ok(2));
//!     drop(tx);
//!     assert_eq!(a.recv().await, Err(corio::sync::broadcast::RecvError::Closed));
//!     assert_eq!(b.try_recv(), Err(corio::sync::broadcast::TryRecvError::Lagged(1)));
//! });
//! ```

pub mod error;

pub use error::{RecvError, SendError, TryRecvError};

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use crate::coop;
use crate::sync::waiters::{wake_in_batches, WaitList};

/// A channel whose receivers each see every message sent after they subscribed, keeping
/// at most `capacity` messages for the slowest.
///
/// # Panics
/// If `capacity` is 0.
pub fn channel<T: Clone>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(
        capacity > 0,
        "broadcast::channel: capacity must be at least 1"
    );
    let shared = Arc::new(Shared {
        capacity,
        senders: AtomicUsize::new(1),
        state: Mutex::new(State {
            // Grows as messages come: a generous capacity costs nothing until used.
            ring: VecDeque::with_capacity(capacity.min(1024)),
            head: 0,
            receivers: 1,
            waiters: WaitList::new(),
        }),
    });
    let rx = Receiver {
        shared: shared.clone(),
        next: 0,
    };
    (Sender { shared }, rx)
}

struct Shared<T> {
    capacity: usize,
    /// Live senders. An atomic outside the lock, so cloning a `Sender` never takes the
    /// lock — a message that holds a `Sender` is cloned *under* the lock (see `take`).
    senders: AtomicUsize,
    state: Mutex<State<T>>,
}

struct State<T> {
    /// The kept messages; `ring[0]` has sequence number `head`.
    ring: VecDeque<T>,
    head: u64,
    receivers: usize,
    /// Receivers waiting for the next message.
    waiters: WaitList<Option<Waker>>,
}

impl<T> State<T> {
    /// The sequence number the next message will get.
    fn tail(&self) -> u64 {
        self.head + self.ring.len() as u64
    }
}

impl<T> Shared<T> {
    /// The state; updates under it never panic half-way, so poison is ignored.
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Wakes every receiver waiting now, in batches, outside the lock. Only as many as
    /// were queued at the start: a receiver that wakes, finds nothing newer and queues
    /// again while a later batch is gathered is not woken twice by one send.
    fn wake_all<'a>(&'a self, state: MutexGuard<'a, State<T>>) {
        let mut left = state.waiters.len();
        wake_in_batches(
            state,
            || self.lock(),
            |state| {
                if left == 0 {
                    return None;
                }
                let key = state.waiters.pop_front()?;
                left -= 1;
                Some(state.waiters.get_mut(key).take())
            },
        );
    }
}

/// Sends to every receiver; clone it for more senders. `Send + Sync` when `T: Send`.
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Sender<T> {
    /// Sends `value` to every current receiver; returns how many there are. With no
    /// receiver at all the value is handed back in [`SendError`] (nobody could see it).
    /// Never waits: past `capacity` unread messages the oldest is overwritten.
    pub fn send(&self, value: T) -> Result<usize, SendError<T>> {
        let mut state = self.shared.lock();
        if state.receivers == 0 {
            return Err(SendError(value));
        }
        state.ring.push_back(value);
        let mut overwritten = None;
        if state.ring.len() > self.shared.capacity {
            overwritten = state.ring.pop_front();
            state.head += 1;
        }
        let receivers = state.receivers;
        self.shared.wake_all(state);
        drop(overwritten); // outside the lock: a message's Drop may do anything
        Ok(receivers)
    }

    /// A new receiver that sees messages sent from now on.
    pub fn subscribe(&self) -> Receiver<T> {
        let mut state = self.shared.lock();
        state.receivers += 1;
        Receiver {
            shared: self.shared.clone(),
            next: state.tail(),
        }
    }

    /// How many receivers exist now.
    pub fn receiver_count(&self) -> usize {
        self.shared.lock().receivers
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.shared.senders.fetch_add(1, Ordering::Relaxed);
        Sender {
            shared: self.shared.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    /// The last sender leaving wakes the receivers: after draining, they see `Closed`.
    fn drop(&mut self) {
        if self.shared.senders.fetch_sub(1, Ordering::AcqRel) == 1 {
            // Waking under the lock orders this after any receiver that registered having
            // seen a sender still alive.
            let state = self.shared.lock();
            self.shared.wake_all(state);
        }
    }
}

/// One subscriber's view of the channel.
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    /// Sequence number of the next message this receiver will see.
    next: u64,
}

impl<T: Clone> Receiver<T> {
    /// The next message (a clone of it); [`RecvError::Lagged`] if some were overwritten
    /// before this receiver saw them, [`RecvError::Closed`] once every sender is gone and
    /// nothing is left to see. Cancel-safe: dropping the future loses no message.
    pub fn recv(&mut self) -> Recv<'_, T> {
        Recv {
            receiver: self,
            key: None,
        }
    }

    /// The next message if there is one now.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let mut state = self.shared.lock();
        match take(&mut self.next, &mut state, &self.shared.senders) {
            Some(Ok(value)) => Ok(value),
            Some(Err(RecvError::Lagged(n))) => Err(TryRecvError::Lagged(n)),
            Some(Err(RecvError::Closed)) => Err(TryRecvError::Closed),
            None => Err(TryRecvError::Empty),
        }
    }
}

/// A next message for the receiver at `next`, or a final answer, if either is available now.
/// The message is cloned under the channel's lock: keep `T::clone` cheap (put large
/// payloads in an `Arc`), and never make it wait on this channel.
fn take<T: Clone>(
    next: &mut u64,
    state: &mut State<T>,
    senders: &AtomicUsize,
) -> Option<Result<T, RecvError>> {
    if *next < state.head {
        let missed = state.head - *next;
        *next = state.head;
        return Some(Err(RecvError::Lagged(missed)));
    }
    if *next < state.tail() {
        let value = state.ring[(*next - state.head) as usize].clone();
        *next += 1;
        return Some(Ok(value));
    }
    (senders.load(Ordering::Acquire) == 0).then_some(Err(RecvError::Closed))
}

impl<T> Receiver<T> {
    /// A new receiver on the same channel that sees messages sent from now on.
    pub fn resubscribe(&self) -> Receiver<T> {
        let mut state = self.shared.lock();
        state.receivers += 1;
        Receiver {
            shared: self.shared.clone(),
            next: state.tail(),
        }
    }

    /// Messages kept that this receiver has not seen yet.
    pub fn len(&self) -> usize {
        let state = self.shared.lock();
        (state.tail() - self.next.max(state.head)) as usize
    }

    /// Whether this receiver has seen every kept message.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T> Drop for Receiver<T> {
    /// The last receiver leaving drops the kept messages: nobody can see them any more.
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        state.receivers -= 1;
        let ring = if state.receivers == 0 {
            state.head = state.tail();
            std::mem::take(&mut state.ring)
        } else {
            VecDeque::new()
        };
        drop(state);
        drop(ring);
    }
}

/// The future of [`Receiver::recv`].
#[must_use = "futures do nothing unless awaited"]
pub struct Recv<'a, T> {
    receiver: &'a mut Receiver<T>,
    /// Our entry in the waiting list while parked.
    key: Option<usize>,
}

impl<T: Clone> Future for Recv<'_, T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if coop::poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
        let receiver = &mut *this.receiver;
        let mut state = receiver.shared.lock();
        if let Some(out) = take(&mut receiver.next, &mut state, &receiver.shared.senders) {
            let stale = this.key.take().map(|key| state.waiters.remove(key));
            drop(state);
            drop(stale); // a waker, outside the lock
            coop::consume();
            return Poll::Ready(out);
        }
        let stale = match this.key {
            Some(key) if state.waiters.is_linked(key) => {
                crate::stored_waker::replace(state.waiters.get_mut(key), cx.waker())
            }
            key => {
                // Not queued yet, or woken (popped) with nothing for us: queue again.
                let stale = key.and_then(|key| state.waiters.remove(key));
                this.key = Some(state.waiters.push_back(Some(cx.waker().clone())));
                stale
            }
        };
        drop(state);
        drop(stale);
        Poll::Pending
    }
}

impl<T> Drop for Recv<'_, T> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            let stale = self.receiver.shared.lock().waiters.remove(key);
            drop(stale); // a waker, outside the lock
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
        f.debug_struct("Receiver")
            .field("next", &self.next)
            .finish()
    }
}

impl<T> fmt::Debug for Recv<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recv").finish_non_exhaustive()
    }
}
