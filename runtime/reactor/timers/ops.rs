//! The reactor's timer operations: arming, refreshing and cancelling a timer, the clock
//! (`time/clock.rs`), firing outside a turn (`time::advance`), and the cancellations
//! other threads post (`inbox.rs`). The turn itself (`Reactor::turn`, `reactor/mod.rs`)
//! bounds its wait by the next timer and fires what is due.

use std::task::Waker;
use std::time::Instant;

use super::TimerId;
use crate::key::Key;
use crate::reactor::Reactor;
use crate::time::clock::Clock;

impl Reactor {
    /// This reactor's clock.
    #[inline]
    pub(crate) fn clock(&self) -> &Clock {
        &self.clock
    }

    /// This reactor's id, for a timer to tell whether it is being polled at home.
    #[inline]
    pub(crate) fn home_id(&self) -> u64 {
        self.home.id()
    }

    /// Freezes the clock at the timers' tick 0, so whole-millisecond sleeps from the
    /// start land on ticks exactly (`Builder::start_paused`).
    pub(crate) fn start_paused(&self) {
        // No instant has been read from this clock yet, so freezing it slightly in the
        // past (when the reactor was made) moves no reading backwards.
        let origin = self.timers.borrow().origin();
        self.clock.pause_at(origin);
    }

    /// How many timers are pending.
    pub(crate) fn pending_timers(&self) -> usize {
        self.timers.borrow().len()
    }

    /// Fires every timer due at the clock's time now, outside a turn (`time::advance`).
    pub(crate) fn fire_timers(&self) {
        let mut woken = Vec::new();
        let paused = self.clock.is_paused();
        self.timers
            .borrow_mut()
            .fire_due(self.clock.now(), &mut woken, paused);
        for waker in woken {
            waker.wake(); // the store's borrow has ended
        }
    }

    /// Cancels the timers other threads posted (`timers/inbox.rs`).
    #[cold]
    pub(in crate::reactor) fn cancel_posted(&self, ids: Vec<TimerId>) {
        let wakers: Vec<Waker> = {
            let mut timers = self.timers.borrow_mut();
            ids.into_iter().filter_map(|id| timers.remove(id)).collect()
        };
        drop(wakers); // outside the borrow: a waker's drop may run arbitrary code
    }

    /// Stores a timer, the time being `now`; see [`timers::Timers::insert`].
    ///
    /// A full store (`u32::MAX` pending timers) cannot keep it: `waker` is woken at once
    /// and the id is [`Key::NONE`], which [`update_timer`](Reactor::update_timer) wakes at
    /// every refresh, so its `Sleep` polls until the deadline passes rather than hang.
    pub(crate) fn add_timer(&self, now: Instant, deadline: Instant, waker: Waker) -> TimerId {
        let stored = self.timers.borrow_mut().insert(now, deadline, waker);
        stored.unwrap_or_else(|waker| {
            waker.wake(); // the store's borrow has ended
            Key::NONE
        })
    }

    /// Refreshes a timer's waker; false if it already fired.
    pub(crate) fn update_timer(&self, id: TimerId, waker: &Waker) -> bool {
        let replaced = self.timers.borrow_mut().update_waker(id, waker);
        // `replaced` (the old waker) drops here, after the borrow ended.
        match replaced {
            Ok(_) => true,
            Err(()) if id == Key::NONE => {
                waker.wake_by_ref(); // a timer the full store could not keep: see `add_timer`
                true
            }
            Err(()) => false,
        }
    }

    /// Cancels a timer, returning its waker if it had not fired yet.
    pub(crate) fn remove_timer(&self, id: TimerId) -> Option<Waker> {
        // The store is borrowed only inside the reactor's own calls, which run no waker
        // (the module rule), so a `Sleep` cannot be dropped meanwhile. If that rule were
        // broken, a release build keeps the timer (one late, harmless wake) over panicking.
        let timers = self.timers.try_borrow_mut();
        debug_assert!(
            timers.is_ok(),
            "a timer was cancelled while the store was borrowed"
        );
        timers.ok()?.remove(id)
    }
}
