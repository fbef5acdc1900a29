//! `duplex`: two connected in-memory streams, like a socket pair without the kernel.

use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{ready, Context, Poll, Waker};

use super::{AsyncRead, AsyncWrite};
use crate::coop;

/// Returns two connected streams: what one writes, the other reads. Each direction
/// buffers at most `max_buf_size` bytes (at least 1); a writer finding the buffer full
/// waits for the reader.
///
/// Shutting down one end ([`shutdown`](super::AsyncWriteExt::shutdown)) lets the other
/// read what was written, then end of stream. Dropping one end does that too, and makes
/// the other end's writes fail with [`BrokenPipe`](io::ErrorKind::BrokenPipe).
///
/// The streams are `Send` and `Sync` (each direction is an `Arc<Mutex<_>>`), as on tokio;
/// they are handy in tests in place of sockets.
///
/// ```
/// use corio::io::{AsyncReadExt, AsyncWriteExt};
///
/// # corio::block_on(async {
/// let (mut a, mut b) = corio::io::duplex(64);
/// a.write_all(b"ping").await?;
/// a.shutdown().await?;
/// let mut got = Vec::new();
/// b.read_to_end(&mut got).await?;
/// assert_eq!(got, b"ping");
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
pub fn duplex(max_buf_size: usize) -> (DuplexStream, DuplexStream) {
    let one = Arc::new(Mutex::new(Pipe::new(max_buf_size.max(1))));
    let two = Arc::new(Mutex::new(Pipe::new(max_buf_size.max(1))));
    (
        DuplexStream {
            read: one.clone(),
            write: two.clone(),
        },
        DuplexStream {
            read: two,
            write: one,
        },
    )
}

/// One end of a [`duplex`] pair: implements [`AsyncRead`] and [`AsyncWrite`].
pub struct DuplexStream {
    read: Arc<Mutex<Pipe>>,
    write: Arc<Mutex<Pipe>>,
}

/// One direction: bytes written and not yet read, and who waits on them.
struct Pipe {
    buf: VecDeque<u8>,
    max: usize,
    /// The writing end shut down or dropped: reads end after `buf` drains.
    write_closed: bool,
    /// The reading end dropped: writes fail.
    read_closed: bool,
    reader: Option<Waker>,
    writer: Option<Waker>,
}

impl Pipe {
    fn new(max: usize) -> Self {
        Pipe {
            buf: VecDeque::new(),
            max,
            write_closed: false,
            read_closed: false,
            reader: None,
            writer: None,
        }
    }
}

/// Wakes `waker`, if any: called after the pipe's lock is released, so the woken task's
/// code (or a waker that polls inline) never runs under it.
fn wake(waker: Option<Waker>) {
    if let Some(waker) = waker {
        waker.wake();
    }
}

/// Stores `cx`'s waker in `slot` unless the one there already wakes the same task.
fn park(slot: &mut Option<Waker>, cx: &Context<'_>) {
    match slot {
        Some(waker) if waker.will_wake(cx.waker()) => {}
        _ => *slot = Some(cx.waker().clone()),
    }
}

/// Locks a pipe. Nothing in this file panics or wakes while holding the lock, so a lock
/// poisoned anyway still guards a consistent pipe, used as it is.
fn lock(pipe: &Mutex<Pipe>) -> MutexGuard<'_, Pipe> {
    pipe.lock().unwrap_or_else(PoisonError::into_inner)
}

fn broken_pipe() -> io::Error {
    io::Error::new(
        io::ErrorKind::BrokenPipe,
        "the other end of the duplex stream is closed",
    )
}

impl AsyncRead for DuplexStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        ready!(coop::poll_proceed(cx));
        let mut pipe = lock(&self.read);
        if pipe.buf.is_empty() {
            if pipe.write_closed {
                return Poll::Ready(Ok(0));
            }
            park(&mut pipe.reader, cx);
            return Poll::Pending;
        }
        let mut n = 0;
        while n < buf.len() {
            let (front, _) = pipe.buf.as_slices();
            if front.is_empty() {
                break;
            }
            let k = front.len().min(buf.len() - n);
            buf[n..n + k].copy_from_slice(&front[..k]);
            pipe.buf.drain(..k);
            n += k;
        }
        let writer = pipe.writer.take();
        drop(pipe);
        wake(writer);
        coop::consume();
        Poll::Ready(Ok(n))
    }
}

impl AsyncWrite for DuplexStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        ready!(coop::poll_proceed(cx));
        let mut pipe = lock(&self.write);
        if pipe.read_closed || pipe.write_closed {
            return Poll::Ready(Err(broken_pipe()));
        }
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let room = pipe.max.saturating_sub(pipe.buf.len());
        if room == 0 {
            park(&mut pipe.writer, cx);
            return Poll::Pending;
        }
        let n = room.min(buf.len());
        pipe.buf.extend(&buf[..n]);
        let reader = pipe.reader.take();
        drop(pipe);
        wake(reader);
        coop::consume();
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// Ends this end's writing: the other end reads what is buffered, then end of stream.
    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let reader = {
            let mut pipe = lock(&self.write);
            pipe.write_closed = true;
            pipe.reader.take()
        };
        wake(reader);
        Poll::Ready(Ok(()))
    }
}

impl Drop for DuplexStream {
    fn drop(&mut self) {
        let reader = {
            let mut pipe = lock(&self.write);
            pipe.write_closed = true;
            pipe.reader.take()
        };
        wake(reader);
        let writer = {
            let mut pipe = lock(&self.read);
            pipe.read_closed = true;
            pipe.writer.take()
        };
        wake(writer);
    }
}

impl fmt::Debug for DuplexStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DuplexStream").finish_non_exhaustive()
    }
}
