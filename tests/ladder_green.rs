//! Rung 12 of the ladder (`examples/ladder_12_green_threads/`): green threads. The shared
//! checks of `ladder_suite`, the same on the poll(2) backend, the stack-overflow report,
//! freed stacks, and what an idle connection costs in memory with green threads against
//! futures (`examples/echo.rs`), printed.
//!
//! Green threads exist on x86-64 and aarch64 Linux only; elsewhere each test here says
//! `SKIPPED` and why.
// These checks read /proc and use Linux socket options; other OSes skip the file.
#![cfg(target_os = "linux")]

mod util;
#[macro_use]
#[cfg_attr(
    not(all(
        target_os = "linux",
        any(target_arch = "x86_64", target_arch = "aarch64")
    )),
    allow(unused_macros)
)]
mod ladder_suite;

use std::io::Write;

/// Prints a line that `cargo test` shows even for a passing test.
fn say(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

#[cfg(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
ladder_suite!(green, "ladder_12_green_threads", clients = 200);

#[cfg(not(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
)))]
#[test]
fn green_threads_skipped() {
    say(&format!(
        "SKIPPED: ladder_12_green_threads: green threads need x86-64 or aarch64 Linux; \
         this target is {} {}",
        std::env::consts::ARCH,
        std::env::consts::OS
    ));
}

#[cfg(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
mod rung12 {
    use std::io::{Read, Write};
    use std::net::{Shutdown, SocketAddr, TcpStream};
    use std::os::unix::process::ExitStatusExt;
    use std::process::{Command, ExitStatus, Stdio};
    use std::time::Duration;

    use crate::ladder_suite::{
        self, assert_same, build, connect, exchange, read_exact, read_to_eof, start_with,
    };
    use crate::say;
    use crate::util::{self, pattern, upper, Server};

    const NAME: &str = "ladder_12_green_threads";

    /// Starts rung 12 with `CORIO_BACKEND` set to `backend`.
    fn start_on(backend: &str) -> Server {
        start_with(NAME, &[], |c| {
            c.env("CORIO_BACKEND", backend);
        })
    }

    /// How many epoll instances process `pid` has open.
    fn epoll_fds(pid: u32) -> usize {
        let dir = std::fs::read_dir(format!("/proc/{pid}/fd")).expect("read /proc/<pid>/fd");
        dir.flatten()
            .filter_map(|e| std::fs::read_link(e.path()).ok())
            .filter(|target| target.to_string_lossy() == "anon_inode:[eventpoll]")
            .count()
    }

    /// `n` clients connected at once, each answered while all are connected, then each
    /// sends 16 KiB more, half-closes, and must get exactly its own bytes back.
    fn many_at(addr: SocketAddr, n: usize) {
        let mut clients: Vec<TcpStream> = (0..n).map(|_| connect(addr)).collect();
        for (i, c) in clients.iter_mut().enumerate() {
            c.write_all(format!("client {i}\n").as_bytes()).unwrap();
        }
        for (i, c) in clients.iter_mut().enumerate() {
            let want = upper(format!("client {i}\n").as_bytes());
            assert_eq!(read_exact(c, want.len(), "first reply"), want);
        }
        for (i, c) in clients.iter_mut().enumerate() {
            c.write_all(&pattern(16 << 10, i as u64)).unwrap();
            c.shutdown(Shutdown::Write).unwrap();
        }
        for (i, c) in clients.iter_mut().enumerate() {
            let got = read_to_eof(c, "rest of the reply");
            assert_same(&got, &upper(&pattern(16 << 10, i as u64)), "client");
        }
    }

    /// Sends `msg` from a thread and half-closes, while this thread reads the echo: the
    /// server must cope with writes that block halfway.
    fn big_echo(addr: SocketAddr, msg: Vec<u8>) {
        let mut client = connect(addr);
        let mut writer = client.try_clone().unwrap();
        let want = upper(&msg);
        let sender = std::thread::spawn(move || {
            writer.write_all(&msg).expect("send");
            writer.shutdown(Shutdown::Write).unwrap();
        });
        let got = read_to_eof(&mut client, "big echo");
        sender.join().expect("writer thread");
        assert_same(&got, &want, "big echo");
    }

    /// The same protocol on poll(2): a round trip, every byte value, 4 MiB with blocked
    /// writes, and 150 clients at once. And it really is poll: no epoll fd is open.
    #[test]
    fn poll_backend_serves_the_protocol() {
        util::raise_fd_limit(2 * 150 + 64);
        let server = start_on("poll");
        assert_eq!(
            epoll_fds(server.child.id()),
            0,
            "CORIO_BACKEND=poll opened epoll"
        );
        let mut client = connect(server.addr);
        client.write_all(b"hello, poll\n").unwrap();
        assert_eq!(read_exact(&mut client, 12, "poll reply"), b"HELLO, POLL\n");
        client.shutdown(Shutdown::Write).unwrap();
        assert_eq!(read_to_eof(&mut client, "poll half-close"), b"");
        let all: Vec<u8> = (0..=255u8).cycle().take(256 * 8).collect();
        exchange(server.addr, &all, "poll: all byte values");
        big_echo(server.addr, pattern(4 << 20, 12));
        many_at(server.addr, 150);
    }

    /// `CORIO_BACKEND` picks the selector: epoll opens one epoll fd, poll none, and an
    /// unknown name is one line on stderr and a failed exit, never a silent fallback.
    #[test]
    fn backend_follows_corio_backend() {
        let epoll = start_on("epoll");
        assert_eq!(epoll_fds(epoll.child.id()), 1);
        exchange(epoll.addr, b"on epoll", "epoll exchange");
        let (status, _, err) = run_to_exit(&[], Some("bogus"));
        assert!(!status.success(), "unknown backend accepted");
        assert!(err.contains("bogus") && err.lines().count() == 1, "{err:?}");
    }

    /// Runs rung 12 on port 0 with `args` until it exits (bounded), returning its status,
    /// stdout and stderr.
    fn run_to_exit(args: &[&str], backend: Option<&str>) -> (ExitStatus, String, String) {
        build(NAME);
        let mut cmd = Command::new(util::example_path(NAME));
        cmd.arg("127.0.0.1:0")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(backend) = backend {
            cmd.env("CORIO_BACKEND", backend);
        }
        let mut child = cmd.spawn().expect("spawn rung 12");
        let exited = util::wait_for(Duration::from_secs(20), Duration::from_millis(10), || {
            child.try_wait().expect("try_wait").is_some()
        });
        if !exited {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{NAME} {args:?} did not exit within 20 s");
        }
        let (mut out, mut err) = (String::new(), String::new());
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        (child.wait().unwrap(), out, err)
    }

    /// A green thread that recurses without end hits its guard page; the handler on the
    /// alternate signal stack names the thread and exits 3: one clear line, no silent
    /// corruption, and not a generic segfault (the process is not killed by a signal).
    #[test]
    fn stack_overflow_is_reported() {
        let (status, out, err) = run_to_exit(&["--overflow-test"], None);
        say(&format!("--overflow-test: {status}, stderr {err:?}"));
        assert_eq!(
            status.signal(),
            None,
            "killed by a signal: {status}, {err:?}"
        );
        assert_eq!(status.code(), Some(3), "{err:?}");
        assert!(out.starts_with("listening on "), "stdout {out:?}");
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 1, "want exactly one line, got {err:?}");
        let n = lines[0]
            .strip_prefix("green thread ")
            .and_then(|rest| rest.strip_suffix(" overflowed its 64 KiB stack"))
            .unwrap_or_else(|| panic!("unexpected report {:?}", lines[0]));
        assert!(n.parse::<u64>().is_ok(), "thread number {n:?}");
    }

    /// A fault outside any guard page is not an overflow: the handler restores the
    /// default action, and the process dies of SIGSEGV with no overflow report.
    #[test]
    fn other_faults_keep_the_default_action() {
        let (status, _, err) = run_to_exit(&["--segv-test"], None);
        assert_eq!(status.signal(), Some(libc::SIGSEGV), "{status}, {err:?}");
        assert!(!err.contains("overflowed"), "{err:?}");
    }

    /// A finished green thread's stack is unmapped: after 60 clients come and go, the
    /// server's memory map shrinks back to what it was with none.
    #[test]
    fn finished_threads_free_their_stacks() {
        let server = ladder_suite::start(NAME);
        exchange(server.addr, b"warm up", "warm-up exchange");
        let pid = server.child.id();
        let maps = || {
            std::fs::read_to_string(format!("/proc/{pid}/maps"))
                .expect("read maps")
                .lines()
                .count()
        };
        let before = maps();
        let mut clients: Vec<TcpStream> = (0..30).map(|_| connect(server.addr)).collect();
        for c in clients.iter_mut() {
            c.write_all(b"x").unwrap();
            assert_eq!(read_exact(c, 1, "x"), b"X");
        }
        let during = maps();
        for i in 0..30 {
            exchange(
                server.addr,
                b"come and go",
                &format!("sequential client {i}"),
            );
        }
        for mut c in clients {
            c.shutdown(Shutdown::Write).unwrap();
            assert_eq!(read_to_eof(&mut c, "closing client"), b"");
        }
        let freed = util::wait_for(Duration::from_secs(10), Duration::from_millis(20), || {
            maps() <= before
        });
        say(&format!(
            "{NAME}: {before} mappings idle, {during} with 30 clients, {} after",
            maps()
        ));
        assert!(during >= before + 30, "30 stacks should add mappings");
        assert!(
            freed,
            "{} mappings after the clients left, {before} before",
            maps()
        );
    }

    /// Waiting in the selector, the server uses (almost) no CPU.
    #[test]
    fn sleeps_while_idle() {
        let ticks = ladder_suite::idle_cpu_ticks(NAME, Duration::from_secs(1));
        say(&format!("{NAME}: {ticks} ticks of CPU in 1 s idle"));
        assert!(ticks <= 5, "{NAME} used {ticks} ticks in 1 s idle");
    }

    /// A `kB` field of `/proc/<pid>/status` (`VmRSS`, `VmSize`), in bytes.
    fn status_bytes(pid: u32, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
        let line = status
            .lines()
            .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
            .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"));
        let kib: u64 = line.trim().trim_end_matches("kB").trim().parse().unwrap();
        kib * 1024
    }

    /// The RSS of each 64 KiB read-write anonymous mapping: the green stacks (and the
    /// alternate signal stack), i.e. how much of each stack was really touched.
    fn stack_rss(pid: u32) -> Vec<u64> {
        let smaps = std::fs::read_to_string(format!("/proc/{pid}/smaps")).expect("smaps");
        let (mut stacks, mut in_stack) = (Vec::new(), false);
        for line in smaps.lines() {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if let Some((start, end)) = fields.first().and_then(|r| r.split_once('-')) {
                if let (Ok(s), Ok(e)) =
                    (u64::from_str_radix(start, 16), u64::from_str_radix(end, 16))
                {
                    in_stack = e - s == 64 << 10 && fields[1] == "rw-p" && fields.len() == 5;
                    continue;
                }
            }
            if in_stack && fields.first() == Some(&"Rss:") {
                stacks.push(fields[1].parse::<u64>().unwrap() * 1024);
            }
        }
        stacks
    }

    /// What `n` idle connections add to server `name`: (RSS, address space) per
    /// connection in bytes, from `VmRSS`/`VmSize` with none and with `n` connected. Each
    /// connection has had one round trip, so its task or thread has run and is parked in
    /// a read; the last is known to be parked once client 0 got a second reply. The
    /// clients are returned, to stay connected while the caller looks further.
    fn idle_cost(server: &Server, n: usize) -> (u64, u64, Vec<TcpStream>) {
        let pid = server.child.id();
        exchange(server.addr, b"warm up", "warm-up exchange");
        let (rss0, vm0) = (status_bytes(pid, "VmRSS"), status_bytes(pid, "VmSize"));
        let mut clients: Vec<TcpStream> = (0..n).map(|_| connect(server.addr)).collect();
        for c in clients.iter_mut() {
            c.write_all(b"x").unwrap();
            assert_eq!(read_exact(c, 1, "idle client"), b"X");
        }
        clients[0].write_all(b"y").unwrap();
        assert_eq!(read_exact(&mut clients[0], 1, "client 0 again"), b"Y");
        let (rss1, vm1) = (status_bytes(pid, "VmRSS"), status_bytes(pid, "VmSize"));
        let per = |a: u64, b: u64| b.saturating_sub(a) / n as u64;
        (per(rss0, rss1), per(vm0, vm1), clients)
    }

    /// The price of each model, printed: memory per idle connection with green threads
    /// (a reserved stack, of which a page or two is touched) against futures (corio's
    /// `echo`, whose tasks are exactly as big as their state). Asserts only what cannot
    /// be noise: both are measured, a green connection touches at least one page and
    /// reserves at least its 64 KiB stack.
    #[test]
    fn memory_per_idle_connection_green_vs_futures() {
        const N: usize = 500;
        util::raise_fd_limit(2 * N as u64 + 64);
        let green = ladder_suite::start(NAME);
        let (green_rss, green_vm, clients) = idle_cost(&green, N);
        // Every thread's stack has its first frame written, so only the signal stack is
        // untouched: leave it out of the mean.
        let touched: Vec<u64> = stack_rss(green.child.id())
            .into_iter()
            .filter(|&r| r > 0)
            .collect();
        let (stacks, mean_touched) = (
            touched.len(),
            touched.iter().sum::<u64>() / touched.len().max(1) as u64,
        );
        drop((clients, green));
        let futures = ladder_suite::start("echo");
        let (fut_rss, fut_vm, _clients) = idle_cost(&futures, N);
        let kib = |b: u64| b as f64 / 1024.0;
        say(&format!(
            "idle connection, green threads: {:.1} KiB RSS, {:.1} KiB address space \
             (stack: 64 KiB + guard page reserved, {:.1} KiB touched, mean of {stacks} stacks)",
            kib(green_rss),
            kib(green_vm),
            kib(mean_touched)
        ));
        say(&format!(
            "idle connection, futures (echo): {:.1} KiB RSS, {:.1} KiB address space",
            kib(fut_rss),
            kib(fut_vm)
        ));
        assert!(
            green_rss > 0 && fut_rss > 0,
            "RSS deltas {green_rss} and {fut_rss}"
        );
        assert!(
            green_rss >= 4096,
            "green RSS per connection {green_rss} < one page"
        );
        assert!(
            green_vm >= 64 << 10,
            "green address space per connection {green_vm}"
        );
        assert!(
            stacks > N && mean_touched >= 4096,
            "{stacks} stacks, {mean_touched} B each"
        );
    }
}
