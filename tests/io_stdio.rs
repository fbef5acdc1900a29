//! `corio::io::{stdin, stdout, stderr}` seen from outside: this test binary runs itself
//! as a child (`CORIO_STDIO_CHILD` picks the role), feeds its stdin and checks the exact
//! bytes on its stdout and stderr.
//!
//! The child ends with `_exit`, which skips std's exit-time flush of stdout: bytes
//! without a trailing newline reach the pipe only if corio's `flush` flushed std's line
//! buffer. libtest prints its own lines on stdout first, so the child's output starts
//! after a marker.

use std::io::{ErrorKind, Write};
use std::process::{Command, Output, Stdio};

use corio::io::{AsyncReadExt, AsyncWriteExt};

const ROLE: &str = "CORIO_STDIO_CHILD";
const MARKER: &[u8] = b"<<corio-stdio-child>>";

/// The child's side: does what `ROLE` names, then `_exit(0)`; nothing when `ROLE` is
/// unset (a normal test run).
#[test]
#[cfg_attr(miri, ignore)] // processes
fn stdio_child() {
    let Ok(role) = std::env::var(ROLE) else {
        return;
    };
    corio::block_on(async {
        match role.as_str() {
            "upper" => upper().await,
            "broken" => broken_stdout().await,
            other => panic!("unknown role {other}"),
        }
    });
    // SAFETY: `_exit` ends the process at once; nothing else runs afterwards.
    unsafe { libc::_exit(0) };
}

/// Reads stdin to its end, writes it upper-cased to stdout (in pieces, the last one
/// without a newline), reports the count on stderr.
async fn upper() {
    let mut input = Vec::new();
    corio::io::stdin().read_to_end(&mut input).await.unwrap();
    let mut out = corio::io::stdout();
    out.write_all(MARKER).await.unwrap();
    for piece in input.to_ascii_uppercase().chunks(7_000) {
        out.write_all(piece).await.unwrap();
    }
    out.flush().await.unwrap();
    let mut err = corio::io::stderr();
    err.write_all(MARKER).await.unwrap();
    let note = format!("read {} bytes", input.len());
    err.write_all(note.as_bytes()).await.unwrap();
    err.flush().await.unwrap();
}

/// Points fd 1 at a pipe nobody reads, then writes: each write is accepted, and the
/// flush after it reports `BrokenPipe` (SIGPIPE is ignored in Rust programs).
async fn broken_stdout() {
    let mut fds = [0; 2];
    // SAFETY: pipe writes two descriptors into the array; close and dup2 take plain ints.
    unsafe {
        assert_eq!(libc::pipe(fds.as_mut_ptr()), 0);
        libc::close(fds[0]);
        assert_eq!(libc::dup2(fds[1], 1), 1);
    }
    let mut out = corio::io::stdout();
    let mut report = Vec::from(MARKER);
    for bytes in [&b"a whole line\n"[..], b"no newline"] {
        let accepted = out.write(bytes).await;
        let flushed = out.flush().await.map_err(|e| e.kind());
        writeln!(report, "{accepted:?} {flushed:?}").unwrap();
    }
    let mut err = corio::io::stderr();
    err.write_all(&report).await.unwrap();
    err.flush().await.unwrap(); // the write is only accepted until then
}

/// Runs this binary as a child in `role`, with `input` on its stdin.
fn run_child(role: &str, input: Vec<u8>) -> Output {
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args(["--exact", "stdio_child", "--test-threads=1"])
        .env(ROLE, role)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || stdin.write_all(&input));
    let output = child.wait_with_output().unwrap();
    feeder.join().unwrap().unwrap();
    assert!(
        output.status.success(),
        "child failed: {:?}\nstdout: {}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    output
}

/// What the child wrote after its marker (which must appear exactly once).
fn after_marker(stream: &[u8]) -> &[u8] {
    let at: Vec<usize> = stream
        .windows(MARKER.len())
        .enumerate()
        .filter(|(_, w)| *w == MARKER)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(
        at.len(),
        1,
        "marker count in {}",
        String::from_utf8_lossy(stream)
    );
    &stream[at[0] + MARKER.len()..]
}

#[test]
#[cfg_attr(miri, ignore)] // processes
fn stdin_to_stdout_and_stderr_carry_the_exact_bytes() {
    let mut input: Vec<u8> = (0..100_000u32)
        .map(|i| b"abcdefghij\n"[(i % 11) as usize])
        .collect();
    input.extend_from_slice(b"tail without newline");
    let output = run_child("upper", input.clone());
    let out = after_marker(&output.stdout);
    assert_eq!(out.len(), input.len());
    assert!(out == input.to_ascii_uppercase(), "stdout differs");
    let err = after_marker(&output.stderr);
    assert_eq!(err, format!("read {} bytes", input.len()).as_bytes());
}

#[test]
#[cfg_attr(miri, ignore)] // processes
fn a_write_to_a_closed_pipe_is_accepted_and_its_error_shows_at_flush() {
    let output = run_child("broken", Vec::new());
    let report = String::from_utf8(after_marker(&output.stderr).to_vec()).unwrap();
    let broken = format!("{:?}", Err::<(), _>(ErrorKind::BrokenPipe));
    assert_eq!(report, format!("Ok(13) {broken}\nOk(10) {broken}\n"));
}
