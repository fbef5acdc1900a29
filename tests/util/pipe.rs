//! A non-blocking pipe, for `AsyncFd` tests.

use std::os::fd::{FromRawFd, OwnedFd};

/// A pipe as two `File`s (read end, write end), both non-blocking.
pub fn pipe() -> (std::fs::File, std::fs::File) {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors pipe writes.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    for fd in fds {
        // SAFETY: fcntl with integer arguments on fds we own.
        unsafe {
            let flags = libc::fcntl(fd, libc::F_GETFL);
            assert_eq!(libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK), 0);
        }
    }
    // SAFETY: both fds were just created and are owned by nothing else.
    unsafe {
        (
            OwnedFd::from_raw_fd(fds[0]).into(),
            OwnedFd::from_raw_fd(fds[1]).into(),
        )
    }
}
