//! Ladder rung 2: a process per connection, with `fork`.
//!
//! Mirrors `/work/shared/seeds/000_2cf84844f173c2a4.txt`, "五. 使用阻塞IO实现并发",
//! "方案一：阻塞IO+多进程", written with `os.fork` as in
//! `/work/shared/seeds/002_6f00e0160d5b1c4f.txt` ("基于fork的多进程编程", "孤儿和僵尸",
//! "基于fork的多进程网络并发模型"). Uses only `std` and `libc`, not corio.
//!
//! What it fixes from rung 1: a client that stays connected no longer blocks the others.
//! The parent only accepts; each client gets a child process that runs rung 1's blocking
//! message loop, and the OS scheduler switches between them while each sleeps in `recv`.
//!
//! What it costs: a `fork` per connection (copying page tables, a new PID) plus the same
//! `recv`/`send` per chunk as rung 1; one process per client, so a few hundred clients
//! means a few hundred processes, each with its own memory and scheduler slot. Idle CPU is
//! zero (every process sleeps in the kernel). Processes share nothing, which is safe but
//! means a chat room or a shared cache would need IPC. And children must be reaped: a
//! child that exits stays a zombie (状态 Z) until its parent collects its exit status.
//!
//! Reaping: the SIGCHLD handler itself calls `waitpid(-1, WNOHANG)` until no exited child
//! is left (`waitpid` is async-signal-safe). A handler that only sets a flag for the main
//! loop would not do here: std's `accept` retries on EINTR, so the loop would notice the
//! flag only when the next client arrives, leaving the last children zombies meanwhile.
//! (The seed's shortcut, `signal(SIGCHLD, SIG_IGN)`, has the kernel reap them instead.)
//!
//! ```text
//! cargo run --example ladder_02_fork [-- ADDR]    # default 127.0.0.1:8080
//! ```

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};

#[cfg(any(target_os = "linux", target_os = "android"))]
use libc::__errno_location as errno;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
use libc::__error as errno;

fn main() {
    if let Err(e) = run() {
        eprintln!("ladder_02_fork: {e}");
        std::process::exit(1);
    }
}

fn run() -> io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or("127.0.0.1:8080".into());
    ignore_sigpipe();
    reap_children_on_sigchld()?;
    let listener = TcpListener::bind(&addr)?;
    println!("listening on {}", listener.local_addr()?);
    io::stdout().flush()?;
    // Allocated once, before any fork: each child works in its own copy of it.
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let (stream, peer) = match listener.accept() {
            Ok(conn) => conn,
            Err(e) => {
                eprintln!("accept failed: {e}");
                continue;
            }
        };
        // SAFETY: after `fork` only async-signal-safe calls are sound in the child of a
        // multi-threaded program, because another thread may have held a lock (malloc's,
        // stdout's) at the moment of the fork. This program has exactly one thread, so no
        // lock can be held by anyone else, and the child may use std freely.
        match unsafe { libc::fork() } {
            -1 => eprintln!(
                "fork failed: {}; dropping {peer}",
                io::Error::last_os_error()
            ),
            0 => child(listener, stream, &mut buf),
            // The parent: the child has its own copy of the connection. Close ours, or we
            // leak a descriptor per client, and the socket outlives the child (a child that
            // merely closed it, without `shutdown`, would then never send the client FIN).
            _child_pid => drop(stream),
        }
    }
}

/// The child: serves one client, then exits without returning into the accept loop.
fn child(listener: TcpListener, stream: TcpStream, buf: &mut [u8]) -> ! {
    drop(listener); // the child never accepts; don't keep the port open on its behalf
    let code = match serve(stream, buf) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("client: {e}");
            1
        }
    };
    // `_exit`, not `exit` or a return from `main`: nothing of the parent's (atexit
    // handlers, buffered output copied by the fork) may run or be flushed twice.
    // SAFETY: `_exit` ends this process at once; no Rust state is observed afterwards.
    unsafe { libc::_exit(code) }
}

/// Rung 1's message loop: read, uppercase, write back, until the client's EOF.
fn serve(mut stream: TcpStream, buf: &mut [u8]) -> io::Result<()> {
    loop {
        let n = match stream.read(buf) {
            Ok(0) => break, // EOF: the client shut down its write half
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        buf[..n].make_ascii_uppercase();
        stream.write_all(&buf[..n])?; // loops over partial writes
    }
    stream.shutdown(Shutdown::Write) // FIN after the last byte
}

/// SIGCHLD handler: collects every child that has exited, so none stays a zombie.
extern "C" fn reap(_signal: libc::c_int) {
    // SAFETY: `waitpid` is async-signal-safe and the errno pointer is this thread's own;
    // errno is saved and restored so the interrupted code never sees it change.
    unsafe {
        let saved = *errno();
        while libc::waitpid(-1, std::ptr::null_mut(), libc::WNOHANG) > 0 {}
        *errno() = saved;
    }
}

fn reap_children_on_sigchld() -> io::Result<()> {
    // SAFETY: `sa` is fully initialised (zeroed, then set) before `sigaction` reads it, and
    // `reap` only makes async-signal-safe calls. SA_RESTART restarts an interrupted
    // `accept` or `read` instead of failing it; SA_NOCLDSTOP skips stopped children.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = reap as extern "C" fn(libc::c_int) as libc::sighandler_t;
        sa.sa_flags = libc::SA_RESTART | libc::SA_NOCLDSTOP;
        libc::sigemptyset(&mut sa.sa_mask);
        if libc::sigaction(libc::SIGCHLD, &sa, std::ptr::null_mut()) != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// SIGPIPE would kill a process writing to a reset connection; ignored, the write fails
/// with EPIPE instead. (Rust already does this before `main`; a C server must.)
fn ignore_sigpipe() {
    // SAFETY: installs the SIG_IGN disposition; no handler code runs, nothing is shared.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
}
