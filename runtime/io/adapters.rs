//! `Take` and `Chain`: readers made from readers, by
//! [`AsyncReadExt::take`](super::AsyncReadExt::take) and
//! [`AsyncReadExt::chain`](super::AsyncReadExt::chain).

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use pin_project_lite::pin_project;

use super::{AsyncBufRead, AsyncRead};

pin_project! {
    /// A reader that ends after at most `limit` bytes of the underlying reader, from
    /// [`AsyncReadExt::take`](super::AsyncReadExt::take).
    ///
    /// Bounding untrusted input is its main use:
    /// `(&mut reader).take(limit).read_line(&mut line)` stops after `limit` bytes even if
    /// no `\n` comes, and leaves the rest in `reader`.
    #[derive(Debug)]
    #[must_use = "readers do nothing unless read from"]
    pub struct Take<R> {
        #[pin]
        inner: R,
        limit: u64,
    }
}

impl<R> Take<R> {
    pub(super) fn new(inner: R, limit: u64) -> Self {
        Take { inner, limit }
    }

    /// How many bytes may still be read before this reader ends.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// Sets how many bytes may still be read; a reader that had ended reads again.
    pub fn set_limit(&mut self, limit: u64) {
        self.limit = limit;
    }

    /// The underlying reader.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// The underlying reader, mutably. Reading from it directly does not count against
    /// the limit.
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// The underlying reader, pinned.
    pub fn get_pin_mut(self: Pin<&mut Self>) -> Pin<&mut R> {
        self.project().inner
    }

    /// Returns the underlying reader.
    pub fn into_inner(self) -> R {
        self.inner
    }
}

/// `len` capped at `limit`.
fn cap(len: usize, limit: u64) -> usize {
    usize::try_from(limit).map_or(len, |limit| len.min(limit))
}

impl<R: AsyncRead> AsyncRead for Take<R> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let me = self.project();
        if *me.limit == 0 {
            return Poll::Ready(Ok(0));
        }
        let allowed = cap(buf.len(), *me.limit);
        let n = ready!(me.inner.poll_read(cx, &mut buf[..allowed]))?.min(allowed);
        *me.limit -= n as u64;
        Poll::Ready(Ok(n))
    }
}

impl<R: AsyncBufRead> AsyncBufRead for Take<R> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let me = self.project();
        if *me.limit == 0 {
            return Poll::Ready(Ok(&[]));
        }
        let buf = ready!(me.inner.poll_fill_buf(cx))?;
        let n = cap(buf.len(), *me.limit);
        Poll::Ready(Ok(&buf[..n]))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        let me = self.project();
        let amt = cap(amt, *me.limit);
        *me.limit -= amt as u64;
        me.inner.consume(amt);
    }
}

pin_project! {
    /// A reader of `first`, then `second`, from
    /// [`AsyncReadExt::chain`](super::AsyncReadExt::chain).
    #[derive(Debug)]
    #[must_use = "readers do nothing unless read from"]
    pub struct Chain<T, U> {
        #[pin]
        first: T,
        #[pin]
        second: U,
        first_done: bool,
    }
}

impl<T, U> Chain<T, U> {
    pub(super) fn new(first: T, second: U) -> Self {
        Chain {
            first,
            second,
            first_done: false,
        }
    }

    /// Both readers.
    pub fn get_ref(&self) -> (&T, &U) {
        (&self.first, &self.second)
    }

    /// Both readers, mutably.
    pub fn get_mut(&mut self) -> (&mut T, &mut U) {
        (&mut self.first, &mut self.second)
    }

    /// Both readers, pinned.
    pub fn get_pin_mut(self: Pin<&mut Self>) -> (Pin<&mut T>, Pin<&mut U>) {
        let me = self.project();
        (me.first, me.second)
    }

    /// Returns both readers.
    pub fn into_inner(self) -> (T, U) {
        (self.first, self.second)
    }
}

impl<T: AsyncRead, U: AsyncRead> AsyncRead for Chain<T, U> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let me = self.project();
        if !*me.first_done {
            let n = ready!(me.first.poll_read(cx, buf))?;
            if n > 0 || buf.is_empty() {
                return Poll::Ready(Ok(n));
            }
            *me.first_done = true;
        }
        me.second.poll_read(cx, buf)
    }
}

impl<T: AsyncBufRead, U: AsyncBufRead> AsyncBufRead for Chain<T, U> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let me = self.project();
        if !*me.first_done {
            let buf = ready!(me.first.poll_fill_buf(cx))?;
            if !buf.is_empty() {
                return Poll::Ready(Ok(buf));
            }
            *me.first_done = true;
        }
        me.second.poll_fill_buf(cx)
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        let me = self.project();
        if *me.first_done {
            me.second.consume(amt)
        } else {
            me.first.consume(amt)
        }
    }
}
