//! `AsyncSeek` and `AsyncSeekExt`: moving the position of a seekable stream, tokio-shaped
//! (`start_seek`, then `poll_complete`) because a seek on a blocking object is a job that
//! runs while the task waits.

use std::future::Future;
use std::io::{self, SeekFrom};
use std::ops::DerefMut;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// Seeks without blocking the thread: [`start_seek`](AsyncSeek::start_seek) submits the
/// move, [`poll_complete`](AsyncSeek::poll_complete) waits for it.
///
/// Same shape and contract as tokio's `AsyncSeek`. Application code calls
/// [`AsyncSeekExt::seek`] instead.
pub trait AsyncSeek {
    /// Starts moving the position to `position`. Call [`poll_complete`](Self::poll_complete)
    /// first until it is `Ready`: with another operation in flight this may fail.
    fn start_seek(self: Pin<&mut Self>, position: SeekFrom) -> io::Result<()>;

    /// Waits for the operation in flight. After [`start_seek`](Self::start_seek), the
    /// new position from the start of the stream; with no seek started, the position the
    /// last seek reported (implementations need not track it otherwise).
    fn poll_complete(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>>;
}

macro_rules! deref_async_seek {
    () => {
        fn start_seek(mut self: Pin<&mut Self>, position: SeekFrom) -> io::Result<()> {
            Pin::new(&mut **self).start_seek(position)
        }
        fn poll_complete(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
            Pin::new(&mut **self).poll_complete(cx)
        }
    };
}

impl<T: ?Sized + AsyncSeek + Unpin> AsyncSeek for &mut T {
    deref_async_seek!();
}

impl<T: ?Sized + AsyncSeek + Unpin> AsyncSeek for Box<T> {
    deref_async_seek!();
}

impl<P> AsyncSeek for Pin<P>
where
    P: DerefMut + Unpin,
    P::Target: AsyncSeek,
{
    fn start_seek(self: Pin<&mut Self>, position: SeekFrom) -> io::Result<()> {
        self.get_mut().as_mut().start_seek(position)
    }
    fn poll_complete(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        self.get_mut().as_mut().poll_complete(cx)
    }
}

/// Awaitable seeks for every [`AsyncSeek`].
///
/// ```
/// use std::io::SeekFrom;
/// use corio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
///
/// # fn main() -> std::io::Result<()> {
/// let path = std::env::temp_dir().join(format!("corio-doc-seek-{}", std::process::id()));
/// let word = corio::block_on(async {
///     let mut file = corio::fs::File::options()
///         .read(true)
///         .write(true)
///         .create(true)
///         .truncate(true)
///         .open(&path)
///         .await?;
///     file.write_all(b"hello, world").await?;
///     assert_eq!(file.seek(SeekFrom::Start(7)).await?, 7);
///     let mut word = Vec::new();
///     file.read_to_end(&mut word).await?;
///     Ok::<_, std::io::Error>(word)
/// })?;
/// assert_eq!(word, b"world");
/// std::fs::remove_file(&path)?;
/// # Ok(()) }
/// ```
pub trait AsyncSeekExt: AsyncSeek {
    /// Moves the position to `position`; resolves to the new position from the start.
    ///
    /// Not cancel-safe: dropping the future after its first poll may leave the move done
    /// or not.
    fn seek(&mut self, position: SeekFrom) -> Seek<'_, Self>
    where
        Self: Unpin,
    {
        Seek {
            seeker: self,
            position,
            started: false,
        }
    }

    /// Moves the position back to the start.
    fn rewind(&mut self) -> Rewind<'_, Self>
    where
        Self: Unpin,
    {
        Rewind {
            seek: self.seek(SeekFrom::Start(0)),
        }
    }

    /// The current position from the start (a seek by zero).
    fn stream_position(&mut self) -> Seek<'_, Self>
    where
        Self: Unpin,
    {
        self.seek(SeekFrom::Current(0))
    }
}

impl<S: AsyncSeek + ?Sized> AsyncSeekExt for S {}

/// Future of [`AsyncSeekExt::seek`] and [`AsyncSeekExt::stream_position`].
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct Seek<'a, S: ?Sized> {
    seeker: &'a mut S,
    position: SeekFrom,
    started: bool,
}

impl<S: AsyncSeek + Unpin + ?Sized> Future for Seek<'_, S> {
    type Output = io::Result<u64>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        if !this.started {
            // The operation in flight first: its error, if any, is this seek's.
            ready!(Pin::new(&mut *this.seeker).poll_complete(cx))?;
            Pin::new(&mut *this.seeker).start_seek(this.position)?;
            this.started = true;
        }
        Pin::new(&mut *this.seeker).poll_complete(cx)
    }
}

/// Future of [`AsyncSeekExt::rewind`].
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct Rewind<'a, S: ?Sized> {
    seek: Seek<'a, S>,
}

impl<S: AsyncSeek + Unpin + ?Sized> Future for Rewind<'_, S> {
    type Output = io::Result<()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.seek).poll(cx).map_ok(drop)
    }
}
