//! Plain-fd syscalls: `read`, `write`, the blocking-mode check (for `AsyncFd`), and a
//! non-blocking pipe (the doorbell off Linux, the signal self-pipes).

use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};

use super::{cvt, cvt_ssize};

/// `read` into `buf`.
pub(crate) fn read(fd: RawFd, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: the kernel writes at most `buf.len()` bytes into `buf`.
    cvt_ssize(unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) })
}

/// `write` from `buf`.
pub(crate) fn write(fd: RawFd, buf: &[u8]) -> io::Result<usize> {
    // SAFETY: the kernel reads at most `buf.len()` bytes from `buf`.
    cvt_ssize(unsafe { libc::write(fd, buf.as_ptr().cast(), buf.len()) })
}

/// Whether `O_NONBLOCK` is set on `fd`.
pub(crate) fn is_nonblocking(fd: RawFd) -> io::Result<bool> {
    // SAFETY: F_GETFL takes no pointer; an invalid fd gives EBADF.
    let flags = cvt(unsafe { libc::fcntl(fd, libc::F_GETFL) })?;
    Ok(flags & libc::O_NONBLOCK != 0)
}

/// A non-blocking, close-on-exec pipe: `(read end, write end)`. Where `pipe2` exists the
/// flags are set atomically, so a concurrent `fork` + `exec` cannot inherit the fds.
pub(crate) fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0 as libc::c_int; 2];
    #[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    cvt(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) })?;
    #[cfg(not(any(target_os = "linux", target_os = "android", target_os = "freebsd")))]
    // SAFETY: `fds` has room for the two descriptors pipe writes.
    cvt(unsafe { libc::pipe(fds.as_mut_ptr()) })?;
    // SAFETY: both fds were just returned by the kernel and nothing else owns them.
    let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    #[cfg(not(any(target_os = "linux", target_os = "android", target_os = "freebsd")))]
    for fd in [&read, &write] {
        super::socket::set_cloexec_nonblock(std::os::fd::AsRawFd::as_raw_fd(fd))?;
    }
    Ok((read, write))
}
