//! The futures and streams behind [`AsyncBufReadExt`](super::AsyncBufReadExt):
//! `fill_buf`, `read_until`, `read_line`, `lines` and `split`.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::string::FromUtf8Error;
use std::task::{ready, Context, Poll};

use pin_project_lite::pin_project;

use super::AsyncBufRead;

/// Future of [`AsyncBufReadExt::fill_buf`](super::AsyncBufReadExt::fill_buf).
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct FillBuf<'a, R: ?Sized> {
    pub(super) reader: Option<&'a mut R>,
}

impl<'a, R: AsyncBufRead + Unpin + ?Sized> Future for FillBuf<'a, R> {
    type Output = io::Result<&'a [u8]>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let Some(reader) = self.reader.take() else {
            return Poll::Ready(Err(io::Error::other("FillBuf polled after completion")));
        };
        match Pin::new(&mut *reader).poll_fill_buf(cx) {
            Poll::Pending => {
                self.reader = Some(reader);
                return Poll::Pending;
            }
            Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
            Poll::Ready(Ok([])) => return Poll::Ready(Ok(&[])),
            Poll::Ready(Ok(_)) => {}
        }
        // The slice above borrows `reader` only for this call, not for `'a`. The buffer is
        // not empty, so by `AsyncBufRead`'s contract a second call returns the same bytes
        // without reading, this time borrowed for `'a` (safe code cannot extend the first
        // borrow).
        Pin::new(reader).poll_fill_buf(cx)
    }
}

/// Appends to `buf` up to and including `delimiter`, or up to end of stream. Callers that
/// report a count take it from `buf`'s length: every byte consumed has been appended.
fn poll_read_until<R: AsyncBufRead + ?Sized>(
    mut reader: Pin<&mut R>,
    cx: &mut Context<'_>,
    delimiter: u8,
    buf: &mut Vec<u8>,
) -> Poll<io::Result<()>> {
    loop {
        let available = ready!(reader.as_mut().poll_fill_buf(cx))?;
        let (used, done) = match find_byte(delimiter, available) {
            Some(i) => (i + 1, true),
            None => (available.len(), available.is_empty()),
        };
        buf.extend_from_slice(&available[..used]);
        reader.as_mut().consume(used);
        if done {
            return Poll::Ready(Ok(()));
        }
    }
}

/// The index of the first `byte` in `haystack`, by libc's `memchr`: vectorised, where a
/// byte-at-a-time loop cost `lines()` 36 instructions per 10-byte line (callgrind).
fn find_byte(byte: u8, haystack: &[u8]) -> Option<usize> {
    // SAFETY: the pointer and length describe `haystack`, which outlives the call, and
    // memchr reads only within them; it returns null or a pointer into them.
    let found = unsafe { libc::memchr(haystack.as_ptr().cast(), byte.into(), haystack.len()) };
    (!found.is_null()).then(|| found as usize - haystack.as_ptr() as usize)
}

/// Future of [`AsyncBufReadExt::read_until`](super::AsyncBufReadExt::read_until).
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct ReadUntil<'a, R: ?Sized> {
    reader: &'a mut R,
    delimiter: u8,
    buf: &'a mut Vec<u8>,
    /// `buf`'s length when the call began.
    start: usize,
}

impl<'a, R: ?Sized> ReadUntil<'a, R> {
    pub(super) fn new(reader: &'a mut R, delimiter: u8, buf: &'a mut Vec<u8>) -> Self {
        let start = buf.len();
        ReadUntil {
            reader,
            delimiter,
            buf,
            start,
        }
    }
}

impl<R: AsyncBufRead + Unpin + ?Sized> Future for ReadUntil<'_, R> {
    type Output = io::Result<usize>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        ready!(poll_read_until(
            Pin::new(&mut *this.reader),
            cx,
            this.delimiter,
            this.buf
        ))?;
        Poll::Ready(Ok(this.buf.len() - this.start))
    }
}

/// The `InvalidData` error for bytes that are not UTF-8; it carries them.
fn invalid_utf8(error: FromUtf8Error) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, error)
}

/// Future of [`AsyncBufReadExt::read_line`](super::AsyncBufReadExt::read_line).
///
/// It reads into the string's own allocation, taken out of the string for the duration;
/// dropping the future unfinished puts the original contents back.
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct ReadLine<'a, R: ?Sized> {
    reader: &'a mut R,
    buf: &'a mut String,
    /// The string's bytes, then the line's bytes appended.
    bytes: Vec<u8>,
    /// The string's length when the call began; `usize::MAX` once done.
    start: usize,
}

impl<'a, R: ?Sized> ReadLine<'a, R> {
    pub(super) fn new(reader: &'a mut R, buf: &'a mut String) -> Self {
        let bytes = std::mem::take(buf).into_bytes();
        let start = bytes.len();
        ReadLine {
            reader,
            buf,
            bytes,
            start,
        }
    }

    /// Puts `bytes` back into the string, keeping the first `keep` of them (which are UTF-8:
    /// the string's original contents, or those plus a validated line).
    fn restore(&mut self, keep: usize) {
        let mut bytes = std::mem::take(&mut self.bytes);
        bytes.truncate(keep);
        *self.buf = String::from_utf8(bytes).unwrap_or_default();
    }
}

impl<R: AsyncBufRead + Unpin + ?Sized> Future for ReadLine<'_, R> {
    type Output = io::Result<usize>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        if this.start == usize::MAX {
            return Poll::Ready(Err(io::Error::other("ReadLine polled after completion")));
        }
        let result = ready!(poll_read_until(
            Pin::new(&mut *this.reader),
            cx,
            b'\n',
            &mut this.bytes
        ));
        let start = this.start;
        let result = result.map(|()| this.bytes.len() - start);
        let valid = std::str::from_utf8(&this.bytes[start..]).is_ok();
        let outcome = match (result, valid) {
            (Ok(n), true) => Ok(n),
            (Err(e), true) => Err(e),
            (Err(e), false) => {
                this.bytes.truncate(start);
                Err(e)
            }
            (Ok(_), false) => {
                let line = this.bytes.split_off(start);
                // `line` is not UTF-8, so `from_utf8` fails and hands it back inside the error.
                Err(match String::from_utf8(line) {
                    Err(e) => invalid_utf8(e),
                    Ok(_) => io::Error::new(io::ErrorKind::InvalidData, "line is not UTF-8"),
                })
            }
        };
        let keep = this.bytes.len();
        this.restore(keep);
        // Done: a drop after this must not touch the string again.
        this.start = usize::MAX;
        Poll::Ready(outcome)
    }
}

impl<R: ?Sized> Drop for ReadLine<'_, R> {
    fn drop(&mut self) {
        if self.start != usize::MAX {
            self.restore(self.start);
        }
    }
}

pin_project! {
    /// Lines of an [`AsyncBufRead`], from
    /// [`AsyncBufReadExt::lines`](super::AsyncBufReadExt::lines).
    #[derive(Debug)]
    #[must_use = "streams do nothing unless polled"]
    pub struct Lines<R> {
        #[pin]
        reader: R,
        // The line read so far, kept across polls (this is what makes `next_line`
        // cancellation safe).
        bytes: Vec<u8>,
    }
}

impl<R> Lines<R> {
    pub(super) fn new(reader: R) -> Self {
        Lines {
            reader,
            bytes: Vec::new(),
        }
    }

    /// The underlying reader.
    pub fn get_ref(&self) -> &R {
        &self.reader
    }

    /// The underlying reader, mutably. Reading from it directly skips past a partial line.
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.reader
    }

    /// The underlying reader, pinned.
    pub fn get_pin_mut(self: Pin<&mut Self>) -> Pin<&mut R> {
        self.project().reader
    }

    /// Returns the underlying reader; a partial line read so far is dropped.
    pub fn into_inner(self) -> R {
        self.reader
    }
}

impl<R: AsyncBufRead> Lines<R> {
    /// Returns the next line without its `\n` or `\r\n`, or `None` at end of stream.
    ///
    /// # Errors
    /// A line that is not UTF-8 gives [`InvalidData`](io::ErrorKind::InvalidData) carrying
    /// its bytes (`\n` included) as a [`FromUtf8Error`]; the next call reads the next
    /// line. I/O errors are returned as they are, and the partial line stays for the next
    /// call.
    ///
    /// # Cancel safety
    /// Cancellation safe: a partial line is kept inside `Lines`, so dropping this future in
    /// a `select!` loses nothing and the next call goes on where it stopped.
    pub async fn next_line(&mut self) -> io::Result<Option<String>>
    where
        R: Unpin,
    {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next_line(cx)).await
    }

    /// Polls for the next line: what [`next_line`](Self::next_line) awaits.
    pub fn poll_next_line(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<Option<String>>> {
        let me = self.project();
        ready!(poll_read_until(me.reader, cx, b'\n', me.bytes))?;
        // Done with nothing read: end of stream (a line read holds at least its `\n`).
        if me.bytes.is_empty() {
            return Poll::Ready(Ok(None));
        }
        let mut line = std::mem::take(me.bytes);
        let ending: &[u8] = match line.as_slice() {
            [.., b'\r', b'\n'] => b"\r\n",
            [.., b'\n'] => b"\n",
            _ => b"",
        };
        line.truncate(line.len() - ending.len());
        // Validated without its ending (ASCII, so it changes nothing about the rest); an
        // invalid line is handed back whole, ending included.
        Poll::Ready(match String::from_utf8(line) {
            Ok(line) => Ok(Some(line)),
            Err(e) => {
                let mut whole = e.into_bytes();
                whole.extend_from_slice(ending);
                Err(match String::from_utf8(whole) {
                    Err(e) => invalid_utf8(e),
                    Ok(_) => io::Error::new(io::ErrorKind::InvalidData, "line is not UTF-8"),
                })
            }
        })
    }
}

pin_project! {
    /// Segments of an [`AsyncBufRead`] separated by one byte, from
    /// [`AsyncBufReadExt::split`](super::AsyncBufReadExt::split).
    #[derive(Debug)]
    #[must_use = "streams do nothing unless polled"]
    pub struct Split<R> {
        #[pin]
        reader: R,
        delimiter: u8,
        // The segment read so far, kept across polls.
        bytes: Vec<u8>,
    }
}

impl<R> Split<R> {
    pub(super) fn new(reader: R, delimiter: u8) -> Self {
        Split {
            reader,
            delimiter,
            bytes: Vec::new(),
        }
    }
}

impl<R: AsyncBufRead> Split<R> {
    /// Returns the next segment without its separator, or `None` at end of stream.
    ///
    /// # Cancel safety
    /// Cancellation safe: a partial segment is kept inside `Split` for the next call.
    pub async fn next_segment(&mut self) -> io::Result<Option<Vec<u8>>>
    where
        R: Unpin,
    {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next_segment(cx)).await
    }

    /// Polls for the next segment: what [`next_segment`](Self::next_segment) awaits.
    pub fn poll_next_segment(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<Option<Vec<u8>>>> {
        let me = self.project();
        ready!(poll_read_until(me.reader, cx, *me.delimiter, me.bytes))?;
        // Done with nothing read: end of stream (a segment read holds its separator).
        if me.bytes.is_empty() {
            return Poll::Ready(Ok(None));
        }
        let mut segment = std::mem::take(me.bytes);
        if segment.last() == Some(me.delimiter) {
            segment.pop();
        }
        Poll::Ready(Ok(Some(segment)))
    }
}
