//! The poll(2) backend: portable to every Unix, level-triggered, no descriptor limit.
//!
//! poll(2) reports levels, so to meet the seam's contract this backend *disarms* a
//! direction once it has reported it, and [`Selector::rearm`] (called when a task parks
//! after `WouldBlock`) arms it again. A fd with no armed direction is hidden from the
//! kernel by negating it (poll ignores negative fds), so a hung-up socket nobody waits
//! on cannot make every call return at once.
//!
//! Cost: each wait hands the kernel the whole array, O(registered fds) per call, which is
//! what epoll and kqueue were invented to avoid. Unlike select(2) there is no
//! `FD_SETSIZE` (1024) limit on descriptor numbers.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io;
use std::os::fd::RawFd;
use std::time::Duration;

use super::{cvt, timeout_ms, Event, Interest, Readiness, Selector, Token};

/// poll's "the peer closed its write half" bit, where the OS has one.
#[cfg(corio_epoll)]
const POLLRDHUP: libc::c_short = libc::POLLRDHUP;
#[cfg(not(corio_epoll))]
const POLLRDHUP: libc::c_short = 0;

/// Whether poll reported the peer's write half closed (only Linux says so apart from HUP).
#[cfg(corio_epoll)]
fn peer_closed_write(revents: libc::c_short) -> bool {
    revents & POLLRDHUP != 0
}
#[cfg(not(corio_epoll))]
fn peer_closed_write(_revents: libc::c_short) -> bool {
    false
}

/// The registered fds, as the array poll(2) takes plus what we need to map back.
#[derive(Default)]
struct State {
    /// Handed to poll(2) as is. `fd` is negated (`!fd`) while nothing is armed.
    fds: Vec<libc::pollfd>,
    /// `tokens[i]` belongs to `fds[i]`.
    tokens: Vec<Token>,
    /// The real fd's index in `fds`, to find it on rearm and deregister.
    index: HashMap<RawFd, usize>,
}

/// The poll(2) backend.
pub(crate) struct Poll {
    state: RefCell<State>,
}

impl Poll {
    /// A backend with nothing registered; poll(2) needs no kernel object.
    pub(crate) fn new() -> io::Result<Poll> {
        Ok(Poll {
            state: RefCell::new(State::default()),
        })
    }
}

/// poll's request bits for `interest`.
fn events_for(interest: Interest) -> libc::c_short {
    let mut events = 0;
    if interest.is_readable() {
        events |= libc::POLLIN | libc::POLLPRI | POLLRDHUP;
    }
    if interest.is_writable() {
        events |= libc::POLLOUT;
    }
    events
}

/// Maps poll's result bits to corio's readiness.
fn readiness(revents: libc::c_short) -> Readiness {
    let mut r = 0;
    if revents & (libc::POLLIN | libc::POLLPRI) != 0 {
        r |= Readiness::READABLE.0;
    }
    if revents & libc::POLLPRI != 0 {
        r |= Readiness::PRIORITY.0;
    }
    if revents & libc::POLLOUT != 0 {
        r |= Readiness::WRITABLE.0;
    }
    if peer_closed_write(revents) {
        r |= Readiness::READ_CLOSED.0;
    }
    if revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0 {
        r |= Readiness::READ_CLOSED.0 | Readiness::WRITE_CLOSED.0;
    }
    Readiness(r)
}

/// Sets the armed bits of one entry, hiding the fd from poll(2) when none are left.
fn arm(pollfd: &mut libc::pollfd, fd: RawFd, events: libc::c_short) {
    pollfd.events = events;
    pollfd.fd = if events == 0 { !fd } else { fd };
}

impl Selector for Poll {
    fn register(&self, fd: RawFd, token: Token, interest: Interest) -> io::Result<()> {
        let mut state = self.state.borrow_mut();
        if state.index.contains_key(&fd) {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("fd {fd} is already registered with this poll backend"),
            ));
        }
        let i = state.fds.len();
        let mut pollfd = libc::pollfd {
            fd,
            events: 0,
            revents: 0,
        };
        arm(&mut pollfd, fd, events_for(interest));
        state.fds.push(pollfd);
        state.tokens.push(token);
        state.index.insert(fd, i);
        Ok(())
    }

    fn rearm(&self, fd: RawFd, _token: Token, interest: Interest) -> io::Result<()> {
        let mut state = self.state.borrow_mut();
        let Some(&i) = state.index.get(&fd) else {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("fd {fd} is not registered with this poll backend"),
            ));
        };
        let pollfd = &mut state.fds[i];
        let events = pollfd.events | events_for(interest);
        arm(pollfd, fd, events);
        Ok(())
    }

    fn deregister(&self, fd: RawFd) -> io::Result<()> {
        let mut state = self.state.borrow_mut();
        let Some(i) = state.index.remove(&fd) else {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("fd {fd} is not registered with this poll backend"),
            ));
        };
        state.fds.swap_remove(i);
        state.tokens.swap_remove(i);
        if let Some(moved) = state.fds.get(i) {
            // Negated fds are stored as !fd; the index is keyed by the real one.
            let real = if moved.fd < 0 { !moved.fd } else { moved.fd };
            state.index.insert(real, i);
        }
        Ok(())
    }

    fn select(&self, events: &mut Vec<Event>, timeout: Option<Duration>) -> io::Result<()> {
        let mut state = self.state.borrow_mut();
        let state = &mut *state;
        // SAFETY: the pointer and length describe `state.fds`, a live array of pollfd
        // that the kernel reads and whose `revents` it writes.
        let n = unsafe {
            libc::poll(
                state.fds.as_mut_ptr(),
                state.fds.len() as libc::nfds_t,
                timeout_ms(timeout),
            )
        };
        let mut left = match cvt(n) {
            Ok(n) => n as usize,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => 0,
            Err(e) => return Err(e),
        };
        for (pollfd, &token) in state.fds.iter_mut().zip(&state.tokens) {
            if left == 0 {
                break;
            }
            if pollfd.revents == 0 {
                continue;
            }
            left -= 1;
            let ready = readiness(pollfd.revents);
            pollfd.revents = 0;
            // Disarm what was reported; rearm() brings it back when a task parks again.
            let mut still = pollfd.events;
            if ready.intersects(Readiness::READ_SIDE) {
                still &= !(libc::POLLIN | libc::POLLPRI | POLLRDHUP);
            }
            if ready.intersects(Readiness::WRITE_SIDE) {
                still &= !libc::POLLOUT;
            }
            let fd = pollfd.fd;
            arm(pollfd, fd, still);
            events.push(Event {
                token,
                readiness: ready,
            });
        }
        Ok(())
    }

    fn name(&self) -> &'static str {
        "poll"
    }
}
