//! The readiness helper: "try the syscall; on `WouldBlock` wait for readiness; retry",
//! written once for every socket type.

use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::task::{ready, Context, Poll};

use crate::coop;
use crate::reactor::{Assume, Direction, Registration, Waiter};
use crate::sys::Interest;

/// The one direction `interest` names, for the public `try_io`/`async_io` of sockets,
/// which run a system call of the caller's own under one direction's readiness.
pub(crate) fn direction(interest: Interest) -> io::Result<Direction> {
    match (interest.is_readable(), interest.is_writable()) {
        (true, false) => Ok(Direction::Read),
        (false, true) => Ok(Direction::Write),
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "try_io/async_io take Interest::READABLE or Interest::WRITABLE, not both",
        )),
    }
}

/// What a short `recv` (fewer bytes than the buffer holds) proves about a stream socket's
/// receive queue; each stream family names its own (`StreamKind::SHORT_READ` in
/// `net/stream_socket.rs`) to [`Source::poll_recv`]. `pub` because that sealed trait's
/// items are; `io::source` is crate-private, so the type is not reachable from outside.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShortRead {
    /// The queue is drained: TCP's `recv` copies until the buffer is full or the queue is
    /// empty (urgent data aside: see `Registration::clear_readiness`). Read readiness is
    /// cleared, and the next read parks without a syscall that would only see `EAGAIN`.
    Drains,
    /// Nothing: a Unix stream's `recv` stops early with bytes still queued (after a message
    /// that carried `SCM_RIGHTS`, at a change of writer under `SO_PASSCRED`, at an
    /// out-of-band mark), and an edge-triggered backend (epoll, kqueue) sends no new event
    /// for bytes that were already there. Only `WouldBlock` clears readiness, at the cost
    /// of one `recv` that sees `EAGAIN` per drained read.
    ProvesNothing,
}

/// An fd-owning I/O object registered with the reactor.
///
/// Field order matters: `registration` is dropped first, deregistering the fd from the
/// backend while it is still open; then `io` closes it.
#[derive(Debug)]
pub(crate) struct Source<T: AsRawFd> {
    registration: Registration,
    io: T,
}

impl<T: AsRawFd> Source<T> {
    /// Registers `io` with this thread's reactor, starting from what `assume` says.
    pub(crate) fn new(io: T, assume: Assume) -> io::Result<Source<T>> {
        Source::try_new(io, assume).map_err(|(e, _)| e)
    }

    /// [`new`](Self::new), handing `io` back with the error if it cannot be registered.
    pub(crate) fn try_new(io: T, assume: Assume) -> Result<Source<T>, (io::Error, T)> {
        match Registration::new(io.as_raw_fd(), assume) {
            Ok(registration) => Ok(Source { registration, io }),
            Err(e) => Err((e, io)),
        }
    }

    /// The I/O object.
    pub(crate) fn get_ref(&self) -> &T {
        &self.io
    }

    /// The I/O object, mutably (its fd must stay the same).
    pub(crate) fn get_mut(&mut self) -> &mut T {
        &mut self.io
    }

    /// Deregisters, then hands the I/O object back, still open.
    pub(crate) fn into_inner(self) -> T {
        let Source { registration, io } = self;
        drop(registration);
        io
    }

    /// The raw fd.
    pub(crate) fn fd(&self) -> RawFd {
        self.io.as_raw_fd()
    }

    /// Waits until `dir` may make progress, holding this future's own entry in the
    /// direction's list of waiters: for the `async fn`s (`readable`, ...), which any number
    /// of tasks may await at once. Spends one unit of the cooperative budget when ready.
    pub(crate) fn ready(&self, dir: Direction) -> Waiter<'_> {
        self.registration.waiter(dir)
    }

    /// Runs `op` when `dir` is ready; on `WouldBlock` clears readiness and waits again; on
    /// `EINTR` retries: [`poll_io`](Self::poll_io) for the `async fn`s (`recv_from`,
    /// `accept`, ...), waiting through one [`Waiter`] (its own entry) across its retries.
    pub(crate) async fn io<R>(
        &self,
        dir: Direction,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        let mut waiter = self.ready(dir);
        std::future::poll_fn(|cx| self.poll_io_with(cx, dir, |cx| waiter.poll_ready(cx), &mut op))
            .await
    }

    /// Waits until `dir` may make progress, without trying any syscall.
    pub(crate) fn poll_ready(&self, cx: &mut Context<'_>, dir: Direction) -> Poll<io::Result<()>> {
        self.registration.poll_ready(cx, dir)
    }

    /// Like `poll_ready`, but spending the task's cooperative budget like an operation,
    /// for public readiness waits: a loop of "ready, try, would block" that never clears
    /// readiness still yields to other tasks instead of holding the thread forever.
    pub(crate) fn poll_ready_coop(
        &self,
        cx: &mut Context<'_>,
        dir: Direction,
    ) -> Poll<io::Result<()>> {
        ready!(coop::poll_proceed(cx));
        let result = ready!(self.registration.poll_ready(cx, dir));
        coop::consume();
        Poll::Ready(result)
    }

    /// Forgets `dir`'s readiness after a spurious wake (e.g. a connect not yet done).
    pub(crate) fn clear_readiness(&self, dir: Direction) {
        self.registration.clear_readiness(dir, true);
    }

    /// Runs `op` once, without waiting: `WouldBlock` if `dir` is not known ready or the
    /// syscall says so, and in the latter case readiness is cleared, so a task that then
    /// awaits readiness parks instead of spinning.
    pub(crate) fn try_io<R>(
        &self,
        dir: Direction,
        op: impl FnOnce(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        if !self.registration.is_ready(dir) {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let result = op(&self.io);
        if matches!(&result, Err(e) if e.kind() == io::ErrorKind::WouldBlock) {
            self.registration.clear_readiness(dir, true);
        }
        result
    }

    /// Runs `op` when `dir` is ready; on `WouldBlock` clears readiness and parks (as
    /// `dir`'s stored waker: the last task to call this is the one woken); on `EINTR`
    /// retries. Spends one unit of the task's cooperative budget per completion.
    pub(crate) fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        dir: Direction,
        op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        let wait = |cx: &mut Context<'_>| self.registration.poll_ready(cx, dir);
        self.poll_io_with(cx, dir, wait, op)
    }

    /// The "try; on `WouldBlock` clear readiness and wait again" loop, written once, with
    /// `wait` as the way to wait: the stored waker or a [`Waiter`]'s entry.
    #[inline]
    fn poll_io_with<R>(
        &self,
        cx: &mut Context<'_>,
        dir: Direction,
        mut wait: impl FnMut(&mut Context<'_>) -> Poll<io::Result<()>>,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        ready!(coop::poll_proceed(cx));
        loop {
            ready!(wait(cx))?;
            match op(&self.io) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.registration.clear_readiness(dir, true)
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                result => {
                    coop::consume();
                    return Poll::Ready(result);
                }
            }
        }
    }

    /// Reads with `recv`; `short_read` says whether a short read clears readiness (see
    /// [`ShortRead`]).
    ///
    /// The "not ready: park" case is checked inline, before the out-of-line syscall path,
    /// because every request ends in it (the read after the reply parks).
    #[inline]
    pub(crate) fn poll_recv(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
        short_read: ShortRead,
    ) -> Poll<io::Result<usize>> {
        if !buf.is_empty() && !self.registration.is_ready(Direction::Read) {
            return self.registration.park(cx, Direction::Read).map(Err);
        }
        self.recv_now(cx, buf, short_read)
    }

    #[inline(never)]
    fn recv_now(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
        short_read: ShortRead,
    ) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0)); // not EOF, and readiness untouched
        }
        let len = buf.len();
        let recv = |io: &T| crate::sys::socket::recv(io.as_raw_fd(), buf);
        let n = ready!(self.poll_io(cx, Direction::Read, recv))?;
        if n > 0 && n < len && short_read == ShortRead::Drains {
            self.registration.clear_readiness(Direction::Read, false);
        }
        Poll::Ready(Ok(n))
    }

    /// Writes with `send`. A short write means the kernel buffer is full: readiness is
    /// cleared and the next write parks until the backend reports space.
    #[inline]
    pub(crate) fn poll_send(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        if !buf.is_empty() && !self.registration.is_ready(Direction::Write) {
            return self.registration.park(cx, Direction::Write).map(Err);
        }
        self.send_now(cx, buf)
    }

    /// Writes several buffers with one `sendmsg`; readiness as [`poll_send`](Self::poll_send).
    pub(crate) fn poll_send_vectored(
        &self,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let len: usize = bufs.iter().map(|b| b.len()).sum();
        if len == 0 {
            return Poll::Ready(Ok(0));
        }
        if !self.registration.is_ready(Direction::Write) {
            return self.registration.park(cx, Direction::Write).map(Err);
        }
        let send = |io: &T| crate::sys::socket::send_vectored(io.as_raw_fd(), bufs);
        let n = ready!(self.poll_io(cx, Direction::Write, send))?;
        if n < len {
            self.registration.clear_readiness(Direction::Write, false);
        }
        Poll::Ready(Ok(n))
    }

    #[inline(never)]
    fn send_now(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let send = |io: &T| crate::sys::socket::send(io.as_raw_fd(), buf);
        let n = ready!(self.poll_io(cx, Direction::Write, send))?;
        if n < buf.len() {
            self.registration.clear_readiness(Direction::Write, false);
        }
        Poll::Ready(Ok(n))
    }
}
