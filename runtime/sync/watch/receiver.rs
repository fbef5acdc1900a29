//! The receiving half of a watch channel, and [`Ref`], the read guard both halves lend.

use std::fmt;
use std::ops::Deref;
use std::sync::atomic::Ordering::AcqRel;
use std::sync::Arc;

use super::error::RecvError;
use super::{Shared, CLOSED};
use crate::std_or_loom::RwLockReadGuard;

/// A `seen` no version ever equals (versions are even): the current value counts as unseen.
const UNSEEN: u64 = CLOSED;

/// Watches a channel's value; clone it for more watchers (a clone starts with the same
/// seen version). `Send + Sync` when `T: Send + Sync`.
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    /// The version this receiver last marked seen.
    seen: u64,
}

impl<T> Receiver<T> {
    pub(super) fn new(shared: Arc<Shared<T>>, seen: u64) -> Self {
        Receiver { shared, seen }
    }

    /// The current value, without marking it seen: a later [`changed`](Self::changed) may
    /// still complete at once for it. [`Ref::has_changed`] says whether it is unseen.
    ///
    /// The [`Ref`] holds a read lock on the value: a send waits (blocking its thread)
    /// until it is dropped. Keep it short, and never hold it across an `.await`: on
    /// corio's one-thread runtime, a task that sends while another task on the same thread
    /// holds a `Ref` across an `.await` blocks that thread for good (tokio warns of the
    /// same deadlock for `!Send` futures).
    pub fn borrow(&self) -> Ref<'_, T> {
        let value = self.shared.read();
        let (version, _) = self.shared.version();
        Ref::new(value, version != self.seen)
    }

    /// The current value, marking it seen: the next [`changed`](Self::changed) waits for
    /// a newer one. The same locking caveat as [`borrow`](Self::borrow).
    pub fn borrow_and_update(&mut self) -> Ref<'_, T> {
        let value = self.shared.read();
        let (version, _) = self.shared.version();
        let changed = version != self.seen;
        self.seen = version;
        Ref::new(value, changed)
    }

    /// Whether the channel holds a value this receiver has not marked seen (it does not
    /// compare values: sending an equal value counts as a change). Fails once every
    /// sender is gone, as tokio's does.
    pub fn has_changed(&self) -> Result<bool, RecvError> {
        match self.shared.version() {
            (_, true) => Err(RecvError(())),
            (version, false) => Ok(version != self.seen),
        }
    }

    /// Counts the current value as unseen: the next [`changed`](Self::changed) completes
    /// at once.
    pub fn mark_changed(&mut self) {
        self.seen = UNSEEN;
    }

    /// Counts the current value as seen, without reading it.
    pub fn mark_unchanged(&mut self) {
        self.seen = self.shared.version().0;
    }

    /// Waits until the channel holds a value this receiver has not seen, and marks it
    /// seen (read it with [`borrow`](Self::borrow) or
    /// [`borrow_and_update`](Self::borrow_and_update)). Sends that happen while nobody
    /// looks are coalesced: one completion, the latest value.
    ///
    /// Fails with [`RecvError`] once every sender is gone *and* the last value was seen.
    ///
    /// Cancel-safe: dropped before it completes, it marks nothing seen, so a later call
    /// still reports the change.
    pub async fn changed(&mut self) -> Result<(), RecvError> {
        changed(&self.shared, &mut self.seen).await
    }

    /// Waits until the value satisfies `condition`, and returns it, still under the read
    /// lock. The current value is checked first (even if seen), then each newer one as it
    /// arrives; every value checked is marked seen. Values replaced before this receiver
    /// could look are never checked. Fails with [`RecvError`] when every sender is gone
    /// and the last value does not satisfy `condition`.
    ///
    /// Cancel-safe: dropped before it completes, it loses nothing (a value it checked and
    /// rejected stays marked seen). The returned [`Ref`] has the caveats of
    /// [`borrow`](Self::borrow).
    pub async fn wait_for(
        &mut self,
        mut condition: impl FnMut(&T) -> bool,
    ) -> Result<Ref<'_, T>, RecvError> {
        let Receiver { shared, seen } = self;
        let shared: &Shared<T> = shared;
        loop {
            // Created before the check: a change after it wakes it.
            let notified = shared.changed.notified();
            {
                let value = shared.read();
                let (version, closed) = shared.version();
                let changed = version != *seen;
                *seen = version;
                if condition(&value) {
                    return Ok(Ref::new(value, changed));
                }
                if closed {
                    return Err(RecvError(()));
                }
            } // the lock is released before waiting
            notified.await;
        }
    }

    /// Whether both receivers watch the same channel.
    pub fn same_channel(&self, other: &Receiver<T>) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

/// The body of [`Receiver::changed`], on the receiver's parts (shared with nothing else).
async fn changed<T>(shared: &Shared<T>, seen: &mut u64) -> Result<(), RecvError> {
    loop {
        // Created before the check: a send or a last sender leaving after the check
        // completes it (`notify_waiters` counts futures from their creation).
        let notified = shared.changed.notified();
        let (version, closed) = shared.version();
        if version != *seen {
            *seen = version;
            return Ok(());
        }
        if closed {
            return Err(RecvError(()));
        }
        notified.await;
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        self.shared.receivers.fetch_add(1, AcqRel);
        Receiver::new(self.shared.clone(), self.seen)
    }
}

impl<T> Drop for Receiver<T> {
    /// The last receiver leaving wakes the senders waiting in
    /// [`closed`](super::Sender::closed).
    fn drop(&mut self) {
        if self.shared.receivers.fetch_sub(1, AcqRel) == 1 {
            self.shared.no_receivers.notify_waiters();
        }
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("seen", &self.seen)
            .field("closed", &self.shared.version().1)
            .finish()
    }
}

/// A read-locked view of a watch channel's value, from [`Receiver::borrow`] and friends.
/// Sends wait while it lives; never hold it across an `.await` (see
/// [`Receiver::borrow`]).
pub struct Ref<'a, T> {
    value: RwLockReadGuard<'a, T>,
    has_changed: bool,
}

impl<'a, T> Ref<'a, T> {
    pub(super) fn new(value: RwLockReadGuard<'a, T>, has_changed: bool) -> Self {
        Ref { value, has_changed }
    }

    /// Whether this value was unseen by the receiver when it was borrowed (always `false`
    /// from [`Sender::borrow`](super::Sender::borrow)).
    pub fn has_changed(&self) -> bool {
        self.has_changed
    }
}

impl<T> Deref for Ref<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: fmt::Debug> fmt::Debug for Ref<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
