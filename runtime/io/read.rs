//! The futures behind [`AsyncReadExt`](super::AsyncReadExt)'s methods.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use super::AsyncRead;

/// Future of [`AsyncReadExt::read`](super::AsyncReadExt::read).
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct Read<'a, R: ?Sized> {
    pub(super) reader: &'a mut R,
    pub(super) buf: &'a mut [u8],
}

impl<R: AsyncRead + Unpin + ?Sized> Future for Read<'_, R> {
    type Output = io::Result<usize>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        Pin::new(&mut *this.reader).poll_read(cx, this.buf)
    }
}

/// Future of [`AsyncReadExt::read_exact`](super::AsyncReadExt::read_exact).
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct ReadExact<'a, R: ?Sized> {
    pub(super) reader: &'a mut R,
    pub(super) buf: &'a mut [u8],
    pub(super) filled: usize,
}

impl<R: AsyncRead + Unpin + ?Sized> Future for ReadExact<'_, R> {
    type Output = io::Result<()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        while this.filled < this.buf.len() {
            let n =
                ready!(Pin::new(&mut *this.reader).poll_read(cx, &mut this.buf[this.filled..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!(
                        "stream ended after {} of {} bytes",
                        this.filled,
                        this.buf.len()
                    ),
                )));
            }
            this.filled += n;
        }
        Poll::Ready(Ok(()))
    }
}

/// Future of [`AsyncReadExt::read_to_end`](super::AsyncReadExt::read_to_end).
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct ReadToEnd<'a, R: ?Sized> {
    pub(super) reader: &'a mut R,
    pub(super) buf: &'a mut Vec<u8>,
    pub(super) start: usize,
}

/// The first read size; the vector's spare capacity then grows geometrically.
const INITIAL_CHUNK: usize = 4096;
/// The most one read is lent: the lent part is zero-filled first, so lending all of a
/// large spare capacity on every read would cost quadratic time.
const MAX_CHUNK: usize = 64 * 1024;

impl<R: AsyncRead + Unpin + ?Sized> Future for ReadToEnd<'_, R> {
    type Output = io::Result<usize>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        loop {
            if this.buf.capacity() - this.buf.len() < INITIAL_CHUNK {
                this.buf.reserve(INITIAL_CHUNK.max(this.buf.len()));
            }
            let len = this.buf.len();
            let spare = (this.buf.capacity() - len).min(MAX_CHUNK);
            // Zero-fill the spare part so it can be lent as `&mut [u8]` without unsafe.
            this.buf.resize(len + spare, 0);
            let result = Pin::new(&mut *this.reader).poll_read(cx, &mut this.buf[len..]);
            let n = match result {
                Poll::Ready(Ok(n)) => n,
                other => {
                    this.buf.truncate(len);
                    return match other {
                        Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
                        _ => Poll::Pending,
                    };
                }
            };
            this.buf.truncate(len + n);
            if n == 0 {
                return Poll::Ready(Ok(this.buf.len() - this.start));
            }
        }
    }
}
