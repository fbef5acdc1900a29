//! The checks every rung of the ladder must pass, shared by all ladder test files.
//!
//! Each rung (`examples/ladder_NN_*.rs`) is the uppercase echo server of `examples/echo.rs`
//! rewritten with one I/O model. Every check here takes the example's name, starts it with
//! [`start`] on `127.0.0.1:0`, drives it over real sockets, and panics with a message if
//! the protocol is broken: every byte comes back ASCII-uppercased (others unchanged), and
//! after the client shuts down its write half the server sends the rest and closes (FIN,
//! not RST). Every socket step has a timeout ([`STEP`]) and every loop a bound, so a stuck
//! server fails a check instead of hanging it.
//!
//! # Using it from a test file
//!
//! The module needs `util` beside it at the test crate's root, and the macro needs
//! `#[macro_use]`:
//!
//! ```ignore
//! mod util;
//! #[macro_use]
//! mod ladder_suite;
//!
//! // n clients at once, each must get its exact reply while all are connected:
//! ladder_suite!(select, "ladder_05_select", clients = 50);
//! // a server that serves one client at a time: n clients one after another instead:
//! ladder_suite!(blocking, "ladder_01_blocking", sequential_clients = 20);
//! ```
//!
//! `ladder_suite!(MODULE, "EXAMPLE", clients = N)` expands to `mod MODULE { ... }` with
//! one `#[test]` per check: `round_trip`, `binary_bytes`, `eight_mib`, `half_close`,
//! `reset_survives` and `many_clients` (which calls [`many_clients`] with `N`, or
//! [`sequential_clients`] for the `sequential_clients = N` form).
//!
//! # What a rung must do to pass
//!
//! - Print `listening on ADDR` (the bound address) as its first stdout line, and flush.
//! - Survive partial writes: [`eight_mib`] stops reading until the pipeline is full.
//! - Close every connection it is done with, resets included: [`reset_survives`] waits
//!   (bounded) for the server's descriptor count to fall back to what it was after one
//!   warm-up exchange, so descriptors opened once (an epoll fd, a ring) are fine.
//! - Never die of SIGPIPE: [`reset_survives`] resets a connection the server has seen
//!   FIN on while it is still answering, which makes its next `send` fail with EPIPE.
//!   Ignore SIGPIPE (Rust does before `main`) or send with `MSG_NOSIGNAL` (std does).
//! - For `clients = N`: answer each of N clients while all N are connected.
//!
//! Rung-specific properties go in plain `#[test]`s beside it, with the helpers below:
//! [`start`] and [`start_with`], [`idle_cpu_ticks`] and [`start_idle`] (the CPU a server burns doing
//! nothing), [`children`] (its child processes and their states), [`thread_count`],
//! [`assert_still_serving`].
//!
//! Use [`start`] rather than `util::Server::start`: `cargo test` builds every example, but
//! `cargo test --test NAME` builds none, and `util::example_path` only builds one that is
//! missing, so an edited example would be tested stale. [`start`] runs
//! `cargo build --example NAME` once per example per test binary (a no-op when current).

#![allow(dead_code)]

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use std::process::Command;
use std::sync::{mpsc, Mutex};
use std::time::{Duration, Instant};

use crate::util::{self, pattern, upper, Server};

/// How long any single socket operation may take before a check fails. Generous: the
/// suite runs on 2 cores beside other test binaries, and rung 4 burns a core by design.
pub const STEP: Duration = Duration::from_secs(20);

/// Expands to a module of `#[test]`s running every shared check against one example.
/// See the [module docs](self).
macro_rules! ladder_suite {
    (@tests $module:ident, $example:literal, $many:block) => {
        mod $module {
            #[test]
            fn round_trip() {
                $crate::ladder_suite::round_trip($example);
            }
            #[test]
            fn binary_bytes() {
                $crate::ladder_suite::binary_bytes($example);
            }
            #[test]
            fn eight_mib() {
                $crate::ladder_suite::eight_mib($example);
            }
            #[test]
            fn half_close() {
                $crate::ladder_suite::half_close($example);
            }
            #[test]
            fn reset_survives() {
                $crate::ladder_suite::reset_survives($example);
            }
            #[test]
            fn many_clients() $many
        }
    };
    ($module:ident, $example:literal, clients = $n:expr $(,)?) => {
        ladder_suite!(@tests $module, $example, {
            $crate::ladder_suite::many_clients($example, $n);
        });
    };
    ($module:ident, $example:literal, sequential_clients = $n:expr $(,)?) => {
        ladder_suite!(@tests $module, $example, {
            $crate::ladder_suite::sequential_clients($example, $n);
        });
    };
}

/// Starts example `name` like [`Server::start`], after [`build`] makes sure it is current.
pub fn start(name: &str) -> Server {
    build(name);
    Server::start(name)
}

/// [`start`] with extra arguments and a hook to adjust the command (see
/// [`Server::start_with`]).
pub fn start_with(name: &str, args: &[&str], adjust: impl FnOnce(&mut Command)) -> Server {
    build(name);
    Server::start_with(name, args, adjust)
}

/// Runs `cargo build --example NAME` once per example per test binary.
pub fn build(name: &str) {
    static BUILT: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let mut built = BUILT
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if !built.iter().any(|b| b == name) {
        let out = Command::new(env!("CARGO"))
            .args(["build", "--example", name])
            .output()
            .expect("run cargo build --example");
        assert!(
            out.status.success(),
            "cargo build --example {name} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        built.push(name.to_string());
    }
}

/// Connects to `addr` with [`STEP`] timeouts on reads and writes.
pub fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect to {addr}: {e}"));
    stream.set_read_timeout(Some(STEP)).unwrap();
    stream.set_write_timeout(Some(STEP)).unwrap();
    stream.set_nodelay(true).unwrap();
    stream
}

/// Reads exactly `len` bytes (within [`STEP`] per read); panics naming `what` otherwise.
pub fn read_exact(stream: &mut TcpStream, len: usize, what: &str) -> Vec<u8> {
    let mut buf = vec![0; len];
    stream
        .read_exact(&mut buf)
        .unwrap_or_else(|e| panic!("{what}: reading {len} bytes: {e}"));
    buf
}

/// Reads until the server closes; an error (a reset, a timeout) fails the check.
pub fn read_to_eof(stream: &mut TcpStream, what: &str) -> Vec<u8> {
    let mut buf = Vec::new();
    stream
        .read_to_end(&mut buf)
        .unwrap_or_else(|e| panic!("{what}: reading to EOF after {} bytes: {e}", buf.len()));
    buf
}

/// Sends `msg`, half-closes, reads to EOF, and checks the reply is `upper(msg)`.
pub fn exchange(addr: SocketAddr, msg: &[u8], what: &str) {
    let reply = try_exchange(addr, msg).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_same(&reply, &upper(msg), what);
}

/// Sends `msg` on a new connection, half-closes, and returns everything read until EOF.
pub fn try_exchange(addr: SocketAddr, msg: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut client = TcpStream::connect(addr)?;
    client.set_read_timeout(Some(STEP))?;
    client.set_write_timeout(Some(STEP))?;
    client.write_all(msg)?;
    client.shutdown(Shutdown::Write)?;
    let mut reply = Vec::new();
    client.read_to_end(&mut reply)?;
    Ok(reply)
}

/// Checks the server still answers a new client; if it does not, says whether it died
/// (and of what: `signal: 13 (SIGPIPE)`, say) or merely failed the exchange.
pub fn assert_still_serving(server: &mut Server, name: &str, what: &str) {
    match try_exchange(server.addr, b"still there?") {
        Ok(reply) => assert_same(&reply, b"STILL THERE?", what),
        Err(e) => {
            util::wait_for(Duration::from_secs(1), Duration::from_millis(20), || {
                !server.is_running()
            });
            match server.child.try_wait() {
                Ok(Some(status)) => panic!("{what}: {name} died: {status}"),
                _ => panic!("{what}: {name} is running but the exchange failed: {e}"),
            }
        }
    }
}

/// `assert_eq!` for big byte strings: reports lengths and the first difference only.
pub fn assert_same(got: &[u8], want: &[u8], what: &str) {
    if got != want {
        let first = got.iter().zip(want).position(|(a, b)| a != b);
        panic!(
            "{what}: reply differs: got {} bytes, want {}; first difference at {:?}",
            got.len(),
            want.len(),
            first.unwrap_or(got.len().min(want.len()))
        );
    }
}

/// An interactive conversation (line, reply, line, reply, as the tutorial's client does),
/// then a one-shot send-and-half-close exchange on a second connection.
pub fn round_trip(name: &str) {
    let server = start(name);
    let mut client = connect(server.addr);
    for line in [&b"hello, ladder\n"[..], b"Mixed Case 123 !?\n"] {
        client.write_all(line).unwrap();
        let reply = read_exact(&mut client, line.len(), "interactive reply");
        assert_eq!(reply, upper(line));
    }
    client.shutdown(Shutdown::Write).unwrap();
    assert_eq!(read_to_eof(&mut client, "after half-close"), b"");
    exchange(server.addr, b"one shot: abc xyz", "one-shot exchange");
}

/// All 256 byte values, several times over: only `a..=z` change.
pub fn binary_bytes(name: &str) {
    let server = start(name);
    let msg: Vec<u8> = (0..=255u8).cycle().take(256 * 16).collect();
    exchange(server.addr, &msg, "all byte values");
}

/// 8 MiB of pseudo-random bytes, written by one thread while another reads the reply.
/// The reader starts only once the pipeline has filled up (the writer made no progress
/// for 100 ms) or everything is sent, so the server must cope with writes that block or
/// take only part of what it offers, without losing a byte.
pub fn eight_mib(name: &str) {
    let server = start(name);
    let msg = pattern(8 << 20, 8);
    let want = upper(&msg);
    let mut client = connect(server.addr);
    let writer = client.try_clone().unwrap();
    let (stalled, wait_stalled) = mpsc::channel();
    let sender = std::thread::spawn(move || {
        let (mut sent, deadline) = (0, Instant::now() + 3 * STEP);
        while sent < msg.len() {
            assert!(Instant::now() < deadline, "8 MiB: only {sent} bytes sent");
            match send_dontwait(&writer, &msg[sent..(sent + (64 << 10)).min(msg.len())]) {
                Ok(n) => sent += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    if !util::wait_writable(&writer, Duration::from_millis(100)) {
                        let _ = stalled.send(()); // full: time for the reader to start
                    }
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => panic!("8 MiB: send failed after {sent} bytes: {e}"),
            }
        }
        let _ = stalled.send(());
        writer.shutdown(Shutdown::Write).unwrap();
    });
    let started = wait_stalled.recv_timeout(3 * STEP);
    assert!(
        started.is_ok(),
        "8 MiB: the writer neither stalled nor finished"
    );
    let reply = read_to_eof(&mut client, "8 MiB reply");
    sender.join().expect("writer thread");
    assert_same(&reply, &want, "8 MiB");
}

/// One non-blocking `send` (`MSG_DONTWAIT`) on a blocking socket: unlike
/// `set_nonblocking`, it leaves the reading clone of the same socket blocking.
pub fn send_dontwait(stream: &TcpStream, bytes: &[u8]) -> std::io::Result<usize> {
    // SAFETY: the pointer and length describe `bytes`, which outlives the call.
    let n = unsafe {
        libc::send(
            stream.as_raw_fd(),
            bytes.as_ptr().cast(),
            bytes.len(),
            libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL,
        )
    };
    if n < 0 {
        Err(std::io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

/// Half-close semantics: the server must answer everything sent before the client's FIN
/// (here 256 KiB the client has not started reading yet), then close with FIN; and a
/// client that sends nothing at all gets a clean, empty EOF.
pub fn half_close(name: &str) {
    let server = start(name);

    let msg = pattern(256 << 10, 2);
    let mut client = connect(server.addr);
    let mut writer = client.try_clone().unwrap();
    let sender = std::thread::spawn(move || {
        writer.write_all(&msg).expect("send 256 KiB");
        writer.shutdown(Shutdown::Write).unwrap(); // FIN right behind the data
        msg
    });
    // Read only once the FIN is out: the server may see EOF with its reply still queued.
    let msg = sender.join().expect("writer thread");
    let reply = read_to_eof(&mut client, "reply after half-close");
    assert_same(&reply, &upper(&msg), "256 KiB then FIN");

    let mut silent = connect(server.addr);
    silent.shutdown(Shutdown::Write).unwrap();
    assert_eq!(read_to_eof(&mut silent, "silent client"), b"");
}

/// Clients that reset (`SO_LINGER` 0) at awkward moments must not kill the server or leak
/// their connection: right after connecting, after sending without reading, and while the
/// server is writing a large reply. Afterwards the server still answers a new client.
pub fn reset_survives(name: &str) {
    let mut server = start(name);
    exchange(server.addr, b"warm up", "warm-up exchange"); // any lazily opened fds
    let pid = server.child.id();
    let baseline = util::fd_count(pid);

    // 1: connect, reset.
    util::reset(connect(server.addr));
    // 2: send a little, reset before reading the reply.
    let mut c = connect(server.addr);
    c.write_all(b"reset me").unwrap();
    util::reset(c);
    // 3: send a lot without reading (up to 4 MiB, or until the server stops taking it),
    // then reset while the server is still writing the reply.
    let mut c = connect(server.addr);
    write_without_reading(&mut c, 4 << 20);
    util::reset(c);
    // 4: half-close then reset while the reply is in flight.
    let mut c = connect(server.addr);
    c.write_all(&pattern(256 << 10, 4)).unwrap();
    c.shutdown(Shutdown::Write).unwrap();
    util::reset(c);
    // 5: reset after the server has seen our FIN, while it is blocked writing the reply.
    reset_after_fin_while_server_writes(server.addr);

    assert_still_serving(&mut server, name, "after client resets");
    // The server closes every reset connection (a server without its own fds per
    // connection, such as one that forks, sits at the baseline all along).
    let closed = util::wait_for(Duration::from_secs(10), Duration::from_millis(20), || {
        util::fd_count(pid) <= baseline
    });
    assert!(
        closed,
        "{name}: {} fds open after the resets, {baseline} before",
        util::fd_count(pid)
    );
    assert_still_serving(&mut server, name, "after the resets were handled");
}

/// Writes up to `limit` bytes without reading, stopping early once the pipeline is full
/// (no progress for 200 ms). Leaves the stream non-blocking.
fn write_without_reading(stream: &mut TcpStream, limit: usize) -> usize {
    stream.set_nonblocking(true).unwrap();
    let chunk = vec![b'r'; 64 << 10];
    let (mut written, deadline) = (0, Instant::now() + STEP);
    while written < limit && Instant::now() < deadline {
        match stream.write(&chunk) {
            Ok(n) => written += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                if !util::wait_writable(stream, Duration::from_millis(200)) {
                    break;
                }
            }
            Err(e) => panic!("write before reset failed: {e}"),
        }
    }
    written
}

/// The reset that raises SIGPIPE. A reset that arrives after the server has received the
/// client's FIN (its socket in CLOSE_WAIT) makes the server's next `send` fail with EPIPE,
/// which raises SIGPIPE unless the server ignores it or sends with `MSG_NOSIGNAL`. So: fill
/// the pipeline, half-close, read just enough of the reply for our FIN to get through (our
/// socket reaches FIN_WAIT2 once the server's kernel acknowledges it), and reset at once,
/// while the server still has input to answer. (Whether it is still writing by then is up
/// to the scheduler; in practice it is, and a server that SIGPIPE can kill dies here.)
fn reset_after_fin_while_server_writes(addr: SocketAddr) {
    let mut c = connect(addr);
    let written = write_without_reading(&mut c, 16 << 20);
    c.set_nonblocking(false).unwrap();
    c.shutdown(Shutdown::Write).unwrap();
    let (mut buf, mut read) = (vec![0u8; 16 << 10], 0);
    while tcp_state(&c) != TCP_FIN_WAIT2 && read < written {
        match c.read(&mut buf) {
            Ok(0) => break, // the server already answered everything
            Ok(n) => read += n,
            Err(e) => panic!("reading the reply before the reset: {e}"),
        }
    }
    // Reset at once, while the server is still working through its input.
    util::reset(c);
}

/// `tcpi_state` once our FIN has been acknowledged (Linux's `enum tcp_state`).
pub const TCP_FIN_WAIT2: u8 = 5;

/// The TCP state of `stream` (`tcpi_state` of `TCP_INFO`, e.g. [`TCP_FIN_WAIT2`]).
pub fn tcp_state(stream: &TcpStream) -> u8 {
    // SAFETY: an all-zero tcp_info is valid; getsockopt writes at most `len` bytes of it.
    let mut info: libc::tcp_info = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::tcp_info>() as libc::socklen_t;
    // SAFETY: `info` and `len` are live, and `len` is the size of `info`.
    let rc = unsafe {
        libc::getsockopt(
            stream.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_INFO,
            (&mut info as *mut libc::tcp_info).cast(),
            &mut len,
        )
    };
    assert_eq!(rc, 0, "TCP_INFO: {}", std::io::Error::last_os_error());
    info.tcpi_state
}

/// `n` clients served at the same time, each with its own message. Every client first
/// gets its first reply while all `n` are connected (a server that handles one client at
/// a time fails here, by timeout), then sends 16 KiB more, half-closes, and must get
/// exactly its own bytes back.
pub fn many_clients(name: &str, n: usize) {
    util::raise_fd_limit(2 * n as u64 + 64); // for us and, inherited, the server
    let server = start(name);
    let mut clients: Vec<TcpStream> = (0..n).map(|_| connect(server.addr)).collect();
    let hello = |i: usize| format!("client {i} says hi\n").into_bytes();
    for (i, c) in clients.iter_mut().enumerate() {
        c.write_all(&hello(i)).unwrap();
    }
    for (i, c) in clients.iter_mut().enumerate() {
        let what = format!("client {i} of {n}, first reply, all connected");
        assert_eq!(read_exact(c, hello(i).len(), &what), upper(&hello(i)));
    }
    for (i, c) in clients.iter_mut().enumerate() {
        c.write_all(&pattern(16 << 10, i as u64)).unwrap();
        c.shutdown(Shutdown::Write).unwrap();
    }
    for (i, c) in clients.iter_mut().enumerate() {
        let what = format!("client {i} of {n}, rest of the reply");
        assert_same(
            &read_to_eof(c, &what),
            &upper(&pattern(16 << 10, i as u64)),
            &what,
        );
    }
}

/// `n` clients, one after another, each with its own message: for rungs that serve one
/// client at a time.
pub fn sequential_clients(name: &str, n: usize) {
    let server = start(name);
    for i in 0..n {
        let msg = pattern(4 << 10, 100 + i as u64);
        exchange(server.addr, &msg, &format!("client {i} of {n}"));
    }
}

/// Starts example `name` and leaves it idle: one exchange done, one client connected
/// and silent. Keep the returned client alive while measuring.
pub fn start_idle(name: &str) -> (Server, TcpStream) {
    let server = start(name);
    exchange(server.addr, b"warm up", "warm-up exchange");
    let idle_client = connect(server.addr);
    (server, idle_client)
}

/// CPU time (clock ticks, 1/100 s) example `name` uses over `window` while idle (see
/// [`start_idle`]). A server that waits in the kernel scores about 0, even on a busy
/// machine; one that polls in a loop scores up to `window` in ticks, less when it has to
/// share the cores (so assert a low figure with this, and a high one with a bounded wait
/// for the ticks to pile up, as `tests/ladder.rs` does for rung 4).
pub fn idle_cpu_ticks(name: &str, window: Duration) -> u64 {
    let (server, _idle_client) = start_idle(name);
    let before = server.cpu_ticks();
    std::thread::sleep(window); // the measurement window, not a synchronisation
    server.cpu_ticks() - before
}

/// The child processes of `pid`, as `(child pid, state)` with state the one-letter code
/// of `/proc/<pid>/stat` (`R`, `S`, `Z` for a zombie, ...).
pub fn children(pid: u32) -> Vec<(u32, char)> {
    let mut out = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return out;
    };
    for entry in dir.flatten() {
        let Some(child) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        // Processes come and go while we scan: skip any that vanish.
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{child}/stat")) else {
            continue;
        };
        // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
        let Some(rest) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
            continue;
        };
        let mut fields = rest.split_whitespace();
        let state = fields.next().and_then(|s| s.chars().next());
        let ppid = fields.next().and_then(|s| s.parse::<u32>().ok());
        if let (Some(state), Some(ppid)) = (state, ppid) {
            if ppid == pid {
                out.push((child, state));
            }
        }
    }
    out
}

/// How many threads process `pid` has (`Threads:` in `/proc/<pid>/status`).
pub fn thread_count(pid: u32) -> usize {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("Threads: line")
}
