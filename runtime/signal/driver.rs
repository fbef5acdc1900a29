//! The per-runtime half of signal handling: one task that waits on this runtime's
//! self-pipe and wakes every `Signal` stream of the runtime when a byte arrives.
//!
//! The pipe's byte only says "a signal arrived"; each stream's counter says whether it was
//! that stream's signal. So one reader drains the pipe and wakes every stream, rather than
//! each stream racing the others to drain bytes meant for all; a stream frees its slot
//! when dropped (`Hub::unregister`), so `loop { race(ctrl_c(), work) }` keeps none. The
//! task is spawned with the runtime's first stream and lives as long as the runtime;
//! streams find it through a thread-local list of weak references keyed by the runtime's
//! reactor, so every runtime on a thread has its own.

use std::cell::RefCell;
use std::future::poll_fn;
use std::io;
use std::rc::{Rc, Weak};
use std::task::Waker;

use slab::Slab;

use super::handler::LentPipe;
use crate::io::source::Source;
use crate::reactor::{Assume, Direction, Reactor};

/// What streams and the driver task share: the streams' wakers.
#[derive(Debug, Default)]
pub(super) struct Hub {
    wakers: RefCell<Slab<Option<Waker>>>,
}

thread_local! {
    /// The hubs of this thread's runtimes, keyed by their reactor: several runtimes may
    /// live on one thread (one after another, or one nested in another's `block_on`), and
    /// each needs its own driver.
    static HUBS: RefCell<Vec<(*const Reactor, Weak<Hub>)>> = const { RefCell::new(Vec::new()) };
}

impl Hub {
    /// This runtime's hub, starting the driver task if there is none.
    pub(super) fn current() -> io::Result<Weak<Hub>> {
        // Also checks that we are inside a runtime (spawning would panic otherwise).
        let reactor = Rc::as_ptr(&crate::reactor::current()?);
        let existing = HUBS.with(|hubs| {
            let mut hubs = hubs.borrow_mut();
            // A dead hub's runtime is gone (its reactor address may be reused).
            hubs.retain(|(_, hub)| hub.strong_count() > 0);
            hubs.iter()
                .find(|(r, _)| *r == reactor)
                .map(|(_, hub)| hub.clone())
        });
        if let Some(hub) = existing {
            return Ok(hub);
        }
        let pipe = Source::new(LentPipe::take()?, Assume::Ready)?;
        let hub = Rc::new(Hub::default());
        let weak = Rc::downgrade(&hub);
        HUBS.with(|hubs| hubs.borrow_mut().push((reactor, weak.clone())));
        crate::executor::spawn(drive(pipe, hub));
        Ok(weak)
    }

    /// A new waiter slot for a stream.
    pub(super) fn register(&self) -> usize {
        self.wakers.borrow_mut().insert(None)
    }

    /// Stores `waker` in slot `key`.
    pub(super) fn set_waker(&self, key: usize, waker: &Waker) {
        let mut wakers = self.wakers.borrow_mut();
        let stale = wakers
            .get_mut(key)
            .and_then(|slot| crate::stored_waker::replace(slot, waker));
        drop(wakers);
        drop(stale); // outside the borrow: a waker's Drop may reach the hub
    }

    /// Frees slot `key`.
    pub(super) fn unregister(&self, key: usize) {
        let mut wakers = self.wakers.borrow_mut();
        let stored = wakers.try_remove(key);
        drop(wakers);
        // Outside the borrow: the waker's Drop may drop another stream of this hub.
        drop(stored);
    }

    /// Wakes every stream; each checks its own signal's counter.
    fn wake_all(&self) {
        let mut wakers = self.wakers.borrow_mut();
        let woken: Vec<Waker> = wakers.iter_mut().filter_map(|(_, w)| w.take()).collect();
        drop(wakers); // a waker may re-enter (a stream polled in place)
        for waker in woken {
            waker.wake();
        }
    }
}

/// The driver task: wait for the pipe, drain it, wake the streams. It holds the hub (and
/// the pipe) for as long as the runtime runs it: streams keep only weak references, so a
/// stream that outlives its runtime ends instead of waiting on a dead driver.
async fn drive(pipe: Source<LentPipe>, hub: Rc<Hub>) {
    loop {
        if poll_fn(|cx| pipe.poll_ready(cx, Direction::Read))
            .await
            .is_err()
        {
            return;
        }
        pipe.get_ref().drain();
        pipe.clear_readiness(Direction::Read);
        hub.wake_all();
    }
}
