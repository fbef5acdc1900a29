//! The OS layer: readiness backends behind one seam, and the socket syscalls.
//!
//! Everything here speaks file descriptors and `libc`; nothing here knows about futures,
//! wakers or tasks. The reactor above drives a [`Selector`] and never names a backend.
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
//! 3. After [`Selector::rearm`] for a direction, report that direction again if the fd is
//!    ready in it, even if no new transition happens. Edge-triggered backends (epoll with
//!    `EPOLLET`, kqueue with `EV_CLEAR`) get this for free and make `rearm` a no-op;
//!    level-triggered ones (poll(2)) use it to stop reporting a direction nobody waits for.
//! 4. Never report an event for an fd after [`Selector::deregister`] returned.
//! 5. Return from [`Selector::select`] when the timeout passes, when events are ready, or
//!    when [`Notifier::wake`] is called from any thread. `EINTR` is an empty turn, not an
//!    error.
//! 6. Refuse to register the same fd twice with a clear error, keeping the first
//!    registration working.
//!
//! Events for the notifier come back with [`Token::NOTIFY`]; the reactor drains it.

#[cfg(any(target_os = "linux", target_os = "android"))]
mod epoll;
#[cfg(any(
    target_os = "macos",
    target_os = "ios",
    target_os = "freebsd",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "dragonfly"
))]
mod kqueue;
mod notify;
mod poll;
pub(crate) mod socket;
#[cfg(test)]
mod tests;

use std::fmt;
use std::io;
use std::os::fd::RawFd;
use std::time::Duration;

pub(crate) use notify::Notifier;

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

/// Names a registration inside one selector: the reactor packs a slab key and a
/// generation into it, so a stale event for a reused slot or fd is recognised and dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Token(pub(crate) u64);

impl Token {
    /// The token the [`Notifier`]'s fd is registered with.
    pub(crate) const NOTIFY: Token = Token(u64::MAX);
}

/// Directions an fd is registered or armed for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Interest(u8);

impl Interest {
    /// Wake when reads (or accepts) may make progress.
    pub(crate) const READABLE: Interest = Interest(0b01);
    /// Wake when writes (or a pending connect) may make progress.
    pub(crate) const WRITABLE: Interest = Interest(0b10);
    /// Both directions.
    pub(crate) const BOTH: Interest = Interest(0b11);

    /// Whether `self` includes read interest.
    pub(crate) fn is_readable(self) -> bool {
        self.0 & Self::READABLE.0 != 0
    }

    /// Whether `self` includes write interest.
    pub(crate) fn is_writable(self) -> bool {
        self.0 & Self::WRITABLE.0 != 0
    }
}

/// What an event says about an fd: a set of readiness bits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Readiness(pub(crate) u8);

impl Readiness {
    /// Data (or a connection to accept) may be waiting.
    pub(crate) const READABLE: Readiness = Readiness(0b0000_0001);
    /// Buffer space (or a finished connect) may be waiting.
    pub(crate) const WRITABLE: Readiness = Readiness(0b0000_0010);
    /// The peer shut down its write half: reads will end in EOF. Sticky until WouldBlock.
    pub(crate) const READ_CLOSED: Readiness = Readiness(0b0000_0100);
    /// Writing can no longer succeed (hang-up or error); the syscall will say why.
    pub(crate) const WRITE_CLOSED: Readiness = Readiness(0b0000_1000);

    /// Every bit that lets a reader make progress.
    pub(crate) const READ_SIDE: Readiness = Readiness(0b0000_0101);
    /// Every bit that lets a writer make progress.
    pub(crate) const WRITE_SIDE: Readiness = Readiness(0b0000_1010);

    /// Whether any bit of `other` is set in `self`.
    pub(crate) fn intersects(self, other: Readiness) -> bool {
        self.0 & other.0 != 0
    }
}

/// One event from [`Selector::select`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Event {
    /// The token of the registration it concerns.
    pub(crate) token: Token,
    /// What became ready.
    pub(crate) readiness: Readiness,
}

/// The seam every OS backend implements; see the module docs for the contract.
///
/// All methods are called on the reactor's own thread only; waking it from other threads
/// goes through [`Notifier`], which is `Sync`.
pub(crate) trait Selector {
    /// Starts watching `fd` for `interest`, reporting events with `token`.
    fn register(&self, fd: RawFd, token: Token, interest: Interest) -> io::Result<()>;

    /// Asks for `interest` to be reported again; called when a task parks after
    /// `WouldBlock`. Edge-triggered backends do nothing here.
    fn rearm(&self, fd: RawFd, token: Token, interest: Interest) -> io::Result<()>;

    /// Stops watching `fd`. Must be called before the fd is closed.
    fn deregister(&self, fd: RawFd) -> io::Result<()>;

    /// Waits for events (appending them to `events`, which the caller has cleared) until
    /// one arrives, the notifier is woken, or `timeout` passes (`None`: no limit).
    fn select(&self, events: &mut Vec<Event>, timeout: Option<Duration>) -> io::Result<()>;

    /// The backend's name, for errors and diagnostics.
    fn name(&self) -> &'static str;
}

/// The OS readiness API a runtime waits on.
///
/// Every variant exists on every platform so programs compile everywhere; asking for one
/// the OS lacks is an error when the runtime is built, never a silent fallback.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Backend {
    /// Linux and Android: `epoll`, edge-triggered. The default there.
    Epoll,
    /// Every Unix: `poll(2)`, level-triggered with per-direction re-arming. O(n) per wait,
    /// but no descriptor-number limit.
    Poll,
    /// macOS and the BSDs: `kqueue` with `EV_CLEAR`. The default there.
    Kqueue,
}

impl Backend {
    /// The best backend this OS has.
    pub const fn os_default() -> Backend {
        if cfg!(any(target_os = "linux", target_os = "android")) {
            Backend::Epoll
        } else if cfg!(any(
            target_os = "macos",
            target_os = "ios",
            target_os = "freebsd",
            target_os = "netbsd",
            target_os = "openbsd",
            target_os = "dragonfly"
        )) {
            Backend::Kqueue
        } else {
            Backend::Poll
        }
    }

    /// The name used by `CORIO_BACKEND` and in messages: `epoll`, `poll` or `kqueue`.
    pub const fn name(self) -> &'static str {
        match self {
            Backend::Epoll => "epoll",
            Backend::Poll => "poll",
            Backend::Kqueue => "kqueue",
        }
    }

    /// Parses a backend name (as in `CORIO_BACKEND`), case-insensitively.
    ///
    /// # Errors
    /// `InvalidInput` naming the accepted values, for an unknown name.
    pub fn from_name(name: &str) -> io::Result<Backend> {
        match name.trim().to_ascii_lowercase().as_str() {
            "epoll" => Ok(Backend::Epoll),
            "poll" => Ok(Backend::Poll),
            "kqueue" => Ok(Backend::Kqueue),
            other => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("unknown corio backend {other:?}: expected epoll, poll or kqueue"),
            )),
        }
    }

    /// Creates this backend's selector, or says why this OS cannot have it.
    pub(crate) fn selector(self) -> io::Result<Box<dyn Selector>> {
        match self {
            #[cfg(any(target_os = "linux", target_os = "android"))]
            Backend::Epoll => Ok(Box::new(epoll::Epoll::new()?)),
            #[cfg(any(
                target_os = "macos",
                target_os = "ios",
                target_os = "freebsd",
                target_os = "netbsd",
                target_os = "openbsd",
                target_os = "dragonfly"
            ))]
            Backend::Kqueue => Ok(Box::new(kqueue::Kqueue::new()?)),
            Backend::Poll => Ok(Box::new(poll::Poll::new()?)),
            #[allow(unreachable_patterns)] // every variant is matched on some OS
            unavailable => Err(io::Error::new(
                io::ErrorKind::Unsupported,
                format!(
                    "the corio backend {} is not available on {}",
                    unavailable.name(),
                    std::env::consts::OS
                ),
            )),
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
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
