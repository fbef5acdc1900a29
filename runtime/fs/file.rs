//! [`File`]: an open file as [`AsyncRead`], [`AsyncWrite`] and [`AsyncSeek`], through the
//! blocking-pool adapter ([`Blocking`]).

use std::fmt;
use std::fs::{Metadata, Permissions};
use std::io::{self, SeekFrom};
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::{asyncify, OpenOptions};
use crate::io::blocking::Blocking;
use crate::io::{AsyncRead, AsyncSeek, AsyncWrite};
use crate::sync::Mutex;

/// An open file whose reads, writes and seeks run on the blocking pool, one at a time.
///
/// Read with [`AsyncReadExt`](crate::io::AsyncReadExt), write with
/// [`AsyncWriteExt`](crate::io::AsyncWriteExt), seek with
/// [`AsyncSeekExt`](crate::io::AsyncSeekExt), as on tokio.
///
/// ```
/// use corio::fs::File;
/// use corio::io::{AsyncReadExt, AsyncWriteExt};
///
/// # fn main() -> std::io::Result<()> {
/// let path = std::env::temp_dir().join(format!("corio-doc-file-{}", std::process::id()));
/// let back = corio::block_on(async {
///     let mut file = File::create(&path).await?;
///     file.write_all(b"saved").await?;
///     file.flush().await?; // waits for the write and reports its error
///     let mut back = Vec::new();
///     File::open(&path).await?.read_to_end(&mut back).await?;
///     Ok::<_, std::io::Error>(back)
/// })?;
/// assert_eq!(back, b"saved");
/// # std::fs::remove_file(&path)
/// # }
/// ```
///
/// # Writes complete in the background: flush
///
/// This is tokio's model, kept as it is. The file is either idle in the `File` or inside
/// one pool job; every operation waits for the one before it.
///
/// - A `write` copies up to 2 MiB of the caller's bytes into the file's buffer, starts a
///   job that writes them all, and returns `Ok(n)` at once. If that job fails, the
///   **next** operation on the `File` (read, write, seek, flush, `sync_all`, `metadata`,
///   ...) returns its error. So `flush().await` after the last write is how to know the
///   data reached the OS; `sync_all().await` goes on to the disk.
/// - **Dropping** a `File` with a write in flight does not cancel it: the job writes the
///   bytes, and the descriptor closes on the pool thread when it ends. The data reaches
///   the file eventually, but an error is lost and nothing tells when it is done: flush
///   before dropping when either matters.
/// - A read fetches up to `min(buf.len(), 2 MiB)` bytes and keeps what the caller's buffer
///   did not take for the next read. A write, seek or `set_len` after a partial read
///   first moves the file position back over those unread bytes, so the position is the
///   one the caller has seen.
/// - Dropping a read future lets its job finish; the bytes wait in the buffer.
///
/// Unlike tokio, [`metadata`](Self::metadata) waits for the operation in flight too, so
/// its length counts the bytes written before it.
///
/// `File` is `Send` and `Sync`, as tokio's is: the methods that take `&self` take turns
/// through an async lock.
pub struct File {
    inner: Mutex<Blocking<std::fs::File>>,
}

impl File {
    /// Opens an existing file for reading; [`io::ErrorKind::NotFound`] if it is missing.
    pub async fn open(path: impl AsRef<Path>) -> io::Result<File> {
        let path = path.as_ref().to_owned();
        let std = asyncify(move || std::fs::File::open(path)).await?;
        Ok(File::from_std(std))
    }

    /// Opens a file for writing, creating it or truncating it to length 0.
    pub async fn create(path: impl AsRef<Path>) -> io::Result<File> {
        let path = path.as_ref().to_owned();
        let std = asyncify(move || std::fs::File::create(path)).await?;
        Ok(File::from_std(std))
    }

    /// Creates a new file for reading and writing; [`io::ErrorKind::AlreadyExists`] if
    /// the path exists.
    pub async fn create_new(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(path)
            .await
    }

    /// A builder for the other ways to open a file ([`OpenOptions::new`]).
    pub fn options() -> OpenOptions {
        OpenOptions::new()
    }

    /// Wraps an open std file; its position is where reads and writes start.
    pub fn from_std(std: std::fs::File) -> File {
        File {
            inner: Mutex::new(Blocking::file(std)),
        }
    }

    /// Flushes data and metadata to the disk, after every earlier write.
    pub async fn sync_all(&self) -> io::Result<()> {
        self.inner.lock().await.run(|file| file.sync_all()).await
    }

    /// Flushes data (and only the metadata needed to read it back) to the disk, after
    /// every earlier write.
    pub async fn sync_data(&self) -> io::Result<()> {
        self.inner.lock().await.run(|file| file.sync_data()).await
    }

    /// Truncates or extends (with zeros) the file to `size` bytes. The position does not
    /// move, even past the new end.
    pub async fn set_len(&self, size: u64) -> io::Result<()> {
        self.inner
            .lock()
            .await
            .run(move |file| file.set_len(size))
            .await
    }

    /// The file's metadata, after every earlier write.
    pub async fn metadata(&self) -> io::Result<Metadata> {
        self.inner.lock().await.run(|file| file.metadata()).await
    }

    /// Sets the file's permissions.
    pub async fn set_permissions(&self, perm: Permissions) -> io::Result<()> {
        self.inner
            .lock()
            .await
            .run(move |file| file.set_permissions(perm))
            .await
    }

    /// A second `File` for the same open file: the two share one position.
    pub async fn try_clone(&self) -> io::Result<File> {
        let std = self.inner.lock().await.run(|file| file.try_clone()).await?;
        Ok(File::from_std(std))
    }

    /// The std file, once the operation in flight has finished (its error is dropped:
    /// flush first to see it), positioned where this `File`'s reader stopped.
    ///
    /// # Panics
    /// Never in practice: only if the pool job holding the file ended without sending it
    /// back, which the job's drop guard rules out.
    pub async fn into_std(self) -> std::fs::File {
        match self.inner.into_inner().into_inner().await {
            Ok(std) => std,
            Err(e) => panic!("corio::fs::File::into_std: {e}"),
        }
    }

    /// The std file if no operation is in flight, positioned where this `File`'s reader
    /// stopped; `Err(self)` while a job holds it.
    #[allow(clippy::result_large_err)] // tokio's signature: the `File` itself comes back
    pub fn try_into_std(self) -> Result<std::fs::File, File> {
        self.inner
            .into_inner()
            .try_into_inner()
            .map_err(|inner| File {
                inner: Mutex::new(inner),
            })
    }

    /// Sets the most bytes one read or write job moves (2 MiB by default, as on tokio; at
    /// least 1). Larger values mean fewer pool round trips and a larger buffer.
    pub fn set_max_buf_size(&mut self, max_buf_size: usize) {
        self.inner.get_mut().set_max_buf(max_buf_size);
    }

    /// The most bytes one read or write job moves.
    pub fn max_buf_size(&self) -> usize {
        match self.inner.try_lock() {
            Ok(inner) => inner.max_buf(),
            // Held by a `&self` method in flight: the default is the best answer that
            // does not wait (the size only changes through `&mut self`).
            Err(_) => crate::io::blocking::MAX_BUF,
        }
    }
}

impl From<std::fs::File> for File {
    fn from(std: std::fs::File) -> File {
        File::from_std(std)
    }
}

impl fmt::Debug for File {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.inner.try_lock() {
            Ok(inner) => f.debug_struct("File").field("inner", &*inner).finish(),
            Err(_) => f.debug_struct("File").finish_non_exhaustive(),
        }
    }
}

impl AsyncRead for File {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().inner.get_mut().poll_read(cx, buf)
    }
}

impl AsyncWrite for File {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().inner.get_mut().poll_write(cx, buf)
    }

    /// Waits for every accepted write; the first error among them.
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().inner.get_mut().poll_flush(cx)
    }

    /// Same as flush: the file stays open until the `File` is dropped (as on tokio).
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().inner.get_mut().poll_flush(cx)
    }
}

impl AsyncSeek for File {
    fn start_seek(self: Pin<&mut Self>, position: SeekFrom) -> io::Result<()> {
        self.get_mut().inner.get_mut().start_seek(position)
    }

    fn poll_complete(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        self.get_mut().inner.get_mut().poll_complete(cx)
    }
}
