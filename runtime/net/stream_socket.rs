//! `StreamSocket<K>`: a connected stream socket of family `K`, the one type behind
//! [`TcpStream`](super::TcpStream) (`StreamSocket<Tcp>`) and
//! [`UnixStream`](super::UnixStream) (`StreamSocket<Unix>`).
//!
//! What the two families share is written here once, in plain impls: the readiness pair,
//! the addresses, `shutdown`, the halves, `AsyncRead`/`AsyncWrite` (for the stream and
//! for a reference to it) and `AsRawFd`. What differs is a [`StreamKind`]: the socket object
//! held, how its addresses are read, and what a short read proves. Connecting and the
//! family's own options (`set_nodelay`, `pair`, ...) are in `net/stream.rs` and
//! `net/unix/stream.rs`.

use std::fmt;
use std::io::{self, IoSlice};
use std::net::Shutdown;
use std::os::fd::{AsRawFd, RawFd};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use crate::io::source::{direction, ShortRead, Source};
use crate::io::{AsyncRead, AsyncWrite};
use crate::reactor::{Assume, Direction};
use crate::sys::{socket, Interest};

use super::split::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, WriteHalf};

pub(super) mod sealed {
    /// Keeps [`StreamKind`](super::StreamKind) to corio's two families.
    pub trait Sealed {}
}

/// A family of stream sockets: `Tcp` or `Unix`, the parameter of [`StreamSocket`].
/// Sealed: corio implements it for those two only.
pub trait StreamKind: sealed::Sealed + fmt::Debug + Sized {
    /// The address of either end: `std::net::SocketAddr` or
    /// `std::os::unix::net::SocketAddr`.
    type Addr;
    /// The socket the stream owns and registers with the reactor: an `OwnedFd` for TCP,
    /// std's `UnixStream` for Unix (whose address methods build the Unix `SocketAddr`).
    type Io: AsRawFd + fmt::Debug;
    /// What a short `recv` proves about this family's receive queue.
    const SHORT_READ: ShortRead;
    /// This end's address.
    fn local_addr(io: &Self::Io) -> io::Result<Self::Addr>;
    /// The peer's address.
    fn peer_addr(io: &Self::Io) -> io::Result<Self::Addr>;
}

/// A connected stream socket of family `K`, used as [`TcpStream`](super::TcpStream)
/// (`StreamSocket<Tcp>`) or [`UnixStream`](super::UnixStream) (`StreamSocket<Unix>`).
///
/// Everything the two share is here, written once: reading and writing
/// ([`AsyncRead`]/[`AsyncWrite`], for the stream and for `&StreamSocket`), splitting into
/// halves, waiting on readiness from several tasks, the addresses and `shutdown`. The
/// [`TcpStream`](super::TcpStream) page says how reads and writes from several tasks
/// behave; it holds for both families. Each family's own methods (`connect`,
/// `set_nodelay`, `pair`, ...) are listed here too, under `impl StreamSocket<Tcp>` and
/// `impl StreamSocket<Unix>`.
#[derive(Debug)]
pub struct StreamSocket<K: StreamKind> {
    pub(super) source: Source<K::Io>,
}

impl<K: StreamKind> StreamSocket<K> {
    /// Registers the non-blocking socket `io`: `Assume::Ready` once connected,
    /// `Assume::NotReady` while a connect is in progress.
    pub(super) fn new(io: K::Io, assume: Assume) -> io::Result<StreamSocket<K>> {
        Ok(StreamSocket {
            source: Source::new(io, assume)?,
        })
    }

    /// Waits until the stream may be readable (without reading). Readiness is a hint:
    /// follow it with [`try_read`](Self::try_read), whose `WouldBlock` clears it, so the
    /// next `readable().await` waits for a new event.
    pub async fn readable(&self) -> io::Result<()> {
        self.source.ready(Direction::Read).await
    }

    /// Waits until the stream may be writable (without writing); follow it with
    /// [`try_write`](Self::try_write), as for [`readable`](Self::readable).
    pub async fn writable(&self) -> io::Result<()> {
        self.source.ready(Direction::Write).await
    }

    /// Reads without waiting: `Ok(n)`, `Ok(0)` at end of stream, or `WouldBlock` (which
    /// clears read readiness) when nothing is buffered.
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.source
            .try_io(Direction::Read, |s| socket::recv(s.as_raw_fd(), buf))
    }

    /// Writes without waiting: `Ok(n)`, or `WouldBlock` (which clears write readiness)
    /// when the send buffer is full.
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.source
            .try_io(Direction::Write, |s| socket::send(s.as_raw_fd(), buf))
    }

    /// Runs `f`, a system call of the caller's own on this socket (`sendfile`, `splice`,
    /// a `recv` with flags), if the stream is known ready for `interest`; otherwise
    /// `WouldBlock` without calling it. A `WouldBlock` from `f` clears that readiness, so
    /// the next wait parks until the kernel reports the socket ready again: `f` must be
    /// the call that would block, on this socket's fd. tokio's `try_io`.
    ///
    /// `interest` is [`Interest::READABLE`] or [`Interest::WRITABLE`]; both at once is
    /// `InvalidInput` (tokio accepts both: corio tracks and clears each direction on its
    /// own, so a call must say which one its `WouldBlock` is about).
    pub fn try_io<R>(
        &self,
        interest: Interest,
        f: impl FnOnce() -> io::Result<R>,
    ) -> io::Result<R> {
        self.source.try_io(direction(interest)?, |_| f())
    }

    /// Waits until the stream is ready for `interest`, then runs `f`; after each
    /// `WouldBlock` from `f` clears readiness and waits again, and after `Interrupted`
    /// retries, until `f` returns anything else: tokio's `async_io`, the waiting form of
    /// [`try_io`](Self::try_io) (same rule for `interest`).
    ///
    /// # Cancel safety
    /// Cancellation safe as far as corio goes: dropped before `f` succeeds, it has done
    /// nothing but the calls that would block.
    pub async fn async_io<R>(
        &self,
        interest: Interest,
        mut f: impl FnMut() -> io::Result<R>,
    ) -> io::Result<R> {
        self.source.io(direction(interest)?, |_| f()).await
    }

    /// This end's address: a `std::net::SocketAddr` for TCP, a
    /// `std::os::unix::net::SocketAddr` for Unix (unnamed for a connecting socket).
    pub fn local_addr(&self) -> io::Result<K::Addr> {
        K::local_addr(self.source.get_ref())
    }

    /// The peer's address: a `std::net::SocketAddr` for TCP, a
    /// `std::os::unix::net::SocketAddr` for Unix (the listener's path, for a client).
    pub fn peer_addr(&self) -> io::Result<K::Addr> {
        K::peer_addr(self.source.get_ref())
    }

    /// Shuts down the read half, the write half (sends FIN) or both, at once: std's
    /// `shutdown(how)`. It has another name here because `stream.shutdown().await` is
    /// tokio's way to finish the write half ([`AsyncWriteExt::shutdown`]), and an inherent
    /// method of that name would hide it.
    ///
    /// [`AsyncWriteExt::shutdown`]: crate::io::AsyncWriteExt
    pub fn shutdown_std(&self, how: Shutdown) -> io::Result<()> {
        socket::shutdown(self.source.fd(), how)
    }

    /// Shuts down the write side for `poll_close`: a peer that already left is not an
    /// error.
    pub(super) fn close_write(&self) -> io::Result<()> {
        match self.shutdown_std(Shutdown::Write) {
            Err(e) if e.raw_os_error() == Some(libc::ENOTCONN) => Ok(()),
            other => other,
        }
    }

    /// Borrows the stream as a read half and a write half, for two futures in one task.
    pub fn split(&self) -> (ReadHalf<'_, Self>, WriteHalf<'_, Self>) {
        (ReadHalf(self), WriteHalf(self))
    }

    /// Splits the stream into halves that can move into two tasks (on this thread).
    /// Dropping the write half shuts down the write side.
    pub fn into_split(self) -> (OwnedReadHalf<Self>, OwnedWriteHalf<Self>) {
        let stream = Rc::new(self);
        (OwnedReadHalf(stream.clone()), OwnedWriteHalf(stream))
    }
}

impl<K: StreamKind> AsyncRead for StreamSocket<K> {
    #[inline]
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.source.poll_recv(cx, buf, K::SHORT_READ)
    }
}

impl<K: StreamKind> AsyncWrite for StreamSocket<K> {
    #[inline]
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.source.poll_send(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.source.poll_send_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(())) // nothing is buffered in user space
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.close_write())
    }
}

/// So one task can read while another writes, each through its own `&StreamSocket`.
impl<K: StreamKind> AsyncRead for &StreamSocket<K> {
    #[inline]
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.source.poll_recv(cx, buf, K::SHORT_READ)
    }
}

impl<K: StreamKind> AsyncWrite for &StreamSocket<K> {
    #[inline]
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.source.poll_send(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.source.poll_send_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.close_write())
    }
}

impl<K: StreamKind> AsRawFd for StreamSocket<K> {
    fn as_raw_fd(&self) -> RawFd {
        self.source.fd()
    }
}
