//! [`read_dir`]: a directory's entries, fetched from the blocking pool in batches.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fmt;
use std::fs::{FileType, Metadata};
use std::future::{poll_fn, Future};
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use super::{asyncify, submit};
use crate::io::blocking::job_not_run;
use crate::sync::oneshot;

/// How many entries one pool job fetches.
const BATCH: usize = 32;

/// The entries of the directory at `path`, in the order the OS lists them (`.` and `..`
/// left out). Opening the directory runs on the pool; so does each batch of entries.
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// let names = corio::block_on(async {
///     let mut entries = corio::fs::read_dir(env!("CARGO_MANIFEST_DIR")).await?;
///     let mut names = Vec::new();
///     while let Some(entry) = entries.next_entry().await? {
///         names.push(entry.file_name());
///     }
///     Ok::<_, std::io::Error>(names)
/// })?;
/// assert!(names.iter().any(|name| name == "Cargo.toml"));
/// # Ok(()) }
/// ```
pub async fn read_dir(path: impl AsRef<Path>) -> io::Result<ReadDir> {
    let path = path.as_ref().to_owned();
    let std = asyncify(move || std::fs::read_dir(path)).await?;
    Ok(ReadDir {
        state: State::Idle(Batch {
            entries: VecDeque::new(),
            std,
            more: true,
        }),
    })
}

/// A directory being listed: call [`next_entry`](Self::next_entry) until it gives
/// `Ok(None)`. Made by [`read_dir`].
pub struct ReadDir {
    state: State,
}

enum State {
    Idle(Batch),
    Busy(oneshot::Receiver<io::Result<Batch>>),
    /// The pool lost the listing (a panic or a job never run); every call gives an error.
    Lost,
}

/// Entries fetched and not yet handed out, and the std listing that goes on from there.
struct Batch {
    entries: VecDeque<io::Result<DirEntry>>,
    std: std::fs::ReadDir,
    /// Whether the std listing may have more entries.
    more: bool,
}

impl Batch {
    /// Fetches up to [`BATCH`] entries (a pool job), with each one's type when the OS
    /// gave it in the listing.
    fn fetch(mut self) -> Batch {
        for _ in 0..BATCH {
            let Some(next) = self.std.next() else {
                self.more = false;
                break;
            };
            self.entries.push_back(next.map(|std| DirEntry {
                file_type: std.file_type().ok(),
                std: Arc::new(std),
            }));
        }
        self
    }
}

impl ReadDir {
    /// The next entry, `Ok(None)` once all were listed. An error for one entry (std's)
    /// does not end the listing: the call after it goes on.
    ///
    /// Cancel-safe: dropping the future loses no entry; a fetch it started finishes and
    /// its entries wait for the next call.
    pub async fn next_entry(&mut self) -> io::Result<Option<DirEntry>> {
        poll_fn(|cx| self.poll_next_entry(cx)).await
    }

    /// [`next_entry`](Self::next_entry) as a poll: `Pending` while a batch is fetched,
    /// with `cx`'s waker woken when it arrives.
    pub fn poll_next_entry(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Option<DirEntry>>> {
        loop {
            match &mut self.state {
                State::Idle(batch) => {
                    if let Some(entry) = batch.entries.pop_front() {
                        return Poll::Ready(entry.map(Some));
                    }
                    if !batch.more {
                        return Poll::Ready(Ok(None));
                    }
                    let State::Idle(batch) = std::mem::replace(&mut self.state, State::Lost) else {
                        return Poll::Ready(Err(job_not_run()));
                    };
                    match submit(move || batch.fetch()) {
                        Ok(rx) => self.state = State::Busy(rx),
                        Err(e) => return Poll::Ready(Err(e)),
                    }
                }
                State::Busy(rx) => match ready!(Pin::new(rx).poll(cx)) {
                    Ok(Ok(batch)) => self.state = State::Idle(batch),
                    Ok(Err(e)) => {
                        self.state = State::Lost;
                        return Poll::Ready(Err(e));
                    }
                    Err(_) => {
                        self.state = State::Lost;
                        return Poll::Ready(Err(job_not_run()));
                    }
                },
                State::Lost => {
                    return Poll::Ready(Err(io::Error::other(
                        "corio: this directory listing was lost by the blocking pool",
                    )))
                }
            }
        }
    }
}

impl fmt::Debug for ReadDir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::Idle(batch) if batch.more || !batch.entries.is_empty() => "idle",
            State::Idle(_) => "done",
            State::Busy(_) => "fetching",
            State::Lost => "lost",
        };
        f.debug_struct("ReadDir").field("state", &state).finish()
    }
}

/// One entry of a directory listing ([`ReadDir::next_entry`]).
#[derive(Debug, Clone)]
pub struct DirEntry {
    std: Arc<std::fs::DirEntry>,
    /// The type, when the listing carried it (Linux and the BSDs usually do), so that
    /// [`file_type`](Self::file_type) needs no pool job.
    file_type: Option<FileType>,
}

impl DirEntry {
    /// The full path: the directory given to [`read_dir`] joined with
    /// [`file_name`](Self::file_name).
    pub fn path(&self) -> PathBuf {
        self.std.path()
    }

    /// The entry's name alone, without its directory.
    pub fn file_name(&self) -> OsString {
        self.std.file_name()
    }

    /// The entry's inode number (Unix), as the listing gave it.
    #[cfg(unix)]
    pub fn ino(&self) -> u64 {
        std::os::unix::fs::DirEntryExt::ino(&*self.std)
    }

    /// The entry's metadata, not following a symbolic link (std's
    /// `DirEntry::metadata`), on the pool.
    pub async fn metadata(&self) -> io::Result<Metadata> {
        let std = self.std.clone();
        asyncify(move || std.metadata()).await
    }

    /// The entry's type (a symbolic link is reported as one): from the listing when it
    /// carried it, else from a pool job.
    pub async fn file_type(&self) -> io::Result<FileType> {
        if let Some(file_type) = self.file_type {
            return Ok(file_type);
        }
        let std = self.std.clone();
        asyncify(move || std.file_type()).await
    }
}
