//! A channel that keeps only the latest value: one or more senders publish a value (a
//! configuration, a state), and each receiver learns *that* it changed and reads the
//! newest one — tokio's `sync::watch`.
//!
//! Each receiver remembers the version it last saw. [`Receiver::changed`] completes as
//! soon as the channel holds a newer version, and marks it seen: several sends between
//! two calls wake the receiver once and show it only the latest value (intermediate
//! values are never queued), but a change is never missed. When every [`Sender`] is gone,
//! `changed` still reports a last unseen change, then fails with [`error::RecvError`].
//!
//! ```
//! use corio::sync::watch;
//!
//! corio::block_on(async {
//!     let (tx, mut rx) = watch::channel("v1");
//!     tx.send("v2").unwrap();
//!     tx.send("v3").unwrap(); // replaces v2 before the receiver looked
//!     rx.changed().await.unwrap(); // one change to see...
//!     assert_eq!(*rx.borrow_and_update(), "v3"); // ...showing the latest value
//!     drop(tx);
//!     assert!(rx.changed().await.is_err()); // no sender, nothing unseen: the end
//! });
//! ```
//!
//! All of it is `Send + Sync` when `T: Send + Sync`: a sender on a plain thread may feed
//! receivers on any runtime. Waiting goes through [`Notify`]: `changed` and
//! [`Sender::closed`] build on `notify_waiters`.

pub mod error;
mod receiver;

pub use receiver::{Receiver, Ref};

use std::fmt;
use std::sync::Arc;

use crate::std_or_loom::{AtomicU64, AtomicUsize, RwLock, RwLockReadGuard, RwLockWriteGuard};
use crate::sync::Notify;
use error::SendError;
use std::sync::atomic::Ordering::{AcqRel, Acquire, Release};

/// Bit 0 of [`Shared::state`]: every sender is gone.
const CLOSED: u64 = 1;
/// What one change adds to [`Shared::state`] (versions live in bits 1 and up).
const STEP: u64 = 2;

/// A watch channel holding `init`, with one sender and one receiver. The receiver counts
/// `init` as seen: its first [`changed`](Receiver::changed) waits for a send.
pub fn channel<T>(init: T) -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared::new(init, 1));
    let rx = Receiver::new(shared.clone(), 0);
    (Sender { shared }, rx)
}

/// What every sender and receiver of one channel share.
struct Shared<T> {
    value: RwLock<T>,
    /// The version (bits 1 and up, bumped under `value`'s write lock, so a reader holding
    /// the read lock sees the version of the value it reads) and [`CLOSED`].
    state: AtomicU64,
    senders: AtomicUsize,
    receivers: AtomicUsize,
    /// Receivers in `changed` / `wait_for`: woken by each change and by the last sender
    /// leaving.
    changed: Notify,
    /// Senders in `closed`: woken when the last receiver leaves.
    no_receivers: Notify,
}

impl<T> Shared<T> {
    fn new(init: T, receivers: usize) -> Self {
        Shared {
            value: RwLock::new(init),
            state: AtomicU64::new(0),
            senders: AtomicUsize::new(1),
            receivers: AtomicUsize::new(receivers),
            changed: Notify::new(),
            no_receivers: Notify::new(),
        }
    }

    /// The read lock. A panic in a `send_modify` closure poisons the lock with its partial
    /// change visible, which is what tokio documents too: the lock is taken over as is.
    fn read(&self) -> RwLockReadGuard<'_, T> {
        self.value.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, T> {
        self.value.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The current version (the state without [`CLOSED`]) and whether the senders are gone.
    fn version(&self) -> (u64, bool) {
        let state = self.state.load(Acquire);
        (state & !CLOSED, state & CLOSED != 0)
    }

    /// A new receiver that counts the current value as seen.
    fn subscribe(self: &Arc<Self>) -> Receiver<T> {
        self.receivers.fetch_add(1, AcqRel);
        let seen = {
            let _value = self.read(); // the version of the value a borrow would show
            self.version().0
        };
        Receiver::new(self.clone(), seen)
    }
}

/// Publishes values to the receivers; clone it for more publishers. `Send + Sync` when
/// `T: Send + Sync`.
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Sender<T> {
    /// A sender holding `init`, with no receiver yet ([`subscribe`](Self::subscribe) makes
    /// them).
    pub fn new(init: T) -> Self {
        Sender {
            shared: Arc::new(Shared::new(init, 0)),
        }
    }

    /// Stores `value` and wakes every receiver waiting for a change. Fails, handing `value`
    /// back unstored, when no receiver exists ([`send_replace`](Self::send_replace) stores
    /// it regardless).
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        if self.shared.receivers.load(Acquire) == 0 {
            return Err(SendError(value));
        }
        self.send_replace(value);
        Ok(())
    }

    /// Stores `value` even with no receiver, wakes the waiting receivers, and returns the
    /// value it replaced.
    pub fn send_replace(&self, mut value: T) -> T {
        self.send_modify(|current| std::mem::swap(current, &mut value));
        value
    }

    /// Changes the value in place (under the write lock) and wakes the waiting receivers,
    /// even when no receiver exists.
    ///
    /// # Panics
    /// If `modify` panics; no receiver is told, but what `modify` changed before panicking
    /// stays visible.
    pub fn send_modify(&self, modify: impl FnOnce(&mut T)) {
        self.send_if_modified(|value| {
            modify(value);
            true
        });
    }

    /// Lets `modify` change the value in place; if it returns `true` the change is
    /// published (the version moves on and waiting receivers wake), if `false` receivers
    /// are not told (whatever it changed is still visible to `borrow`). Returns what
    /// `modify` returned.
    ///
    /// # Panics
    /// If `modify` panics, as for [`send_modify`](Self::send_modify).
    pub fn send_if_modified(&self, modify: impl FnOnce(&mut T) -> bool) -> bool {
        let mut value = self.shared.write();
        if !modify(&mut value) {
            return false;
        }
        self.shared.state.fetch_add(STEP, Release);
        drop(value);
        self.shared.changed.notify_waiters();
        true
    }

    /// The current value, under the read lock until the [`Ref`] is dropped; see
    /// [`Receiver::borrow`] for why it must not be held across an `.await`.
    pub fn borrow(&self) -> Ref<'_, T> {
        Ref::new(self.shared.read(), false)
    }

    /// A new receiver that counts the current value as seen.
    pub fn subscribe(&self) -> Receiver<T> {
        self.shared.subscribe()
    }

    /// How many receivers exist now.
    pub fn receiver_count(&self) -> usize {
        self.shared.receivers.load(Acquire)
    }

    /// How many senders exist now (this one included).
    pub fn sender_count(&self) -> usize {
        self.shared.senders.load(Acquire)
    }

    /// Whether no receiver exists ([`send`](Self::send) would fail).
    pub fn is_closed(&self) -> bool {
        self.receiver_count() == 0
    }

    /// Completes once no receiver exists (at once if none does now). Cancel-safe: it
    /// holds nothing but a place in a wait list.
    pub async fn closed(&self) {
        loop {
            // Created before the check: a last receiver leaving after it wakes it.
            let notified = self.shared.no_receivers.notified();
            if self.is_closed() {
                return;
            }
            notified.await;
        }
    }

    /// Whether both senders publish to the same channel.
    pub fn same_channel(&self, other: &Sender<T>) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.shared.senders.fetch_add(1, AcqRel);
        Sender {
            shared: self.shared.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    /// The last sender leaving closes the channel and wakes the waiting receivers: each
    /// reports a last unseen change, then [`error::RecvError`].
    fn drop(&mut self) {
        if self.shared.senders.fetch_sub(1, AcqRel) == 1 {
            self.shared.state.fetch_or(CLOSED, Release);
            self.shared.changed.notify_waiters();
        }
    }
}

impl<T: Default> Default for Sender<T> {
    fn default() -> Self {
        Sender::new(T::default())
    }
}

impl<T: fmt::Debug> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("value", &*self.borrow())
            .field("version", &(self.shared.version().0 / STEP))
            .finish()
    }
}
