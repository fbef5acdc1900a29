//! Ladder rung 5: the uppercase echo server on `select(2)`, std and libc only (no corio).
//!
//! Mirrors `000_2cf84844f173c2a4.txt` §六 "方案二. 非阻塞IO+ Select代理轮询" and the
//! "多路复用" section of `001_ac775e21223f34ef.txt` ("select--->效率最低，但有最大描述符限制，
//! 在linux为1024").
//!
//! **What it fixes.** The rung below polled every non-blocking socket in a loop, burning a
//! core while nothing happened. Here the kernel does the watching: one `select` call sleeps
//! until some socket is readable or writable, so an idle server uses no CPU at all.
//!
//! **What it costs.** Every turn of the loop rebuilds two bit sets from scratch (the kernel
//! overwrites them), passes them in, the kernel scans descriptors `0..=max_fd`, and we scan
//! every connection again to find the ready ones: O(connections) work per wake-up, even if
//! one socket is busy. Worse, an `fd_set` is a fixed array of `FD_SETSIZE` (1024) bits. A
//! descriptor numbered 1024 or more does not fit: in C, `FD_SET` on it writes past the end
//! of the array (undefined behaviour); the `libc` crate panics instead. So this server checks
//! every accepted descriptor and *refuses* a client whose fd does not fit: it sends one line
//! saying why and closes. Descriptor numbers, not the number of clients, are the limit.
//!
//! Per request (a read and its echo) it makes about three syscalls: `select`, `read`, `send`.
//!
//! ```text
//! cargo run --example ladder_05_select [-- ADDR]   # default 127.0.0.1:8080
//! ```

use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::fd::{AsRawFd, RawFd};

/// How much one `read` takes at most.
const BUF: usize = 16 * 1024;

fn main() {
    if let Err(e) = run() {
        eprintln!("ladder_05_select: {e}");
        std::process::exit(1);
    }
}

fn run() -> io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    let listener = TcpListener::bind(&addr)?;
    listener.set_nonblocking(true)?;
    let lfd = listener.as_raw_fd();
    if !fits(lfd) {
        return Err(io::Error::other(
            "the listener's fd does not fit in an fd_set",
        ));
    }
    println!("listening on {}", listener.local_addr()?);
    io::stdout().flush()?;

    let mut conns: Vec<Conn> = Vec::new();
    let mut buf = vec![0u8; BUF];
    loop {
        // 1. Say what we wait for. select overwrites the sets, so they are rebuilt each turn.
        let (mut want_read, mut want_write) = (FdSet::new(), FdSet::new());
        want_read.insert(lfd);
        let mut max_fd = lfd;
        for c in &conns {
            let fd = c.stream.as_raw_fd();
            if c.wants_read() {
                want_read.insert(fd);
            }
            if c.wants_write() {
                want_write.insert(fd);
            }
            max_fd = max_fd.max(fd);
        }

        // 2. Sleep until at least one descriptor is ready (no timeout: an idle server sleeps).
        // SAFETY: both sets are live fd_sets we own; nfds covers every fd we put in them;
        // null except-set and timeout pointers are allowed (no set, wait forever).
        let n = unsafe {
            libc::select(
                max_fd + 1,
                &mut want_read.0,
                &mut want_write.0,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
            )
        };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }

        // 3. select said how many are ready, not which: test every connection's bit.
        conns.retain_mut(|c| {
            let fd = c.stream.as_raw_fd();
            let step = if want_write.contains(fd) {
                c.flush()
            } else if want_read.contains(fd) {
                c.read_once(&mut buf).and_then(|_| c.flush())
            } else {
                Ok(())
            };
            match step {
                Ok(()) => !c.finished(), // dropping a finished one closes it: FIN
                Err(e) => {
                    eprintln!("client error: {e}");
                    false
                }
            }
        });
        if want_read.contains(lfd) {
            accept_all(&listener, &mut conns);
        }
    }
}

/// Accepts every waiting client; refuses those whose descriptor will not fit an `fd_set`.
fn accept_all(listener: &TcpListener, conns: &mut Vec<Conn>) {
    loop {
        match listener.accept() {
            Ok((stream, _peer)) if !fits(stream.as_raw_fd()) => refuse(stream),
            Ok((stream, _peer)) => match stream.set_nonblocking(true) {
                Ok(()) => conns.push(Conn::new(stream)),
                Err(e) => eprintln!("client error: {e}"),
            },
            Err(e) if e.kind() == ErrorKind::WouldBlock => return,
            // Out of descriptors, say. Level-triggered: select will report the listener
            // again at once, so this retries (and spins) until a descriptor frees up.
            Err(e) => return eprintln!("accept failed: {e}"),
        }
    }
}

/// Tells a client select cannot watch why it is turned away, and closes (FIN, not RST).
fn refuse(mut stream: TcpStream) {
    let line = format!(
        "refused: fd {} >= FD_SETSIZE ({}), select(2) cannot watch it\n",
        stream.as_raw_fd(),
        libc::FD_SETSIZE
    );
    // A fresh socket's send buffer is empty, so this short line goes out at once; if the
    // client is already gone there is nothing more to do, so errors are ignored.
    let _ = stream.set_nonblocking(true);
    let _ = stream.write_all(line.as_bytes());
    let _ = stream.shutdown(Shutdown::Write);
}

/// Whether `fd` has a bit in an `fd_set`. Setting a bit for one that does not is UB in C.
fn fits(fd: RawFd) -> bool {
    (fd as usize) < libc::FD_SETSIZE
}

/// A `select(2)` descriptor set: a fixed array of `FD_SETSIZE` bits.
struct FdSet(libc::fd_set);

impl FdSet {
    fn new() -> FdSet {
        // SAFETY: fd_set is a plain array of integers; all zeroes is the empty set, which
        // is exactly what FD_ZERO would write.
        FdSet(unsafe { std::mem::zeroed() })
    }

    fn insert(&mut self, fd: RawFd) {
        assert!(fits(fd), "fd {fd} does not fit in an fd_set");
        // SAFETY: fd is in 0..FD_SETSIZE (checked above), so FD_SET stays inside the array.
        unsafe { libc::FD_SET(fd, &mut self.0) }
    }

    fn contains(&self, fd: RawFd) -> bool {
        // SAFETY: only descriptors that fit are ever tested (refused ones never get here).
        fits(fd) && unsafe { libc::FD_ISSET(fd, &self.0) }
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
    fn new(stream: TcpStream) -> Conn {
        Conn {
            stream,
            out: Vec::new(),
            sent: 0,
            eof: false,
        }
    }

    /// Read only when the last reply is fully sent: a client that sends but never reads
    /// fills its own buffers and stalls itself, without growing ours.
    fn wants_read(&self) -> bool {
        !self.eof && !self.wants_write()
    }

    fn wants_write(&self) -> bool {
        self.sent < self.out.len()
    }

    /// The client half-closed and got every byte back: time to close our side.
    fn finished(&self) -> bool {
        self.eof && !self.wants_write()
    }

    /// One `read`; its bytes, uppercased, become the pending output.
    fn read_once(&mut self, buf: &mut [u8]) -> io::Result<()> {
        match self.stream.read(buf) {
            Ok(0) => self.eof = true,
            Ok(n) => {
                self.out.clear();
                self.out.extend(buf[..n].iter().map(u8::to_ascii_uppercase));
                self.sent = 0;
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted) => {}
            Err(e) => return Err(e),
        }
        Ok(())
    }

    /// Sends what the kernel will take now; a partial write leaves the rest pending.
    /// (std's `write` on a socket is `send(2)` with `MSG_NOSIGNAL`: a reset peer gives
    /// `EPIPE`, never `SIGPIPE`.)
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
