//! Turning a guard-page fault into one clear line: "green thread N overflowed its 64 KiB
//! stack", then `_exit(3)`.
//!
//! When a green thread runs off the bottom of its stack it touches its guard page and the
//! kernel sends SIGSEGV. The handler cannot run on the thread's own stack (that is the one
//! that is full), so it runs on an alternate signal stack (`sigaltstack`). It compares the
//! fault address with the guard page of the green thread that is running, which the
//! scheduler publishes in atomics before every switch into a thread: only the running
//! thread can overflow. Any other fault is not ours to explain: the handler restores the
//! default action and raises the signal again, so the process dies of it as it would have
//! without us (core dump and all).
//!
//! Everything the handler does is async-signal-safe: atomic loads, formatting digits into
//! a stack buffer, `write(2)`, `_exit`, `sigaction` and `raise`. No locks, no allocation.

use std::io;
use std::ops::Range;
use std::ptr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::SeqCst};

use crate::stack::{Stack, STACK_SIZE};

/// The exit status after a reported overflow.
pub const OVERFLOW_EXIT: i32 = 3;

/// The running green thread's number (0: none) and its guard page's address range.
static RUNNING: AtomicU64 = AtomicU64::new(0);
static GUARD_START: AtomicUsize = AtomicUsize::new(0);
static GUARD_END: AtomicUsize = AtomicUsize::new(0);

/// Publishes the guard page of green thread `id`, which is about to run.
pub fn entering(id: u64, guard: Range<usize>) {
    GUARD_START.store(guard.start, SeqCst);
    GUARD_END.store(guard.end, SeqCst);
    RUNNING.store(id, SeqCst);
}

/// Back on the scheduler's own stack: no green thread is running.
pub fn left() {
    RUNNING.store(0, SeqCst);
}

/// Installs the alternate signal stack and the SIGSEGV/SIGBUS handler, once, before any
/// green thread runs.
pub fn install() -> io::Result<()> {
    // The alternate stack is itself a guarded stack; it lives as long as the process.
    let alt = std::mem::ManuallyDrop::new(Stack::new(64 * 1024)?);
    let ss = libc::stack_t {
        ss_sp: alt.guard().end as *mut libc::c_void,
        ss_flags: 0,
        ss_size: alt.top() - alt.guard().end,
    };
    // SAFETY: `ss` describes a mapped, writable region that is never unmapped (the
    // ManuallyDrop above), so the kernel may run handlers on it at any later time.
    if unsafe { libc::sigaltstack(&ss, ptr::null_mut()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    for signal in [libc::SIGSEGV, libc::SIGBUS] {
        // SAFETY: an all-zero sigaction is a valid value (empty mask, no flags) that we
        // then fill in; the handler has the three-argument SA_SIGINFO signature, and
        // sigaction only reads the struct we pass.
        let rc = unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_fault as *const () as usize;
            action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(signal, &action, ptr::null_mut())
        };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

extern "C" fn on_fault(signal: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo_t to an SA_SIGINFO handler; for SIGSEGV
    // and SIGBUS its si_addr field holds the faulting address.
    let addr = unsafe { (*info).si_addr() } as usize;
    let id = RUNNING.load(SeqCst);
    if id != 0 && (GUARD_START.load(SeqCst)..GUARD_END.load(SeqCst)).contains(&addr) {
        let mut line = Line::default();
        line.push(b"green thread ");
        line.number(id);
        line.push(b" overflowed its ");
        line.number((STACK_SIZE / 1024) as u64);
        line.push(b" KiB stack\n");
        // SAFETY: write(2) and _exit are async-signal-safe; the buffer is a live local.
        unsafe {
            libc::write(2, line.buf.as_ptr().cast(), line.len);
            libc::_exit(OVERFLOW_EXIT);
        }
    }
    // Not a guard page: die of the signal as if no handler had been installed. The signal
    // is blocked while we run, so `raise` leaves it pending until we return.
    // SAFETY: sigaction with SIG_DFL and raise are async-signal-safe; the zeroed struct
    // is a valid sigaction (empty mask, no flags).
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = libc::SIG_DFL;
        libc::sigaction(signal, &action, ptr::null_mut());
        libc::raise(signal);
    }
}

/// A fixed buffer to format the message in, since a signal handler must not allocate.
struct Line {
    buf: [u8; 96],
    len: usize,
}

impl Default for Line {
    fn default() -> Line {
        Line {
            buf: [0; 96],
            len: 0,
        }
    }
}

impl Line {
    fn push(&mut self, bytes: &[u8]) {
        let n = bytes.len().min(self.buf.len() - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&bytes[..n]);
        self.len += n;
    }

    fn number(&mut self, mut n: u64) {
        let (mut digits, mut i) = ([0u8; 20], 20);
        loop {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.push(&digits[i..]);
    }
}
