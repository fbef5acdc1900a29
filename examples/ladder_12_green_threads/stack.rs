//! Green-thread stacks: one `mmap` each, with a `PROT_NONE` guard page below it.
//!
//! ```text
//!   low addresses                                               high addresses
//!   | guard page (PROT_NONE) |  usable stack, 64 KiB (read/write)  |
//!   ^ base                   ^ guard end                          ^ top: the stack grows down from here
//! ```
//!
//! The kernel hands out the usable part lazily: `mmap` only *reserves* 64 KiB of address
//! space, and a page costs memory (RSS) once it is first touched. A green thread that
//! never goes deep touches one or two pages. Running past the bottom hits the guard page
//! and faults, which `guard.rs` turns into a clear message instead of silent corruption
//! of whatever would lie below. Rust's stack probes touch every page of a large frame in
//! order, so even a frame bigger than the guard page hits the guard first.

use std::io;
use std::ops::Range;
use std::ptr;

/// Usable bytes per green-thread stack (a multiple of every page size Linux uses).
pub const STACK_SIZE: usize = 64 * 1024;

/// One mapped stack; unmapped on drop.
pub struct Stack {
    base: *mut u8,
    guard: usize,
    len: usize,
}

/// The system page size (4 KiB on x86-64; 4, 16 or 64 KiB on aarch64).
pub fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if page > 0 {
        page as usize
    } else {
        4096
    }
}

impl Stack {
    /// Maps `size` usable bytes (rounded up to whole pages) plus one guard page.
    pub fn new(size: usize) -> io::Result<Stack> {
        let guard = page_size();
        let len = size.div_ceil(guard) * guard + guard;
        // SAFETY: an anonymous private mapping at an address of the kernel's choosing
        // touches no existing memory; the result is checked before use.
        let base = unsafe {
            libc::mmap(
                ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_STACK,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let stack = Stack {
            base: base.cast(),
            guard,
            len,
        };
        // SAFETY: [base, base + guard) is the first page of the mapping just made, which
        // nothing uses yet; making it inaccessible affects only this mapping.
        if unsafe { libc::mprotect(base, guard, libc::PROT_NONE) } != 0 {
            return Err(io::Error::last_os_error()); // `stack` is dropped: unmapped
        }
        Ok(stack)
    }

    /// One past the highest usable address: where the stack starts (page-aligned, so
    /// 16-byte aligned as both ABIs require).
    pub fn top(&self) -> usize {
        self.base as usize + self.len
    }

    /// The guard page's addresses, for the fault handler.
    pub fn guard(&self) -> Range<usize> {
        self.base as usize..self.base as usize + self.guard
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        // SAFETY: `base`/`len` describe exactly the mapping made in `new`, unmapped only
        // here. The scheduler drops a stack only after its thread finished and switched
        // away for good (`sched.rs`, `resume`), so nothing runs on it or points into it.
        unsafe { libc::munmap(self.base.cast(), self.len) };
    }
}
