//! The doorbell's fd: an eventfd on Linux, a pipe elsewhere. Only the syscalls live here;
//! when to ring it and when to reset it is the protocol of [`RemoteQueue`], its only user.
//!
//! The read end is registered with the selector under [`Token::NOTIFY`]: a ring makes the
//! reactor's current or next `select` return.
//!
//! [`RemoteQueue`]: super::RemoteQueue
//! [`Token::NOTIFY`]: super::Token::NOTIFY

use std::io;
#[cfg(corio_epoll)]
use std::os::fd::FromRawFd;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};

#[cfg(loom)]
use crate::std_or_loom::ModelDoorbell;

#[cfg(corio_epoll)]
use super::cvt;

/// A cross-thread doorbell for one reactor: an fd that another thread makes readable.
#[derive(Debug)]
pub(super) struct Doorbell {
    /// The end the selector watches.
    read: OwnedFd,
    /// The end `ring` writes to; the same fd as `read` for an eventfd.
    #[cfg(not(corio_epoll))]
    write: OwnedFd,
    /// What stands in for the fd's readiness in the loom models (syscalls cannot be
    /// modelled): `ring` rings it instead of writing, the model's reactor waits on it.
    #[cfg(loom)]
    model_fd: ModelDoorbell,
}

impl Doorbell {
    /// Creates a non-blocking, close-on-exec doorbell.
    #[cfg(corio_epoll)]
    pub(super) fn new() -> io::Result<Doorbell> {
        // SAFETY: eventfd takes no pointers; the flags are valid constants.
        let fd = cvt(unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) })?;
        Ok(Doorbell {
            // SAFETY: `fd` was just returned by the kernel and nothing else owns it.
            read: unsafe { OwnedFd::from_raw_fd(fd) },
            #[cfg(loom)]
            model_fd: ModelDoorbell::new(),
        })
    }

    /// Creates a non-blocking, close-on-exec doorbell.
    #[cfg(not(corio_epoll))]
    pub(super) fn new() -> io::Result<Doorbell> {
        let (read, write) = super::fd::pipe()?;
        Ok(Doorbell {
            read,
            write,
            #[cfg(loom)]
            model_fd: ModelDoorbell::new(),
        })
    }

    /// The fd to register for read interest.
    pub(super) fn fd(&self) -> RawFd {
        self.read.as_raw_fd()
    }

    #[cfg(all(corio_epoll, not(loom)))]
    fn write_fd(&self) -> RawFd {
        self.read.as_raw_fd()
    }

    #[cfg(all(not(corio_epoll), not(loom)))]
    fn write_fd(&self) -> RawFd {
        self.write.as_raw_fd()
    }

    /// Makes the fd readable. Callable from any thread.
    #[cfg(not(loom))]
    #[inline]
    pub(super) fn ring(&self) {
        let one: u64 = 1;
        // SAFETY: writes 8 bytes from a live u64. A full pipe (EAGAIN) already means the
        // reactor will wake, so the result is deliberately ignored.
        unsafe {
            libc::write(
                self.write_fd(),
                (&one as *const u64).cast(),
                std::mem::size_of::<u64>(),
            )
        };
    }

    /// Empties the fd where it must be, after the reactor saw it readable. Reactor thread
    /// only.
    ///
    /// When the backend reports every write (`Selector::notify_needs_drain` is false, so
    /// `must_drain` is false) an eventfd need not be read, and its 64-bit counter cannot
    /// overflow in practice, so the syscall is skipped. Otherwise, and always for a pipe
    /// (which would fill up and stop ringing), the fd is emptied.
    #[cfg(not(loom))]
    #[inline]
    pub(super) fn reset(&self, must_drain: bool) {
        let is_eventfd = cfg!(corio_epoll);
        if must_drain || !is_eventfd {
            let mut buf = [0u8; 64];
            loop {
                // SAFETY: reads at most `buf.len()` bytes into `buf`, live and writable.
                let n = unsafe {
                    libc::read(self.read.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len())
                };
                // An eventfd empties in one read; a pipe may need more. Stop at EAGAIN.
                if n <= 0 || is_eventfd {
                    break;
                }
            }
        }
    }
}

/// The doorbell's fd as the loom models see it: a write is a ring, and the model's reactor
/// waits on it where the real one sits in `select`.
#[cfg(loom)]
impl Doorbell {
    pub(super) fn ring(&self) {
        self.model_fd.write();
    }

    /// Nothing to empty: [`wait_for_ring`](Self::wait_for_ring) consumed the ring.
    pub(super) fn reset(&self, _must_drain: bool) {}

    /// The reactor's blocking wait on the doorbell: returns once a ring came after the
    /// one recorded in `seen`. A lost wake leaves the model's reactor here for good, which
    /// loom reports as a deadlock.
    #[cfg(test)]
    pub(super) fn wait_for_ring(&self, seen: &mut u64) {
        self.model_fd.wait(seen);
    }
}
