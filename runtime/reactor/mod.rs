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
use std::time::Duration;

use crate::key::{Key, KeyTable};
use crate::sys::{Event, Interest, Readiness, RemoteQueue, Selector, Token};
use crate::time::clock::Clock;

pub(crate) use io_state::Direction;
use io_state::{Armed, IoState};
pub(crate) use registration::{Assume, Registration};
pub(crate) use timers::inbox::post as post_timer_cancel;
use timers::inbox::Home;
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
    /// The clock timers are measured against (`time/clock.rs`): std's, or a paused one.
    clock: Clock,
    /// This reactor's id for its timers, and the inbox other threads cancel them through.
    home: Home,
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

/// Runs `f` with the reactor driving this thread (`None` outside a runtime, or while the
/// thread's locals are being destroyed).
///
/// `f` runs with no borrow of the thread-local held (it gets its own `Rc`, a non-atomic
/// count), so whatever a waker dropped inside `f` runs may enter or leave a runtime.
#[inline]
pub(crate) fn with_current<R>(f: impl FnOnce(Option<&Reactor>) -> R) -> R {
    let reactor = CURRENT.try_with(|c| c.borrow().clone()).ok().flatten();
    f(reactor.as_deref())
}

/// Like [`with_current`], but `f` runs under a borrow of the thread-local, without an `Rc`
/// of its own: for `f` that runs no waker and no other arbitrary code (reading the clock).
#[inline]
pub(crate) fn with_current_ref<R>(f: impl FnOnce(Option<&Reactor>) -> R) -> R {
    let mut f = Some(f);
    let run = |c: &RefCell<Option<Rc<Reactor>>>| {
        let f = f.take().expect("run once");
        f(c.borrow().as_deref())
    };
    match CURRENT.try_with(run) {
        Ok(out) => out,
        // The thread's locals are being destroyed: no runtime any more.
        Err(_) => (f.take().expect("not run by try_with"))(None),
    }
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

/// Makes `reactor` this thread's current one until the guard drops (nothing, while the
/// thread's locals are being torn down).
pub(crate) fn enter(reactor: Rc<Reactor>) -> EnterGuard {
    let previous = CURRENT
        .try_with(|c| c.replace(Some(reactor)))
        .ok()
        .flatten();
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
            clock: Clock::new(),
            home: Home::new(),
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
    ///
    /// With the clock paused, a turn never waits for a timer in real time: it polls the
    /// backend without blocking and, if it was to wait indefinitely (`timeout` is `None`:
    /// nothing is ready to run) and nothing happened, moves the clock to the next timer's
    /// deadline (*auto-advance*), whose timer then fires in this same turn.
    pub(crate) fn turn(&self, timeout: Option<Duration>) -> io::Result<usize> {
        if let Some(ids) = self.home.inbox().take() {
            self.cancel_posted(ids);
        }
        let paused = self.clock.is_paused();
        let mut auto_advance = None;
        let timeout = if paused {
            match self.timers.borrow().next_timer() {
                Some(next) => {
                    auto_advance = Some(next).filter(|_| timeout.is_none());
                    Some(Duration::ZERO)
                }
                None => timeout,
            }
        } else {
            match self.timers.borrow().next_deadline() {
                Some(deadline) => {
                    let until = deadline.saturating_duration_since(self.clock.now());
                    Some(timeout.map_or(until, |t| t.min(until)))
                }
                None => timeout,
            }
        };
        let mut events = self.events.borrow_mut();
        events.clear();
        self.selector.select(&mut events, timeout)?;
        if let Some(next) = auto_advance.filter(|_| events.is_empty()) {
            self.clock.advance_to(next);
        }
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
                .fire_due(self.clock.now(), &mut timer_woken, paused);
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
