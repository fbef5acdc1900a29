//! [`ChildStdin`], [`ChildStdout`], [`ChildStderr`]: a child's pipes as corio
//! [`AsyncWrite`]/[`AsyncRead`], through the same readiness helper as every other fd
//! ([`AsyncFd`]).

use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::pin::Pin;
use std::process::Stdio;
use std::sync::Once;
use std::task::{Context, Poll};

use crate::io::{AsyncFd, AsyncRead, AsyncWrite};

/// Sets or clears `O_NONBLOCK` on `fd` (our end of a pipe only: the child's end is another
/// open file description, so its mode is its own).
fn set_nonblocking(fd: RawFd, on: bool) -> io::Result<()> {
    // SAFETY: F_GETFL takes no pointer; an invalid fd gives EBADF.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags == -1 {
        return Err(io::Error::last_os_error());
    }
    let flags = match on {
        true => flags | libc::O_NONBLOCK,
        false => flags & !libc::O_NONBLOCK,
    };
    // SAFETY: F_SETFL takes an int; an invalid fd gives EBADF.
    if unsafe { libc::fcntl(fd, libc::F_SETFL, flags) } == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Makes a write to a pipe whose reader is gone fail with `EPIPE` (`BrokenPipe`) instead
/// of killing the process: if `SIGPIPE` still has its default action, it is set to
/// ignored, once per process. Rust's own runtime already does this before `main`, so this
/// only matters where that was undone or `main` is not Rust's; std's `Command` restores
/// the default action in every child, so children are unaffected.
fn ignore_sigpipe() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: a zeroed sigaction is a valid out-parameter; a null new action only
        // reads the current one.
        let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
        // SAFETY: `old` is a valid place for the current action; the new one is null.
        let got = unsafe { libc::sigaction(libc::SIGPIPE, std::ptr::null(), &mut old) };
        if got == 0 && old.sa_sigaction == libc::SIG_DFL {
            // SAFETY: SIG_IGN is a valid disposition for SIGPIPE.
            unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
        }
    });
}

macro_rules! child_pipe {
    ($(#[$doc:meta])* $name:ident, $std:ty) => {
        $(#[$doc])*
        ///
        /// `!Send`, as every corio I/O type: it is registered with the reactor of the
        /// runtime that made it.
        pub struct $name {
            fd: AsyncFd<OwnedFd>,
        }

        impl $name {
            /// Makes std's pipe non-blocking and registers it with this thread's runtime.
            ///
            /// # Errors
            /// The OS's error from `fcntl` or the backend; an error outside a corio
            /// runtime.
            pub fn from_std(pipe: $std) -> io::Result<$name> {
                ignore_sigpipe();
                let fd = OwnedFd::from(pipe);
                set_nonblocking(fd.as_raw_fd(), true)?;
                Ok($name { fd: AsyncFd::new(fd)? })
            }

            /// Deregisters the pipe and hands it back in blocking mode, e.g. to give it
            /// to another child as its stdio (`Stdio::from(fd)`).
            ///
            /// # Errors
            /// The OS's error from `fcntl` (the fd is closed then).
            pub fn into_owned_fd(self) -> io::Result<OwnedFd> {
                let fd = self.fd.into_inner();
                set_nonblocking(fd.as_raw_fd(), false)?;
                Ok(fd)
            }
        }

        /// The pipe, in blocking mode, as another child's stdio.
        impl TryFrom<$name> for Stdio {
            type Error = io::Error;

            fn try_from(pipe: $name) -> io::Result<Stdio> {
                pipe.into_owned_fd().map(Stdio::from)
            }
        }

        impl AsRawFd for $name {
            fn as_raw_fd(&self) -> RawFd {
                self.fd.as_raw_fd()
            }
        }

        impl AsFd for $name {
            fn as_fd(&self) -> BorrowedFd<'_> {
                self.fd.get_ref().as_fd()
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("fd", &self.fd.as_raw_fd())
                    .finish()
            }
        }
    };
}

child_pipe!(
    /// The writing end of a child's stdin ([`Child::stdin`](super::Child::stdin)).
    ///
    /// Dropping it closes the pipe, which the child reads as end of input. A write after
    /// the child closed its end (or exited) fails with `BrokenPipe`; it never raises
    /// `SIGPIPE` (if `SIGPIPE` still has its default action when the first child pipe is
    /// made, corio sets it to ignored for the process, as Rust's runtime does before
    /// `main`).
    ChildStdin,
    std::process::ChildStdin
);
child_pipe!(
    /// The reading end of a child's stdout ([`Child::stdout`](super::Child::stdout)). A
    /// read gives `Ok(0)` once the child has closed its end (exited, or closed fd 1).
    ChildStdout,
    std::process::ChildStdout
);
child_pipe!(
    /// The reading end of a child's stderr ([`Child::stderr`](super::Child::stderr)),
    /// like [`ChildStdout`].
    ChildStderr,
    std::process::ChildStderr
);

/// `write(2)`; flushing and closing do nothing (dropping closes the pipe).
impl AsyncWrite for ChildStdin {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.fd).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.fd).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.fd).poll_close(cx)
    }
}

/// `read(2)`.
impl AsyncRead for ChildStdout {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.fd).poll_read(cx, buf)
    }
}

/// `read(2)`.
impl AsyncRead for ChildStderr {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.fd).poll_read(cx, buf)
    }
}
