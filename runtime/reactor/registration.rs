//! A source's handle on its reactor state: wait for readiness, clear it on `WouldBlock`.

use std::io;
use std::os::fd::RawFd;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::{Direction, IoState, Reactor, Waiter};
use crate::key::Key;
use crate::sys::{Interest, Readiness};

/// One fd's registration with the current thread's reactor. Dropping it deregisters the fd
/// (`EPOLL_CTL_DEL`), which must happen before the fd is closed: owners declare the
/// registration before the fd so Rust drops it first.
///
/// The readiness state is shared with the reactor's table of sources through an `Rc`, so
/// the hot path (is it ready? park; clear) touches two `Cell`s and no lookup.
#[derive(Debug)]
pub(crate) struct Registration {
    reactor: Rc<Reactor>,
    io: Rc<IoState>,
    fd: RawFd,
    /// The key the fd is registered under (its token).
    key: Key,
}

/// What a new registration assumes about its fd before the first event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Assume {
    /// Both directions ready: the first operation tries the syscall at once. Right for
    /// accepted sockets (data often already waits), listeners, bound sockets and pipes,
    /// where a try costs at most one `EAGAIN`.
    Ready,
    /// Nothing ready: the first operation waits for an event. Right for a connect in
    /// progress, which must not be probed before the kernel reports its outcome.
    NotReady,
}

impl Registration {
    /// Registers `fd` with this thread's reactor, starting from what `assume` says.
    pub(crate) fn new(fd: RawFd, assume: Assume) -> io::Result<Registration> {
        let reactor = super::current()?;
        let ready = match assume {
            Assume::Ready => Readiness::READABLE.union(Readiness::WRITABLE),
            Assume::NotReady => Readiness::EMPTY,
        };
        let (key, io) = reactor.add(fd, ready)?;
        Ok(Registration {
            reactor,
            io,
            fd,
            key,
        })
    }

    /// Ready if `dir` may make progress; otherwise parks `cx`'s waker as `dir`'s stored
    /// waker (re-arming the backend if it needs that) and returns `Pending`.
    #[inline]
    pub(crate) fn poll_ready(&self, cx: &mut Context<'_>, dir: Direction) -> Poll<io::Result<()>> {
        if self.is_ready(dir) {
            return Poll::Ready(Ok(()));
        }
        self.park(cx, dir).map(Err)
    }

    /// Whether the readiness bits say `dir` may make progress.
    #[inline]
    pub(crate) fn is_ready(&self, dir: Direction) -> bool {
        self.io.readiness().intersects(dir.readiness())
    }

    /// Parks `cx`'s waker as `dir`'s stored waker and re-arms the backend if it needs
    /// that: `Pending` once parked, or `Ready` with the backend's error. Parking never
    /// makes the direction ready, so there is no `Ready(Ok)`: callers return
    /// `park(..).map(Err)`. The slow half of `poll_ready`, kept out of line so the ready
    /// check inlines small.
    #[inline(never)]
    pub(crate) fn park(&self, cx: &mut Context<'_>, dir: Direction) -> Poll<io::Error> {
        let replaced = self.io.park(dir, cx.waker());
        let rearmed = self.reactor.rearm(self.fd, self.key, dir);
        // After every use of the reactor: a waker's wake or drop may drop a source.
        if let Some(replaced) = replaced {
            replaced.release();
        }
        match rearmed {
            Ok(()) => Poll::Pending,
            Err(e) => Poll::Ready(e),
        }
    }

    /// A future waiting on `dir` with its own entry in the direction's list.
    pub(crate) fn waiter(&self, dir: Direction) -> Waiter<'_> {
        Waiter::new(self, dir)
    }

    /// Parks a [`Waiter`]'s entry, like [`park`](Self::park) does the stored waker, with
    /// the same result: `Pending`, or `Ready` with the backend's error.
    pub(super) fn park_entry(
        &self,
        cx: &mut Context<'_>,
        dir: Direction,
        entry: &mut Option<usize>,
    ) -> Poll<io::Error> {
        let displaced = self.io.park_entry(dir, entry, cx.waker());
        let rearmed = self.reactor.rearm(self.fd, self.key, dir);
        drop(displaced); // after every use of the reactor, as in `park`
        match rearmed {
            Ok(()) => Poll::Pending,
            Err(e) => Poll::Ready(e),
        }
    }

    /// Removes a [`Waiter`]'s entry (its future is done).
    pub(super) fn leave(&self, dir: Direction, key: usize) {
        let waker = self.io.leave(dir, key);
        drop(waker); // the list's borrow has ended
    }

    /// Forgets that `dir` was ready: the syscall said `WouldBlock`, or a short write showed
    /// the kernel buffer full, or a short read showed it drained on a socket where that
    /// holds (`ShortRead::Drains`). The next attempt parks first.
    ///
    /// A short read clears only `READABLE`, keeping `READ_CLOSED`: the EOF the peer sent
    /// with its last bytes must still be read, and no new event would announce it. While
    /// urgent data is pending (`PRIORITY`) a short read proves nothing — `recv` stops at
    /// the urgent mark — so only `WouldBlock` clears readiness then.
    pub(crate) fn clear_readiness(&self, dir: Direction, would_block: bool) {
        let mask = match (dir, would_block) {
            (Direction::Read, true) => Readiness::READ_SIDE.union(Readiness::PRIORITY),
            (Direction::Read, false) if self.io.readiness().intersects(Readiness::PRIORITY) => {
                return;
            }
            (Direction::Read, false) => Readiness::READABLE,
            // On WouldBlock the kernel says "not writable" whatever an earlier hang-up or
            // error event said; keeping WRITE_CLOSED would retry the syscall forever.
            (Direction::Write, true) => Readiness::WRITE_SIDE,
            (Direction::Write, false) => Readiness::WRITABLE,
        };
        self.io.clear(mask);
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.reactor.remove(self.fd, self.key);
        // Parked wakers drop last, with nothing borrowed.
        drop(self.io.clear_waiters());
    }
}

/// The interest a parked direction asks the backend to re-arm.
pub(crate) fn interest(dir: Direction) -> Interest {
    match dir {
        Direction::Read => Interest::READABLE,
        Direction::Write => Interest::WRITABLE,
    }
}
