//! From a request target to an open file under the root, and the file's media type.
//!
//! Two steps, so that the dangerous part can be tested without a disk:
//!
//! 1. [`decode_path`] (pure) percent-decodes the target segment by segment and refuses
//!    what could climb or confuse: `..` (however encoded), an encoded `/`, a NUL byte,
//!    a broken escape; names starting with `.` are not found (no `.git`, no `.env`).
//!    What is left is a relative path of plain names.
//! 2. [`open`] (blocking: run it on `spawn_blocking`) joins that path onto the root,
//!    canonicalizes it (resolving every symlink) and refuses it unless it still starts
//!    with the canonical root; a directory is replaced by its `index.html`, checked the
//!    same way (named without its trailing `/`, it is redirected to the name with one). The file is opened non-blocking (a FIFO cannot hang a pool thread) and
//!    must be a regular file; on Linux the path the kernel actually opened
//!    (`/proc/self/fd/N`) is checked against the root once more, which closes the race
//!    of a directory swapped for a symlink between the check and the open.

use std::ffi::OsStr;
use std::fs::File;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// How much of a file is read (and buffered) at a time: memory per connection is
/// bounded by this, whatever the file's size.
pub const CHUNK: usize = 64 * 1024;

/// Why a target names no file that may be served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Malformed or climbing path (400): `..`, encoded `/`, NUL, bad `%` escape.
    BadPath,
    /// Nothing servable there (404), including a symlink that leads out of the root.
    NotFound,
    /// The OS refused to open it (403).
    Forbidden,
    /// Any other I/O error (500).
    Failed,
    /// A directory named without its trailing `/` (301 to the name with it, so that the
    /// relative links of its `index.html` resolve inside it, as every static server does).
    Directory,
}

/// The request target's path (query and fragment dropped) as a relative path of plain
/// names, each percent-decoded on its own so that `%2F` cannot become a separator.
/// Empty segments and `.` are skipped; `..` is refused rather than resolved.
pub fn decode_path(target: &str) -> Result<PathBuf, Refused> {
    let path = target.split(['?', '#']).next().unwrap_or("");
    let path = path.strip_prefix('/').ok_or(Refused::BadPath)?;
    let mut out = PathBuf::new();
    for segment in path.split('/') {
        let name = percent_decode(segment.as_bytes()).ok_or(Refused::BadPath)?;
        match &name[..] {
            b"" | b"." => continue,
            b".." => return Err(Refused::BadPath),
            _ if name.contains(&b'/') || name.contains(&0) => return Err(Refused::BadPath),
            // Dot-files and dot-directories (`.git`, `.env`) are never served: started in
            // a checkout, the server would otherwise publish its history and secrets.
            _ if name.first() == Some(&b'.') => return Err(Refused::NotFound),
            _ => out.push(OsStr::from_bytes(&name)),
        }
    }
    Ok(out)
}

/// Where a directory named without its slash moves to: `/`, `relative` with every byte
/// but `A-Z a-z 0-9 - . _ ~` and the separators percent-encoded, and `/`. Built from the
/// decoded path, never from the raw target, so `//host` cannot become a redirect off-site
/// and no byte of it can end the header line.
pub fn directory_location(relative: &Path) -> String {
    let mut out = String::from("/");
    for &b in relative.as_os_str().as_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out.push('/');
    out
}

/// `%XX` escapes replaced by their byte; `None` for a `%` not followed by two hex digits.
fn percent_decode(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            out.push(hex_value(hex[0])? << 4 | hex_value(hex[1])?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(out)
}

/// The value of one hex digit.
fn hex_value(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// An open regular file under the root, ready to be streamed.
#[derive(Debug)]
pub struct Opened {
    pub file: File,
    /// Its size when opened: the Content-Length promised to the client.
    pub len: u64,
    pub content_type: &'static str,
    /// Its metadata from `fstat` after the open (identity and modification time).
    pub meta: std::fs::Metadata,
    /// The root joined with the request's path (and `index.html` for a directory),
    /// before symlinks are resolved: what a later `stat` checks to see if it changed.
    pub named: PathBuf,
}

/// Canonicalizes `root` once at start-up, so every later check compares against the
/// real path with no symlinks in it.
pub fn canonical_root(root: &Path) -> io::Result<PathBuf> {
    let root = std::fs::canonicalize(root)?;
    if !root.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} is not a directory", root.display()),
        ));
    }
    Ok(root)
}

/// Opens `relative` (from [`decode_path`]) under the canonical `root`, or its
/// `index.html` if it is a directory named with a trailing `/` (`slash`); a directory
/// named without one is [`Refused::Directory`]. Only what lies inside the root gets that
/// answer: a link out of it is not found, as a file there would be. Blocking:
/// canonicalize, open and fstat all touch the disk.
pub fn open(root: &Path, relative: &Path, slash: bool) -> Result<Opened, Refused> {
    let (file, path) = open_inside(root, &root.join(relative))?;
    let meta = file.metadata().map_err(refused)?;
    if meta.is_dir() && !slash && !relative.as_os_str().is_empty() {
        return Err(Refused::Directory);
    }
    let mut named = root.join(relative);
    let (file, path, meta) = if meta.is_dir() {
        let (file, path) = open_inside(root, &path.join("index.html"))?;
        let meta = file.metadata().map_err(refused)?;
        named.push("index.html");
        (file, path, meta)
    } else {
        (file, path, meta)
    };
    if !meta.is_file() {
        return Err(Refused::NotFound); // a FIFO, socket or device, or a nested directory
    }
    Ok(Opened {
        file,
        len: meta.len(),
        content_type: content_type(&path),
        meta,
        named,
    })
}

/// Canonicalizes `path` and opens it if it lies under `root`. The open does not follow
/// a symlink in the last component (canonicalize just removed them all, so one there now
/// was swapped in since) and does not block on a FIFO.
fn open_inside(root: &Path, path: &Path) -> Result<(File, PathBuf), Refused> {
    let real = std::fs::canonicalize(path).map_err(refused)?;
    if !real.starts_with(root) {
        return Err(Refused::NotFound);
    }
    let file = File::options()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW)
        .open(&real)
        .map_err(refused)?;
    // O_NOFOLLOW guards only the last component: a directory higher up swapped for a
    // symlink between the check and the open would still be followed. So ask the kernel
    // what was really opened, and check that too.
    if !opened_inside(&file, root) {
        return Err(Refused::NotFound);
    }
    Ok((file, real))
}

/// Whether the open `file` lies under `root`, by the kernel's own account of its path
/// (Linux's `/proc/self/fd`). Elsewhere there is no such account and the canonicalize
/// check stands alone (a race remains there; DESIGN.md §18).
fn opened_inside(file: &File, root: &Path) -> bool {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use std::os::fd::AsRawFd;
        let link = format!("/proc/self/fd/{}", file.as_raw_fd());
        match std::fs::read_link(link) {
            Ok(actual) => actual.starts_with(root),
            Err(_) => true, // no /proc mounted: nothing more to learn
        }
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        let _ = (file, root);
        true
    }
}

/// Maps an OS error to the status the client sees: "not there" for anything about the
/// path's shape (a missing name, a file used as a directory, a symlink loop, a name too
/// long), "forbidden" for permissions, else a server failure.
fn refused(e: io::Error) -> Refused {
    match e.raw_os_error() {
        Some(libc::ENOENT | libc::ENOTDIR | libc::ELOOP | libc::ENAMETOOLONG) => Refused::NotFound,
        Some(libc::EACCES | libc::EPERM) => Refused::Forbidden,
        _ => {
            eprintln!("http: file error: {e}");
            Refused::Failed
        }
    }
}

/// The media type for a file name's extension (case-insensitive);
/// `application/octet-stream` when unknown.
pub fn content_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "txt" => "text/plain; charset=utf-8",
        "md" => "text/markdown; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "xml" => "application/xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "wasm" => "application/wasm",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "gz" => "application/gzip",
        "tar" => "application/x-tar",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        "mp3" => "audio/mpeg",
        "ogg" => "audio/ogg",
        "wav" => "audio/wav",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        _ => "application/octet-stream",
    }
}
