//! The kqueue backend (macOS, iOS, FreeBSD, NetBSD, OpenBSD, DragonFly), edge-triggered.
//!
//! Each fd gets an `EVFILT_READ` and an `EVFILT_WRITE` filter with `EV_CLEAR`, added in
//! one `kevent` call at registration and deleted at deregistration: the same
//! register-once, edge-reported shape as the epoll backend, so [`Selector::rearm`] is a
//! no-op. kqueue does not refuse a second `EV_ADD` for the same fd (it just modifies the
//! filter), so the backend keeps the set of registered fds to give the contract's error.

// A token is 64 bits (slab key and generation); kqueue's `udata` is pointer-sized, so on a
// 32-bit target the generation (and the doorbell's token) would be cut off silently.
#[cfg(target_pointer_width = "32")]
compile_error!("corio's kqueue backend needs a 64-bit target: tokens do not fit in udata");

use std::cell::RefCell;
use std::collections::HashSet;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

use super::{cvt, Event, Interest, Readiness, Selector, Token};

/// How many events one `kevent` wait returns at most.
const EVENTS_CAPACITY: usize = 1024;

/// A kqueue instance.
pub(crate) struct Kqueue {
    kq: OwnedFd,
    buffer: RefCell<Vec<libc::kevent>>,
    registered: RefCell<HashSet<RawFd>>,
}

/// A change or event record for `fd` with our token in `udata`.
fn kevent(fd: RawFd, filter: i32, flags: u32, token: Token) -> libc::kevent {
    // SAFETY: kevent is a plain C struct for which all-zero bytes are a valid value.
    let mut ev: libc::kevent = unsafe { std::mem::zeroed() };
    ev.ident = fd as _;
    ev.filter = filter as _;
    ev.flags = flags as _;
    ev.udata = token.0 as usize as _;
    ev
}

impl Kqueue {
    /// Creates the kqueue, close-on-exec.
    pub(crate) fn new() -> io::Result<Kqueue> {
        // SAFETY: kqueue takes no arguments.
        let fd = cvt(unsafe { libc::kqueue() })?;
        // SAFETY: `fd` was just returned by the kernel and nothing else owns it.
        let kq = unsafe { OwnedFd::from_raw_fd(fd) };
        // SAFETY: fcntl with integer arguments on a descriptor we own.
        cvt(unsafe { libc::fcntl(kq.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC) })?;
        Ok(Kqueue {
            kq,
            buffer: RefCell::new(Vec::with_capacity(EVENTS_CAPACITY)),
            registered: RefCell::new(HashSet::new()),
        })
    }

    /// Applies `changes` without waiting, reporting the first per-change error.
    fn apply(&self, changes: &mut [libc::kevent]) -> io::Result<()> {
        for change in changes.iter_mut() {
            change.flags |= libc::EV_RECEIPT;
        }
        let len = changes.len() as libc::c_int;
        let timeout = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: the change list and event list are the same live array of `len`
        // records; with EV_RECEIPT the kernel writes one receipt per change into it.
        let n = cvt(unsafe {
            libc::kevent(
                self.kq.as_raw_fd(),
                changes.as_ptr(),
                len,
                changes.as_mut_ptr(),
                len,
                &timeout,
            )
        })?;
        for receipt in &changes[..n as usize] {
            let is_error = receipt.flags & libc::EV_ERROR != 0;
            if is_error && receipt.data != 0 && receipt.data as i32 != libc::ENOENT {
                return Err(io::Error::from_raw_os_error(receipt.data as i32));
            }
        }
        Ok(())
    }
}

impl Selector for Kqueue {
    fn register(&self, fd: RawFd, token: Token, interest: Interest) -> io::Result<()> {
        if !self.registered.borrow_mut().insert(fd) {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("fd {fd} is already registered with this kqueue"),
            ));
        }
        let flags = (libc::EV_ADD | libc::EV_CLEAR) as u32;
        let mut changes = Vec::with_capacity(2);
        if interest.is_readable() {
            changes.push(kevent(fd, libc::EVFILT_READ as i32, flags, token));
        }
        if interest.is_writable() {
            changes.push(kevent(fd, libc::EVFILT_WRITE as i32, flags, token));
        }
        let result = self.apply(&mut changes);
        if result.is_err() {
            self.registered.borrow_mut().remove(&fd);
        }
        result
    }

    fn rearm(&self, _fd: RawFd, _token: Token, _interest: Interest) -> io::Result<()> {
        Ok(())
    }

    fn needs_rearm(&self) -> bool {
        false
    }

    fn deregister(&self, fd: RawFd) -> io::Result<()> {
        self.registered.borrow_mut().remove(&fd);
        let flags = libc::EV_DELETE as u32;
        let mut changes = [
            kevent(fd, libc::EVFILT_READ as i32, flags, Token(0)),
            kevent(fd, libc::EVFILT_WRITE as i32, flags, Token(0)),
        ];
        // ENOENT (a filter never added) is ignored inside apply().
        self.apply(&mut changes)
    }

    fn select(&self, events: &mut Vec<Event>, timeout: Option<Duration>) -> io::Result<()> {
        let mut buffer = self.buffer.borrow_mut();
        buffer.clear();
        let ts = timeout.map(|d| libc::timespec {
            tv_sec: d.as_secs().min(libc::time_t::MAX as u64) as libc::time_t,
            tv_nsec: d.subsec_nanos() as _,
        });
        let ts_ptr = ts
            .as_ref()
            .map_or(std::ptr::null(), |t| t as *const libc::timespec);
        // SAFETY: no changes; the event list is `buffer`'s spare capacity, which the
        // kernel fills with at most `capacity` records; `ts_ptr` is null or live.
        let n = unsafe {
            libc::kevent(
                self.kq.as_raw_fd(),
                std::ptr::null(),
                0,
                buffer.as_mut_ptr(),
                buffer.capacity() as libc::c_int,
                ts_ptr,
            )
        };
        let n = match cvt(n) {
            Ok(n) => n as usize,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => 0,
            Err(e) => return Err(e),
        };
        // SAFETY: kevent initialised the first `n` records (n <= capacity).
        unsafe { buffer.set_len(n) };
        for ev in buffer.iter() {
            let eof = ev.flags & libc::EV_EOF != 0;
            let error = ev.flags & libc::EV_ERROR != 0;
            let mut r = 0;
            if ev.filter == libc::EVFILT_READ as _ {
                r |= Readiness::READABLE.0;
                if eof {
                    r |= Readiness::READ_CLOSED.0;
                }
            } else if ev.filter == libc::EVFILT_WRITE as _ {
                r |= Readiness::WRITABLE.0;
                if eof {
                    r |= Readiness::WRITE_CLOSED.0;
                }
            }
            if error {
                r |= Readiness::READ_CLOSED.0 | Readiness::WRITE_CLOSED.0;
            }
            events.push(Event {
                token: Token(ev.udata as usize as u64),
                readiness: Readiness(r),
            });
        }
        Ok(())
    }

    fn name(&self) -> &'static str {
        "kqueue"
    }
}
