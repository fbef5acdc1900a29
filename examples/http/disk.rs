//! The disk half of answering with a file, shared by the example's connection loop
//! (`conn.rs`) and its tokio port in the bench: a cache miss opens the file on a blocking
//! pool, whichever runtime owns that pool, and builds its cache entry there.

use std::cell::Cell;
use std::fs::File;
use std::io;
use std::os::fd::RawFd;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use super::cache::{Entry, FileId, Key};
use super::files::{self, Opened, Refused};
use super::response::http_date;

/// The blocking half of a cache miss: opens `key`'s path under `root` with every check
/// of `files::open`, and builds the entry — identity, entity tag, the fixed header lines
/// and, for a file of at most `small_body` bytes, its contents.
pub fn open_entry(root: &Path, key: &Key, small_body: u64) -> Result<Entry, Refused> {
    let Opened {
        file,
        len,
        content_type,
        meta,
        named,
    } = files::open(root, Path::new(&key.0), key.1)?;
    let id = FileId::of(&meta);
    // Before 1970 counts as 1970: such dates only ever make a response unconditional.
    let mtime = u64::try_from(meta.mtime()).unwrap_or(0);
    let mtime_ns = i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec());
    let etag = format!("\"{:x}-{:x}-{len:x}\"", meta.ino(), mtime_ns.max(0));
    let last_modified = http_date(mtime);
    let mut fields = Vec::with_capacity(160);
    fields.extend_from_slice(b"Server: corio-http\r\nContent-Type: ");
    fields.extend_from_slice(content_type.as_bytes());
    fields.extend_from_slice(b"\r\nLast-Modified: ");
    fields.extend_from_slice(&last_modified);
    fields.extend_from_slice(b"\r\nETag: ");
    fields.extend_from_slice(etag.as_bytes());
    fields.extend_from_slice(b"\r\nAccept-Ranges: bytes\r\n");
    let body = if len <= small_body {
        let mut body = vec![0; len as usize];
        // Fewer bytes than fstat promised: the file is being rewritten. Refuse this once;
        // the next request opens it again.
        read_exact_at(&file, &mut body, 0).map_err(|_| Refused::Failed)?;
        Some(body.into_boxed_slice())
    } else {
        None
    };
    Ok(Entry {
        file: Arc::new(file),
        len,
        mtime,
        etag,
        fields,
        length_field: format!("Content-Length: {len}\r\n").into_bytes(),
        last_modified,
        body,
        id,
        stat_path: named,
        checked: Cell::new(Instant::now()),
    })
}

/// Fills `buf` from `file` at `offset` (`pread`: the file's position is shared by every
/// connection sending it, so it is never used). `UnexpectedEof` if the file is shorter.
pub fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    file.read_exact_at(buf, offset)
}

/// One `sendfile(2)` of `file`'s bytes from `*offset` to `end`, advancing `*offset`.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub fn sendfile(socket: RawFd, file: &File, offset: &mut u64, end: u64) -> io::Result<usize> {
    let mut off = libc::off_t::try_from(*offset)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "offset past off_t"))?;
    let count = end.saturating_sub(*offset).min(1 << 30) as usize;
    // SAFETY: both descriptors are open for the call (the socket's stream and the
    // file's cache entry outlive it), and `off` is a valid off_t on this stack.
    let n = unsafe {
        libc::sendfile(
            socket,
            std::os::fd::AsRawFd::as_raw_fd(file),
            &mut off,
            count,
        )
    };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    *offset = off as u64;
    Ok(n as usize)
}

/// Linux only: elsewhere the callers read the file and write it instead.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub fn sendfile(_: RawFd, _: &File, _: &mut u64, _: u64) -> io::Result<usize> {
    Err(io::ErrorKind::Unsupported.into())
}
