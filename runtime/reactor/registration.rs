//! A source's handle on its reactor slot: wait for readiness, clear it on `WouldBlock`.

use std::io;
use std::os::fd::RawFd;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::{Direction, Reactor};
use crate::sys::{Interest, Readiness};

/// One fd's registration with the current thread's reactor. Dropping it deregisters the fd
/// (`EPOLL_CTL_DEL`), which must happen before the fd is closed: owners declare the
/// registration before the fd so Rust drops it first.
///
/// # Invariant
/// `(key, generation)` names a live slot of `reactor` for as long as this value exists.
#[derive(Debug)]
pub(crate) struct Registration {
    reactor: Rc<Reactor>,
    fd: RawFd,
    key: usize,
    generation: u32,
}

impl std::fmt::Debug for Reactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reactor")
            .field("backend", &self.backend_name())
            .finish_non_exhaustive()
    }
}

impl Registration {
    /// Registers `fd` with this thread's reactor. With `optimistic`, the first operation
    /// tries the syscall before any event arrives (right for accepted sockets, where data
    /// often already waits); without it, the first operation waits for an event (right
    /// for a connect in progress, which must not be probed early).
    pub(crate) fn new(fd: RawFd, optimistic: bool) -> io::Result<Registration> {
        let reactor = super::current()?;
        let ready = if optimistic {
            Readiness(Readiness::READABLE.0 | Readiness::WRITABLE.0)
        } else {
            Readiness::default()
        };
        let (key, generation) = reactor.add(fd, ready)?;
        Ok(Registration {
            reactor,
            fd,
            key,
            generation,
        })
    }

    /// Ready if the slot says `dir` may make progress; otherwise parks `cx`'s waker there
    /// (re-arming the backend) and returns `Pending`.
    pub(crate) fn poll_ready(&self, cx: &mut Context<'_>, dir: Direction) -> Poll<io::Result<()>> {
        let mut slots = self.reactor.slots.borrow_mut();
        let Some(slot) = slots
            .get_mut(self.key)
            .filter(|s| s.generation == self.generation)
        else {
            return Poll::Ready(Err(io::Error::other("corio: source lost its registration")));
        };
        if slot.readiness.intersects(dir.readiness()) {
            return Poll::Ready(Ok(()));
        }
        let waiter = slot.waiter(dir);
        let replaced = match waiter {
            Some(w) if w.will_wake(cx.waker()) => None,
            _ => waiter.replace(cx.waker().clone()),
        };
        drop(slots);
        // The old waker drops only now: its Drop may drop a source, which needs the slab.
        drop(replaced);
        let interest = match dir {
            Direction::Read => Interest::READABLE,
            Direction::Write => Interest::WRITABLE,
        };
        let token = super::pack(self.key, self.generation);
        if let Err(e) = self.reactor.selector.rearm(self.fd, token, interest) {
            return Poll::Ready(Err(e));
        }
        Poll::Pending
    }

    /// Forgets that `dir` was ready: the syscall said `WouldBlock`, or a short read or
    /// write showed the kernel buffer drained or full. The next attempt parks first.
    ///
    /// A short read clears only `READABLE`, keeping `READ_CLOSED`: the EOF the peer sent
    /// with its last bytes must still be read, and no new event would announce it. While
    /// urgent data is pending (`PRIORITY`) a short read proves nothing — `recv` stops at
    /// the urgent mark — so only `WouldBlock` clears readiness then.
    pub(crate) fn clear_readiness(&self, dir: Direction, would_block: bool) {
        let mut slots = self.reactor.slots.borrow_mut();
        let Some(slot) = slots
            .get_mut(self.key)
            .filter(|s| s.generation == self.generation)
        else {
            return;
        };
        let mask = match (dir, would_block) {
            (Direction::Read, true) => Readiness::READ_SIDE.union(Readiness::PRIORITY),
            (Direction::Read, false) if slot.readiness.intersects(Readiness::PRIORITY) => {
                return;
            }
            (Direction::Read, false) => Readiness::READABLE,
            (Direction::Write, _) => Readiness::WRITABLE,
        };
        slot.readiness.0 &= !mask.0;
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.reactor.remove(self.fd, self.key);
    }
}
