//! The OS layer: readiness backends behind one seam.
//!
//! Everything here speaks file descriptors and `libc`; nothing here knows about futures,
//! wakers or tasks. The reactor above drives a [`Selector`] and never names a backend.
//!
//! Most programs never use this module. It is public for two readers: someone adding a
//! backend of their own ([`Builder::selector`](crate::Builder::selector) plugs it in), and
//! someone who wants to drive a backend by hand, as ladder rung 10 (callbacks) does:
//!
//! ```
//! use corio::sys::{Backend, Interest, Token};
//! use std::os::fd::AsRawFd;
//!
//! let selector = Backend::os_default().selector()?;
//! let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
//! listener.set_nonblocking(true)?;
//! selector.register(listener.as_raw_fd(), Token(0), Interest::READABLE)?;
//! let _client = std::net::TcpStream::connect(listener.local_addr()?)?;
//! let mut events = Vec::new();
//! selector.select(&mut events, None)?; // returns once the connection is pending
//! assert_eq!(events[0].token, Token(0));
//! selector.deregister(listener.as_raw_fd())?;
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # The backend contract
//!
//! A backend is a type implementing [`Selector`]. It must:
//!
//! 1. Report, for each registered fd, every *transition* into readiness in a direction the
//!    fd is armed for, at least once, as an [`Event`] carrying the [`Token`] it was registered
//!    with. Reporting more often than that (spurious events, level-triggered repeats) is
//!    allowed: the reactor treats an event as a hint and the syscall as the truth.
//! 2. Report the state the fd is already in when it is registered (an fd that is readable
//!    at `register` time yields a readable event on the next `select`).
//! 3. After [`Selector::rearm`] for a direction, report that direction the next time the fd
//!    becomes ready in it. The reactor calls `rearm` only after a syscall in that direction
//!    said `WouldBlock`, so any readiness from then on is a new transition. Whether a
//!    direction that was already reported and never drained is reported again after
//!    `rearm` differs, and the reactor relies on neither: level-triggered backends (poll(2))
//!    report it again, since they stop reporting a direction until it is re-armed;
//!    edge-triggered ones (epoll with `EPOLLET`, kqueue with `EV_CLEAR`) make `rearm` a
//!    no-op and report only new edges (`sys/tests.rs`,
//!    `unread_data_is_reported_once_until_rearmed_on_every_backend`).
//! 4. Never report an event for an fd after [`Selector::deregister`] returned.
//! 5. Return from [`Selector::select`] when the timeout passes, when events are ready, or
//!    when the runtime's doorbell (an fd registered like any other, with [`Token::NOTIFY`])
//!    becomes readable because another thread rang it. `EINTR` is an empty turn, not an
//!    error.
//! 6. Refuse to register the same fd twice with a clear error, keeping the first
//!    registration working.
//!
//! Events for the notifier come back with [`Token::NOTIFY`]; the reactor acknowledges them
//! (reading the doorbell unless [`Selector::notify_needs_drain`] says it need not).

mod backend;
#[cfg(corio_epoll)]
mod epoll;
pub(crate) mod fd;
#[cfg(corio_kqueue)]
mod kqueue;
mod notify;
mod poll;
mod remote_queue;
pub(crate) mod socket;
#[cfg(test)]
mod tests;
mod types;
pub(crate) mod unix_addr;

use std::io;
use std::os::fd::RawFd;
use std::time::Duration;

pub use backend::Backend;
pub(crate) use remote_queue::RemoteQueue;
pub use types::{Event, Interest, Readiness, Token};

/// Turns a libc return value of `-1` into the thread's `errno` as an [`io::Error`].
///
/// Every libc call in corio goes through here (or [`cvt_ssize`]), so errno handling is
/// written once.
pub(crate) fn cvt(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

/// [`cvt`] for calls that return `ssize_t` (`recv`, `send`, `read`, `write`).
pub(crate) fn cvt_ssize(ret: libc::ssize_t) -> io::Result<usize> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret as usize)
    }
}

/// The seam every OS backend implements; see the module docs for the contract.
///
/// All methods are called on the reactor's own thread only, so a selector needs no locks
/// (it is not `Send` or `Sync`); other threads wake the reactor through its doorbell fd.
pub trait Selector {
    /// Starts watching `fd` for `interest`, reporting events with `token`.
    fn register(&self, fd: RawFd, token: Token, interest: Interest) -> io::Result<()>;

    /// Asks for `interest` to be reported again; called when a task parks after
    /// `WouldBlock`. Edge-triggered backends do nothing here.
    fn rearm(&self, fd: RawFd, token: Token, interest: Interest) -> io::Result<()>;

    /// Whether [`rearm`](Self::rearm) does anything. Edge-triggered backends return
    /// `false`, and the reactor then skips the call on its hot path.
    fn needs_rearm(&self) -> bool {
        true
    }

    /// Whether the doorbell's eventfd must be read after each ring. Only a backend that
    /// reports a new event for *every* write to an already-readable eventfd (epoll with
    /// `EPOLLET` does) may return `false`, saving a `read(2)` per cross-thread wake; a
    /// backend that reports transitions only, or levels, must keep the default.
    fn notify_needs_drain(&self) -> bool {
        true
    }

    /// Stops watching `fd`. Must be called before the fd is closed.
    fn deregister(&self, fd: RawFd) -> io::Result<()>;

    /// Waits for events (appending them to `events`, which the caller has cleared) until
    /// one arrives, the notifier is woken, or `timeout` passes (`None`: no limit).
    fn select(&self, events: &mut Vec<Event>, timeout: Option<Duration>) -> io::Result<()>;

    /// The backend's name, for errors and diagnostics.
    fn name(&self) -> &'static str;
}

/// Converts a timeout to whole milliseconds for `epoll_wait`/`poll`, rounding *up* so a
/// sub-millisecond wait never becomes a busy spin of zero-timeout calls.
pub(crate) fn timeout_ms(timeout: Option<Duration>) -> libc::c_int {
    match timeout {
        None => -1,
        Some(d) => {
            let ms = d.as_nanos().div_ceil(1_000_000);
            ms.min(libc::c_int::MAX as u128) as libc::c_int
        }
    }
}
