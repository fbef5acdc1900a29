//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// The path of a built example (`cargo test` builds every example before running tests).
pub fn example_path(name: &str) -> PathBuf {
    // target/<profile>/deps/<test-binary> -> target/<profile>/examples/<name>
    let mut path = std::env::current_exe().expect("current_exe");
    path.pop();
    if path.ends_with("deps") {
        path.pop();
    }
    path.push("examples");
    path.push(name);
    if !path.exists() {
        let status = Command::new(env!("CARGO"))
            .args(["build", "--example", name])
            .status()
            .expect("run cargo build --example");
        assert!(status.success(), "cargo build --example {name} failed");
    }
    path
}

/// A running example server; killed when dropped.
pub struct Server {
    pub child: Child,
    pub addr: SocketAddr,
}

impl Server {
    /// Starts example `name` on `127.0.0.1:0` and waits for its `listening on` line.
    pub fn start(name: &str) -> Server {
        Server::start_with(name, &[], |_| {})
    }

    /// Like [`Server::start`], with extra arguments and a hook to adjust the command.
    pub fn start_with(name: &str, args: &[&str], adjust: impl FnOnce(&mut Command)) -> Server {
        let mut cmd = Command::new(example_path(name));
        cmd.arg("127.0.0.1:0")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        adjust(&mut cmd);
        let mut child = cmd.spawn().expect("spawn example");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the listening line");
        let addr = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .parse()
            .expect("parse address");
        Server { child, addr }
    }

    /// CPU time (user + system) the server has used so far, in clock ticks.
    pub fn cpu_ticks(&self) -> u64 {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).expect("read stat");
        // Fields after the command name (which is in parentheses): utime is field 14, stime 15.
        let rest = &stat[stat.rfind(')').expect("stat format") + 2..];
        let fields: Vec<&str> = rest.split_whitespace().collect();
        fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
    }

    /// Whether the server process is still running.
    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().expect("try_wait").is_none()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The ASCII-uppercase of `bytes`, as the echo server answers.
pub fn upper(bytes: &[u8]) -> Vec<u8> {
    bytes.to_ascii_uppercase()
}

/// Raises this process's soft fd limit to `want` (or the hard limit, if lower); returns
/// the soft limit in force afterwards.
pub fn raise_fd_limit(want: u64) -> u64 {
    // SAFETY: getrlimit/setrlimit with a pointer to a live rlimit struct.
    unsafe {
        let mut lim: libc::rlimit = std::mem::zeroed();
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
        let target = want.min(lim.rlim_max as u64);
        if (lim.rlim_cur as u64) < target {
            lim.rlim_cur = target as libc::rlim_t;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
        lim.rlim_cur as u64
    }
}

// ---------------------------------------------------------------------------------------
// Helpers added for the adversarial TCP and echo tests.
// ---------------------------------------------------------------------------------------

use std::future::Future;
use std::io::{ErrorKind, Read, Write};
use std::os::fd::AsRawFd;
use std::pin::pin;
use std::task::Poll;
use std::time::{Duration, Instant};

/// `len` deterministic pseudo-random bytes (xorshift64*): every byte value shows up,
/// NUL and `>= 0x80` included, and different seeds give different streams.
pub fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        out.extend_from_slice(&state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    out.truncate(len);
    out
}

/// Sets `SO_LINGER` to "on, 0 seconds": closing the socket then sends RST, not FIN.
pub fn set_linger_zero(socket: &impl AsRawFd) {
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: passes a pointer to a live `linger` and its exact size.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    assert_eq!(
        rc,
        0,
        "setsockopt(SO_LINGER): {}",
        std::io::Error::last_os_error()
    );
}

/// Closes `stream` abortively: the peer gets RST.
pub fn reset(stream: std::net::TcpStream) {
    set_linger_zero(&stream);
    drop(stream);
}

/// Sets an integer `SOL_SOCKET` option (e.g. `SO_RCVBUF`).
pub fn set_socket_option(socket: &impl AsRawFd, name: libc::c_int, value: libc::c_int) {
    // SAFETY: passes a pointer to a live c_int and its exact size.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            name,
            (&value as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    assert_eq!(rc, 0, "setsockopt: {}", std::io::Error::last_os_error());
}

/// How many received bytes wait unread in `socket`'s receive queue (`FIONREAD`).
pub fn unread_bytes(socket: &impl AsRawFd) -> usize {
    let mut n: libc::c_int = 0;
    // SAFETY: FIONREAD writes one c_int through the pointer, which is live.
    let rc = unsafe { libc::ioctl(socket.as_raw_fd(), libc::FIONREAD, &mut n) };
    assert_eq!(
        rc,
        0,
        "ioctl(FIONREAD): {}",
        std::io::Error::last_os_error()
    );
    n as usize
}

/// Waits up to `timeout` for `socket` to be writable (`poll(2)`); true if it is.
pub fn wait_writable(socket: &impl AsRawFd, timeout: Duration) -> bool {
    let mut pfd = libc::pollfd {
        fd: socket.as_raw_fd(),
        events: libc::POLLOUT,
        revents: 0,
    };
    // SAFETY: `pfd` is one live pollfd; the count says so.
    let rc = unsafe { libc::poll(&mut pfd, 1, timeout.as_millis() as libc::c_int) };
    assert!(rc >= 0, "poll: {}", std::io::Error::last_os_error());
    rc == 1
}

/// Writes `data` (cycled) to `stream` without ever reading from it, until the pipeline
/// to the server is full: writes would block, no buffer space frees up for `quiet`, and
/// bytes the server sent back sit unread in our receive queue. At that point an echo
/// server is parked in a write to us. Returns how many bytes were written. Leaves the
/// stream non-blocking. Panics if that state is not reached within 64 MiB or 20 s.
pub fn write_until_stalled(stream: &mut std::net::TcpStream, quiet: Duration) -> usize {
    const MAX: usize = 64 << 20;
    stream.set_nonblocking(true).unwrap();
    let chunk = vec![b'q'; 64 * 1024];
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut written = 0;
    while written < MAX && Instant::now() < deadline {
        match stream.write(&chunk) {
            Ok(n) => written += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                if !wait_writable(stream, quiet) && unread_bytes(stream) > 0 {
                    return written;
                }
            }
            Err(e) => panic!("writing to the server failed: {e}"),
        }
    }
    panic!("the server never stopped draining ({written} bytes written)");
}

/// How many descriptors process `pid` has open.
pub fn fd_count(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("read /proc/<pid>/fd")
        .count()
}

/// Polls `condition` every `every` until it holds or `limit` passes; true if it held.
/// Bounded in both time and tries: this is how tests wait for an outside signal.
pub fn wait_for(limit: Duration, every: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if condition() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(every);
    }
}

/// The `/proc/net/tcp` line of the TCP socket with this local and remote address, split
/// into fields (IPv4 only), if the kernel has one.
fn proc_net_tcp_entry(local: SocketAddr, remote: SocketAddr) -> Option<Vec<String>> {
    fn hex(addr: SocketAddr) -> String {
        match addr {
            SocketAddr::V4(a) => format!(
                "{:08X}:{:04X}",
                u32::from_ne_bytes(a.ip().octets()),
                a.port()
            ),
            SocketAddr::V6(_) => panic!("IPv4 only"),
        }
    }
    let (local, remote) = (hex(local), hex(remote));
    let table = std::fs::read_to_string("/proc/net/tcp").expect("read /proc/net/tcp");
    table.lines().skip(1).find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        (fields.len() > 4 && fields[1] == local && fields[2] == remote)
            .then(|| fields.iter().map(|f| f.to_string()).collect())
    })
}

/// Whether the kernel still has a TCP socket with this local and remote address
/// (`/proc/net/tcp`, IPv4 only): a way to wait for an RST to have been processed.
pub fn tcp_socket_exists(local: SocketAddr, remote: SocketAddr) -> bool {
    proc_net_tcp_entry(local, remote).is_some()
}

/// How many received bytes the kernel holds unread for the TCP socket with this local
/// and remote address, in any process (`/proc/net/tcp`'s rx_queue, IPv4 only).
pub fn tcp_rx_queue(local: SocketAddr, remote: SocketAddr) -> Option<usize> {
    let entry = proc_net_tcp_entry(local, remote)?;
    let (_tx, rx) = entry[4].split_once(':')?;
    usize::from_str_radix(rx, 16).ok()
}

/// CPU time this thread has used (`CLOCK_THREAD_CPUTIME_ID`).
pub fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec through the pointer, which is live.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0);
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Makes the command's child start with `RLIMIT_NOFILE` set to `limit` (soft and hard).
pub fn limit_child_fds(cmd: &mut Command, limit: u64) {
    use std::os::unix::process::CommandExt;
    // SAFETY: the closure runs between fork and exec and only calls setrlimit, which is
    // async-signal-safe; it allocates nothing and touches no locks.
    unsafe {
        cmd.pre_exec(move || {
            let lim = libc::rlimit {
                rlim_cur: limit as libc::rlim_t,
                rlim_max: limit as libc::rlim_t,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// Collects a child's stderr lines on a thread; read them with `recv_timeout`.
pub fn collect_lines(stream: impl Read + Send + 'static) -> std::sync::mpsc::Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            match line {
                Ok(line) => {
                    if tx.send(line).is_err() {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
    });
    rx
}

/// One blocking round trip through the echo server on a fresh connection: send `msg`,
/// half-close, read to EOF. Every step has a 10 s timeout.
pub fn echo_round_trip(addr: SocketAddr, msg: &[u8]) -> Vec<u8> {
    let mut client = std::net::TcpStream::connect(addr).expect("connect to the echo server");
    client
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    client
        .set_write_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    client.write_all(msg).expect("send to the echo server");
    client.shutdown(std::net::Shutdown::Write).unwrap();
    let mut reply = Vec::new();
    client
        .read_to_end(&mut reply)
        .expect("read the echo server's reply");
    reply
}

/// The future did not finish in time.
#[derive(Debug)]
pub struct Elapsed;

/// Runs `future` for at most `limit` (on corio's timers); must be awaited inside a corio
/// runtime.
pub async fn timeout<F: Future>(limit: Duration, future: F) -> Result<F::Output, Elapsed> {
    let mut future = pin!(future);
    let mut sleep = pin!(corio::time::sleep(limit));
    std::future::poll_fn(|cx| {
        if let Poll::Ready(out) = future.as_mut().poll(cx) {
            return Poll::Ready(Ok(out));
        }
        if sleep.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Err(Elapsed));
        }
        Poll::Pending
    })
    .await
}

/// Like [`timeout`], but panics with `what` when time runs out.
pub async fn within<F: Future>(limit: Duration, what: &str, future: F) -> F::Output {
    match timeout(limit, future).await {
        Ok(out) => out,
        Err(Elapsed) => panic!("timed out after {limit:?}: {what}"),
    }
}

/// Runs two futures concurrently in the current task; returns both outputs.
pub async fn join2<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    let (mut a, mut b) = (pin!(a), pin!(b));
    let (mut out_a, mut out_b) = (None, None);
    std::future::poll_fn(|cx| {
        if out_a.is_none() {
            if let Poll::Ready(v) = a.as_mut().poll(cx) {
                out_a = Some(v);
            }
        }
        if out_b.is_none() {
            if let Poll::Ready(v) = b.as_mut().poll(cx) {
                out_b = Some(v);
            }
        }
        if out_a.is_some() && out_b.is_some() {
            Poll::Ready((out_a.take().unwrap(), out_b.take().unwrap()))
        } else {
            Poll::Pending
        }
    })
    .await
}

/// Polls `future` exactly once, in the current task, and reports what it returned.
pub async fn poll_once<F: Future + Unpin>(future: &mut F) -> Poll<F::Output> {
    std::future::poll_fn(|cx| Poll::Ready(std::pin::Pin::new(&mut *future).poll(cx))).await
}

/// Sends one byte as TCP urgent data (`MSG_OOB`).
pub fn send_urgent(socket: &impl AsRawFd, byte: u8) {
    // SAFETY: sends one byte from a live local; MSG_NOSIGNAL keeps a reset from killing us.
    let n = unsafe {
        libc::send(
            socket.as_raw_fd(),
            (&byte as *const u8).cast(),
            1,
            libc::MSG_OOB | libc::MSG_NOSIGNAL,
        )
    };
    assert_eq!(n, 1, "send(MSG_OOB): {}", std::io::Error::last_os_error());
}

/// The state letter of process `pid` from `/proc/<pid>/stat` (`R`, `S`, `T` stopped, ...).
pub fn process_state(pid: u32) -> char {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("read stat");
    let rest = &stat[stat.rfind(')').expect("stat format") + 2..];
    rest.chars().next().expect("state field")
}

/// Waits up to `timeout` for `socket` to report hang-up or error (`POLLHUP`/`POLLERR`,
/// which poll(2) reports without being asked), as when the peer's RST has arrived.
pub fn wait_hangup(socket: &impl AsRawFd, timeout: Duration) -> bool {
    let mut pfd = libc::pollfd {
        fd: socket.as_raw_fd(),
        events: 0,
        revents: 0,
    };
    // SAFETY: `pfd` is one live pollfd; the count says so.
    let rc = unsafe { libc::poll(&mut pfd, 1, timeout.as_millis() as libc::c_int) };
    assert!(rc >= 0, "poll: {}", std::io::Error::last_os_error());
    rc == 1 && pfd.revents & (libc::POLLHUP | libc::POLLERR) != 0
}
