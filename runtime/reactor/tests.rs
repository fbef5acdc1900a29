//! The reactor's use of keys, against a scripted backend: an event for a deregistered
//! source never reaches the source registered next at its index, and a full timer store
//! degrades to polling instead of panicking or hanging.

use std::cell::RefCell;
use std::io;
use std::os::fd::RawFd;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Wake, Waker};
use std::time::{Duration, Instant};

use super::{Reactor, Timers};
use crate::key::{Key, KeyTable};
use crate::sys::{Event, Interest, Readiness, Selector, Token};

/// What the scripted backend saw and what it reports next.
#[derive(Default)]
struct Script {
    /// Tokens registered, in order (the doorbell's first).
    registered: Vec<Token>,
    /// Events the next `select` returns.
    events: Vec<Event>,
}

/// A backend that touches no fd: it records registrations and reports scripted events.
struct Scripted(Rc<RefCell<Script>>);

impl Selector for Scripted {
    fn register(&self, _fd: RawFd, token: Token, _interest: Interest) -> io::Result<()> {
        self.0.borrow_mut().registered.push(token);
        Ok(())
    }

    fn rearm(&self, _fd: RawFd, _token: Token, _interest: Interest) -> io::Result<()> {
        Ok(())
    }

    fn deregister(&self, _fd: RawFd) -> io::Result<()> {
        Ok(())
    }

    fn select(&self, events: &mut Vec<Event>, _timeout: Option<Duration>) -> io::Result<()> {
        events.append(&mut self.0.borrow_mut().events);
        Ok(())
    }

    fn name(&self) -> &'static str {
        "scripted"
    }
}

fn scripted_reactor() -> (Reactor, Rc<RefCell<Script>>) {
    let script = Rc::new(RefCell::new(Script::default()));
    let reactor = Reactor::new(Box::new(Scripted(script.clone()))).unwrap();
    (reactor, script)
}

/// A waker that counts its wakes.
#[derive(Default)]
struct Count(AtomicUsize);

impl Wake for Count {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

#[test]
fn a_stale_event_never_reaches_the_next_source_at_its_index() {
    let (reactor, script) = scripted_reactor();
    let (old, old_io) = reactor.add(7, Readiness::EMPTY).unwrap();
    reactor.remove(7, old);
    drop(old_io);
    let (new, new_io) = reactor.add(7, Readiness::EMPTY).unwrap();
    assert_eq!(new.index(), old.index(), "the index is reused");
    assert_eq!(
        script.borrow().registered[1..],
        [Token(old.to_u64()), Token(new.to_u64())],
        "each registration's token is its key"
    );
    // The old source's event was still in the backend's batch.
    script.borrow_mut().events.push(Event {
        token: Token(old.to_u64()),
        readiness: Readiness::READABLE,
    });
    reactor.turn(Some(Duration::ZERO)).unwrap();
    assert_eq!(
        new_io.readiness(),
        Readiness::EMPTY,
        "a stale event was delivered"
    );
    script.borrow_mut().events.push(Event {
        token: Token(new.to_u64()),
        readiness: Readiness::READABLE,
    });
    reactor.turn(Some(Duration::ZERO)).unwrap();
    assert_eq!(new_io.readiness(), Readiness::READABLE);
    reactor.remove(7, new);
    assert_eq!(reactor.registered(), 0);
}

#[test]
fn a_full_source_table_is_an_error_not_a_panic() {
    let (reactor, script) = scripted_reactor();
    *reactor.sources.borrow_mut() = KeyTable::with_index_limit(1);
    let (key, _io) = reactor.add(7, Readiness::EMPTY).unwrap();
    let err = reactor.add(8, Readiness::EMPTY).unwrap_err();
    assert!(err.to_string().contains("no key left"), "{err}");
    assert_eq!(
        script.borrow().registered.len(),
        2,
        "the refused fd reached the backend"
    );
    reactor.remove(7, key);
    assert!(reactor.add(8, Readiness::EMPTY).is_ok());
}

#[test]
fn a_timer_the_full_store_cannot_keep_wakes_at_every_refresh() {
    let (reactor, _script) = scripted_reactor();
    *reactor.timers.borrow_mut() = Timers::with_index_limit(0);
    let count = Arc::new(Count::default());
    let waker = Waker::from(count.clone());
    let now = Instant::now();
    let id = reactor.add_timer(now, now + Duration::from_secs(60), waker.clone());
    assert_eq!(id, Key::NONE);
    assert_eq!(count.0.load(Ordering::Relaxed), 1, "woken at once");
    assert!(reactor.update_timer(id, &waker), "reported as pending");
    assert_eq!(
        count.0.load(Ordering::Relaxed),
        2,
        "woken again at the refresh"
    );
    assert!(reactor.remove_timer(id).is_none());
    assert_eq!(count.0.load(Ordering::Relaxed), 2);
}
