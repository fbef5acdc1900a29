//! Rungs 5–9 of the ladder (`examples/ladder_0N_*`): the shared checks of `ladder_suite`
//! for each, then each rung's limit or lesson, asserted so it stays true.
// These checks read /proc and use Linux socket options; other OSes skip the file.
#![cfg(target_os = "linux")]

mod util;
#[macro_use]
mod ladder_suite;

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use ladder_suite::{assert_same, connect, exchange, idle_cpu_ticks, read_exact, read_to_eof};
use util::{pattern, upper, Server};

ladder_suite!(select, "ladder_05_select", clients = 50);
ladder_suite!(poll, "ladder_06_poll", clients = 100);
ladder_suite!(epoll, "ladder_07_epoll", clients = 100);
ladder_suite!(sigio, "ladder_08_sigio", clients = 50);
// Rung 9 runs the same checks by hand (below), each skipping if io_uring is refused.

use ladder_suite::{build, start_with};

/// Prints a line that `cargo test` shows even for a passing test: the skip must be seen.
fn say(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

// ---------------------------------------------------------------------------------------
// Rung 5: select(2) and FD_SETSIZE.
// ---------------------------------------------------------------------------------------

/// An `fd_set` has 1024 bits, so select cannot watch descriptor 1024 or above. With its fd
/// limit raised, the server accepts such clients but must refuse them cleanly (one line,
/// then EOF), never `FD_SET` them, and go on serving the clients it has.
#[test]
fn select_refuses_fds_beyond_fd_setsize() {
    const CLIENTS: usize = 1040;
    let ours = util::raise_fd_limit(4096);
    // SAFETY: getrlimit writes one rlimit through a pointer to a live local.
    let hard = unsafe {
        let mut lim: libc::rlimit = std::mem::zeroed();
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
        lim.rlim_max as u64
    };
    if ours < CLIENTS as u64 + 64 || hard < 2048 {
        say(&format!(
            "SKIPPED: select_refuses_fds_beyond_fd_setsize: fd limit {ours} (hard {hard}) too low"
        ));
        return;
    }
    let mut server = start_with("ladder_05_select", &[], |cmd| {
        util::limit_child_fds(cmd, 2048)
    });

    let mut clients: Vec<TcpStream> = (0..CLIENTS).map(|_| connect(server.addr)).collect();
    // The server's fds 0..=3 are taken (stdio, listener), so client i gets fd i + 4 or
    // more: clients 1024 and later surely got fds >= 1024. Each reads the refusal, then EOF.
    for (i, c) in clients.iter_mut().enumerate().skip(1024) {
        let mut got = String::new();
        c.read_to_string(&mut got)
            .unwrap_or_else(|e| panic!("client {i}: reading the refusal: {e}"));
        assert!(
            got.starts_with("refused: fd ")
                && got.contains("FD_SETSIZE")
                && got.lines().count() == 1,
            "client {i}: want one refusal line, got {got:?}"
        );
    }
    // The earlier ones are still served: early, middle and late.
    for i in [0, 500, 1000] {
        clients[i].write_all(b"still here").unwrap();
        assert_eq!(
            read_exact(&mut clients[i], 10, "served client"),
            b"STILL HERE"
        );
    }
    assert!(server.is_running(), "the select server died");
    // Free a few descriptors: a new client fits again.
    for mut c in clients.drain(..10) {
        c.shutdown(Shutdown::Write).unwrap();
        assert_eq!(read_to_eof(&mut c, "leaving client"), b"");
    }
    exchange(server.addr, b"a new client fits", "after some left");
}

// ---------------------------------------------------------------------------------------
// Rung 7: epoll, level and edge triggered.
// ---------------------------------------------------------------------------------------

/// epoll_wait sleeps in the kernel: idle, the server uses (almost) no CPU.
#[test]
fn epoll_sleeps_while_idle() {
    let ticks = idle_cpu_ticks("ladder_07_epoll", Duration::from_secs(1));
    say(&format!(
        "ladder_07_epoll: {ticks} ticks of CPU in 1 s idle"
    ));
    assert!(ticks <= 5, "ladder_07_epoll used {ticks} ticks in 1 s idle");
}

/// The other readiness rungs sleep in the kernel too (select, poll, sigsuspend).
#[test]
fn select_poll_sigio_sleep_while_idle() {
    for name in ["ladder_05_select", "ladder_06_poll", "ladder_08_sigio"] {
        let ticks = idle_cpu_ticks(name, Duration::from_secs(1));
        say(&format!("{name}: {ticks} ticks of CPU in 1 s idle"));
        assert!(ticks <= 5, "{name} used {ticks} ticks in 1 s idle");
    }
}

/// Sends `msg` and half-closes on a thread (so a server that stalls cannot block us),
/// while this thread reads with `timeout` per read. Returns what came back and whether
/// it ended with EOF (false: a read timed out).
fn send_and_collect(server: &Server, msg: Vec<u8>, timeout: Duration) -> (Vec<u8>, bool) {
    let mut client = connect(server.addr);
    client.set_read_timeout(Some(timeout)).unwrap();
    let mut writer = client.try_clone().unwrap();
    std::thread::spawn(move || {
        // If the server stalls, this may block until the STEP timeout; nobody waits for it.
        if writer.write_all(&msg).is_ok() {
            let _ = writer.shutdown(Shutdown::Write);
        }
    });
    let (mut got, mut buf) = (Vec::new(), vec![0; 64 << 10]);
    loop {
        match client.read(&mut buf) {
            Ok(0) => return (got, true),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return (got, false)
            }
            Err(e) => panic!("reading the echo: {e}"),
        }
    }
}

/// Edge-triggered done right: each event drains the socket until EAGAIN, so a message far
/// larger than the 16 KiB read buffer comes back whole.
#[test]
fn epoll_edge_echoes_more_than_one_read_buffer() {
    let server = start_with("ladder_07_epoll", &["--edge"], |_| {});
    for (len, seed) in [(1 << 20, 71), (8 << 20, 72)] {
        let msg = pattern(len, seed);
        let (got, eof) = send_and_collect(&server, msg.clone(), ladder_suite::STEP);
        assert!(eof, "--edge: no EOF after {} of {len} bytes", got.len());
        assert_same(&got, &upper(&msg), "--edge echo");
    }
    // And many clients at once, as in the shared suite.
    let mut clients: Vec<TcpStream> = (0..50).map(|_| connect(server.addr)).collect();
    for (i, c) in clients.iter_mut().enumerate() {
        c.write_all(&pattern(20 << 10, i as u64)).unwrap();
        c.shutdown(Shutdown::Write).unwrap();
    }
    for (i, c) in clients.iter_mut().enumerate() {
        let got = read_to_eof(c, "--edge client");
        assert_same(&got, &upper(&pattern(20 << 10, i as u64)), "--edge client");
    }
}

/// The classic edge-triggered bug, kept as a lesson: the server reads once per event. A
/// 1 MiB message arrives in a handful of segments, i.e. a handful of edges; each edge
/// reads one 16 KiB buffer, and the rest sits in the socket with no further edge to
/// announce it. So the echo stops short and never finishes: we expect that stall (a read
/// timeout with bytes missing), where level triggering or `--edge` draining would not.
#[test]
fn epoll_edge_read_once_stalls() {
    let server = start_with("ladder_07_epoll", &["--edge-read-once"], |_| {});
    let msg = pattern(1 << 20, 73);
    let (got, eof) = send_and_collect(&server, msg.clone(), Duration::from_secs(2));
    say(&format!(
        "--edge-read-once: {} of {} bytes echoed, then a stall",
        got.len(),
        msg.len()
    ));
    assert!(
        !eof && got.len() < msg.len(),
        "--edge-read-once did not stall ({} bytes)",
        got.len()
    );
    assert_same(&got, &upper(&msg[..got.len()]), "--edge-read-once prefix");
}

// ---------------------------------------------------------------------------------------
// Rung 8: signal-driven I/O.
// ---------------------------------------------------------------------------------------

/// One SIGIO does not say which socket is ready, and several merge into one; the server
/// must still serve interleaved clients, each with exactly its own bytes.
#[test]
fn sigio_serves_interleaved_clients() {
    let server = ladder_suite::start("ladder_08_sigio");
    let mut clients: Vec<TcpStream> = (0..20).map(|_| connect(server.addr)).collect();
    for round in 0..5 {
        // Everyone sends before anyone reads: the signals overlap.
        for (i, c) in clients.iter_mut().enumerate() {
            c.write_all(format!("round {round} client {i};").as_bytes())
                .unwrap();
        }
        for (i, c) in clients.iter_mut().enumerate() {
            let want = upper(format!("round {round} client {i};").as_bytes());
            assert_eq!(read_exact(c, want.len(), "sigio reply"), want);
        }
    }
    for (i, c) in clients.iter_mut().enumerate() {
        let tail = pattern(64 << 10, 800 + i as u64);
        c.write_all(&tail).unwrap();
        c.shutdown(Shutdown::Write).unwrap();
        assert_same(&read_to_eof(c, "sigio tail"), &upper(&tail), "sigio tail");
    }
}

// ---------------------------------------------------------------------------------------
// Rung 9: io_uring, which the kernel may refuse.
// ---------------------------------------------------------------------------------------

/// `None` if rung 9 starts here; else its refusal line (`io_uring unavailable: ...`). Any
/// other way of failing to start fails the test instead of skipping it.
fn io_uring_refusal() -> Option<String> {
    static PROBE: OnceLock<Option<String>> = OnceLock::new();
    PROBE
        .get_or_init(|| {
            build("ladder_09_io_uring");
            let mut child = Command::new(util::example_path("ladder_09_io_uring"))
                .arg("127.0.0.1:0")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn ladder_09_io_uring");
            let mut line = String::new();
            let stdout = child.stdout.take().expect("stdout");
            BufReader::new(stdout)
                .read_line(&mut line)
                .expect("read its stdout");
            if line.starts_with("listening on ") {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
            let status = child.wait().expect("wait for ladder_09_io_uring");
            let mut err = String::new();
            let _ = child
                .stderr
                .take()
                .expect("stderr")
                .read_to_string(&mut err);
            let first = err.lines().next().unwrap_or("").to_string();
            assert!(
                !status.success() && first.starts_with("io_uring unavailable:"),
                "ladder_09_io_uring failed to start ({status}) without its refusal line: {err:?}"
            );
            Some(first)
        })
        .clone()
}

/// The shared checks for rung 9, written out because each must first check for io_uring
/// (keep in step with `ladder_suite!`).
mod io_uring {
    use super::*;

    const NAME: &str = "ladder_09_io_uring";

    /// True (after saying so) if the kernel refuses io_uring and the test should skip.
    fn refused() -> bool {
        let Some(line) = io_uring_refusal() else {
            return false;
        };
        let reason = line.strip_prefix("io_uring unavailable: ").unwrap_or(&line);
        say(&format!("SKIPPED: io_uring unavailable: {reason}"));
        true
    }

    #[test]
    fn round_trip() {
        if !refused() {
            ladder_suite::round_trip(NAME);
        }
    }
    #[test]
    fn binary_bytes() {
        if !refused() {
            ladder_suite::binary_bytes(NAME);
        }
    }
    #[test]
    fn eight_mib() {
        if !refused() {
            ladder_suite::eight_mib(NAME);
        }
    }
    #[test]
    fn half_close() {
        if !refused() {
            ladder_suite::half_close(NAME);
        }
    }
    #[test]
    fn reset_survives() {
        if !refused() {
            ladder_suite::reset_survives(NAME);
        }
    }
    #[test]
    fn many_clients() {
        if !refused() {
            ladder_suite::many_clients(NAME, 100);
        }
    }

    /// Blocked in io_uring_enter waiting for a completion, it uses (almost) no CPU.
    #[test]
    fn sleeps_while_idle() {
        if refused() {
            return;
        }
        let ticks = idle_cpu_ticks(NAME, Duration::from_secs(1));
        say(&format!("{NAME}: {ticks} ticks of CPU in 1 s idle"));
        assert!(ticks <= 5, "{NAME} used {ticks} ticks in 1 s idle");
    }
}
