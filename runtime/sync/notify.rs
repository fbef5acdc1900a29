//! `Notify`: one task tells others "something happened" — the tutorials' `Event`, in
//! tokio's shape.
//!
//! - [`notify_one`](Notify::notify_one) wakes the longest-waiting task; if none waits, it
//!   leaves one *permit*, so the next [`notified`](Notify::notified) completes at once (a
//!   notification sent just before the receiver starts waiting is not lost).
//! - [`notify_waiters`](Notify::notify_waiters) wakes every task waiting now — including
//!   futures created by `notified()` but not yet polled — and leaves no permit.
//!
//! Python's `Event` is level-triggered (`set()` stays set until `clear()`); build that
//! from a flag plus `notify_waiters`, checking the flag after creating the future (see
//! DESIGN.md §13).
//!
//! ```
//! use std::sync::Arc;
//! use corio::sync::Notify;
//!
//! corio::block_on(async {
//!     let ready = Arc::new(Notify::new());
//!     let waiter = corio::spawn({
//!         let ready = ready.clone();
//!         async move { ready.notified().await; "woken" }
//!     });
//!     ready.notify_one();
//!     assert_eq!(waiter.await.unwrap(), "woken");
//! });
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use super::waiters::{wake_in_batches, WaitList};
use crate::std_or_loom::{Mutex, MutexGuard};

/// Wakes waiting tasks on request. `Send + Sync`.
pub struct Notify {
    state: Mutex<State>,
}

struct State {
    /// A `notify_one` with nobody waiting, kept for the next waiter.
    permit: bool,
    /// How many times `notify_waiters` ran: a future created before a call completes.
    calls: u64,
    waiters: WaitList<Waiter>,
}

impl State {
    const EMPTY: State = State {
        permit: false,
        calls: 0,
        waiters: WaitList::new(),
    };
}

struct Waiter {
    waker: Option<Waker>,
    /// `calls` when the waiter queued: `notify_waiters` wakes only those queued before it.
    calls: u64,
    /// What took it off the list.
    woken_by: Option<By>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum By {
    One,
    All,
}

impl Notify {
    /// A `Notify` with no permit and nobody waiting.
    #[cfg(not(loom))]
    pub const fn new() -> Self {
        Notify {
            state: Mutex::new(State::EMPTY),
        }
    }

    /// A `Notify` with no permit and nobody waiting (not `const` in the loom build, whose
    /// `Mutex::new` is not).
    #[cfg(loom)]
    pub fn new() -> Self {
        Notify {
            state: Mutex::new(State::EMPTY),
        }
    }

    /// The state; updates under it never panic half-way, so poison is ignored.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A future that completes when this is notified. It counts as waiting for
    /// [`notify_waiters`](Self::notify_waiters) from the moment it is created, and for
    /// [`notify_one`](Self::notify_one) from its first poll.
    pub fn notified(&self) -> Notified<'_> {
        Notified {
            notify: self,
            calls: self.lock().calls,
            key: None,
            done: false,
        }
    }

    /// Wakes the task that has waited longest, or stores a permit if none waits (several
    /// calls with nobody waiting still store just one).
    pub fn notify_one(&self) {
        let mut state = self.lock();
        let Some(key) = state.waiters.pop_front() else {
            state.permit = true;
            return;
        };
        let waiter = state.waiters.get_mut(key);
        waiter.woken_by = Some(By::One);
        let waker = waiter.waker.take();
        drop(state);
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Wakes every task waiting now; stores no permit.
    pub fn notify_waiters(&self) {
        let mut state = self.lock();
        state.calls += 1;
        let calls = state.calls;
        wake_in_batches(
            state,
            || self.lock(),
            |state| {
                let key = state.waiters.front()?;
                let waiter = state.waiters.get_mut(key);
                if waiter.calls >= calls {
                    return None; // queued after this call began (while a batch was being woken)
                }
                waiter.woken_by = Some(By::All);
                let waker = waiter.waker.take();
                state.waiters.pop_front();
                Some(waker)
            },
        );
    }
}

impl Default for Notify {
    fn default() -> Self {
        Notify::new()
    }
}

/// The future of [`Notify::notified`]. Cancel-safe: dropped after `notify_one` chose it
/// but before it completed, it passes the notification on, so none is lost.
#[must_use = "futures do nothing unless awaited"]
pub struct Notified<'a> {
    notify: &'a Notify,
    /// `notify_waiters` calls seen at creation.
    calls: u64,
    key: Option<usize>,
    done: bool,
}

impl Future for Notified<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(());
        }
        let mut state = this.notify.lock();
        let Some(key) = this.key else {
            if state.calls != this.calls {
                this.done = true; // notify_waiters ran since we were created
                return Poll::Ready(());
            }
            if state.permit {
                state.permit = false;
                this.done = true;
                return Poll::Ready(());
            }
            this.key = Some(state.waiters.push_back(Waiter {
                waker: Some(cx.waker().clone()),
                calls: this.calls,
                woken_by: None,
            }));
            return Poll::Pending;
        };
        if !state.waiters.is_linked(key) {
            state.waiters.remove(key);
            this.key = None;
            this.done = true;
            return Poll::Ready(());
        }
        let waiter = state.waiters.get_mut(key);
        let stale = crate::stored_waker::replace(&mut waiter.waker, cx.waker());
        drop(state);
        drop(stale);
        Poll::Pending
    }
}

impl Drop for Notified<'_> {
    fn drop(&mut self) {
        let Some(key) = self.key.take() else { return };
        let waiter = self.notify.lock().waiters.remove(key);
        let woken_by = waiter.woken_by;
        drop(waiter); // its waker, outside the lock
        if woken_by == Some(By::One) {
            self.notify.notify_one(); // chosen but cancelled: hand the turn on
        }
    }
}

impl fmt::Debug for Notify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct("Notify")
            .field("permit", &state.permit)
            .field("waiters", &state.waiters.len())
            .finish()
    }
}

impl fmt::Debug for Notified<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notified")
            .field("done", &self.done)
            .finish()
    }
}
