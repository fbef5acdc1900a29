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

/// Future of [`AsyncReadExt::read_buf`](super::AsyncReadExt::read_buf).
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct ReadBuf<'a, R: ?Sized> {
    pub(super) reader: &'a mut R,
    pub(super) buf: &'a mut Vec<u8>,
}

/// What `read_buf` reserves when the vector has no spare capacity (as `bytes`' `BufMut`
/// for `Vec<u8>` does, which tokio's `read_buf` uses).
const READ_BUF_RESERVE: usize = 64;

impl<R: AsyncRead + Unpin + ?Sized> Future for ReadBuf<'_, R> {
    type Output = io::Result<usize>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let len = this.buf.len();
        if this.buf.capacity() == len {
            this.buf.reserve(READ_BUF_RESERVE);
        }
        // The spare capacity is lent zero-filled (an `AsyncRead` reads into initialised
        // bytes), at most `MAX_CHUNK` of it so a large capacity costs no large fill per
        // read; whatever the outcome, `buf` is cut back to the bytes actually read.
        let lend = (this.buf.capacity() - len).min(MAX_CHUNK);
        this.buf.resize(len + lend, 0);
        let polled = Pin::new(&mut *this.reader).poll_read(cx, &mut this.buf[len..]);
        let read = match &polled {
            Poll::Ready(Ok(n)) => (*n).min(lend),
            _ => 0,
        };
        this.buf.truncate(len + read);
        polled.map_ok(|_| read)
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
        ready!(poll_read_to_end(Pin::new(&mut *this.reader), cx, this.buf))?;
        Poll::Ready(Ok(this.buf.len() - this.start))
    }
}

/// Appends to `buf` until `reader` ends. On `Pending` or an error, `buf` holds what was
/// read so far.
fn poll_read_to_end<R: AsyncRead + ?Sized>(
    mut reader: Pin<&mut R>,
    cx: &mut Context<'_>,
    buf: &mut Vec<u8>,
) -> Poll<io::Result<()>> {
    loop {
        if buf.capacity() - buf.len() < INITIAL_CHUNK {
            buf.reserve(INITIAL_CHUNK.max(buf.len()));
        }
        let len = buf.len();
        let spare = (buf.capacity() - len).min(MAX_CHUNK);
        // Zero-fill the spare part so it can be lent as `&mut [u8]` without unsafe.
        buf.resize(len + spare, 0);
        let result = reader.as_mut().poll_read(cx, &mut buf[len..]);
        let n = match result {
            Poll::Ready(Ok(n)) => n.min(spare),
            other => {
                buf.truncate(len);
                return match other {
                    Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
                    _ => Poll::Pending,
                };
            }
        };
        buf.truncate(len + n);
        if n == 0 {
            return Poll::Ready(Ok(()));
        }
    }
}

/// Future of [`AsyncReadExt::read_to_string`](super::AsyncReadExt::read_to_string).
///
/// It reads into the string's own allocation, taken out of the string for the duration;
/// dropping the future unfinished puts the original contents back.
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct ReadToString<'a, R: ?Sized> {
    reader: &'a mut R,
    buf: &'a mut String,
    /// The string's bytes, then what was read appended.
    bytes: Vec<u8>,
    /// The string's length when the call began; `None` once finished.
    start: Option<usize>,
}

impl<'a, R: ?Sized> ReadToString<'a, R> {
    pub(super) fn new(reader: &'a mut R, buf: &'a mut String) -> Self {
        let bytes = std::mem::take(buf).into_bytes();
        let start = Some(bytes.len());
        ReadToString {
            reader,
            buf,
            bytes,
            start,
        }
    }

    /// Puts the string back with its first `keep` bytes, which are UTF-8 (the original
    /// contents, or those plus validated text).
    fn restore(&mut self, keep: usize) {
        let mut bytes = std::mem::take(&mut self.bytes);
        bytes.truncate(keep);
        *self.buf = String::from_utf8(bytes).unwrap_or_default();
    }
}

impl<R: AsyncRead + Unpin + ?Sized> Future for ReadToString<'_, R> {
    type Output = io::Result<usize>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let Some(start) = this.start else {
            return Poll::Ready(Err(io::Error::other(
                "ReadToString polled after completion",
            )));
        };
        let result = ready!(poll_read_to_end(
            Pin::new(&mut *this.reader),
            cx,
            &mut this.bytes
        ));
        this.start = None;
        let outcome = match result {
            Ok(()) => match std::str::from_utf8(&this.bytes[start..]) {
                Ok(_) => Ok(this.bytes.len() - start),
                Err(_) => {
                    let read = this.bytes.split_off(start);
                    Err(match String::from_utf8(read) {
                        Err(e) => io::Error::new(io::ErrorKind::InvalidData, e),
                        Ok(_) => io::Error::new(io::ErrorKind::InvalidData, "stream is not UTF-8"),
                    })
                }
            },
            Err(e) => {
                this.bytes.truncate(start);
                Err(e)
            }
        };
        let keep = this.bytes.len();
        this.restore(keep);
        Poll::Ready(outcome)
    }
}

impl<R: ?Sized> Drop for ReadToString<'_, R> {
    fn drop(&mut self) {
        if let Some(start) = self.start {
            self.restore(start);
        }
    }
}

/// Future of the `read_u8` ... `read_i64_le` methods of
/// [`AsyncReadExt`](super::AsyncReadExt): reads exactly `len` bytes, then decodes them.
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct ReadInt<'a, R: ?Sized, T> {
    pub(super) reader: &'a mut R,
    pub(super) bytes: [u8; 8],
    pub(super) len: usize,
    pub(super) filled: usize,
    pub(super) decode: fn([u8; 8]) -> T,
}

impl<R: AsyncRead + Unpin + ?Sized, T> Future for ReadInt<'_, R, T> {
    type Output = io::Result<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        while this.filled < this.len {
            let (filled, len) = (this.filled, this.len);
            let n =
                ready!(Pin::new(&mut *this.reader).poll_read(cx, &mut this.bytes[filled..len]))?;
            if n == 0 {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("stream ended after {filled} of {len} bytes"),
                )));
            }
            this.filled += n.min(len - filled);
        }
        Poll::Ready(Ok((this.decode)(this.bytes)))
    }
}
