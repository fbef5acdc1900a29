//! Halves of a stream socket ([`StreamSocket`]: `TcpStream`, `UnixStream`), so reading
//! and writing can proceed at once: borrowed halves for two futures in one task, owned
//! halves for two tasks on one thread. Each half reads or writes through the same
//! `Source` call as the stream's own `AsyncRead`/`AsyncWrite`.

use std::io::{self, IoSlice};
use std::net::Shutdown;
use std::os::fd::AsRawFd;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use crate::io::{AsyncRead, AsyncWrite};
use crate::sys::socket;

use super::stream_socket::{StreamKind, StreamSocket};
use super::TcpStream;

/// The read half of a borrowed stream, from [`StreamSocket::split`]
/// ([`TcpStream::split`], [`UnixStream::split`](super::UnixStream::split)).
#[derive(Debug)]
pub struct ReadHalf<'a, S = TcpStream>(pub(super) &'a S);

/// The write half of a borrowed stream, from [`StreamSocket::split`].
#[derive(Debug)]
pub struct WriteHalf<'a, S = TcpStream>(pub(super) &'a S);

/// The read half of a stream, from [`StreamSocket::into_split`]
/// ([`TcpStream::into_split`], [`UnixStream::into_split`](super::UnixStream::into_split)).
#[derive(Debug)]
pub struct OwnedReadHalf<S = TcpStream>(pub(super) Rc<S>);

/// The write half of a stream, from [`StreamSocket::into_split`]. Dropping it shuts down
/// the write side (the peer reads end of stream); the socket closes when both halves are
/// gone.
#[derive(Debug)]
pub struct OwnedWriteHalf<S: AsRawFd = TcpStream>(pub(super) Rc<S>);

impl<K: StreamKind> OwnedReadHalf<StreamSocket<K>> {
    /// The peer's address.
    pub fn peer_addr(&self) -> io::Result<K::Addr> {
        self.0.peer_addr()
    }
}

impl<K: StreamKind> OwnedWriteHalf<StreamSocket<K>> {
    /// The peer's address.
    pub fn peer_addr(&self) -> io::Result<K::Addr> {
        self.0.peer_addr()
    }
}

impl<S: AsRawFd> Drop for OwnedWriteHalf<S> {
    /// Sends FIN; errors (a peer already gone) are ignored, as `Drop` cannot report them.
    fn drop(&mut self) {
        let _ = socket::shutdown(self.0.as_raw_fd(), Shutdown::Write);
    }
}

impl<K: StreamKind> AsyncRead for ReadHalf<'_, StreamSocket<K>> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.0.source.poll_recv(cx, buf, K::SHORT_READ)
    }
}

impl<K: StreamKind> AsyncRead for OwnedReadHalf<StreamSocket<K>> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.0.source.poll_recv(cx, buf, K::SHORT_READ)
    }
}

impl<K: StreamKind> AsyncWrite for WriteHalf<'_, StreamSocket<K>> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.0.source.poll_send(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.0.source.poll_send_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.0.close_write())
    }
}

impl<K: StreamKind> AsyncWrite for OwnedWriteHalf<StreamSocket<K>> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.0.source.poll_send(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.0.source.poll_send_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.0.close_write())
    }
}
