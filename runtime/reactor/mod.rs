//! The reactor: registered sources in a [`KeyTable`], timers, and one *turn* of the event
//! loop.
//!
//! A source is registered with its [`Key`] as the backend's token. A turn waits on the
//! backend (bounded by the nearest timer), records each event's readiness in the
//! [`IoState`] its token's key still names (an event for a deregistered source names none
//! and is dropped), fires due timers, and only then wakes the collected wakers.
//!
//! # Rule: no waker runs while anything is borrowed
//!
//! Waking, cloning or dropping a `Waker` may run arbitrary code: a woken task may poll
//! inline, register, deregister, park on the very source being woken, or drop it. So every
//! `RefCell` of the reactor and of an `IoState` is released before any waker is woken,
//! cloned or dropped: a turn gathers what to wake into buffers and wakes after the last
//! borrow ends; a park clones before it borrows a list and drops what it displaced after.
//! [`Reactor::turn`] checks the reactor's half of this with `debug_assert!`s.
//!
//! The reactor knows wakers, not tasks. It lives on one thread (`Rc`), and another thread
//! reaches it only through the doorbell of its [`RemoteQueue`].

mod io_state;
mod registration;
mod timers;
mod waiter;

use std::cell::{Cell, RefCell};
use std::io;
use std::os::fd::RawFd;
use std::rc::Rc;
use std::sync::Arc;
use std::task::Waker;
use std::time::{Duration, Instant};

use crate::key::{Key, KeyTable};
use crate::sys::{Event, Interest, Readiness, RemoteQueue, Selector, Token};

pub(crate) use io_state::Direction;
use io_state::{Armed, IoState};
pub(crate) use registration::{Assume, Registration};
pub(crate) use timers::TimerId;
use timers::Timers;
pub(crate) use waiter::Waiter;

/// One thread's reactor.
pub(crate) struct Reactor {
    selector: Box<dyn Selector>,
    /// Where other threads' wakes arrive; its doorbell is registered under `Token::NOTIFY`.
    remote_queue: Arc<RemoteQueue>,
    /// Every registered source's state, under the key its token carries.
    sources: RefCell<KeyTable<Rc<IoState>>>,
    /// Whether the backend needs `rearm` calls (level-triggered ones do); edge-triggered
    /// backends skip the call entirely on the hot path.
    needs_rearm: bool,
    /// Whether the doorbell must be read after each ring (`Selector::notify_needs_drain`).
    notify_needs_drain: bool,
    timers: RefCell<Timers>,
    /// Reused every turn, so a turn allocates nothing once warm.
    events: RefCell<Vec<Event>>,
    /// Sources whose parked tasks a turn fires, woken after every borrow is released.
    io_woken: RefCell<Vec<(Rc<IoState>, Armed)>>,
    /// Wakers of waiting futures a turn takes out of their lists, likewise.
    list_woken: RefCell<Vec<Waker>>,
    /// Timer wakers a turn fires, likewise.
    timer_woken: RefCell<Vec<Waker>>,
    /// Counters for `Metrics`: selector waits, and events they returned.
    waits: Cell<u64>,
    events_seen: Cell<u64>,
}

thread_local! {
    /// The reactor of the runtime running on this thread, if any.
    static CURRENT: RefCell<Option<Rc<Reactor>>> = const { RefCell::new(None) };
}

/// The reactor driving this thread, or a clear error outside a runtime.
pub(crate) fn current() -> io::Result<Rc<Reactor>> {
    CURRENT
        .try_with(|c| c.borrow().clone())
        .ok()
        .flatten()
        .ok_or_else(|| {
            io::Error::other("no corio runtime on this thread: call this inside corio::block_on")
        })
}

/// Makes `reactor` this thread's current one until the guard drops.
pub(crate) fn enter(reactor: Rc<Reactor>) -> EnterGuard {
    let previous = CURRENT.with(|c| c.replace(Some(reactor)));
    EnterGuard { previous }
}

/// Restores the previous current reactor when dropped.
pub(crate) struct EnterGuard {
    previous: Option<Rc<Reactor>>,
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        let _ = CURRENT.try_with(|c| c.replace(previous));
    }
}

impl std::fmt::Debug for Reactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reactor")
            .field("backend", &self.backend_name())
            .finish_non_exhaustive()
    }
}

impl Reactor {
    /// Wraps `selector` and registers the remote queue's doorbell with it.
    pub(crate) fn new(selector: Box<dyn Selector>) -> io::Result<Reactor> {
        let remote_queue = Arc::new(RemoteQueue::new()?);
        selector.register(remote_queue.fd(), Token::NOTIFY, Interest::READABLE)?;
        Ok(Reactor {
            needs_rearm: selector.needs_rearm(),
            notify_needs_drain: selector.notify_needs_drain(),
            selector,
            remote_queue,
            sources: RefCell::new(KeyTable::new()),
            timers: RefCell::new(Timers::new()),
            events: RefCell::new(Vec::with_capacity(1024)),
            io_woken: RefCell::new(Vec::new()),
            list_woken: RefCell::new(Vec::new()),
            timer_woken: RefCell::new(Vec::new()),
            waits: Cell::new(0),
            events_seen: Cell::new(0),
        })
    }

    /// The queue other threads push wakes onto; its doorbell ends a wait.
    pub(crate) fn remote_queue(&self) -> &Arc<RemoteQueue> {
        &self.remote_queue
    }

    /// The backend's name.
    pub(crate) fn backend_name(&self) -> &'static str {
        self.selector.name()
    }

    /// Counters: waits on the OS, events it reported.
    pub(crate) fn stats(&self) -> (u64, u64) {
        (self.waits.get(), self.events_seen.get())
    }

    /// How many fds are registered (for tests and counters).
    pub(crate) fn registered(&self) -> usize {
        self.sources.borrow().len()
    }

    /// Adds `fd` under a fresh key; `ready` is the readiness to assume before any event
    /// arrives. An error if the backend refuses it, or if the table has no key left.
    fn add(&self, fd: RawFd, ready: Readiness) -> io::Result<(Key, Rc<IoState>)> {
        let mut sources = self.sources.borrow_mut();
        let entry = sources.vacant_entry().ok_or_else(|| {
            io::Error::other("corio: the reactor has no key left (u32::MAX sources)")
        })?;
        let key = entry.key();
        self.selector
            .register(fd, Token(key.to_u64()), Interest::BOTH)?;
        let io = Rc::new(IoState::new(ready));
        entry.insert(io.clone());
        Ok((key, io))
    }

    /// Re-arms `dir` for a level-triggered backend after a task parked on it.
    fn rearm(&self, fd: RawFd, key: Key, dir: Direction) -> io::Result<()> {
        if !self.needs_rearm {
            return Ok(());
        }
        let token = Token(key.to_u64());
        self.selector.rearm(fd, token, registration::interest(dir))
    }

    /// Removes `fd` from the backend, then its state from the table.
    fn remove(&self, fd: RawFd, key: Key) {
        // Errors are ignored on purpose, since a drop has nobody to report to: removing a
        // registered, open fd cannot fail on any backend; it fails only if the owner closed
        // the fd behind the source's back (EBADF), and then the kernel already dropped it
        // from the set. The state goes regardless, so a late event for the key finds
        // another generation, or nothing, and is dropped. This holds for `into_inner` too,
        // whose fd stays open.
        let _ = self.selector.deregister(fd);
        let io = self.sources.borrow_mut().remove(key);
        drop(io); // outside the borrow
    }

    /// Runs one turn: waits up to `timeout` (shortened by the nearest timer), dispatches
    /// events and due timers, then wakes. Returns how many wakers it woke.
    pub(crate) fn turn(&self, timeout: Option<Duration>) -> io::Result<usize> {
        let timeout = match self.timers.borrow().next_deadline() {
            Some(deadline) => {
                let until = deadline.saturating_duration_since(Instant::now());
                Some(timeout.map_or(until, |t| t.min(until)))
            }
            None => timeout,
        };
        let mut events = self.events.borrow_mut();
        events.clear();
        self.selector.select(&mut events, timeout)?;
        self.waits.set(self.waits.get() + 1);
        self.events_seen
            .set(self.events_seen.get() + events.len() as u64);

        let mut io_woken = self.io_woken.borrow_mut();
        {
            let sources = self.sources.borrow();
            for event in events.iter() {
                if event.token == Token::NOTIFY {
                    self.remote_queue.acknowledge(self.notify_needs_drain);
                    // Level-triggered backends disarm what they reported; the doorbell
                    // must always be armed. Failing here would lose cross-thread wakes.
                    self.selector.rearm(
                        self.remote_queue.fd(),
                        Token::NOTIFY,
                        Interest::READABLE,
                    )?;
                    continue;
                }
                // `None`: the source was deregistered, and maybe its index reused.
                if let Some(io) = sources.get(Key::from_u64(event.token.0)) {
                    let fire = io.on_event(event.readiness);
                    if !fire.is_empty() {
                        io_woken.push((io.clone(), fire));
                    }
                }
            }
        }
        drop(events);
        let mut timer_woken = self.timer_woken.borrow_mut();
        if self.timers.borrow().len() > 0 {
            self.timers
                .borrow_mut()
                .fire_due(Instant::now(), &mut timer_woken);
        }
        let n = io_woken.len() + timer_woken.len();
        // Wake with no borrow of the reactor held; a woken waker may even drop a source.
        let mut io_batch = std::mem::take(&mut *io_woken);
        let mut timer_batch = std::mem::take(&mut *timer_woken);
        drop((io_woken, timer_woken));
        self.debug_assert_unborrowed();
        for (io, fire) in io_batch.drain(..) {
            io.wake(fire, &self.list_woken);
        }
        if !self.list_woken.borrow().is_empty() {
            self.wake_listed();
        }
        for waker in timer_batch.drain(..) {
            waker.wake();
        }
        // Give the (now empty) buffers back so the next turn reuses their capacity.
        restore_capacity(&self.io_woken, io_batch);
        restore_capacity(&self.timer_woken, timer_batch);
        Ok(n)
    }

    /// Wakes the waiting futures a turn took out of their lists.
    #[cold]
    #[inline(never)]
    fn wake_listed(&self) {
        let mut batch = std::mem::take(&mut *self.list_woken.borrow_mut());
        for waker in batch.drain(..) {
            waker.wake();
        }
        restore_capacity(&self.list_woken, batch);
    }

    /// Checks the module rule before a turn wakes: nothing of the reactor is borrowed.
    fn debug_assert_unborrowed(&self) {
        debug_assert!(
            self.sources.try_borrow_mut().is_ok(),
            "sources borrowed at wake"
        );
        debug_assert!(
            self.events.try_borrow_mut().is_ok(),
            "events borrowed at wake"
        );
        debug_assert!(
            self.timers.try_borrow_mut().is_ok(),
            "timers borrowed at wake"
        );
        debug_assert!(
            self.io_woken.try_borrow_mut().is_ok(),
            "batch borrowed at wake"
        );
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

/// Puts an emptied buffer back if it has more capacity than the one there now.
fn restore_capacity<T>(cell: &RefCell<Vec<T>>, buffer: Vec<T>) {
    let current = cell.try_borrow_mut();
    // Only `turn` borrows these buffers, and a turn never runs inside another.
    debug_assert!(current.is_ok(), "a reactor buffer is borrowed across turns");
    if let Ok(mut current) = current {
        if current.capacity() < buffer.capacity() && current.is_empty() {
            *current = buffer;
        }
    }
}

#[cfg(test)]
mod tests;
