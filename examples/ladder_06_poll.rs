//! Ladder rung 6: the uppercase echo server on `poll(2)`, std and libc only (no corio).
//!
//! Mirrors the "多路复用" section of `001_ac775e21223f34ef.txt` ("poll ---->和select一样，
//! 但没有最大描述符限制") and the "poll方法" section of `002_6f00e0160d5b1c4f.txt`.
//!
//! **What it fixes.** select's `fd_set` is a fixed array of 1024 bits, so rung 5 had to
//! refuse any client whose descriptor number reached 1024. poll takes an array of
//! `pollfd { fd, events, revents }` records instead, as long as we like: any descriptor
//! number works, and the only limit left is `RLIMIT_NOFILE`. Asking for "readable" and
//! "writable" is a bit mask per record, and the answer comes back in a separate field, so
//! the request no longer has to be rebuilt because the kernel overwrote it.
//!
//! **What it costs.** Everything else select cost. Each call still copies the whole array
//! into the kernel, which checks every socket and copies it back, and we still walk the
//! whole array to find the few records with `revents` set: O(connections) per wake-up.
//! With ten thousand idle clients and one busy one, every byte from the busy one pays for
//! the ten thousand. (We rebuild the array each turn for clarity; keeping it in step with
//! the connection list saves the rebuild but not the copying and scanning.)
//!
//! Per request (a read and its echo) it makes about three syscalls: `poll`, `read`, `send`.
//!
//! ```text
//! cargo run --example ladder_06_poll [-- ADDR]   # default 127.0.0.1:8080
//! ```

use std::io::{self, ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;

/// How much one `read` takes at most.
const BUF: usize = 16 * 1024;

fn main() {
    if let Err(e) = run() {
        eprintln!("ladder_06_poll: {e}");
        std::process::exit(1);
    }
}

fn run() -> io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    let listener = TcpListener::bind(&addr)?;
    listener.set_nonblocking(true)?;
    println!("listening on {}", listener.local_addr()?);
    io::stdout().flush()?;

    let mut conns: Vec<Conn> = Vec::new();
    let mut fds: Vec<libc::pollfd> = Vec::new();
    let mut buf = vec![0u8; BUF];
    loop {
        // 1. One record per socket: the listener first, then conns[i] at fds[i + 1].
        fds.clear();
        fds.push(pollfd(listener.as_raw_fd(), libc::POLLIN));
        for c in &conns {
            let events = if c.wants_write() {
                libc::POLLOUT
            } else {
                libc::POLLIN
            };
            fds.push(pollfd(c.stream.as_raw_fd(), events));
        }

        // 2. Sleep until some record has news (timeout -1: an idle server sleeps).
        // SAFETY: `fds` is a live, initialized array of exactly `fds.len()` pollfds.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, -1) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }

        // 3. Walk every record for the few with `revents` set. POLLERR and POLLHUP come
        // whether asked for or not; the read or write we then try reports what happened.
        let mut revents = fds[1..].iter().map(|p| p.revents);
        conns.retain_mut(|c| {
            if revents.next().unwrap_or(0) == 0 {
                return true;
            }
            let step = if c.wants_write() {
                c.flush()
            } else {
                c.read_once(&mut buf).and_then(|_| c.flush())
            };
            match step {
                Ok(()) => !c.finished(), // dropping a finished one closes it: FIN
                Err(e) => {
                    eprintln!("client error: {e}");
                    false
                }
            }
        });
        if fds[0].revents != 0 {
            accept_all(&listener, &mut conns);
        }
    }
}

fn pollfd(fd: i32, events: libc::c_short) -> libc::pollfd {
    libc::pollfd {
        fd,
        events,
        revents: 0,
    }
}

/// Accepts every waiting client: any descriptor number will do.
fn accept_all(listener: &TcpListener, conns: &mut Vec<Conn>) {
    loop {
        match listener.accept() {
            Ok((stream, _peer)) => match stream.set_nonblocking(true) {
                Ok(()) => conns.push(Conn::new(stream)),
                Err(e) => eprintln!("client error: {e}"),
            },
            Err(e) if e.kind() == ErrorKind::WouldBlock => return,
            // Out of descriptors, say. Level-triggered: poll reports the listener again at
            // once, so this retries (and spins) until a descriptor frees up.
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
    fn new(stream: TcpStream) -> Conn {
        Conn {
            stream,
            out: Vec::new(),
            sent: 0,
            eof: false,
        }
    }

    fn wants_write(&self) -> bool {
        self.sent < self.out.len()
    }

    /// The client half-closed and got every byte back: time to close our side.
    fn finished(&self) -> bool {
        self.eof && !self.wants_write()
    }

    /// One `read`; its bytes, uppercased, become the pending output. Called only when
    /// nothing is pending, so a client that never reads stalls itself, not our memory.
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
