//! The process-wide half of signal handling: the `sigaction` handler, what it may touch,
//! and the pool of self-pipes it writes to.
//!
//! A signal handler may run on any thread, between any two instructions, so it does only
//! async-signal-safe things: bump an atomic counter for the signal, and `write` one byte
//! to the write end of every self-pipe in `WRITERS`, then restore `errno`. Each runtime
//! that listens for signals holds one pipe (its read end registered with its reactor);
//! the byte wakes that runtime, which then reads the counters.
//!
//! Pipes are never closed: a handler could be writing to an fd at the very moment a
//! runtime gave it up, and a closed-then-reused fd number would receive a stray byte.
//! A runtime that stops listening returns its pipe to a free list for the next one.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::sync::Mutex;

use crate::sys;

/// Signal numbers we accept are below this (Linux's real-time signals end at 64).
pub(super) const MAX_SIGNAL: usize = 65;

/// How many runtimes may listen for signals at once (the handler scans this many slots,
/// one atomic load each, so the bound is cheap to keep generous: workers on big machines).
const MAX_PIPES: usize = 1024;

/// Deliveries of each signal since the process started.
static DELIVERED: [AtomicU64; MAX_SIGNAL] = [const { AtomicU64::new(0) }; MAX_SIGNAL];

/// Whether our handler is installed for each signal.
static INSTALLED: [AtomicBool; MAX_SIGNAL] = [const { AtomicBool::new(false) }; MAX_SIGNAL];

/// Write ends of every pipe ever made, -1 for an unused slot. Read by the handler.
static WRITERS: [AtomicI32; MAX_PIPES] = [const { AtomicI32::new(-1) }; MAX_PIPES];

/// Pipes: every pipe made (so its fds stay open), and the ones free for a new runtime.
static POOL: Mutex<Pool> = Mutex::new(Pool {
    made: Vec::new(),
    free: Vec::new(),
});

struct Pool {
    made: Vec<(OwnedFd, OwnedFd)>,
    /// Indexes into `made`.
    free: Vec<usize>,
}

/// How many times `signal` was delivered so far.
pub(super) fn delivered(signal: usize) -> u64 {
    DELIVERED[signal].load(Ordering::Acquire)
}

/// The handler. Async-signal-safe: atomics and `write(2)` only; `errno` is preserved
/// because the interrupted code may be about to read it.
extern "C" fn on_signal(signal: libc::c_int) {
    let saved = errno::get();
    if let Some(count) = DELIVERED.get(signal as usize) {
        count.fetch_add(1, Ordering::Release);
    }
    for writer in &WRITERS {
        let fd = writer.load(Ordering::Acquire);
        if fd >= 0 {
            let byte = 1u8;
            // SAFETY: writes one byte from a live local; `fd` is a pipe's write end that
            // is never closed. A full pipe (EAGAIN) already has a wake pending.
            unsafe { libc::write(fd, (&byte as *const u8).cast(), 1) };
        }
    }
    errno::set(saved);
}

/// Installs the handler for `signal` once per process.
pub(super) fn install(signal: libc::c_int) -> io::Result<()> {
    let index = signal as usize;
    static LOCK: Mutex<()> = Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    if INSTALLED[index].load(Ordering::Acquire) {
        return Ok(());
    }
    // SAFETY: an all-zero sigaction is a valid value to fill in.
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
    // SA_RESTART: other threads' blocking syscalls resume instead of failing with EINTR.
    action.sa_flags = libc::SA_RESTART;
    // SAFETY: `action.sa_mask` is a live sigset_t owned by us.
    unsafe { libc::sigemptyset(&mut action.sa_mask) };
    // SAFETY: `action` is fully initialised; the old action is not wanted.
    sys::cvt(unsafe { libc::sigaction(signal, &action, std::ptr::null_mut()) })?;
    INSTALLED[index].store(true, Ordering::Release);
    Ok(())
}

/// A self-pipe lent to one runtime; handed back to the pool on drop.
#[derive(Debug)]
pub(super) struct LentPipe {
    index: usize,
    read: RawFd,
}

impl LentPipe {
    /// Takes a free pipe, or makes one (up to `MAX_PIPES`), drained of stale bytes.
    pub(super) fn take() -> io::Result<LentPipe> {
        let mut pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
        let index = match pool.free.pop() {
            Some(index) => index,
            None => {
                let index = pool.made.len();
                if index == MAX_PIPES {
                    return Err(io::Error::other(
                        "too many runtimes listening for signals at once (1024)",
                    ));
                }
                let (read, write) = sys::fd::pipe()?;
                WRITERS[index].store(write.as_raw_fd(), Ordering::Release);
                pool.made.push((read, write));
                index
            }
        };
        let pipe = LentPipe {
            index,
            read: pool.made[index].0.as_raw_fd(),
        };
        drop(pool);
        pipe.drain();
        Ok(pipe)
    }

    /// Empties the pipe (its bytes only say "look at the counters").
    pub(super) fn drain(&self) {
        let mut buf = [0u8; 64];
        while let Ok(1..) = sys::fd::read(self.read, &mut buf) {}
    }
}

impl AsRawFd for LentPipe {
    fn as_raw_fd(&self) -> RawFd {
        self.read
    }
}

impl Drop for LentPipe {
    fn drop(&mut self) {
        let mut pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
        pool.free.push(self.index);
    }
}

/// `errno` access, which libc names differently per OS.
mod errno {
    #[cfg(target_os = "dragonfly")]
    use libc::__dfly_error as location;
    #[cfg(any(target_os = "openbsd", target_os = "netbsd"))]
    use libc::__errno as location;
    #[cfg(any(target_os = "linux", target_os = "android"))]
    use libc::__errno_location as location;
    #[cfg(any(target_os = "macos", target_os = "ios", target_os = "freebsd"))]
    use libc::__error as location;

    pub(super) fn get() -> libc::c_int {
        // SAFETY: the location is this thread's errno, always valid.
        unsafe { *location() }
    }

    pub(super) fn set(value: libc::c_int) {
        // SAFETY: as above.
        unsafe { *location() = value }
    }
}
