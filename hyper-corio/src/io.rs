//! `CorioIo`: hyper's [`Read`]/[`Write`] over corio's [`AsyncRead`]/[`AsyncWrite`].

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use corio::io::{AsyncRead, AsyncWrite};
use hyper::rt::{Read, ReadBufCursor, Write};
use pin_project_lite::pin_project;

/// Bounds of the read window: how much of hyper's spare buffer one read offers.
///
/// hyper hands over its spare capacity as possibly uninitialised memory, and corio reads
/// into `&mut [u8]`, so whatever is offered is zeroed first. Offering all of it (often
/// 8 KiB, up to hundreds) to read a 100-byte request made `memset` the top user-space
/// cost of a keep-alive server; the window follows what reads actually return instead,
/// as hyper's own read strategy does.
const MIN_WINDOW: usize = 2 * 1024;
const MAX_WINDOW: usize = 64 * 1024;

/// The next window after a read of `n` bytes into `window`: doubled when the read filled
/// it, halved when it used under a quarter.
fn next_window(window: usize, n: usize) -> usize {
    if n == window {
        (window * 2).min(MAX_WINDOW)
    } else if n < window / 4 {
        (window / 2).max(MIN_WINDOW)
    } else {
        window
    }
}

pin_project! {
    /// A corio byte stream (a [`TcpStream`](corio::net::TcpStream), a
    /// [`UnixStream`](corio::net::UnixStream), a split half, an
    /// [`AsyncFd`](corio::io::AsyncFd), or any [`AsyncRead`] + [`AsyncWrite`]) as hyper's
    /// I/O: hand it to `serve_connection` or a client `handshake`.
    ///
    /// - `poll_read` reads into the unfilled part of hyper's buffer. That part may be
    ///   uninitialised memory and corio reads into `&mut [u8]`, so the part offered is
    ///   zeroed first; the offer is a window (2 to 64 KiB) that doubles when a read fills
    ///   it and halves when a read uses under a quarter, so small requests cost a small
    ///   `memset` and large bodies still move in large reads.
    /// - `poll_write` and `poll_flush` forward; `poll_shutdown` is corio's `poll_close`
    ///   (`shutdown(Write)` on a socket: the peer reads end of stream, reading goes on).
    ///   corio has no vectored writes, so hyper flattens its buffers into one `send`.
    #[derive(Debug)]
    pub struct CorioIo<T> {
        #[pin]
        inner: T,
        window: usize,
    }
}

impl<T> CorioIo<T> {
    /// Wraps `inner`.
    pub fn new(inner: T) -> CorioIo<T> {
        CorioIo {
            inner,
            window: MIN_WINDOW,
        }
    }

    /// The wrapped stream.
    pub fn inner(&self) -> &T {
        &self.inner
    }

    /// The wrapped stream, mutably.
    pub fn inner_mut(&mut self) -> &mut T {
        &mut self.inner
    }

    /// Unwraps the stream (after an upgrade, say).
    pub fn into_inner(self) -> T {
        self.inner
    }
}

impl<T: AsyncRead> Read for CorioIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.project();
        let len = (*this.window).min(buf.remaining());
        // Zeroes whatever of the first `len` unfilled bytes is not yet initialised, and
        // hands them out as `&mut [u8]`: no `unsafe` needed to read into them.
        let dst = buf.initialize_unfilled_to(len);
        let n = ready!(this.inner.poll_read(cx, dst))?;
        // A reader claiming more than it was given would make `advance` lie: refuse.
        assert!(
            n <= len,
            "AsyncRead::poll_read returned {n} for a {len}-byte buffer"
        );
        // SAFETY: `advance(n)` requires the next `n` unfilled bytes to be initialised.
        // `initialize_unfilled_to(len)` initialised the first `len` of them, and
        // `n <= len` was just checked.
        unsafe { buf.advance(n) };
        if len == *this.window {
            *this.window = next_window(len, n);
        }
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncWrite> Write for CorioIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.project().inner.poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_close(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_follows_the_reads() {
        assert_eq!(next_window(MIN_WINDOW, MIN_WINDOW), 2 * MIN_WINDOW);
        assert_eq!(next_window(MAX_WINDOW, MAX_WINDOW), MAX_WINDOW);
        assert_eq!(next_window(8192, 8192 / 2), 8192);
        assert_eq!(next_window(8192, 100), 4096);
        assert_eq!(next_window(MIN_WINDOW, 0), MIN_WINDOW);
    }
}
