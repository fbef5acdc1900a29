//! Learning that a child exited, and reaping the children nobody waits for.
//!
//! Each [`Child`](super::Child) carries a [`Watch`]: on Linux a pidfd (`pidfd_open`,
//! Linux ≥ 5.3) registered with the reactor, readable once the child has exited; where
//! that is refused (`ENOSYS` on older kernels, `EPERM` under seccomp), or off Linux, a
//! [`Signal`] stream for `SIGCHLD`, through corio's own signal support. Either way the
//! exit is only a hint: the status is collected with `waitpid(pid, WNOHANG)`, and a
//! child still running waits for the next hint. No thread and no task per child.
//!
//! A `Child` dropped before its exit was collected becomes an *orphan* of its runtime's
//! [`Driver`]: one task per runtime (spawned with the runtime's first child) holds every
//! orphan's watch and reaps each as its exit arrives, so no dropped child stays a zombie.

use std::cell::RefCell;
use std::future::poll_fn;
use std::io;
use std::rc::{Rc, Weak};
use std::sync::Mutex;
use std::task::{Context, Poll, Waker};

use crate::reactor::Reactor;
use crate::signal::{signal, Signal, SignalKind};

/// The environment variable that makes every child of this process wait through
/// `SIGCHLD` even where pidfds work, when it is set to `sigchld` (read at each spawn).
/// For tests of the fallback path; not part of the public API.
#[cfg(target_os = "linux")]
const WAIT_ENV: &str = "CORIO_PROCESS_WAIT";

/// How the runtime hears that one child exited.
#[derive(Debug)]
pub(super) enum Watch {
    /// The child's pidfd, registered with the reactor: readable once it has exited.
    #[cfg(target_os = "linux")]
    Pidfd(crate::io::source::Source<std::os::fd::OwnedFd>),
    /// A stream of this process's `SIGCHLD`s: each may be this child's exit.
    Sigchld(Signal),
}

impl Watch {
    /// A watch for the child `pid`, made right after it was spawned: a pidfd where the
    /// kernel grants one, else `SIGCHLD`. An exit before the watch exists is not lost: the
    /// first check after it is a `waitpid`.
    pub(super) fn new(pid: u32) -> io::Result<Watch> {
        #[cfg(target_os = "linux")]
        if std::env::var_os(WAIT_ENV).map_or(true, |v| v != "sigchld") {
            if let Some(watch) = pidfd_watch(pid) {
                return Ok(watch);
            }
        }
        let _ = pid;
        Ok(Watch::Sigchld(signal(SignalKind::child())?))
    }

    /// Called after a `waitpid` found the child still running: `Pending` until something
    /// may have changed (then the task is woken), `Ready(Ok)` to check again now.
    pub(super) fn poll_changed(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self {
            #[cfg(target_os = "linux")]
            Watch::Pidfd(source) => {
                use crate::reactor::Direction;
                // The child was running at the check just made, on this thread: any
                // readiness recorded before it is stale, and its exit comes as a new event.
                source.clear_readiness(Direction::Read);
                source.poll_ready(cx, Direction::Read)
            }
            Watch::Sigchld(sigchld) => match sigchld.poll_recv(cx) {
                Poll::Ready(Some(())) => Poll::Ready(Ok(())),
                Poll::Ready(None) => Poll::Ready(Err(io::Error::other(
                    "corio: the runtime that watched this child for SIGCHLD is gone",
                ))),
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

/// `pidfd_open(pid)`, registered with this thread's reactor; `None` where the kernel
/// refuses it (too old, seccomp) or the backend cannot watch it.
#[cfg(target_os = "linux")]
fn pidfd_watch(pid: u32) -> Option<Watch> {
    use std::os::fd::{FromRawFd, OwnedFd};

    let pid = libc::pid_t::try_from(pid).ok()?;
    // SAFETY: pidfd_open takes a pid and a flags word, no pointers.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    let fd = libc::c_int::try_from(fd).ok().filter(|&fd| fd >= 0)?;
    // SAFETY: the kernel just returned `fd`, open and owned by nothing else. pidfd_open
    // sets close-on-exec on it.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    let source = crate::io::source::Source::new(fd, crate::reactor::Assume::Ready).ok()?;
    Some(Watch::Pidfd(source))
}

/// `waitpid(pid, WNOHANG)` for a child whose status nobody will read: whether it is gone
/// (reaped now, or not our child any more: `ECHILD`).
pub(super) fn reap_now(pid: libc::pid_t) -> bool {
    loop {
        let mut status = 0;
        // SAFETY: `status` is a valid place for the kernel to write the status.
        match unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) } {
            0 => return false,
            -1 if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted => {}
            _ => return true,
        }
    }
}

/// Children still running when their runtime was dropped: reaped with `WNOHANG` at every
/// later spawn and orphan check of any runtime of this process.
static LEFTOVERS: Mutex<Vec<libc::pid_t>> = Mutex::new(Vec::new());

fn reap_leftovers() {
    let mut leftovers = LEFTOVERS.lock().unwrap_or_else(|e| e.into_inner());
    if !leftovers.is_empty() {
        leftovers.retain(|&pid| !reap_now(pid));
    }
}

/// A dropped child whose exit has not been collected yet.
#[derive(Debug)]
struct Orphan {
    pid: libc::pid_t,
    watch: Watch,
}

/// One runtime's orphans, and the waker of the task that reaps them.
#[derive(Debug, Default)]
pub(super) struct Driver {
    orphans: RefCell<Vec<Orphan>>,
    waker: RefCell<Option<Waker>>,
}

thread_local! {
    /// The drivers of this thread's runtimes, keyed by their reactor (several runtimes
    /// may share a thread, one nested in another's `block_on`).
    static DRIVERS: RefCell<Vec<(*const Reactor, Weak<Driver>)>> =
        const { RefCell::new(Vec::new()) };
}

impl Driver {
    /// This runtime's driver, spawning its reaping task if there is none; also reaps
    /// the leftovers of runtimes already gone.
    pub(super) fn current() -> io::Result<Weak<Driver>> {
        let reactor = Rc::as_ptr(&crate::reactor::current()?);
        reap_leftovers();
        let existing = DRIVERS.with(|drivers| {
            let mut drivers = drivers.borrow_mut();
            // A dead driver's runtime is gone (its reactor address may be reused).
            drivers.retain(|(_, driver)| driver.strong_count() > 0);
            drivers
                .iter()
                .find(|(r, _)| *r == reactor)
                .map(|(_, driver)| driver.clone())
        });
        if let Some(driver) = existing {
            return Ok(driver);
        }
        let driver = Rc::new(Driver::default());
        let weak = Rc::downgrade(&driver);
        DRIVERS.with(|drivers| drivers.borrow_mut().push((reactor, weak.clone())));
        crate::executor::spawn(async move { poll_fn(|cx| driver.poll_reap(cx)).await });
        Ok(weak)
    }

    /// Takes over the still-running child `pid` and its watch; the reaping task collects
    /// its exit.
    pub(super) fn adopt(&self, pid: libc::pid_t, watch: Watch) {
        self.orphans.borrow_mut().push(Orphan { pid, watch });
        let waker = self.waker.borrow_mut().take();
        if let Some(waker) = waker {
            waker.wake(); // outside the borrows: the task may be polled in place
        }
    }

    /// The reaping task's one step: reap every orphan that has exited and arm the watch
    /// of each that has not. Never completes: the task lives as long as its runtime.
    fn poll_reap(&self, cx: &mut Context<'_>) -> Poll<()> {
        let stale = crate::stored_waker::replace(&mut self.waker.borrow_mut(), cx.waker());
        drop(stale);
        reap_leftovers();
        self.orphans
            .borrow_mut()
            .retain_mut(|orphan| !orphan.poll_gone(cx));
        Poll::Pending
    }
}

impl Orphan {
    /// Reaps the orphan if it has exited (`true`); otherwise arms its watch to wake `cx`.
    fn poll_gone(&mut self, cx: &mut Context<'_>) -> bool {
        loop {
            if reap_now(self.pid) {
                return true;
            }
            match self.watch.poll_changed(cx) {
                Poll::Pending => return false,
                Poll::Ready(Ok(())) => {}
                // The watch cannot report any more: leave the pid to later sweeps.
                Poll::Ready(Err(_)) => {
                    leave_over(self.pid);
                    return true;
                }
            }
        }
    }
}

/// Hands `pid` to the process-wide sweep of children nobody watches.
pub(super) fn leave_over(pid: libc::pid_t) {
    if !reap_now(pid) {
        LEFTOVERS
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(pid);
    }
}

/// When the runtime (and with it the reaping task) is dropped: each orphan that has
/// exited is reaped at once; each still running goes to the process-wide leftovers,
/// reaped by the next spawn in any runtime of this process, or, if there is none, by
/// `init` once this process exits.
impl Drop for Driver {
    fn drop(&mut self) {
        for orphan in self.orphans.get_mut().drain(..) {
            leave_over(orphan.pid);
        }
    }
}
