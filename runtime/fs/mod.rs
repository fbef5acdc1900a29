//! Files and directories, with tokio's names: each call runs std's function on the
//! blocking pool ([`spawn_blocking`](crate::task::spawn_blocking)), so the event loop
//! keeps serving other tasks while the disk works.
//!
//! ```
//! # fn main() -> std::io::Result<()> {
//! let dir = std::env::temp_dir().join(format!("corio-doc-fs-{}", std::process::id()));
//! corio::block_on(async {
//!     corio::fs::create_dir_all(dir.join("notes")).await?;
//!     corio::fs::write(dir.join("notes/a.txt"), "first").await?;
//!     assert_eq!(corio::fs::read_to_string(dir.join("notes/a.txt")).await?, "first");
//!     let mut entries = corio::fs::read_dir(dir.join("notes")).await?;
//!     while let Some(entry) = entries.next_entry().await? {
//!         assert_eq!(entry.file_name(), "a.txt");
//!     }
//!     corio::fs::remove_dir_all(&dir).await
//! })
//! # }
//! ```
//!
//! Errors are std's, unchanged: a missing file is [`io::ErrorKind::NotFound`], text that
//! is not UTF-8 is [`io::ErrorKind::InvalidData`]. A panic inside a pool job comes back as
//! an error (its message included), never as a panic of the runtime. Polled outside a
//! corio runtime, these futures fail with an error instead of panicking.
//!
//! Each call costs a hop to a pool thread and back. For many small operations, one
//! [`spawn_blocking`](crate::task::spawn_blocking) job that does them all with `std::fs`
//! is cheaper (tokio gives the same advice). [`File`] keeps one operation in flight and
//! completes writes in the background; its docs say what that means.
//!
//! The futures here are `Send` (they hold the path and a channel), as tokio's are.

mod file;
mod open_options;
mod read_dir;

pub use file::File;
pub use open_options::OpenOptions;
pub use read_dir::{read_dir, DirEntry, ReadDir};

use std::fs::{Metadata, Permissions};
use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use crate::io::blocking::{job_not_run, job_panicked, panic_message, spawn_job};
use crate::sync::oneshot;

/// Starts `f` on the blocking pool; the receiver gets its result, or an error if it
/// panicked.
pub(crate) fn submit<R: Send + 'static>(
    f: impl FnOnce() -> R + Send + 'static,
) -> io::Result<oneshot::Receiver<io::Result<R>>> {
    let (tx, rx) = oneshot::channel();
    spawn_job(move || {
        let result = catch_unwind(AssertUnwindSafe(f))
            .map_err(|payload| job_panicked(&panic_message(&*payload)));
        let _ = tx.send(result);
    })?;
    Ok(rx)
}

/// Runs `f` on the blocking pool and waits for its result.
pub(crate) async fn asyncify<R: Send + 'static>(
    f: impl FnOnce() -> io::Result<R> + Send + 'static,
) -> io::Result<R> {
    match submit(f)?.await {
        Ok(result) => result?,
        Err(_) => Err(job_not_run()),
    }
}

/// The whole file as bytes (`std::fs::read` on the pool).
pub async fn read(path: impl AsRef<Path>) -> io::Result<Vec<u8>> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::read(path)).await
}

/// The whole file as a `String`; [`io::ErrorKind::InvalidData`] if it is not UTF-8.
pub async fn read_to_string(path: impl AsRef<Path>) -> io::Result<String> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::read_to_string(path)).await
}

/// Creates or truncates the file and writes `contents` to it (copied first, so the
/// caller's buffer is free at once).
pub async fn write(path: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    let contents = contents.as_ref().to_owned();
    asyncify(move || std::fs::write(path, contents)).await
}

/// Metadata of the file or directory, following symbolic links.
pub async fn metadata(path: impl AsRef<Path>) -> io::Result<Metadata> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::metadata(path)).await
}

/// Metadata of the path itself: a symbolic link is described, not followed.
pub async fn symlink_metadata(path: impl AsRef<Path>) -> io::Result<Metadata> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::symlink_metadata(path)).await
}

/// Creates one directory; its parent must exist ([`create_dir_all`] makes parents).
pub async fn create_dir(path: impl AsRef<Path>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::create_dir(path)).await
}

/// Creates a directory and every missing parent; `Ok` if it already exists.
pub async fn create_dir_all(path: impl AsRef<Path>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::create_dir_all(path)).await
}

/// Removes a file (or a symbolic link, not its target).
pub async fn remove_file(path: impl AsRef<Path>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::remove_file(path)).await
}

/// Removes an empty directory.
pub async fn remove_dir(path: impl AsRef<Path>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::remove_dir(path)).await
}

/// Removes a directory and everything in it (one pool job for the whole tree).
pub async fn remove_dir_all(path: impl AsRef<Path>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::remove_dir_all(path)).await
}

/// Renames `from` to `to`, replacing `to` if it exists (on one filesystem).
pub async fn rename(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<()> {
    let (from, to) = (from.as_ref().to_owned(), to.as_ref().to_owned());
    asyncify(move || std::fs::rename(from, to)).await
}

/// Copies the contents and permissions of `from` to `to`; returns the bytes copied.
pub async fn copy(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<u64> {
    let (from, to) = (from.as_ref().to_owned(), to.as_ref().to_owned());
    asyncify(move || std::fs::copy(from, to)).await
}

/// Makes `link` a hard link to `original`.
pub async fn hard_link(original: impl AsRef<Path>, link: impl AsRef<Path>) -> io::Result<()> {
    let (original, link) = (original.as_ref().to_owned(), link.as_ref().to_owned());
    asyncify(move || std::fs::hard_link(original, link)).await
}

/// Makes `link` a symbolic link to `original` (Unix; tokio has it under the same name).
#[cfg(unix)]
pub async fn symlink(original: impl AsRef<Path>, link: impl AsRef<Path>) -> io::Result<()> {
    let (original, link) = (original.as_ref().to_owned(), link.as_ref().to_owned());
    asyncify(move || std::os::unix::fs::symlink(original, link)).await
}

/// The absolute path with every `.`, `..` and symbolic link resolved.
pub async fn canonicalize(path: impl AsRef<Path>) -> io::Result<PathBuf> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::canonicalize(path)).await
}

/// Where a symbolic link points.
pub async fn read_link(path: impl AsRef<Path>) -> io::Result<PathBuf> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::read_link(path)).await
}

/// Whether the path exists (following links): `Ok(false)` when it does not, `Err` when
/// that cannot be told (no permission to look, for instance).
pub async fn try_exists(path: impl AsRef<Path>) -> io::Result<bool> {
    let path = path.as_ref().to_owned();
    asyncify(move || path.try_exists()).await
}

/// Sets the permissions of the file or directory.
pub async fn set_permissions(path: impl AsRef<Path>, perm: Permissions) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::set_permissions(path, perm)).await
}
