//! `AsyncBufRead`, reading through a buffer the reader owns, and `AsyncBufReadExt`, the
//! methods application code awaits on it (`read_line`, `lines`, ...).

use std::io;
use std::ops::DerefMut;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::lines::{FillBuf, Lines, ReadLine, ReadUntil, Split};
use super::AsyncRead;

/// Reads through a buffer the reader owns: look at the buffered bytes
/// ([`poll_fill_buf`](Self::poll_fill_buf)), then say how many were used
/// ([`consume`](Self::consume)).
///
/// [`BufReader`](super::BufReader) makes any [`AsyncRead`] an `AsyncBufRead`.
/// The methods to await are on [`AsyncBufReadExt`].
pub trait AsyncBufRead: AsyncRead {
    /// Returns the buffered bytes, reading more from the source first only when the buffer
    /// is empty. An empty slice means end of stream. While the returned bytes are not
    /// consumed, calling this again returns them again at once, without reading: the
    /// extension methods rely on that.
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>>;

    /// Marks the first `amt` bytes of the buffer as used: the next
    /// [`poll_fill_buf`](Self::poll_fill_buf) starts after them. `amt` is at most the
    /// length of the last slice `poll_fill_buf` returned; more is clamped to it.
    fn consume(self: Pin<&mut Self>, amt: usize);
}

macro_rules! deref_async_buf_read {
    () => {
        fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
            Pin::new(&mut **self.get_mut()).poll_fill_buf(cx)
        }
        fn consume(mut self: Pin<&mut Self>, amt: usize) {
            Pin::new(&mut **self).consume(amt)
        }
    };
}

impl<T: ?Sized + AsyncBufRead + Unpin> AsyncBufRead for &mut T {
    deref_async_buf_read!();
}

impl<T: ?Sized + AsyncBufRead + Unpin> AsyncBufRead for Box<T> {
    deref_async_buf_read!();
}

impl<P> AsyncBufRead for Pin<P>
where
    P: DerefMut + Unpin,
    P::Target: AsyncBufRead,
{
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        self.get_mut().as_mut().poll_fill_buf(cx)
    }
    fn consume(self: Pin<&mut Self>, amt: usize) {
        self.get_mut().as_mut().consume(amt)
    }
}

/// Awaitable buffered reads for every [`AsyncBufRead`]: lines, delimited segments, and the
/// buffer itself.
///
/// ```
/// use corio::io::{AsyncBufReadExt, BufReader};
///
/// # corio::block_on(async {
/// let mut lines = BufReader::new(&b"one\r\ntwo\nthree"[..]).lines();
/// assert_eq!(lines.next_line().await?, Some("one".to_string()));
/// assert_eq!(lines.next_line().await?, Some("two".to_string()));
/// assert_eq!(lines.next_line().await?, Some("three".to_string()));
/// assert_eq!(lines.next_line().await?, None);
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
pub trait AsyncBufReadExt: AsyncBufRead {
    /// Returns the buffered bytes, reading more first if the buffer is empty; an empty
    /// slice means end of stream. Follow with [`consume`](Self::consume).
    ///
    /// # Cancel safety
    /// Cancellation safe: nothing is consumed until `consume` is called.
    fn fill_buf(&mut self) -> FillBuf<'_, Self>
    where
        Self: Unpin,
    {
        FillBuf { reader: Some(self) }
    }

    /// Marks `amt` buffered bytes as used (see [`AsyncBufRead::consume`]).
    fn consume(&mut self, amt: usize)
    where
        Self: Unpin,
    {
        Pin::new(self).consume(amt)
    }

    /// Appends bytes to `buf` up to and including the first `byte`, or up to end of stream;
    /// returns how many it appended. `Ok(0)` means the stream had already ended.
    ///
    /// On an I/O error, the bytes read before it are in `buf`.
    ///
    /// # Cancel safety
    /// Not cancellation safe in the sense that the call may stop mid-segment, but no byte
    /// is lost: every byte consumed from the reader has been appended to `buf`, so calling
    /// `read_until` again with the same `buf` finishes the segment.
    fn read_until<'a>(&'a mut self, byte: u8, buf: &'a mut Vec<u8>) -> ReadUntil<'a, Self>
    where
        Self: Unpin,
    {
        ReadUntil::new(self, byte, buf)
    }

    /// Appends one line, `\n` included (and a `\r` before it, if any), to `buf`; returns how
    /// many bytes it appended. The last line of a stream may end without `\n`. `Ok(0)`
    /// means the stream had already ended.
    ///
    /// Lines are unbounded: a peer that never sends `\n` makes `buf` grow until memory
    /// runs out. Bound untrusted input with [`take`](super::AsyncReadExt::take):
    /// `(&mut reader).take(limit).read_line(&mut buf)`, then treat a line of `limit` bytes
    /// without `\n` as too long.
    ///
    /// # Errors
    /// If the line is not UTF-8, fails with [`InvalidData`](io::ErrorKind::InvalidData)
    /// and leaves `buf` as it was. The line's bytes are consumed from the reader but not
    /// lost: the error carries them as a [`FromUtf8Error`](std::string::FromUtf8Error),
    /// so `err.into_inner()` then `downcast::<FromUtf8Error>()` and `into_bytes()` gives
    /// them back. The next call reads the next line.
    ///
    /// On an I/O error, the bytes read before it are appended to `buf` if they are valid
    /// UTF-8, and dropped otherwise.
    ///
    /// # Cancel safety
    /// Not cancellation safe: if the future is dropped before it completes, `buf` is left
    /// as it was and the bytes already consumed from the reader are lost. Use
    /// [`lines`](Self::lines) and [`Lines::next_line`] (which keeps a partial line between
    /// calls) in `select!` loops.
    fn read_line<'a>(&'a mut self, buf: &'a mut String) -> ReadLine<'a, Self>
    where
        Self: Unpin,
    {
        ReadLine::new(self, buf)
    }

    /// Turns the reader into a stream of lines, read with [`Lines::next_line`]. Each line
    /// comes without its `\n` or `\r\n`; the last may end without `\n`.
    ///
    /// Lines are unbounded (see [`read_line`](Self::read_line)); to bound the whole stream,
    /// wrap the reader first: `reader.take(limit).lines()`.
    fn lines(self) -> Lines<Self>
    where
        Self: Sized,
    {
        Lines::new(self)
    }

    /// Turns the reader into a stream of segments separated by `byte`, read with
    /// [`Split::next_segment`]. Each segment comes without the separator; the last may end
    /// without one.
    fn split(self, byte: u8) -> Split<Self>
    where
        Self: Sized,
    {
        Split::new(self, byte)
    }
}

impl<R: AsyncBufRead + ?Sized> AsyncBufReadExt for R {}

/// `&[u8]` is its own buffer: reading consumes it from the front.
impl AsyncBufRead for &[u8] {
    fn poll_fill_buf(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        Poll::Ready(Ok(*self.get_mut()))
    }
    fn consume(self: Pin<&mut Self>, amt: usize) {
        let this = self.get_mut();
        *this = &this[amt.min(this.len())..];
    }
}

/// Reads from the front of the slice, consuming what it copies.
impl AsyncRead for &[u8] {
    fn poll_read(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let n = this.len().min(buf.len());
        buf[..n].copy_from_slice(&this[..n]);
        *this = &this[n..];
        Poll::Ready(Ok(n))
    }
}
