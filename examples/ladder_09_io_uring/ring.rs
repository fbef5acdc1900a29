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
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::ptr;
use std::sync::atomic::{AtomicU32, Ordering};

// ---------------------------------------------------------------------------------------
// From the kernel's include/uapi/linux/io_uring.h. The libc crate has the syscall numbers
// (SYS_io_uring_setup, SYS_io_uring_enter) but none of these types or constants, so they
// are declared here, field for field. Opcodes are positions in `enum io_uring_op`.
// ---------------------------------------------------------------------------------------

/// `IORING_OP_ACCEPT` (Linux 5.5).
pub const OP_ACCEPT: u8 = 13;
/// `IORING_OP_SEND` (Linux 5.6).
pub const OP_SEND: u8 = 26;
/// `IORING_OP_RECV` (Linux 5.6).
pub const OP_RECV: u8 = 27;
/// `IORING_OP_NOP`.
const OP_NOP: u8 = 0;

const IORING_OFF_SQ_RING: libc::off_t = 0;
const IORING_OFF_SQES: libc::off_t = 0x1000_0000;
const IORING_ENTER_GETEVENTS: u32 = 1 << 0;
/// SQ and CQ rings share one mapping (5.4).
const IORING_FEAT_SINGLE_MMAP: u32 = 1 << 0;
/// Completions are never dropped when the CQ ring is full (5.5).
const IORING_FEAT_NODROP: u32 = 1 << 1;
/// Socket operations wait for readiness internally instead of in a worker thread (5.7).
const IORING_FEAT_FAST_POLL: u32 = 1 << 5;

/// `struct io_sqring_offsets`: where each SQ ring field sits in the mapping.
#[repr(C)]
#[derive(Default)]
struct SqOffsets {
    head: u32,
    tail: u32,
    ring_mask: u32,
    ring_entries: u32,
    flags: u32,
    dropped: u32,
    array: u32,
    resv1: u32,
    user_addr: u64,
}

/// `struct io_cqring_offsets`: where each CQ ring field sits in the mapping.
#[repr(C)]
#[derive(Default)]
struct CqOffsets {
    head: u32,
    tail: u32,
    ring_mask: u32,
    ring_entries: u32,
    overflow: u32,
    cqes: u32,
    flags: u32,
    resv1: u32,
    user_addr: u64,
}

/// `struct io_uring_params`: in, flags; out, sizes, features and the offsets above.
#[repr(C)]
#[derive(Default)]
struct Params {
    sq_entries: u32,
    cq_entries: u32,
    flags: u32,
    sq_thread_cpu: u32,
    sq_thread_idle: u32,
    features: u32,
    wq_fd: u32,
    resv: [u32; 3],
    sq_off: SqOffsets,
    cq_off: CqOffsets,
}

/// `struct io_uring_sqe`, its unions flattened to the members this server uses.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct Sqe {
    pub opcode: u8,
    pub flags: u8,
    pub ioprio: u16,
    pub fd: i32,
    pub off: u64,
    /// Buffer address (recv, send) or sockaddr pointer (accept).
    pub addr: u64,
    /// Buffer length.
    pub len: u32,
    /// `msg_flags` for send and recv, `accept_flags` for accept.
    pub op_flags: u32,
    /// Ours: comes back unchanged in the completion.
    pub user_data: u64,
    pub buf_index: u16,
    pub personality: u16,
    pub splice_fd_in: i32,
    pub addr3: u64,
    pub pad2: u64,
}

/// `struct io_uring_cqe`: which submission (`user_data`) and its result (`res`: what the
/// syscall would return, or `-errno`).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Cqe {
    pub user_data: u64,
    pub res: i32,
    pub flags: u32,
}

const _: () = assert!(std::mem::size_of::<Params>() == 120);
const _: () = assert!(std::mem::size_of::<Sqe>() == 64);
const _: () = assert!(std::mem::size_of::<Cqe>() == 16);

// ---------------------------------------------------------------------------------------

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
}

impl Ring {
    /// Sets up a ring of `entries` submissions (the CQ gets twice as many). Errors that mean
    /// "this kernel or sandbox will not do io_uring" come back as `ErrorKind::Unsupported`.
    pub fn new(entries: u32) -> io::Result<Ring> {
        let unsupported = |why: String| io::Error::new(io::ErrorKind::Unsupported, why);
        let mut p = Params::default();
        // SAFETY: io_uring_setup reads and writes one `struct io_uring_params`, which `p` is
        // (same layout, size checked above); a non-negative result is a new fd we own.
        let fd = unsafe { libc::syscall(libc::SYS_io_uring_setup, entries, &mut p) };
        if fd < 0 {
            let e = io::Error::last_os_error();
            let hint = match std::fs::read_to_string("/proc/sys/kernel/io_uring_disabled") {
                Ok(v) if v.trim() != "0" => format!(" (kernel.io_uring_disabled = {})", v.trim()),
                _ => " (no io_uring in this kernel, or a seccomp filter forbids it)".into(),
            };
            return Err(unsupported(format!("io_uring_setup(2) failed: {e}{hint}")));
        }
        // SAFETY: fd was just returned to us open, and nothing else owns it.
        let fd = unsafe { OwnedFd::from_raw_fd(fd as i32) };
        let need = IORING_FEAT_SINGLE_MMAP | IORING_FEAT_NODROP | IORING_FEAT_FAST_POLL;
        if p.features & need != need {
            return Err(unsupported(format!(
                "kernel too old: io_uring features {:#x} lack {need:#x} (Linux 5.7+ needed)",
                p.features
            )));
        }
        let sq_len = p.sq_off.array as usize + p.sq_entries as usize * 4;
        let cq_len = p.cq_off.cqes as usize + p.cq_entries as usize * std::mem::size_of::<Cqe>();
        let rings = Mapping::new(&fd, sq_len.max(cq_len), IORING_OFF_SQ_RING)?;
        let sqes_len = p.sq_entries as usize * std::mem::size_of::<Sqe>();
        let sqes = Mapping::new(&fd, sqes_len, IORING_OFF_SQES)?;
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
        self.submit_and_wait(1).map_err(|e| {
            io::Error::new(
                io::ErrorKind::Unsupported,
                format!("io_uring_enter(2) failed: {e}"),
            )
        })?;
        while self.pop().is_some() {}
        Ok(self)
    }

    fn sq(&self) -> (&AtomicU32, &AtomicU32) {
        // SAFETY: both point into the live ring mapping, 4-byte aligned, and are only ever
        // accessed atomically (the kernel updates the head concurrently).
        unsafe { (&*self.sq_head, &*self.sq_tail) }
    }

    /// Queues one submission; the kernel sees it at the next `submit_and_wait`. If the SQ
    /// ring is full, submits what is queued first.
    ///
    /// # Safety
    ///
    /// Memory the entry points at (a recv or send buffer) is the kernel's from now until
    /// its completion is popped: it must stay allocated, must not move, and a recv buffer
    /// must not be read or written by us in the meantime.
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
    /// completions are ready (0: do not wait). One `io_uring_enter` syscall.
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

/// A shared mapping of part of the ring fd; unmapped on drop.
struct Mapping {
    ptr: *mut u8,
    len: usize,
}

impl Mapping {
    fn new(fd: &OwnedFd, len: usize, offset: libc::off_t) -> io::Result<Mapping> {
        // SAFETY: a fresh shared mapping chosen by the kernel (null hint), of a region the
        // kernel defined for this fd; nothing else is touched.
        let ptr = unsafe {
            libc::mmap(
                ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_POPULATE,
                fd.as_raw_fd(),
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
        // SAFETY: exactly the region mmap returned; the Ring's raw pointers into it are
        // dropped along with it and never used again.
        unsafe { libc::munmap(self.ptr.cast(), self.len) };
    }
}
