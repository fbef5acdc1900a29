//! Waking the reactor from another thread: an eventfd on Linux, a pipe elsewhere.
//!
//! The notifier's read end is registered with the selector under [`Token::NOTIFY`]. Any
//! thread may call [`Notifier::wake`]; the reactor thread calls [`Notifier::acknowledge`]
//! when it sees the notify event. A flag makes a storm of wakes cost one `write`.
//!
//! [`Token::NOTIFY`]: super::Token::NOTIFY

use std::io;
#[cfg(corio_epoll)]
use std::os::fd::FromRawFd;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::atomic::Ordering;

use crate::std_or_loom::AtomicBool;
#[cfg(loom)]
use crate::std_or_loom::ModelDoorbell;

#[cfg(corio_epoll)]
use super::cvt;

/// A cross-thread doorbell for one reactor.
#[derive(Debug)]
pub(crate) struct Notifier {
    /// The end the selector watches.
    read: OwnedFd,
    /// The end `wake` writes to; the same fd as `read` for an eventfd.
    #[cfg(not(corio_epoll))]
    write: OwnedFd,
    /// Set by the first `wake` after a drain; later wakes skip the syscall.
    pending: AtomicBool,
    /// What stands in for the fd's readiness in the loom models (syscalls cannot be
    /// modelled): `wake` rings it instead of writing, the model's reactor waits on it.
    #[cfg(loom)]
    model_fd: ModelDoorbell,
}

impl Notifier {
    /// Creates a non-blocking, close-on-exec doorbell.
    #[cfg(corio_epoll)]
    pub(crate) fn new() -> io::Result<Notifier> {
        // SAFETY: eventfd takes no pointers; the flags are valid constants.
        let fd = cvt(unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) })?;
        Ok(Notifier {
            // SAFETY: `fd` was just returned by the kernel and nothing else owns it.
            read: unsafe { OwnedFd::from_raw_fd(fd) },
            pending: AtomicBool::new(false),
            #[cfg(loom)]
            model_fd: ModelDoorbell::new(),
        })
    }

    /// Creates a non-blocking, close-on-exec doorbell.
    #[cfg(not(corio_epoll))]
    pub(crate) fn new() -> io::Result<Notifier> {
        let (read, write) = super::fd::pipe()?;
        Ok(Notifier {
            read,
            write,
            pending: AtomicBool::new(false),
            #[cfg(loom)]
            model_fd: ModelDoorbell::new(),
        })
    }

    /// The fd to register for read interest.
    pub(crate) fn fd(&self) -> RawFd {
        self.read.as_raw_fd()
    }

    #[cfg(all(corio_epoll, not(loom)))]
    fn write_fd(&self) -> RawFd {
        self.read.as_raw_fd()
    }

    #[cfg(all(not(corio_epoll), not(loom)))]
    fn write_fd(&self) -> RawFd {
        self.write.as_raw_fd()
    }

    /// Makes the reactor's current or next `select` return. Callable from any thread.
    pub(crate) fn wake(&self) {
        if self.pending.swap(true, Ordering::AcqRel) {
            return; // a wake is already on its way and not yet drained
        }
        self.write_doorbell();
    }

    /// Makes the doorbell readable.
    #[cfg(not(loom))]
    #[inline]
    fn write_doorbell(&self) {
        let one: u64 = 1;
        // SAFETY: writes 8 bytes from a live u64. A full pipe (EAGAIN) already means the
        // reactor will wake, so the result is deliberately ignored.
        unsafe {
            libc::write(
                self.write_fd(),
                (&one as *const u64).cast(),
                std::mem::size_of::<u64>(),
            )
        };
    }

    /// Acknowledges a ring so the next `wake` rings again. Reactor thread only. Must run
    /// before the reactor's owner looks for the work the ring announced (the litmus
    /// argument at the end of this file).
    ///
    /// When the backend reports every write (`Selector::notify_needs_drain` is false) an
    /// eventfd need not be read, and its 64-bit counter cannot overflow in practice, so the
    /// syscall is skipped. Otherwise, and always for a pipe (which would fill up and stop
    /// ringing), the doorbell is emptied.
    pub(crate) fn acknowledge(&self, must_drain: bool) {
        self.read_doorbell(must_drain);
        // A read-modify-write, not a store: see "Why `pending` is only ever swapped" below.
        self.pending.swap(false, Ordering::AcqRel);
    }

    /// Empties the doorbell where it must be (see `acknowledge`).
    #[cfg(not(loom))]
    #[inline]
    fn read_doorbell(&self, must_drain: bool) {
        let is_eventfd = cfg!(corio_epoll);
        if must_drain || !is_eventfd {
            let mut buf = [0u8; 64];
            loop {
                // SAFETY: reads at most `buf.len()` bytes into `buf`, live and writable.
                let n = unsafe {
                    libc::read(self.read.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len())
                };
                // An eventfd empties in one read; a pipe may need more. Stop at EAGAIN.
                if n <= 0 || is_eventfd {
                    break;
                }
            }
        }
    }
}

/// The doorbell's fd as the loom models see it: a write is a ring, and the model's reactor
/// waits on it where the real one sits in `select`.
#[cfg(loom)]
impl Notifier {
    fn write_doorbell(&self) {
        self.model_fd.write();
    }

    /// Nothing to empty: [`wait_for_ring`](Self::wait_for_ring) consumed the ring.
    fn read_doorbell(&self, _must_drain: bool) {}

    /// The reactor's blocking wait on the doorbell: returns once a ring came after the
    /// one recorded in `seen`. A lost wake leaves the model's reactor here for good, which
    /// loom reports as a deadlock.
    #[cfg(test)]
    pub(crate) fn wait_for_ring(&self, seen: &mut u64) {
        self.model_fd.wait(seen);
    }
}

// Why `pending` is only ever swapped.
//
// The executor's remote wake (`executor/waker.rs`, `Shared::schedule`) and the reactor's
// acknowledgement form a store-buffering pair over two flags:
//
//     remote thread (schedule)                  reactor thread (turn, then drain)
//     P1  push id onto `remote` (locked)
//     P2  remote_pending.store(true, Release)   C1  pending.swap(false, AcqRel)  [acknowledge]
//     P3  rang = pending.swap(true, AcqRel)     C2  remote_pending.swap(false, AcqRel)
//     P4  if !rang { write the eventfd }            (or has_remote's Acquire load)
//
// Outcome that must be impossible: P3 reads `true` (so P4 writes nothing) while C2 reads
// `false` (so the id is not collected); the reactor then blocks with the id stranded.
//
// Case 1: C1 precedes P3 in `pending`'s modification order. Then P3 reads C1's `false`
// (or a later `true` whose ringer writes the eventfd), so P4 or that ringer rings, and the
// reactor's next wait returns: nothing is lost.
//
// Case 2: P3 precedes C1 (the `true` P3 read was set before this acknowledgement). Every
// write to `pending` is a read-modify-write (`wake`'s swap, and this one), so C1 reads
// P3's value or that of a later swap in P3's release sequence: C1 (acquire) synchronizes
// with P3 (release). So P2 happens before C1, hence before C2, and coherence makes C2
// read P2's `true` (or a later value: another ringer's `true`, or the `false` of a drain
// on this thread that already collected the id). The forbidden outcome cannot happen.
//
// Had C1 been a plain store, it would read nothing and synchronize with nothing: the
// memory model (and POWER or Arm hardware; x86 hides it) lets C1 sit in a store buffer
// while C2 reads a stale `false`, and P3 read the old `true`: the wake is lost.
//
// P2 (release) / C2 (acquire) are still needed on their own: when C2 reads P2 directly,
// that pair orders P1's push before C2's locked drain.
