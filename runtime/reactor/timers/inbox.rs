//! Cancelling a timer from another thread: each reactor's *inbox* of timer ids.
//!
//! A `Sleep` is `Send`: it may be polled on one runtime's thread, moved, and then polled
//! or dropped on another. Its timer lives in the first reactor's wheel, which only that
//! thread may touch. So the `Sleep` remembers its reactor by a number ([`Home::id`],
//! never reused) and, away from it, posts the timer's id to that reactor's inbox; the
//! reactor cancels what was posted at the start of its next turn. Until then the stale
//! timer may fire once and wake its task spuriously, which wakers allow.
//!
//! The common case (polled and dropped on the same thread) never touches the inbox, the
//! registry or any atomic; the reactor's turn checks its inbox with one relaxed load.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use super::TimerId;

/// Timer ids posted from other threads, for the owning reactor to cancel.
#[derive(Debug, Default)]
pub(crate) struct Inbox {
    /// Whether `ids` may be non-empty; set under the lock, read without it.
    posted: AtomicBool,
    ids: Mutex<Vec<TimerId>>,
}

impl Inbox {
    fn post(&self, id: TimerId) {
        let mut ids = self.ids.lock().unwrap_or_else(PoisonError::into_inner);
        ids.push(id);
        // Under the lock, so `take` (which clears it under the lock) never loses an id.
        self.posted.store(true, Ordering::Relaxed);
    }

    /// The ids posted since the last call; empty (one relaxed load) when there are none.
    #[inline]
    pub(crate) fn take(&self) -> Option<Vec<TimerId>> {
        if !self.posted.load(Ordering::Relaxed) {
            return None;
        }
        let mut ids = self.ids.lock().unwrap_or_else(PoisonError::into_inner);
        self.posted.store(false, Ordering::Relaxed);
        Some(std::mem::take(&mut *ids))
    }
}

/// Every live reactor's inbox, by reactor id: consulted only to post from another thread.
/// One entry per live runtime (a handful), so a list is enough.
static HOMES: Mutex<Vec<(u64, Arc<Inbox>)>> = Mutex::new(Vec::new());

/// The next reactor id; ids are never reused, so a `Sleep` of a dead reactor finds none.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A reactor's identity for its timers, and its inbox; listed in `HOMES` while it lives.
#[derive(Debug)]
pub(crate) struct Home {
    id: u64,
    inbox: Arc<Inbox>,
}

impl Home {
    /// A fresh id and an empty inbox, listed so other threads can post to it.
    pub(crate) fn new() -> Home {
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let inbox = Arc::new(Inbox::default());
        homes().push((id, inbox.clone()));
        Home { id, inbox }
    }

    /// This reactor's id, which no other reactor ever has.
    #[inline]
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// The inbox the reactor drains each turn.
    #[inline]
    pub(crate) fn inbox(&self) -> &Inbox {
        &self.inbox
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        // Its timers die with the reactor; later posts for it find no home and are dropped.
        homes().retain(|(id, _)| *id != self.id);
    }
}

fn homes() -> std::sync::MutexGuard<'static, Vec<(u64, Arc<Inbox>)>> {
    HOMES.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Asks reactor `home` to cancel `timer` at its next turn; nothing if that reactor is gone.
pub(crate) fn post(home: u64, timer: TimerId) {
    let inbox = homes()
        .iter()
        .find(|(id, _)| *id == home)
        .map(|(_, inbox)| inbox.clone());
    if let Some(inbox) = inbox {
        inbox.post(timer);
    }
}
