//! The child-process tests, written once and run by two binaries: `process_pidfd.rs`
//! (exits seen through pidfds) and `process_sigchld.rs` (the `SIGCHLD` fallback, forced).
//! Each test body is an `async fn` here; `process_tests!` makes a `#[corio::test]` of each.
#![allow(dead_code)]

use std::io::ErrorKind;
use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;
use std::time::{Duration, Instant};

use corio::io::{AsyncReadExt, AsyncWriteExt};
use corio::process::Command;

/// Guard against a hang in any one test.
pub const LIMIT: Duration = Duration::from_secs(30);

/// `(state letter, parent pid)` of `pid` from `/proc/<pid>/stat`, `None` if it is gone.
pub fn stat(pid: u32) -> Option<(char, u32)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let mut rest = stat[stat.rfind(')')? + 2..].split(' ');
    let state = rest.next()?.chars().next()?;
    Some((state, rest.next()?.parse().ok()?))
}

/// Whether `pid` is still our child (running or a zombie): not reaped yet.
pub fn is_our_child(pid: u32) -> bool {
    matches!(stat(pid), Some((_, ppid)) if ppid == std::process::id())
}

/// Waits (on corio's timer, so the runtime keeps reaping meanwhile) until none of `pids`
/// is our child any more; the reaping runs in the runtime's background task, which no
/// test can await, so this checks every 5 ms up to a deadline. Returns those left.
pub async fn until_reaped(pids: &[u32]) -> Vec<u32> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let left: Vec<u32> = pids.iter().copied().filter(|&p| is_our_child(p)).collect();
        if left.is_empty() || Instant::now() > deadline {
            return left;
        }
        corio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Links in `/proc/self/fd` that are pidfds.
pub fn pidfd_count() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .filter(|target| target.to_string_lossy().contains("pidfd"))
        .count()
}

pub async fn cat_echoes_stdin_to_stdout() {
    let mut cat = Command::new("cat")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = cat.stdin.take().unwrap();
    let mut stdout = cat.stdout.take().unwrap();
    // More than two pipe buffers: the writer must wait for the reader, in one task.
    let sent: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let write = async {
        stdin.write_all(&sent).await.unwrap();
        drop(stdin); // cat's end of input
    };
    let mut got = Vec::new();
    let read = stdout.read_to_end(&mut got);
    let ((), n) = corio::future::join(write, read).await;
    assert_eq!(n.unwrap(), sent.len());
    assert!(got == sent, "cat echoed different bytes");
    let status = cat.wait().await.unwrap();
    assert_eq!(status.code(), Some(0));
}

pub async fn output_gives_exact_bytes_and_code() {
    let out = Command::new("sh")
        .args(["-c", "printf out; printf err >&2; exit 3"])
        .output()
        .await
        .unwrap();
    assert_eq!(out.stdout, b"out");
    assert_eq!(out.stderr, b"err");
    assert_eq!(out.status.code(), Some(3));
}

pub async fn status_gives_the_exit_code() {
    let status = Command::new("sh")
        .args(["-c", "exit 7"])
        .status()
        .await
        .unwrap();
    assert_eq!(status.code(), Some(7));
}

pub async fn args_env_and_dir_reach_the_child() {
    let out = Command::new("sh")
        .arg("-c")
        .arg(r#"printf '%s|%s|%s|%s' "$1" "$CORIO_T" "${HOME-unset}" "$(pwd)""#)
        .args(["sh", "first"])
        .env_clear()
        .envs([("CORIO_T", "v1"), ("PATH", "/usr/bin:/bin")])
        .current_dir("/")
        .output()
        .await
        .unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "first|v1|unset|/");
    assert!(out.status.success());
}

pub async fn early_closed_stdout_reads_eof() {
    let mut child = Command::new("sh")
        .args(["-c", "exec 1>&-; sleep 5"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut buf = [0u8; 16];
    let n = child.stdout.as_mut().unwrap().read(&mut buf).await.unwrap();
    assert_eq!(n, 0, "EOF while the child still runs");
    assert_eq!(child.try_wait().unwrap(), None);
    child.kill().await.unwrap();
    assert_eq!(child.wait().await.unwrap().signal(), Some(libc::SIGKILL));
}

pub async fn kill_on_drop_kills_a_child_that_never_exits() {
    let child = Command::new("sleep")
        .arg("1000")
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let pid = child.id().unwrap();
    assert!(is_our_child(pid));
    drop(child);
    assert_eq!(until_reaped(&[pid]).await, Vec::<u32>::new());
    // SAFETY: signal 0 only checks that the pid exists.
    let rc = unsafe { libc::kill(pid as libc::pid_t, 0) };
    assert_eq!(rc, -1);
    assert_eq!(
        std::io::Error::last_os_error().raw_os_error(),
        Some(libc::ESRCH)
    );
}

pub async fn a_dropped_child_runs_on_and_is_reaped_when_it_exits() {
    let child = Command::new("sleep").arg("1000").spawn().unwrap();
    let pid = child.id().unwrap();
    drop(child);
    corio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        stat(pid).map(|(s, _)| s == 'Z'),
        Some(false),
        "still running"
    );
    // SAFETY: `pid` is our unreaped child, so it cannot have been reused.
    assert_eq!(unsafe { libc::kill(pid as libc::pid_t, libc::SIGTERM) }, 0);
    assert_eq!(until_reaped(&[pid]).await, Vec::<u32>::new());
}

pub async fn thousand_dropped_children_leave_no_zombies() {
    let count = if cfg!(miri) { 10 } else { 1000 };
    let mut pids = Vec::with_capacity(count);
    for _ in 0..count {
        let child = Command::new("true").spawn().unwrap();
        pids.push(child.id().unwrap());
    }
    let left = until_reaped(&pids).await;
    let zombies = left
        .iter()
        .filter(|&&p| matches!(stat(p), Some(('Z', _))))
        .count();
    let first: Vec<u32> = left.iter().copied().take(5).collect();
    assert_eq!(
        (left.len(), zombies),
        (0, 0),
        "children not reaped, first: {first:?}"
    );
}

pub async fn wait_after_kill_gives_the_signal() {
    let mut child = Command::new("sleep").arg("1000").spawn().unwrap();
    child.kill().await.unwrap();
    let status = child.wait().await.unwrap();
    assert_eq!(status.signal(), Some(9));
    assert_eq!(status.code(), None);
    assert_eq!(child.id(), None);
    let err = child.start_kill().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);

    let mut child = Command::new("sleep").arg("1000").spawn().unwrap();
    child.start_kill().unwrap();
    assert_eq!(child.wait().await.unwrap().signal(), Some(9));
}

pub async fn missing_program_is_not_found() {
    for program in [
        "/nonexistent/corio-no-such-program",
        "corio-no-such-program",
    ] {
        let err = Command::new(program).spawn().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound, "{program}");
        let err = Command::new(program).output().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound, "{program}");
    }
}

pub async fn writing_to_an_exited_child_is_broken_pipe() {
    let mut child = Command::new("true").stdin(Stdio::piped()).spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    assert!(child.wait().await.unwrap().success());
    // A fork by another test of this binary, between its fork and its exec, briefly
    // holds a copy of every fd of this process, the pipe's read end included: until it
    // execs (close-on-exec), a write may still succeed. Only BrokenPipe may end the loop.
    let err = loop {
        match stdin.write_all(b"nobody reads this").await {
            Ok(()) => corio::time::sleep(Duration::from_millis(1)).await,
            Err(e) => break e,
        }
    };
    assert_eq!(err.kind(), ErrorKind::BrokenPipe);
}

pub async fn unread_100_mib_does_not_block_the_runtime() {
    const LEN: usize = 100 << 20;
    let mut child = Command::new("head")
        .args(["-c", &LEN.to_string(), "/dev/zero"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // The child fills the pipe and blocks; this runtime's timers keep firing.
    let ticker = corio::spawn(async {
        for _ in 0..5 {
            corio::time::sleep(Duration::from_millis(2)).await;
        }
        5
    });
    assert_eq!(ticker.await.unwrap(), 5);
    assert_eq!(child.try_wait().unwrap(), None, "blocked on the full pipe");
    let mut stdout = child.stdout.take().unwrap();
    let (mut total, mut buf) = (0usize, vec![0u8; 1 << 16]);
    loop {
        match stdout.read(&mut buf).await.unwrap() {
            0 => break,
            n => {
                assert!(buf[..n].iter().all(|&b| b == 0));
                total += n;
            }
        }
    }
    assert_eq!(total, LEN);
    assert!(child.wait().await.unwrap().success());
}

pub async fn a_childs_stdout_feeds_another_childs_stdin() {
    let mut first = Command::new("printf")
        .arg("abc")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let pipe: Stdio = first.stdout.take().unwrap().try_into().unwrap();
    let out = Command::new("tr")
        .args(["a-z", "A-Z"])
        .stdin(pipe)
        .output()
        .await
        .unwrap();
    assert_eq!(out.stdout, b"ABC");
    assert!(first.wait().await.unwrap().success());
}

/// A `#[corio::test]` for each body above, each calling the function `$setup` first.
#[macro_export]
macro_rules! process_tests {
    ($setup:path) => {
        process_tests!($setup;
            cat_echoes_stdin_to_stdout,
            output_gives_exact_bytes_and_code,
            status_gives_the_exit_code,
            args_env_and_dir_reach_the_child,
            early_closed_stdout_reads_eof,
            kill_on_drop_kills_a_child_that_never_exits,
            a_dropped_child_runs_on_and_is_reaped_when_it_exits,
            thousand_dropped_children_leave_no_zombies,
            wait_after_kill_gives_the_signal,
            missing_program_is_not_found,
            writing_to_an_exited_child_is_broken_pipe,
            unread_100_mib_does_not_block_the_runtime,
            a_childs_stdout_feeds_another_childs_stdin,
        );
    };
    ($setup:path; $($name:ident,)*) => {
        $(
            #[corio::test]
            #[cfg_attr(miri, ignore)]
            async fn $name() {
                $setup();
                let what = stringify!($name);
                util::within(process_common::LIMIT, what, process_common::$name()).await;
            }
        )*
    };
}
