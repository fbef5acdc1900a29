//! `BufReader`: an [`AsyncBufRead`] over any [`AsyncRead`].

use std::fmt;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use pin_project_lite::pin_project;

use super::{AsyncBufRead, AsyncRead, AsyncWrite};

/// The buffer size of [`BufReader::new`] and [`BufWriter::new`](super::BufWriter::new):
/// 8 KiB, as tokio's and std's.
pub(super) const DEFAULT_BUF_SIZE: usize = 8 * 1024;

pin_project! {
    /// Adds a buffer to a reader: many small reads (a line at a time, a header at a time)
    /// cost one read of the source per buffer-full, and the reader becomes an
    /// [`AsyncBufRead`] (`read_line`, `lines`, ... from
    /// [`AsyncBufReadExt`](super::AsyncBufReadExt)).
    ///
    /// A read into a slice at least as large as the buffer, while the buffer is empty,
    /// goes straight to the source. Writes (when `R` is also [`AsyncWrite`]) pass through
    /// unbuffered, so a `BufReader<TcpStream>` still answers on the same socket.
    ///
    /// Dropping a `BufReader` drops the bytes it has buffered; [`buffer`](Self::buffer)
    /// shows them first.
    ///
    /// ```no_run
    /// use corio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    /// use corio::net::TcpStream;
    ///
    /// # corio::block_on(async {
    /// let stream = TcpStream::connect("127.0.0.1:7000").await?;
    /// let mut stream = BufReader::new(stream);
    /// stream.write_all(b"HELLO\n").await?;
    /// let mut reply = String::new();
    /// stream.read_line(&mut reply).await?;
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub struct BufReader<R> {
        #[pin]
        inner: R,
        buf: Box<[u8]>,
        // The unread bytes are `buf[pos..filled]`.
        pos: usize,
        filled: usize,
    }
}

impl<R> BufReader<R> {
    /// Wraps `inner` with an 8 KiB buffer.
    pub fn new(inner: R) -> Self {
        Self::with_capacity(DEFAULT_BUF_SIZE, inner)
    }

    /// Wraps `inner` with a buffer of `capacity` bytes (at least 1: an empty buffer could
    /// not tell end of stream from a full buffer).
    pub fn with_capacity(capacity: usize, inner: R) -> Self {
        BufReader {
            inner,
            buf: vec![0; capacity.max(1)].into_boxed_slice(),
            pos: 0,
            filled: 0,
        }
    }

    /// The underlying reader.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// The underlying reader, mutably. Reading from it directly skips the buffered bytes.
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// The underlying reader, pinned.
    pub fn get_pin_mut(self: Pin<&mut Self>) -> Pin<&mut R> {
        self.project().inner
    }

    /// Returns the underlying reader; the buffered bytes are dropped.
    pub fn into_inner(self) -> R {
        self.inner
    }

    /// The bytes read from the source and not yet consumed.
    pub fn buffer(&self) -> &[u8] {
        &self.buf[self.pos..self.filled]
    }

    /// The buffer's size.
    pub fn capacity(&self) -> usize {
        self.buf.len()
    }

    fn discard_buffer(self: Pin<&mut Self>) {
        let me = self.project();
        *me.pos = 0;
        *me.filled = 0;
    }
}

impl<R: AsyncRead> AsyncRead for BufReader<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        // Nothing buffered and a large read: copying through the buffer would only cost.
        if self.pos == self.filled && buf.len() >= self.buf.len() {
            let result = ready!(self.as_mut().project().inner.poll_read(cx, buf));
            self.discard_buffer();
            return Poll::Ready(result);
        }
        let available = ready!(self.as_mut().poll_fill_buf(cx))?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Poll::Ready(Ok(n))
    }
}

impl<R: AsyncRead> AsyncBufRead for BufReader<R> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let me = self.project();
        if *me.pos >= *me.filled {
            let n = ready!(me.inner.poll_read(cx, me.buf))?;
            // A reader claiming more than it was lent is clamped rather than trusted.
            *me.filled = n.min(me.buf.len());
            *me.pos = 0;
        }
        Poll::Ready(Ok(&me.buf[*me.pos..*me.filled]))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        let me = self.project();
        *me.pos = (*me.pos + amt).min(*me.filled);
    }
}

/// Writes go straight to the underlying stream.
impl<R: AsyncRead + AsyncWrite> AsyncWrite for BufReader<R> {
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

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_close(cx)
    }
}

impl<R: fmt::Debug> fmt::Debug for BufReader<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BufReader")
            .field("inner", &self.inner)
            .field(
                "buffer",
                &format_args!("{}/{}", self.filled - self.pos, self.buf.len()),
            )
            .finish()
    }
}
