//! `io::split`: a read half and a write half of any `AsyncRead + AsyncWrite`, each of
//! which can move into its own task.

use std::fmt;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};

use super::{AsyncRead, AsyncWrite};

/// Splits `stream` into a [`ReadHalf`] and a [`WriteHalf`] that share it, so one task can
/// read while another writes; [`ReadHalf::unsplit`] puts them back together.
///
/// This works for any `AsyncRead + AsyncWrite` (an in-memory [`DuplexStream`], a TLS
/// stream, a [`BufStream`], ...). For corio's sockets, the streams' own
/// [`split`](crate::net::TcpStream::split) and
/// [`into_split`](crate::net::TcpStream::into_split) cost less: they need no lock.
///
/// The halves share the stream behind an `Arc<Mutex<T>>`, held only for the length of
/// one `poll_read`/`poll_write` call. So, as on tokio, the halves are `Send` when `T` is,
/// and may live in two tasks of one runtime or (for a `Send` stream) of two. corio's
/// sockets are not `Send` (each belongs to its runtime's reactor), so their halves stay on
/// their runtime's thread, in tasks spawned with [`spawn`](crate::spawn), which does not
/// require `Send`. `T` must be `Unpin`; pin a `!Unpin` stream with `Box::pin` first.
///
/// [`DuplexStream`]: super::DuplexStream
/// [`BufStream`]: super::BufStream
///
/// ```
/// use corio::io::{AsyncReadExt, AsyncWriteExt};
///
/// # corio::block_on(async {
/// let (client, mut server) = corio::io::duplex(64);
/// let (mut rd, mut wr) = corio::io::split(client);
/// let writer = corio::spawn(async move { wr.write_all(b"ping").await });
/// let mut buf = [0; 4];
/// server.read_exact(&mut buf).await?;
/// assert_eq!(&buf, b"ping");
/// server.write_all(b"pong").await?;
/// rd.read_exact(&mut buf).await?;
/// assert_eq!(&buf, b"pong");
/// writer.await.unwrap()?;
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
pub fn split<T>(stream: T) -> (ReadHalf<T>, WriteHalf<T>)
where
    T: AsyncRead + AsyncWrite + Unpin,
{
    let shared = Arc::new(Mutex::new(stream));
    (
        ReadHalf {
            stream: shared.clone(),
        },
        WriteHalf { stream: shared },
    )
}

/// The reading half of a stream split by [`split`]: implements [`AsyncRead`].
pub struct ReadHalf<T> {
    stream: Arc<Mutex<T>>,
}

/// The writing half of a stream split by [`split`]: implements [`AsyncWrite`].
/// Dropping it does not shut the stream down; call
/// [`shutdown`](super::AsyncWriteExt::shutdown) for that.
pub struct WriteHalf<T> {
    stream: Arc<Mutex<T>>,
}

/// Locks the shared stream. A panic inside a previous poll (which poisons the lock) left
/// the stream in whatever state that poll reached; it is used as it is, as std's
/// `Mutex::into_inner` would.
fn lock<T>(stream: &Mutex<T>) -> MutexGuard<'_, T> {
    stream.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<T> ReadHalf<T> {
    /// Whether `other` is the write half split from the same stream as this one.
    pub fn is_pair_of(&self, other: &WriteHalf<T>) -> bool {
        Arc::ptr_eq(&self.stream, &other.stream)
    }

    /// Puts the two halves back together and returns the stream.
    ///
    /// # Panics
    /// If `other` was not split from the same stream as `self` (see
    /// [`is_pair_of`](Self::is_pair_of)), as on tokio: joining halves of two streams is a
    /// bug in the caller, and there is no stream to return.
    #[track_caller]
    pub fn unsplit(self, other: WriteHalf<T>) -> T
    where
        T: Unpin,
    {
        assert!(
            self.is_pair_of(&other),
            "ReadHalf::unsplit: the halves come from different streams"
        );
        drop(other);
        match Arc::try_unwrap(self.stream) {
            Ok(stream) => stream.into_inner().unwrap_or_else(PoisonError::into_inner),
            // Both halves were consumed, so no other reference exists.
            Err(_) => unreachable!("both halves of a split stream were consumed"),
        }
    }
}

impl<T> WriteHalf<T> {
    /// Whether `other` is the read half split from the same stream as this one.
    pub fn is_pair_of(&self, other: &ReadHalf<T>) -> bool {
        Arc::ptr_eq(&self.stream, &other.stream)
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for ReadHalf<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *lock(&self.stream)).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for WriteHalf<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *lock(&self.stream)).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *lock(&self.stream)).poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *lock(&self.stream)).poll_close(cx)
    }
}

impl<T> fmt::Debug for ReadHalf<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("io::ReadHalf").finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for WriteHalf<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("io::WriteHalf").finish_non_exhaustive()
    }
}
