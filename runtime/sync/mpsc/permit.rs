//! A slot reserved in a bounded channel ([`Sender::reserve`] and friends): the wait for
//! room happens before the value exists, so a cancelled wait loses no value, and a send
//! through the reservation never waits or fails.

use std::fmt;
use std::mem::ManuallyDrop;

use super::bounded::Sender;
use super::chan::Chan;

/// One reserved slot of a bounded channel, borrowed from its [`Sender`]
/// ([`Sender::reserve`], [`Sender::try_reserve`]). [`send`](Self::send) fills it;
/// dropping it unused gives the slot back to the other senders.
#[must_use = "dropping a permit gives its slot back at once"]
pub struct Permit<'a, T> {
    chan: &'a Chan<T>,
}

impl<'a, T> Permit<'a, T> {
    pub(super) fn new(chan: &'a Chan<T>) -> Self {
        Permit { chan }
    }

    /// Queues `value` in the reserved slot, at once. It reaches the receiver even if the
    /// receiver closed the channel since the reservation (closing refuses new
    /// reservations, not these); if the receiver is gone, `value` is dropped.
    pub fn send(self, value: T) {
        let this = ManuallyDrop::new(self); // the slot passes to the message: no give-back
        this.chan.push_reserved(value);
    }
}

impl<T> Drop for Permit<'_, T> {
    fn drop(&mut self) {
        self.chan.unreserve();
    }
}

/// A reserved slot that owns its [`Sender`] ([`Sender::reserve_owned`],
/// [`Sender::try_reserve_owned`]): `'static`, so it can move into a spawned task, and it
/// gives the sender back when used.
#[must_use = "dropping a permit gives its slot back at once"]
pub struct OwnedPermit<T> {
    /// `Some` until `send` or `release` takes it.
    sender: Option<Sender<T>>,
}

impl<T> OwnedPermit<T> {
    pub(super) fn new(sender: Sender<T>) -> Self {
        OwnedPermit {
            sender: Some(sender),
        }
    }

    /// Queues `value` in the reserved slot, at once (as [`Permit::send`]), and returns
    /// the sender.
    pub fn send(mut self, value: T) -> Sender<T> {
        let sender = self.take_sender();
        sender.chan().push_reserved(value);
        sender
    }

    /// Gives the slot back unused and returns the sender.
    pub fn release(mut self) -> Sender<T> {
        let sender = self.take_sender();
        sender.chan().unreserve();
        sender
    }

    fn take_sender(&mut self) -> Sender<T> {
        match self.sender.take() {
            Some(sender) => sender,
            None => unreachable!("an OwnedPermit keeps its sender until it is consumed"),
        }
    }
}

impl<T> Drop for OwnedPermit<T> {
    fn drop(&mut self) {
        if let Some(sender) = &self.sender {
            sender.chan().unreserve();
        }
    }
}

impl<T> fmt::Debug for Permit<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Permit").finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for OwnedPermit<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedPermit").finish_non_exhaustive()
    }
}
