//! `AsyncFd`: makes any non-blocking file descriptor async — a pipe, a tty, an eventfd, a
//! socket type corio does not wrap — with the same "try; on `WouldBlock` wait for
//! readiness; retry" helper the TCP types use.

use std::fmt;
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::source::Source;
use super::{AsyncRead, AsyncWrite};
use crate::reactor::{Assume, Direction};
use crate::sys;

/// An fd-owning object `T`, registered with the reactor.
///
/// ```
/// use corio::io::{AsyncFd, AsyncReadExt, AsyncWriteExt};
/// use std::os::unix::net::UnixStream; // any non-blocking fd will do
///
/// corio::block_on(async {
///     let (a, b) = UnixStream::pair()?;
///     a.set_nonblocking(true)?;
///     b.set_nonblocking(true)?;
///     let (mut a, mut b) = (AsyncFd::new(a)?, AsyncFd::new(b)?);
///     a.write_all(b"hi").await?;
///     let mut buf = [0; 2];
///     b.read_exact(&mut buf).await?;
///     assert_eq!(&buf, b"hi");
///     Ok::<(), std::io::Error>(())
/// })
/// .unwrap();
/// ```
///
/// For your own operations, [`read_with`](Self::read_with) and
/// [`write_with`](Self::write_with) run a closure on `&T` whenever the fd is ready and
/// retry it on `WouldBlock`; [`readable`](Self::readable) then
/// [`try_read_with`](Self::try_read_with) is the same loop written by hand.
/// `AsyncRead`/`AsyncWrite` use `read(2)`/`write(2)` on the fd.
///
/// The fd must be in non-blocking mode (otherwise an operation could block the whole
/// runtime): [`new`](Self::new) checks. Regular files cannot be registered with epoll or
/// kqueue (they are always "ready"): use [`spawn_blocking`](crate::task::spawn_blocking)
/// for disk I/O. Several tasks may wait on the same direction through the `async fn`s
/// (`readable`, `read_with`, ...); each is woken. The `poll_*` functions keep one waker
/// per direction: of several tasks polling one direction, only the last to park is woken.
pub struct AsyncFd<T: AsRawFd> {
    source: Source<T>,
}

impl<T: AsRawFd> AsyncFd<T> {
    /// Registers `inner`'s fd with this thread's reactor.
    ///
    /// # Errors
    /// `InvalidInput` if the fd is in blocking mode; the backend's error if the fd cannot
    /// be watched (`EPERM` for a regular file under epoll); outside a corio runtime.
    ///
    /// On error `inner` is dropped (its fd closed); [`try_new`](Self::try_new) hands it back.
    pub fn new(inner: T) -> io::Result<AsyncFd<T>> {
        AsyncFd::try_new(inner).map_err(|(e, _)| e)
    }

    /// Like [`new`](Self::new), but an error comes back with `inner`, still open, so the
    /// caller may fix it (set `O_NONBLOCK`) and try again, or use it some other way.
    ///
    /// # Errors
    /// As [`new`](Self::new), paired with `inner`.
    pub fn try_new(inner: T) -> Result<AsyncFd<T>, (io::Error, T)> {
        match sys::fd::is_nonblocking(inner.as_raw_fd()) {
            Ok(true) => {}
            Ok(false) => {
                let why = "AsyncFd needs a non-blocking fd (set O_NONBLOCK first)";
                return Err((io::Error::new(io::ErrorKind::InvalidInput, why), inner));
            }
            Err(e) => return Err((e, inner)),
        }
        let source = Source::try_new(inner, Assume::Ready)?;
        Ok(AsyncFd { source })
    }

    /// The wrapped object.
    pub fn get_ref(&self) -> &T {
        self.source.get_ref()
    }

    /// The wrapped object, mutably. Do not replace its fd.
    pub fn get_mut(&mut self) -> &mut T {
        self.source.get_mut()
    }

    /// Deregisters the fd and hands the object back, still open.
    pub fn into_inner(self) -> T {
        self.source.into_inner()
    }

    /// Waits until the fd may be readable. Readiness is a hint: follow it with
    /// [`try_read_with`](Self::try_read_with), whose `WouldBlock` clears it.
    pub async fn readable(&self) -> io::Result<()> {
        self.source.ready(Direction::Read).await
    }

    /// Waits until the fd may be writable; follow with
    /// [`try_write_with`](Self::try_write_with).
    pub async fn writable(&self) -> io::Result<()> {
        self.source.ready(Direction::Write).await
    }

    /// [`readable`](Self::readable) as a poll function.
    pub fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.source.poll_ready_coop(cx, Direction::Read)
    }

    /// [`writable`](Self::writable) as a poll function.
    pub fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.source.poll_ready_coop(cx, Direction::Write)
    }

    /// Runs `op` once if the fd is known readable; `WouldBlock` otherwise, or when `op`
    /// says so — which also clears readiness, so the next `readable()` waits for an event.
    pub fn try_read_with<R>(&self, op: impl FnOnce(&T) -> io::Result<R>) -> io::Result<R> {
        self.source.try_io(Direction::Read, op)
    }

    /// The write-side [`try_read_with`](Self::try_read_with).
    pub fn try_write_with<R>(&self, op: impl FnOnce(&T) -> io::Result<R>) -> io::Result<R> {
        self.source.try_io(Direction::Write, op)
    }

    /// Runs `op` when the fd is readable, parking on `WouldBlock` and retrying on
    /// `Interrupted`, until it gives anything else.
    pub async fn read_with<R>(&self, op: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        self.source.io(Direction::Read, op).await
    }

    /// The write-side [`read_with`](Self::read_with).
    pub async fn write_with<R>(&self, op: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        self.source.io(Direction::Write, op).await
    }

    /// [`read_with`](Self::read_with) as a poll function.
    pub fn poll_read_with<R>(
        &self,
        cx: &mut Context<'_>,
        op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.source.poll_io(cx, Direction::Read, op)
    }

    /// [`write_with`](Self::write_with) as a poll function.
    pub fn poll_write_with<R>(
        &self,
        cx: &mut Context<'_>,
        op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.source.poll_io(cx, Direction::Write, op)
    }
}

/// `read(2)` on the fd. A short read is not taken to mean "drained" (that holds for TCP
/// streams and pipes, not for every fd), so a read that finds nothing costs one `EAGAIN`.
impl<T: AsRawFd> AsyncRead for AsyncFd<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        self.poll_read_with(cx, |io| sys::fd::read(io.as_raw_fd(), buf))
    }
}

/// `write(2)` on the fd; closing does nothing (the fd closes when the `AsyncFd` drops).
impl<T: AsRawFd> AsyncWrite for AsyncFd<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        self.poll_write_with(cx, |io| sys::fd::write(io.as_raw_fd(), buf))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl<T: AsRawFd> AsRawFd for AsyncFd<T> {
    fn as_raw_fd(&self) -> RawFd {
        self.source.fd()
    }
}

impl<T: AsRawFd + fmt::Debug> fmt::Debug for AsyncFd<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncFd")
            .field("inner", self.get_ref())
            .finish()
    }
}
