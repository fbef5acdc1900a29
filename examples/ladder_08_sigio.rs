//! Ladder rung 8: the uppercase echo server on signal-driven I/O (`SIGIO`), std and libc
//! only (no corio).
//!
//! Mirrors the "信号驱动式" section of `001_ac775e21223f34ef.txt` (signal-driven I/O: "让内核
//! 在描述符就绪时发送SIGIO信号通知应用程序"), and its "触发" note that "信号驱动式IO就属于边缘
//! 触发" (signal-driven I/O is edge-triggered).
//!
//! **What it fixes.** Rungs 5 to 7 all *block in a wait call* (select, poll, epoll_wait)
//! until something is ready. Here nothing is parked in such a call: "这种模型的优势在于等待
//! 数据报到达期间进程不被阻塞" (the process is not blocked while data is on its way). It asks
//! to be *told*: `fcntl(F_SETOWN, getpid())` names us as the owner of each socket and
//! `O_ASYNC` makes the kernel send us `SIGIO` whenever one changes state (data, a new
//! connection, buffer space after `EAGAIN`, FIN, RST). No interest list exists at all.
//! Signal handlers may run between any two instructions and may call almost nothing, so
//! the handler only records that the signal came (an `AtomicBool`); the main loop does all
//! the I/O. This server has nothing else to do, so it sleeps in `sigsuspend`; a program
//! with other work would do it and check the flag between tasks.
//!
//! **Not losing a signal.** The main loop keeps `SIGIO` *blocked* while it works, so a
//! signal that arrives mid-scan stays pending instead of firing into a window between
//! "nothing left to do" and "go to sleep". `sigsuspend` then unblocks it and sleeps in one
//! atomic step: a pending signal is delivered at once and the loop scans again.
//!
//! **What it costs.** A plain `SIGIO` says *that* something happened, not *where*, and
//! several coalesce into one. So every signal makes us scan every connection, and, the
//! signal being edge-like, drain each one: read until `EAGAIN`, write until `EAGAIN`. That
//! is O(connections) syscalls per wake-up, at least one `read` returning `EAGAIN` per idle
//! client: worse than select (six syscalls per request with one client; a thousand more
//! with a thousand idle ones). (Linux's `F_SETSIG` with a queued real-time signal does carry
//! the fd in `siginfo`, but that queue can overflow, and then you are back to a full scan.)
//! Signals also do not compose: one handler per process, process-wide state, and any
//! library that wants `SIGIO` too collides with us. This is why nobody builds servers this
//! way; the rung is here to show the model.
//!
//! ```text
//! cargo run --example ladder_08_sigio [-- ADDR]   # default 127.0.0.1:8080
//! ```

use std::io::{self, ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::{AsRawFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};

/// How much one `read` takes at most.
const BUF: usize = 16 * 1024;

/// Set by the handler, cleared by the main loop: "some socket changed state".
static GOT_SIGIO: AtomicBool = AtomicBool::new(false);

/// The whole signal handler. An atomic store is async-signal-safe; I/O here would not be.
extern "C" fn on_sigio(_signal: libc::c_int) {
    GOT_SIGIO.store(true, Ordering::SeqCst);
}

fn main() {
    if let Err(e) = run() {
        eprintln!("ladder_08_sigio: {e}");
        std::process::exit(1);
    }
}

fn run() -> io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    let sleep_mask = install_handler()?;
    let listener = TcpListener::bind(&addr)?;
    listener.set_nonblocking(true)?;
    signal_me(listener.as_raw_fd())?; // a new connection is a SIGIO too
    println!("listening on {}", listener.local_addr()?);
    io::stdout().flush()?;

    let mut conns: Vec<Conn> = Vec::new();
    let mut buf = vec![0u8; BUF];
    loop {
        // Scan everything: the signal did not say which socket, so each one is drained.
        accept_all(&listener, &mut conns);
        conns.retain_mut(|c| match c.drain(&mut buf) {
            Ok(()) => !c.finished(), // dropping a finished one closes it: FIN
            Err(e) => {
                eprintln!("client error: {e}");
                false
            }
        });
        // Sleep until the handler has recorded a SIGIO. sigsuspend swaps in a mask without
        // SIGIO and waits, atomically, and returns (EINTR) after a handler ran.
        while !GOT_SIGIO.swap(false, Ordering::SeqCst) {
            // SAFETY: sleep_mask is a live, initialized sigset_t.
            unsafe { libc::sigsuspend(&sleep_mask) };
        }
    }
}

/// Installs the handler and blocks `SIGIO` outside `sigsuspend`; returns the mask to sleep
/// with (the old one, `SIGIO` unblocked).
fn install_handler() -> io::Result<libc::sigset_t> {
    // SAFETY: every struct is zero-initialized (a valid empty state for these C types) and
    // then filled through libc's own functions; pointers passed are to live locals. The
    // handler is an extern "C" fn that only touches an atomic.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_sigio as extern "C" fn(libc::c_int) as libc::sighandler_t;
        action.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&mut action.sa_mask);
        if libc::sigaction(libc::SIGIO, &action, std::ptr::null_mut()) != 0 {
            return Err(io::Error::last_os_error());
        }
        let (mut sigio, mut old): (libc::sigset_t, libc::sigset_t) =
            (std::mem::zeroed(), std::mem::zeroed());
        libc::sigemptyset(&mut sigio);
        libc::sigaddset(&mut sigio, libc::SIGIO);
        if libc::sigprocmask(libc::SIG_BLOCK, &sigio, &mut old) != 0 {
            return Err(io::Error::last_os_error());
        }
        libc::sigdelset(&mut old, libc::SIGIO);
        Ok(old)
    }
}

/// Asks the kernel to send this process `SIGIO` when `fd` changes state, and makes it
/// non-blocking (a signal is a hint; the call that follows must never sleep).
fn signal_me(fd: RawFd) -> io::Result<()> {
    // SAFETY: fcntl on a descriptor we own, with integer arguments only.
    unsafe {
        if libc::fcntl(fd, libc::F_SETOWN, libc::getpid()) < 0 {
            return Err(io::Error::last_os_error());
        }
        let flags = libc::fcntl(fd, libc::F_GETFL);
        if flags < 0 || libc::fcntl(fd, libc::F_SETFL, flags | libc::O_ASYNC | libc::O_NONBLOCK) < 0
        {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Accepts every waiting client. Bytes a client sent before `O_ASYNC` was on raised no
/// signal, but the scan right after this drains every connection, new ones included.
fn accept_all(listener: &TcpListener, conns: &mut Vec<Conn>) {
    loop {
        match listener.accept() {
            Ok((stream, _peer)) => match signal_me(stream.as_raw_fd()) {
                Ok(()) => conns.push(Conn {
                    stream,
                    out: Vec::new(),
                    sent: 0,
                    eof: false,
                }),
                Err(e) => eprintln!("client error: {e}"),
            },
            Err(e) if e.kind() == ErrorKind::WouldBlock => return,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            // Out of descriptors, say: retried when the next SIGIO comes.
            Err(e) => return eprintln!("accept failed: {e}"),
        }
    }
}

/// One client: the uppercased bytes we still owe it, and whether it stopped sending.
struct Conn {
    stream: TcpStream,
    out: Vec<u8>,
    sent: usize,
    eof: bool,
}

impl Conn {
    fn wants_write(&self) -> bool {
        self.sent < self.out.len()
    }

    /// Read only when the last reply is fully sent (backpressure on a client that never reads).
    fn wants_read(&self) -> bool {
        !self.eof && !self.wants_write()
    }

    fn finished(&self) -> bool {
        self.eof && !self.wants_write()
    }

    /// Works until the kernel says `EAGAIN`: SIGIO comes on a change, not while a socket
    /// stays ready, so anything left behind would wait for an unrelated signal. After
    /// `EAGAIN` the kernel does signal us (more data, or buffer space freed).
    fn drain(&mut self, buf: &mut [u8]) -> io::Result<()> {
        loop {
            self.flush()?;
            if !self.wants_read() {
                return Ok(()); // the send buffer is full, or the client is done
            }
            match self.stream.read(buf) {
                Ok(0) => self.eof = true,
                Ok(n) => {
                    self.out.clear();
                    self.out.extend(buf[..n].iter().map(u8::to_ascii_uppercase));
                    self.sent = 0;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Sends until done or `EAGAIN`; a partial write leaves the rest pending. (std's
    /// `write` on a socket is `send(2)` with `MSG_NOSIGNAL`: a reset peer gives `EPIPE`,
    /// never `SIGPIPE`.)
    fn flush(&mut self) -> io::Result<()> {
        while self.wants_write() {
            match self.stream.write(&self.out[self.sent..]) {
                Ok(n) => self.sent += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}
