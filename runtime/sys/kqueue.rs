//! The kqueue backend (macOS, iOS, FreeBSD, NetBSD, OpenBSD, DragonFly), edge-triggered.
//!
//! Each fd gets an `EVFILT_READ` and an `EVFILT_WRITE` filter with `EV_CLEAR`, added in
//! one `kevent` call at registration and deleted at deregistration: the same
//! register-once, edge-reported shape as the epoll backend, so [`Selector::rearm`] is a
//! no-op. kqueue does not refuse a second `EV_ADD` for the same fd (it just modifies the
//! filter), so the backend keeps the set of registered fds to give the contract's error.
//!
//! The reactor asks for both directions on every fd, read-only pipe ends included, and the
//! BSDs refuse `EVFILT_WRITE` on a pipe whose other end is closed (`EPIPE` on FreeBSD,
//! OpenBSD, DragonFly and older macOS; `EBADF` on NetBSD), where epoll accepts the fd. Such a
//! refusal, with the read filter accepted in the same call (so `EBADF` cannot mean a bad
//! fd), keeps the registration read-only and is reported as the state it describes: one
//! write-closed event on the next `select`, so a writer's syscall tells the error. Any
//! other refusal fails the registration, which then leaves no filter behind.

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
    /// Registrations whose write filter was refused because the other end is gone (see
    /// the module docs), each reported once, write-closed, by the next `select`.
    refused_writes: RefCell<Vec<(RawFd, Token)>>,
}

/// The errno a receipt from [`Kqueue::apply`] carries, if its change failed.
fn receipt_errno(receipt: &libc::kevent) -> Option<i32> {
    let failed = receipt.flags & libc::EV_ERROR != 0 && receipt.data != 0;
    failed.then_some(receipt.data as i32)
}

/// Whether the kernel refused a write filter because the pipe's other end is closed.
fn peer_gone(errno: i32) -> bool {
    errno == libc::EPIPE || errno == libc::EBADF
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
            refused_writes: RefCell::new(Vec::new()),
        })
    }

    /// Applies `changes` without waiting and returns their receipts (written over
    /// `changes`): one per change, its errno in `data` when it failed (see
    /// [`receipt_errno`]).
    fn apply<'a>(&self, changes: &'a mut [libc::kevent]) -> io::Result<&'a [libc::kevent]> {
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
        Ok(&changes[..n as usize])
    }

    /// Adds the filters `interest` names for `fd`. `Ok(true)`: all were added; `Ok(false)`:
    /// the read filter was added and the write filter refused because the other end is
    /// gone. On an error no filter is left behind.
    fn add_filters(&self, fd: RawFd, token: Token, interest: Interest) -> io::Result<bool> {
        let flags = (libc::EV_ADD | libc::EV_CLEAR) as u32;
        let mut changes = Vec::with_capacity(2);
        if interest.is_readable() {
            changes.push(kevent(fd, libc::EVFILT_READ as i32, flags, token));
        }
        if interest.is_writable() {
            changes.push(kevent(fd, libc::EVFILT_WRITE as i32, flags, token));
        }
        let (mut read_added, mut write_refused, mut error) = (false, None, None);
        for receipt in self.apply(&mut changes)? {
            let is_write = receipt.filter == libc::EVFILT_WRITE as _;
            match (receipt_errno(receipt), is_write) {
                (None, false) => read_added = true,
                (None, true) => {}
                (Some(errno), true) if peer_gone(errno) => write_refused = Some(errno),
                (Some(errno), _) => error = Some(errno),
            }
        }
        let error = match (error, write_refused) {
            (Some(errno), _) => errno,
            (None, Some(errno)) if !read_added => errno,
            (None, refused) => return Ok(refused.is_none()),
        };
        let _ = self.delete_filters(fd);
        Err(io::Error::from_raw_os_error(error))
    }

    /// Deletes both of `fd`'s filters; one never added (`ENOENT`) is not an error.
    fn delete_filters(&self, fd: RawFd) -> io::Result<()> {
        let flags = libc::EV_DELETE as u32;
        let mut changes = [
            kevent(fd, libc::EVFILT_READ as i32, flags, Token(0)),
            kevent(fd, libc::EVFILT_WRITE as i32, flags, Token(0)),
        ];
        let mut failed = self.apply(&mut changes)?.iter().filter_map(receipt_errno);
        match failed.find(|&errno| errno != libc::ENOENT) {
            Some(errno) => Err(io::Error::from_raw_os_error(errno)),
            None => Ok(()),
        }
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
        match self.add_filters(fd, token, interest) {
            Ok(true) => Ok(()),
            Ok(false) => {
                self.refused_writes.borrow_mut().push((fd, token));
                Ok(())
            }
            Err(e) => {
                self.registered.borrow_mut().remove(&fd);
                Err(e)
            }
        }
    }

    fn rearm(&self, _fd: RawFd, _token: Token, _interest: Interest) -> io::Result<()> {
        Ok(())
    }

    fn needs_rearm(&self) -> bool {
        false
    }

    fn deregister(&self, fd: RawFd) -> io::Result<()> {
        self.registered.borrow_mut().remove(&fd);
        self.refused_writes
            .borrow_mut()
            .retain(|&(refused, _)| refused != fd);
        self.delete_filters(fd)
    }

    fn select(&self, events: &mut Vec<Event>, timeout: Option<Duration>) -> io::Result<()> {
        let mut buffer = self.buffer.borrow_mut();
        buffer.clear();
        let mut refused_writes = self.refused_writes.borrow_mut();
        // A refused write filter's event is already due: look without waiting.
        let timeout = if refused_writes.is_empty() {
            timeout
        } else {
            Some(Duration::ZERO)
        };
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
        for (_, token) in refused_writes.drain(..) {
            events.push(Event {
                token,
                readiness: Readiness::WRITABLE.union(Readiness::WRITE_CLOSED),
            });
        }
        Ok(())
    }

    fn name(&self) -> &'static str {
        "kqueue"
    }
}
