//! Unix-domain socket addresses: a filesystem path in a `sockaddr_un`, built field by
//! field, and the non-blocking connect std does not offer.

use std::io;
use std::mem::{offset_of, size_of};
use std::os::fd::RawFd;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use super::cvt;

/// `path` as a `sockaddr_un` and its length. Paths that do not fit `sun_path` (with its
/// terminating NUL), or contain a NUL byte, are refused with `InvalidInput`.
fn sockaddr_un(path: &Path) -> io::Result<(libc::sockaddr_un, libc::socklen_t)> {
    // SAFETY: an all-zero sockaddr_un is a valid value.
    let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    let bytes = path.as_os_str().as_bytes();
    if bytes.contains(&0) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "a Unix socket path may not contain NUL bytes",
        ));
    }
    if bytes.is_empty() || bytes.len() >= addr.sun_path.len() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "a Unix socket path must be 1 to {} bytes long",
                addr.sun_path.len() - 1
            ),
        ));
    }
    addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
    for (dst, &src) in addr.sun_path.iter_mut().zip(bytes) {
        *dst = src as libc::c_char;
    }
    let len = offset_of!(libc::sockaddr_un, sun_path) + bytes.len() + 1;
    #[cfg(corio_kqueue)]
    {
        addr.sun_len = len as u8; // the BSDs carry the length in the address too
    }
    debug_assert!(len <= size_of::<libc::sockaddr_un>());
    Ok((addr, len as libc::socklen_t))
}

/// Outcome of a non-blocking Unix-domain connect.
pub(crate) enum Connect {
    /// Connected.
    Done,
    /// In progress: wait for writability, then read `SO_ERROR`.
    InProgress,
    /// The listener's backlog is full (Linux answers `EAGAIN`): try again later.
    BacklogFull,
}

/// Starts connecting `fd` (a non-blocking `AF_UNIX` stream socket) to `path`.
pub(crate) fn connect(fd: RawFd, path: &Path) -> io::Result<Connect> {
    let (addr, len) = sockaddr_un(path)?;
    // SAFETY: `addr` is a valid sockaddr_un of `len` bytes.
    let ret = unsafe { libc::connect(fd, (&addr as *const libc::sockaddr_un).cast(), len) };
    match cvt(ret) {
        Ok(_) => Ok(Connect::Done),
        // Interrupted, the connect goes on in the background (POSIX): wait for it too.
        Err(e) if matches!(e.raw_os_error(), Some(libc::EINPROGRESS | libc::EINTR)) => {
            Ok(Connect::InProgress)
        }
        Err(e) if e.raw_os_error() == Some(libc::EAGAIN) => Ok(Connect::BacklogFull),
        Err(e) => Err(e),
    }
}
