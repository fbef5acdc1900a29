//! `spawn_blocking` in a child process forked after the blocking pool started: the child
//! has none of the parent's pool threads, so it must get a pool of its own instead of
//! handing its job to an idle thread that only exists in the parent.
//!
//! This file holds that one test: a test binary that forks while other tests run threads
//! would copy them mid-step into the child. Linux only: the test finds the pool's idle
//! thread through `/proc`; elsewhere it says so and skips.
#![cfg_attr(not(target_os = "linux"), allow(dead_code, unused_imports))]

mod util;

use std::time::Duration;

use corio::task::{blocking_threads, spawn_blocking};
use util::wait_for;

/// The child's limit: a hang there becomes SIGALRM's default action (termination).
const CHILD_ALARM_SECONDS: libc::c_uint = 10;

/// Exit statuses of the child.
const CHILD_OK: i32 = 0;
const CHILD_WRONG_VALUE: i32 = 1;
const CHILD_FAILED: i32 = 2;

/// The state letters of this process's threads named `corio-blocking`.
#[cfg(target_os = "linux")]
fn pool_thread_states() -> Vec<char> {
    let mut states = Vec::new();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return states;
    };
    for task in tasks.flatten() {
        let path = task.path();
        let Ok(comm) = std::fs::read_to_string(path.join("comm")) else {
            continue;
        };
        if comm.trim_end() != "corio-blocking" {
            continue;
        }
        let Ok(stat) = std::fs::read_to_string(path.join("stat")) else {
            continue;
        };
        if let Some(state) = stat.rfind(')').and_then(|i| stat[i + 2..].chars().next()) {
            states.push(state);
        }
    }
    states
}

/// What the child runs: a fresh runtime and one blocking job; never returns.
fn child_main() -> ! {
    // SAFETY: alarm takes no pointers.
    unsafe { libc::alarm(CHILD_ALARM_SECONDS) };
    let outcome = std::panic::catch_unwind(|| {
        let runtime = corio::Runtime::new().expect("a runtime in the child");
        runtime.block_on(async { spawn_blocking(|| 7).await })
    });
    let code = match outcome {
        Ok(Ok(7)) => CHILD_OK,
        Ok(Ok(_)) => CHILD_WRONG_VALUE,
        Ok(Err(_)) | Err(_) => CHILD_FAILED,
    };
    // SAFETY: ends the child at once, without running the parent's copied exit handlers
    // or the test harness in the child.
    unsafe { libc::_exit(code) }
}

#[test]
#[cfg(target_os = "linux")]
#[cfg_attr(miri, ignore)]
fn spawn_blocking_runs_in_a_child_forked_while_the_pool_has_an_idle_thread() {
    // The parent's pool gets a thread, which goes idle once the job is done.
    let out = corio::block_on(async { spawn_blocking(|| 1).await });
    assert_eq!(out.unwrap(), 1);
    assert_eq!(blocking_threads(), 1);
    // Idle means parked in the pool's condvar (state S); the thread retires only after
    // `KEEP_ALIVE` (2 s) of that, and the fork happens right after we see it.
    let idle = wait_for(Duration::from_secs(5), Duration::from_millis(1), || {
        pool_thread_states() == ['S']
    });
    assert!(
        idle,
        "the pool thread never went idle: {:?}",
        pool_thread_states()
    );

    // SAFETY: the child only builds a runtime, runs one job and `_exit`s (child_main).
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork: {}", std::io::Error::last_os_error());
    if pid == 0 {
        child_main();
    }
    let mut status = 0;
    // SAFETY: waits for our own child, writing its status into a live local.
    let waited = unsafe { libc::waitpid(pid, &mut status, 0) };
    assert_eq!(waited, pid, "waitpid: {}", std::io::Error::last_os_error());
    assert!(
        !libc::WIFSIGNALED(status),
        "the child was killed by signal {} (SIGALRM = {}: spawn_blocking hung in the child)",
        libc::WTERMSIG(status),
        libc::SIGALRM,
    );
    assert!(libc::WIFEXITED(status), "status {status:#x}");
    assert_eq!(libc::WEXITSTATUS(status), CHILD_OK);
    // The parent's pool is untouched: its thread still serves.
    let out = corio::block_on(async { spawn_blocking(|| 2).await });
    assert_eq!(out.unwrap(), 2);
}

#[test]
#[cfg(not(target_os = "linux"))]
fn spawn_blocking_runs_in_a_child_forked_while_the_pool_has_an_idle_thread() {
    eprintln!("skipped: the test reads the pool thread's state from /proc (Linux only)");
}
