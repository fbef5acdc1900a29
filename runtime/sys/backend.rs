//! `Backend`: the names of the built-in backends, and the one place that picks one.

use std::fmt;
use std::io;

#[cfg(corio_epoll)]
use super::epoll;
#[cfg(corio_kqueue)]
use super::kqueue;
use super::poll;
use super::Selector;

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
        if cfg!(corio_epoll) {
            Backend::Epoll
        } else if cfg!(corio_kqueue) {
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
    ///
    /// # Errors
    /// `Unsupported` for a backend this OS lacks; the OS's error if it refuses the
    /// backend's descriptor.
    pub fn selector(self) -> io::Result<Box<dyn Selector>> {
        match self {
            #[cfg(corio_epoll)]
            Backend::Epoll => Ok(Box::new(epoll::Epoll::new()?)),
            #[cfg(corio_kqueue)]
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
