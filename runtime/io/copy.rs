//! `copy`, `copy_buf` and `copy_bidirectional`: moving bytes from a reader to a writer
//! until end of stream.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use super::buf_reader::DEFAULT_BUF_SIZE;
use super::{AsyncBufRead, AsyncRead, AsyncWrite};

fn write_zero() -> io::Error {
    io::Error::new(io::ErrorKind::WriteZero, "the writer accepted no bytes")
}

/// One direction of a copy: a buffer, what of it is still to write, and the count.
#[derive(Debug)]
struct CopyBuffer {
    buf: Box<[u8]>,
    // The bytes read and not yet written are `buf[pos..end]`.
    pos: usize,
    end: usize,
    read_done: bool,
    /// Bytes were written since the last flush.
    need_flush: bool,
    amount: u64,
}

impl CopyBuffer {
    fn new(capacity: usize) -> Self {
        CopyBuffer {
            buf: vec![0; capacity.max(1)].into_boxed_slice(),
            pos: 0,
            end: 0,
            read_done: false,
            need_flush: false,
            amount: 0,
        }
    }

    /// Copies until `reader` ends and everything is written and flushed; returns the count.
    fn poll_copy<R, W>(
        &mut self,
        cx: &mut Context<'_>,
        mut reader: Pin<&mut R>,
        mut writer: Pin<&mut W>,
    ) -> Poll<io::Result<u64>>
    where
        R: AsyncRead + ?Sized,
        W: AsyncWrite + ?Sized,
    {
        loop {
            if self.pos == self.end && !self.read_done {
                match reader.as_mut().poll_read(cx, &mut self.buf) {
                    Poll::Ready(Ok(0)) => self.read_done = true,
                    Poll::Ready(Ok(n)) => {
                        self.pos = 0;
                        self.end = n.min(self.buf.len());
                    }
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending => {
                        // The reader may be waiting for an answer to what sits in the
                        // writer's buffer: push it out before parking.
                        if self.need_flush {
                            ready!(writer.as_mut().poll_flush(cx))?;
                            self.need_flush = false;
                        }
                        return Poll::Pending;
                    }
                }
            }
            while self.pos < self.end {
                let n = ready!(writer
                    .as_mut()
                    .poll_write(cx, &self.buf[self.pos..self.end]))?;
                if n == 0 {
                    return Poll::Ready(Err(write_zero()));
                }
                let n = n.min(self.end - self.pos);
                self.pos += n;
                self.amount += n as u64;
                self.need_flush = true;
            }
            if self.read_done {
                ready!(writer.as_mut().poll_flush(cx))?;
                self.need_flush = false;
                return Poll::Ready(Ok(self.amount));
            }
        }
    }
}

/// Copies everything `reader` yields to `writer` until end of stream, then flushes
/// `writer`; returns the number of bytes copied.
///
/// Data moves through an 8 KiB buffer. When the reader has nothing to give and bytes were
/// written since the last flush, `writer` is flushed before waiting (so a buffered writer
/// cannot hold back an answer the reader waits for). `writer` is not shut down at the end:
/// call [`shutdown`](super::AsyncWriteExt::shutdown) for that.
///
/// # Errors
/// The first error from either side ends the copy; bytes read but not yet written are
/// then lost. A writer accepting zero bytes gives [`WriteZero`](io::ErrorKind::WriteZero).
///
/// # Cancel safety
/// Not cancellation safe: bytes read into the buffer and not yet written are lost.
///
/// ```
/// # corio::block_on(async {
/// let mut reader: &[u8] = b"hello";
/// let mut writer: Vec<u8> = Vec::new();
/// assert_eq!(corio::io::copy(&mut reader, &mut writer).await?, 5);
/// assert_eq!(writer, b"hello");
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
pub async fn copy<R, W>(reader: &mut R, writer: &mut W) -> io::Result<u64>
where
    R: AsyncRead + Unpin + ?Sized,
    W: AsyncWrite + Unpin + ?Sized,
{
    let mut buffer = CopyBuffer::new(DEFAULT_BUF_SIZE);
    std::future::poll_fn(|cx| buffer.poll_copy(cx, Pin::new(&mut *reader), Pin::new(&mut *writer)))
        .await
}

/// Copies everything `reader` buffers to `writer` until end of stream, then flushes
/// `writer`; returns the number of bytes copied. Unlike [`copy`], no buffer of its own:
/// the reader's buffer is written directly.
///
/// # Cancel safety
/// Cancellation safe in that no byte is lost: a byte leaves the reader's buffer only once
/// written. Bytes written but not yet flushed stay in `writer`.
pub async fn copy_buf<R, W>(reader: &mut R, writer: &mut W) -> io::Result<u64>
where
    R: AsyncBufRead + Unpin + ?Sized,
    W: AsyncWrite + Unpin + ?Sized,
{
    let mut amount = 0u64;
    std::future::poll_fn(|cx| loop {
        let mut reader = Pin::new(&mut *reader);
        let buf = ready!(reader.as_mut().poll_fill_buf(cx))?;
        if buf.is_empty() {
            ready!(Pin::new(&mut *writer).poll_flush(cx))?;
            return Poll::Ready(Ok(amount));
        }
        let n = ready!(Pin::new(&mut *writer).poll_write(cx, buf))?;
        if n == 0 {
            return Poll::Ready(Err(write_zero()));
        }
        let n = n.min(buf.len());
        reader.consume(n);
        amount += n as u64;
    })
    .await
}

/// Where one direction of [`copy_bidirectional`] stands.
#[derive(Debug)]
enum Transfer {
    Copying(CopyBuffer),
    /// The reader ended: shutting down the writer's write side.
    ShuttingDown(u64),
    Done(u64),
}

impl Transfer {
    fn poll<R, W>(
        &mut self,
        cx: &mut Context<'_>,
        mut reader: Pin<&mut R>,
        mut writer: Pin<&mut W>,
    ) -> Poll<io::Result<u64>>
    where
        R: AsyncRead + ?Sized,
        W: AsyncWrite + ?Sized,
    {
        loop {
            match self {
                Transfer::Copying(buffer) => {
                    let n = ready!(buffer.poll_copy(cx, reader.as_mut(), writer.as_mut()))?;
                    *self = Transfer::ShuttingDown(n);
                }
                Transfer::ShuttingDown(n) => {
                    ready!(writer.as_mut().poll_close(cx))?;
                    *self = Transfer::Done(*n);
                }
                Transfer::Done(n) => return Poll::Ready(Ok(*n)),
            }
        }
    }
}

/// Copies `a` to `b` and `b` to `a` at the same time, in the calling task, until both
/// directions end; returns `(bytes a→b, bytes b→a)`. This is the body of a TCP proxy.
///
/// When one side reaches end of stream, the other side's write half is shut down
/// ([`poll_close`](AsyncWrite::poll_close): for a TCP stream, a FIN) after a flush, and
/// the opposite direction goes on until it ends too. Each direction uses an 8 KiB buffer.
///
/// # Errors
/// The first error in either direction ends both; bytes in flight are then lost.
///
/// # Cancel safety
/// Not cancellation safe: bytes read and not yet written are lost.
///
/// ```no_run
/// use corio::net::{TcpListener, TcpStream};
///
/// # corio::block_on(async {
/// let listener = TcpListener::bind("127.0.0.1:8080").await?;
/// loop {
///     let (mut client, _) = listener.accept().await?;
///     corio::spawn(async move {
///         let mut server = TcpStream::connect("127.0.0.1:9000").await?;
///         corio::io::copy_bidirectional(&mut client, &mut server).await
///     });
/// }
/// # #[allow(unreachable_code)]
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
pub async fn copy_bidirectional<A, B>(a: &mut A, b: &mut B) -> io::Result<(u64, u64)>
where
    A: AsyncRead + AsyncWrite + Unpin + ?Sized,
    B: AsyncRead + AsyncWrite + Unpin + ?Sized,
{
    copy_bidirectional_with_sizes(a, b, DEFAULT_BUF_SIZE, DEFAULT_BUF_SIZE).await
}

/// [`copy_bidirectional`] with a buffer of `a_to_b` bytes for the direction from `a` to
/// `b` and of `b_to_a` bytes for the other.
pub async fn copy_bidirectional_with_sizes<A, B>(
    a: &mut A,
    b: &mut B,
    a_to_b: usize,
    b_to_a: usize,
) -> io::Result<(u64, u64)>
where
    A: AsyncRead + AsyncWrite + Unpin + ?Sized,
    B: AsyncRead + AsyncWrite + Unpin + ?Sized,
{
    let mut forward = Transfer::Copying(CopyBuffer::new(a_to_b));
    let mut backward = Transfer::Copying(CopyBuffer::new(b_to_a));
    std::future::poll_fn(|cx| {
        let forward = forward.poll(cx, Pin::new(&mut *a), Pin::new(&mut *b))?;
        let backward = backward.poll(cx, Pin::new(&mut *b), Pin::new(&mut *a))?;
        Poll::Ready(Ok((ready!(forward), ready!(backward))))
    })
    .await
}
