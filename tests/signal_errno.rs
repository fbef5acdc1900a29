//! corio's signal handler leaves the interrupted thread's `errno` as it found it, even
//! when its own `write(2)` to the runtime's self-pipe fails (`EAGAIN`: the pipe is full).
//!
//! Alone in its own binary (so its own process): it fills the self-pipe on purpose and
//! reads `/proc/self/fd`, which other tests' signals and pipes would disturb. Linux only:
//! it finds the pipe through `/proc` and measures it with `FIONREAD`/`F_GETPIPE_SZ`.
#![cfg(target_os = "linux")]

mod util;

use std::collections::HashSet;
use std::os::fd::RawFd;
use std::time::Duration;

use corio::signal::{signal, SignalKind};
use util::within;

const LIMIT: Duration = Duration::from_secs(60);

/// A value no syscall leaves in `errno`.
const SENTINEL: libc::c_int = 4242;

fn errno() -> libc::c_int {
    // SAFETY: this thread's errno location is always valid.
    unsafe { *libc::__errno_location() }
}

fn set_errno(value: libc::c_int) {
    // SAFETY: as above.
    unsafe { *libc::__errno_location() = value }
}

/// The write ends of the pipes this process has open.
fn pipe_write_ends() -> HashSet<RawFd> {
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let fd: RawFd = entry.file_name().to_str()?.parse().ok()?;
            let target = std::fs::read_link(entry.path()).ok()?;
            if !target.to_string_lossy().starts_with("pipe:") {
                return None;
            }
            // SAFETY: F_GETFL takes no pointer; a closed fd gives -1.
            let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
            (flags >= 0 && flags & libc::O_ACCMODE == libc::O_WRONLY).then_some(fd)
        })
        .collect()
}

/// Bytes waiting in the pipe `fd` belongs to.
fn queued(fd: RawFd) -> usize {
    let mut n: libc::c_int = 0;
    // SAFETY: FIONREAD writes one c_int through the pointer, which is live.
    assert_eq!(unsafe { libc::ioctl(fd, libc::FIONREAD, &mut n) }, 0);
    n as usize
}

/// Raises SIGUSR1 on this thread (the handler runs before `raise` returns) with `errno`
/// set to the sentinel, and returns `errno` as the handler left it.
fn raise_keeping_errno() -> libc::c_int {
    set_errno(SENTINEL);
    // SAFETY: no pointers; corio's handler is installed for SIGUSR1.
    let ret = unsafe { libc::raise(libc::SIGUSR1) };
    let after = errno();
    assert_eq!(ret, 0);
    after
}

#[test]
fn the_handler_restores_errno_even_when_its_pipe_write_fails() {
    corio::block_on(within(LIMIT, "errno", async {
        let before = pipe_write_ends();
        let mut stream = signal(SignalKind::user_defined1()).unwrap();
        let new: Vec<RawFd> = pipe_write_ends().difference(&before).copied().collect();
        assert_eq!(
            new.len(),
            1,
            "exactly one new pipe (the self-pipe): {new:?}"
        );
        let self_pipe = new[0];
        // SAFETY: F_GETPIPE_SZ takes no pointer.
        let capacity = unsafe { libc::fcntl(self_pipe, libc::F_GETPIPE_SZ) };
        assert!(capacity > 0);
        let capacity = capacity as usize;
        assert_eq!(queued(self_pipe), 0);

        // No await in here: the driver task cannot drain the pipe, so every delivery
        // adds a byte until the pipe is full.
        let mut raised = 0;
        while queued(self_pipe) < capacity {
            assert_eq!(raise_keeping_errno(), SENTINEL, "delivery {raised}");
            raised += 1;
            assert!(raised <= capacity, "the pipe never filled");
        }
        assert_eq!(raised, capacity);
        // Now each delivery's write fails with EAGAIN inside the handler.
        for extra in 0..3 {
            assert_eq!(
                raise_keeping_errno(),
                SENTINEL,
                "delivery into a full pipe #{extra}"
            );
            assert_eq!(queued(self_pipe), capacity);
        }

        // The burst is seen (as one delivery), the driver empties the pipe, and the
        // next delivery after that is seen too.
        assert_eq!(stream.recv().await, Some(()));
        while queued(self_pipe) != 0 {
            corio::task::yield_now().await;
        }
        assert_eq!(raise_keeping_errno(), SENTINEL);
        assert_eq!(stream.recv().await, Some(()));
    }));
}
