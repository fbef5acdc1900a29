//! The epoll backend (Linux, Android), edge-triggered.
//!
//! Each fd is registered once with `EPOLLIN | EPOLLPRI | EPOLLOUT | EPOLLRDHUP | EPOLLET`
//! and never
//! touched again until it is deregistered: no `epoll_ctl` per event or per wait. Because
//! epoll reports edges, [`Selector::rearm`] has nothing to do.

use std::cell::RefCell;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

use super::{cvt, timeout_ms, Event, Interest, Readiness, Selector, Token};

/// How many events one `epoll_wait` returns at most; more ready fds are served on the
/// next turn (the kernel rotates its ready list, so none starves).
const EVENTS_CAPACITY: usize = 1024;

/// Asked for with read interest, so urgent data wakes a reader (see `Readiness::PRIORITY`).
/// Miri's epoll emulation refuses `EPOLLPRI`, and no test under Miri sends urgent data, so
/// there it is not asked for.
const URGENT: libc::c_int = if cfg!(miri) { 0 } else { libc::EPOLLPRI };

/// An epoll instance and the buffer `epoll_wait` fills.
pub(crate) struct Epoll {
    epfd: OwnedFd,
    buffer: RefCell<Vec<libc::epoll_event>>,
}

impl Epoll {
    /// Creates the instance with `EPOLL_CLOEXEC`, so children never inherit it.
    pub(crate) fn new() -> io::Result<Epoll> {
        // SAFETY: epoll_create1 takes no pointers; the flag is a valid constant.
        let fd = cvt(unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) })?;
        // SAFETY: `fd` was just returned by the kernel and nothing else owns it.
        let epfd = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(Epoll {
            epfd,
            buffer: RefCell::new(Vec::with_capacity(EVENTS_CAPACITY)),
        })
    }

    fn ctl(&self, op: libc::c_int, fd: RawFd, token: Token, interest: Interest) -> io::Result<()> {
        let mut flags = libc::EPOLLET | libc::EPOLLRDHUP;
        if interest.is_readable() {
            flags |= libc::EPOLLIN | URGENT;
        }
        if interest.is_writable() {
            flags |= libc::EPOLLOUT;
        }
        let mut event = libc::epoll_event {
            events: flags as u32,
            u64: token.0,
        };
        // SAFETY: `event` is a valid epoll_event that outlives the call; the kernel copies it.
        cvt(unsafe { libc::epoll_ctl(self.epfd.as_raw_fd(), op, fd, &mut event) })?;
        Ok(())
    }
}

/// Maps epoll's bits to corio's readiness.
fn readiness(events: u32) -> Readiness {
    let events = events as libc::c_int;
    let mut r = 0;
    if events & (libc::EPOLLIN | libc::EPOLLPRI) != 0 {
        r |= Readiness::READABLE.0;
    }
    if events & libc::EPOLLPRI != 0 {
        r |= Readiness::PRIORITY.0;
    }
    if events & libc::EPOLLOUT != 0 {
        r |= Readiness::WRITABLE.0;
    }
    // RDHUP is only the peer's write half closing: reads end, writes may go on.
    if events & libc::EPOLLRDHUP != 0 {
        r |= Readiness::READ_CLOSED.0;
    }
    // HUP and ERR end both directions; the next syscall on each side reports why.
    if events & (libc::EPOLLHUP | libc::EPOLLERR) != 0 {
        r |= Readiness::READ_CLOSED.0 | Readiness::WRITE_CLOSED.0;
    }
    Readiness(r)
}

impl Selector for Epoll {
    fn register(&self, fd: RawFd, token: Token, interest: Interest) -> io::Result<()> {
        self.ctl(libc::EPOLL_CTL_ADD, fd, token, interest)
    }

    fn rearm(&self, _fd: RawFd, _token: Token, _interest: Interest) -> io::Result<()> {
        Ok(())
    }

    fn needs_rearm(&self) -> bool {
        false
    }

    fn notify_needs_drain(&self) -> bool {
        // Every eventfd write wakes the epoll wait queue, so EPOLLET reports a new edge
        // even while the counter is non-zero; the 64-bit counter never overflows.
        false
    }

    fn deregister(&self, fd: RawFd) -> io::Result<()> {
        // SAFETY: a null event pointer is allowed for EPOLL_CTL_DEL since Linux 2.6.9.
        cvt(unsafe {
            libc::epoll_ctl(
                self.epfd.as_raw_fd(),
                libc::EPOLL_CTL_DEL,
                fd,
                std::ptr::null_mut(),
            )
        })?;
        Ok(())
    }

    fn select(&self, events: &mut Vec<Event>, timeout: Option<Duration>) -> io::Result<()> {
        let mut buffer = self.buffer.borrow_mut();
        buffer.clear();
        // SAFETY: the pointer and capacity describe `buffer`'s spare allocation, which the
        // kernel fills with at most `capacity` initialised epoll_event structs.
        let n = unsafe {
            libc::epoll_wait(
                self.epfd.as_raw_fd(),
                buffer.as_mut_ptr(),
                buffer.capacity() as libc::c_int,
                timeout_ms(timeout),
            )
        };
        let n = match cvt(n) {
            Ok(n) => n as usize,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => 0,
            Err(e) => return Err(e),
        };
        // SAFETY: epoll_wait initialised the first `n` entries (n <= capacity).
        unsafe { buffer.set_len(n) };
        events.extend(buffer.iter().map(|e| Event {
            token: Token(e.u64),
            readiness: readiness(e.events),
        }));
        Ok(())
    }

    fn name(&self) -> &'static str {
        "epoll"
    }
}
