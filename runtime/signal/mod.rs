//! Unix signals as async streams: [`ctrl_c`] and [`signal`].
//!
//! ```no_run
//! use corio::signal::{signal, SignalKind};
//!
//! corio::block_on(async {
//!     let mut term = signal(SignalKind::terminate())?;
//!     corio::spawn(async { /* serve */ });
//!     term.recv().await;
//!     println!("SIGTERM: shutting down");
//!     Ok::<(), std::io::Error>(())
//! })
//! .unwrap();
//! ```
//!
//! No helper thread: a `sigaction` handler counts each delivery and writes a byte to a
//! self-pipe per listening runtime (`handler.rs`); the runtime's reactor sees the pipe
//! readable like any socket, and one task per runtime (`driver.rs`) wakes the streams.
//! (Linux's `signalfd` is not used: it only works if the signal is blocked in *every*
//! thread of the process, which a library cannot ensure — a thread that left it unblocked
//! would take the default action, and for SIGTERM that kills the process. DESIGN.md §14.)
//!
//! Once a signal has a stream, corio's handler replaces the default action for it for
//! the rest of the process (as with tokio): Ctrl-C no longer kills the program unless it
//! decides to exit. Deliveries between two `recv` calls are coalesced into one.
//!
//! The handler and the self-pipes are per process and a forked child inherits them:
//! [after `fork`](crate::task#after-fork) says what the two processes then share.

mod driver;

/// Unix signals under tokio's path (`corio::signal::unix::{signal, SignalKind}`): the
/// same items as [`signal`](super::signal) at this module's root.
pub mod unix {
    pub use super::{signal, Signal, SignalKind};
}
mod handler;

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::rc::Weak;
use std::task::{Context, Poll};

use driver::Hub;

/// A signal number, with constructors for the common ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SignalKind(libc::c_int);

impl SignalKind {
    /// `SIGINT`: Ctrl-C at a terminal.
    pub const fn interrupt() -> Self {
        SignalKind(libc::SIGINT)
    }

    /// `SIGTERM`: the polite request to stop (`kill`, service managers).
    pub const fn terminate() -> Self {
        SignalKind(libc::SIGTERM)
    }

    /// `SIGHUP`: the terminal went away; by convention also "reload configuration".
    pub const fn hangup() -> Self {
        SignalKind(libc::SIGHUP)
    }

    /// `SIGQUIT`: Ctrl-\ at a terminal.
    pub const fn quit() -> Self {
        SignalKind(libc::SIGQUIT)
    }

    /// `SIGUSR1`.
    pub const fn user_defined1() -> Self {
        SignalKind(libc::SIGUSR1)
    }

    /// `SIGUSR2`.
    pub const fn user_defined2() -> Self {
        SignalKind(libc::SIGUSR2)
    }

    /// `SIGCHLD`: a child process changed state.
    pub const fn child() -> Self {
        SignalKind(libc::SIGCHLD)
    }

    /// `SIGWINCH`: the terminal was resized.
    pub const fn window_change() -> Self {
        SignalKind(libc::SIGWINCH)
    }

    /// `SIGALRM`.
    pub const fn alarm() -> Self {
        SignalKind(libc::SIGALRM)
    }

    /// `SIGPIPE` (corio's own sockets never raise it).
    pub const fn pipe() -> Self {
        SignalKind(libc::SIGPIPE)
    }

    /// Any signal by number; [`signal`] checks it.
    pub const fn from_raw(signum: libc::c_int) -> Self {
        SignalKind(signum)
    }

    /// The signal number.
    pub const fn as_raw(self) -> libc::c_int {
        self.0
    }
}

/// A stream of deliveries of one signal, for one task; create as many as you need, on
/// any number of tasks (each sees every delivery).
pub struct Signal {
    signum: usize,
    /// Deliveries seen so far (the process-wide count when last checked).
    seen: u64,
    hub: Weak<Hub>,
    key: usize,
}

/// Starts listening for `kind`: deliveries from now on are seen by this stream.
///
/// # Errors
/// `InvalidInput` for a signal that cannot or must not be caught (`SIGKILL`, `SIGSTOP`,
/// `SIGSEGV`, `SIGBUS`, `SIGILL`, `SIGFPE`, out of range); the OS's error if the handler
/// cannot be installed; an error outside a corio runtime.
pub fn signal(kind: SignalKind) -> io::Result<Signal> {
    let signum = kind.0;
    let forbidden = [
        libc::SIGKILL,
        libc::SIGSTOP,
        libc::SIGSEGV,
        libc::SIGBUS,
        libc::SIGILL,
        libc::SIGFPE,
    ];
    if signum <= 0 || signum as usize >= handler::MAX_SIGNAL || forbidden.contains(&signum) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("signal {signum} cannot be listened for"),
        ));
    }
    let hub = Hub::current()?;
    handler::install(signum)?;
    let key = match hub.upgrade() {
        Some(h) => h.register(),
        None => return Err(io::Error::other("signal driver stopped")),
    };
    Ok(Signal {
        signum: signum as usize,
        seen: handler::delivered(signum as usize),
        hub,
        key,
    })
}

/// Completes at the next Ctrl-C (`SIGINT`) after this future is first polled (it is an
/// `async fn`: nothing is registered before that; create a [`signal`] stream early to
/// catch everything from a known point).
///
/// # Errors
/// As [`signal`].
pub async fn ctrl_c() -> io::Result<()> {
    signal(SignalKind::interrupt())?.recv().await;
    Ok(())
}

impl Signal {
    /// Waits for the next delivery (several since the last call count as one).
    /// `None` only if the runtime that ran this stream's driver is gone.
    pub async fn recv(&mut self) -> Option<()> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// [`recv`](Self::recv) as a poll function.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<()>> {
        let delivered = handler::delivered(self.signum);
        if delivered != self.seen {
            self.seen = delivered;
            return Poll::Ready(Some(()));
        }
        match self.hub.upgrade() {
            Some(hub) => {
                hub.set_waker(self.key, cx.waker());
                Poll::Pending
            }
            None => Poll::Ready(None),
        }
    }
}

impl Drop for Signal {
    fn drop(&mut self) {
        if let Some(hub) = self.hub.upgrade() {
            hub.unregister(self.key);
        }
    }
}

impl fmt::Debug for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signal")
            .field("signum", &self.signum)
            .field("seen", &self.seen)
            .finish()
    }
}
