//! The io_uring plumbing for rung 9, over raw syscalls: set up a ring, map its three shared
//! memory areas, queue submissions, tell the kernel about them, and reap completions.
//!
//! An io_uring is two single-producer, single-consumer ring buffers shared with the kernel:
//! we produce submission queue entries (SQEs) and advance the SQ tail; the kernel consumes
//! them and advances the SQ head; it produces completion queue entries (CQEs) and advances
//! the CQ tail; we consume them and advance the CQ head. The indices are free-running u32s,
//! masked on use; the producer publishes with a release store, the consumer reads with an
//! acquire load.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::ptr;
use std::sync::atomic::{AtomicU32, Ordering};

use super::abi::*;

/// The setup flags asked for first (besides CQSIZE and SUBMIT_ALL, always asked for): one
/// issuer thread, and completion work deferred to our own `io_uring_enter`.
const MODERN: u32 = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
/// What replaces [`MODERN`] where the kernel refuses it with `EINVAL` (before Linux 6.1).
const FALLBACK: u32 = IORING_SETUP_COOP_TASKRUN;

/// An io_uring instance and its mappings (unmapped when dropped; the fd closes after).
pub struct Ring {
    /// SQ ring and CQ ring, one mapping: held only to keep the pointers below valid.
    _rings: Mapping,
    /// The SQE array, a second mapping.
    sqes: Mapping,
    sq_head: *const AtomicU32,
    sq_tail: *const AtomicU32,
    sq_mask: u32,
    sq_entries: u32,
    cq_head: *const AtomicU32,
    cq_tail: *const AtomicU32,
    cq_mask: u32,
    cqes: *const Cqe,
    fd: OwnedFd,
    /// The setup flags the kernel accepted, in words (for the start-up line).
    pub flags: String,
}

/// "The kernel or sandbox will not do io_uring": `ErrorKind::Unsupported`, which
/// `server::main` turns into the `io_uring unavailable: ...` line and exit status 2.
pub fn unsupported(why: String) -> io::Error {
    io::Error::new(io::ErrorKind::Unsupported, why)
}

/// One `io_uring_setup(2)`: the new ring's fd, or the errno.
fn setup(entries: u32, p: &mut Params) -> io::Result<OwnedFd> {
    // SAFETY: io_uring_setup reads and writes one `struct io_uring_params`, which `p` is
    // (same layout, size checked in abi.rs); a non-negative result is a new fd we own.
    let fd = unsafe { libc::syscall(libc::SYS_io_uring_setup, entries, p as *mut Params) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fd was just returned to us open, and nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

impl Ring {
    /// Sets up a ring of `entries` submissions and `cq_entries` completions, asking for
    /// [`MODERN`] and falling back to [`FALLBACK`] on `EINVAL`. Errors that mean "this
    /// kernel or sandbox will not do io_uring" come back as `ErrorKind::Unsupported`.
    pub fn new(entries: u32, cq_entries: u32) -> io::Result<Ring> {
        let base = IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL;
        let mut p = Params {
            flags: base | MODERN,
            cq_entries,
            ..Params::default()
        };
        let mut flags = "SINGLE_ISSUER|DEFER_TASKRUN|SUBMIT_ALL|CQSIZE".to_string();
        let fd = match setup(entries, &mut p) {
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {
                flags = format!(
                    "COOP_TASKRUN|SUBMIT_ALL|CQSIZE (SINGLE_ISSUER|DEFER_TASKRUN refused: {e})"
                );
                p = Params {
                    flags: base | FALLBACK,
                    cq_entries,
                    ..Params::default()
                };
                setup(entries, &mut p)
            }
            r => r,
        };
        let fd = fd.map_err(|e| {
            let hint = match std::fs::read_to_string("/proc/sys/kernel/io_uring_disabled") {
                Ok(v) if v.trim() != "0" => format!(" (kernel.io_uring_disabled = {})", v.trim()),
                _ => match e.raw_os_error() {
                    Some(libc::ENOMEM) => " (locked-memory limit, ulimit -l, too low)".into(),
                    Some(libc::EINVAL) => " (kernel too old: Linux 5.19+ needed)".into(),
                    Some(libc::EPERM) => {
                        " (forbidden: kernel.io_uring_group, or a seccomp filter)".into()
                    }
                    _ => " (no io_uring in this kernel, or a seccomp filter hides it)".into(),
                },
            };
            unsupported(format!("io_uring_setup(2) failed: {e}{hint}"))
        })?;
        let need = IORING_FEAT_SINGLE_MMAP | IORING_FEAT_NODROP | IORING_FEAT_FAST_POLL;
        if p.features & need != need {
            return Err(unsupported(format!(
                "kernel too old: io_uring features {:#x} lack {need:#x}",
                p.features
            )));
        }
        let sq_len = p.sq_off.array as usize + p.sq_entries as usize * 4;
        let cq_len = p.cq_off.cqes as usize + p.cq_entries as usize * std::mem::size_of::<Cqe>();
        let rings = Mapping::new(Some(&fd), sq_len.max(cq_len), IORING_OFF_SQ_RING)?;
        let sqes_len = p.sq_entries as usize * std::mem::size_of::<Sqe>();
        let sqes = Mapping::new(Some(&fd), sqes_len, IORING_OFF_SQES)?;
        let base = rings.ptr;
        let at = |off: u32| base.wrapping_add(off as usize);
        // SAFETY: the kernel put these fields at these offsets inside the mapping, which
        // lives as long as the Ring; the masks and sizes are written once, before setup
        // returned, so plain reads are fine.
        let ring = unsafe {
            let array = at(p.sq_off.array).cast::<u32>();
            // No indirection: SQ slot i always holds SQE i.
            for i in 0..p.sq_entries {
                array.add(i as usize).write(i);
            }
            Ring {
                sq_head: at(p.sq_off.head).cast(),
                sq_tail: at(p.sq_off.tail).cast(),
                sq_mask: at(p.sq_off.ring_mask).cast::<u32>().read(),
                sq_entries: p.sq_entries,
                cq_head: at(p.cq_off.head).cast(),
                cq_tail: at(p.cq_off.tail).cast(),
                cq_mask: at(p.cq_off.ring_mask).cast::<u32>().read(),
                cqes: at(p.cq_off.cqes).cast(),
                _rings: rings,
                sqes,
                fd,
                flags,
            }
        };
        ring.probe()
    }

    /// One NOP round trip: io_uring_enter works here too (a seccomp filter could allow
    /// setup and forbid enter).
    fn probe(mut self) -> io::Result<Ring> {
        // SAFETY: a NOP points at no memory.
        unsafe {
            self.push(Sqe {
                opcode: OP_NOP,
                ..Sqe::default()
            })?
        };
        self.submit_and_wait(1)
            .map_err(|e| unsupported(format!("io_uring_enter(2) failed: {e}")))?;
        while self.pop().is_some() {}
        Ok(self)
    }

    /// The ring's descriptor, for `io_uring_register(2)`.
    pub fn fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    fn sq(&self) -> (&AtomicU32, &AtomicU32) {
        // SAFETY: both point into the live ring mapping, 4-byte aligned, and are only ever
        // accessed atomically (the kernel updates the head concurrently).
        unsafe { (&*self.sq_head, &*self.sq_tail) }
    }

    /// Queues one submission; the kernel sees it at the next `submit_and_wait`. If the SQ
    /// ring is full, submits what is queued first (an extra syscall; the ring is sized so
    /// that a turn of this server rarely fills it).
    ///
    /// # Safety
    ///
    /// Memory the entry points at (a send buffer) is the kernel's from now until the
    /// request's last completion is popped: it must stay allocated and unchanged.
    pub unsafe fn push(&mut self, sqe: Sqe) -> io::Result<()> {
        let t = self.sq().1.load(Ordering::Relaxed); // we are the only producer
        let full =
            |ring: &Ring| t.wrapping_sub(ring.sq().0.load(Ordering::Acquire)) == ring.sq_entries;
        if full(self) {
            self.submit_and_wait(0)?;
            if full(self) {
                // The kernel took none (it may refuse while completions back up): never
                // overwrite an entry it has not read.
                return Err(io::Error::other("io_uring submission queue full"));
            }
        }
        let slot = (t & self.sq_mask) as usize;
        // SAFETY: slot < sq_entries, so this is inside the SQE mapping; the kernel does not
        // read this SQE until the tail store below publishes it.
        unsafe { self.sqes.ptr.cast::<Sqe>().add(slot).write(sqe) };
        self.sq().1.store(t.wrapping_add(1), Ordering::Release);
        Ok(())
    }

    /// Hands every queued submission to the kernel and waits until at least `min`
    /// completions are ready (0: do not wait). One `io_uring_enter` syscall. With
    /// DEFER_TASKRUN this call is also where the kernel finishes receives and sends
    /// whose data or space arrived meanwhile, and posts their completions.
    pub fn submit_and_wait(&mut self, min: u32) -> io::Result<()> {
        let (head, tail) = self.sq();
        let to_submit = tail
            .load(Ordering::Relaxed)
            .wrapping_sub(head.load(Ordering::Acquire));
        let flags = if min > 0 { IORING_ENTER_GETEVENTS } else { 0 };
        loop {
            // SAFETY: plain integer arguments and a null signal mask (size 0).
            let r = unsafe {
                libc::syscall(
                    libc::SYS_io_uring_enter,
                    self.fd.as_raw_fd(),
                    to_submit,
                    min,
                    flags,
                    ptr::null::<libc::sigset_t>(),
                    0usize,
                )
            };
            if r >= 0 {
                return Ok(());
            }
            let e = io::Error::last_os_error();
            match e.raw_os_error() {
                Some(libc::EINTR) => continue,
                // Completions are backed up (CQ full): reap them, then come back.
                Some(libc::EBUSY) | Some(libc::EAGAIN) => return Ok(()),
                _ => return Err(e),
            }
        }
    }

    /// Takes the next completion, if any.
    pub fn pop(&mut self) -> Option<Cqe> {
        // SAFETY: both point into the live ring mapping, aligned, accessed atomically only.
        let (head, tail) = unsafe { (&*self.cq_head, &*self.cq_tail) };
        let h = head.load(Ordering::Relaxed); // we are the only consumer
        if h == tail.load(Ordering::Acquire) {
            return None;
        }
        // SAFETY: the masked index is inside the CQE array; the acquire load above makes
        // the kernel's write of this entry visible. Copy it out before releasing the slot.
        let cqe = unsafe { self.cqes.add((h & self.cq_mask) as usize).read() };
        head.store(h.wrapping_add(1), Ordering::Release);
        Some(cqe)
    }
}

/// A shared mapping, of part of the ring fd or (no fd) of fresh zeroed memory; unmapped
/// on drop.
pub struct Mapping {
    pub ptr: *mut u8,
    len: usize,
}

impl Mapping {
    /// Maps `len` bytes at `offset` of `fd`, or anonymous memory if `fd` is `None`.
    pub fn new(fd: Option<&OwnedFd>, len: usize, offset: libc::off_t) -> io::Result<Mapping> {
        let (raw, kind) = match fd {
            // The rings are touched at once: fault them in now.
            Some(fd) => (fd.as_raw_fd(), libc::MAP_SHARED | libc::MAP_POPULATE),
            // Buffer memory is faulted in as the kernel first fills each buffer.
            None => (-1, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS),
        };
        // SAFETY: a fresh mapping at an address the kernel chooses (null hint), of a region
        // the kernel defined for this fd or of new memory; nothing else is touched.
        let ptr = unsafe {
            libc::mmap(
                ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                kind,
                raw,
                offset,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(Mapping {
            ptr: ptr.cast(),
            len,
        })
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: exactly the region mmap returned; the raw pointers into it are dropped
        // along with it and never used again.
        unsafe { libc::munmap(self.ptr.cast(), self.len) };
    }
}
