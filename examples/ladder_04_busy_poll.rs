//! Ladder rung 4: non-blocking sockets, and one thread that tries every socket over and
//! over without ever sleeping.
//!
//! Mirrors `/work/shared/seeds/000_2cf84844f173c2a4.txt`, "六. 使用非阻塞IO实现并发",
//! "方案一：非阻塞IO+Try+轮询": `setblocking(False)`, then `accept`, `recv` and `send`
//! tried in turn, with `BlockingIOError` (here `ErrorKind::WouldBlock`) meaning "not
//! now, try the next one". Uses only `std`, not corio.
//!
//! What it fixes from rungs 2 and 3: many clients at once on one thread, with no process
//! or thread per client; the state of each connection is a small struct ([`Conn`]) the
//! program owns, not a stack parked in the kernel. Because a write can now take only part
//! of the reply, each connection keeps its unsent bytes (`pending`) for the next pass.
//! A connection is read only while `pending` is empty, so a client that never reads its
//! replies stops being read instead of growing our memory without bound.
//!
//! What it costs: the loop never waits, so it burns a whole core even when no client sends
//! anything; every pass makes one `accept` plus one `recv` per connection, almost all of
//! them failing with EAGAIN, so the syscalls per useful request grow with the number of
//! connections and with the time nothing happens. The seed's next step (方案二, `select`)
//! hands the waiting to the kernel: rung 5.
//!
//! ```text
//! cargo run --example ladder_04_busy_poll [-- ADDR]    # default 127.0.0.1:8080
//! ```

use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};

fn main() {
    if let Err(e) = run() {
        eprintln!("ladder_04_busy_poll: {e}");
        std::process::exit(1);
    }
}

fn run() -> io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or("127.0.0.1:8080".into());
    let listener = TcpListener::bind(&addr)?;
    listener.set_nonblocking(true)?; // accept returns WouldBlock instead of waiting
    println!("listening on {}", listener.local_addr()?);
    io::stdout().flush()?;

    let mut conns: Vec<Conn> = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        // Try to accept one client.
        match listener.accept() {
            Ok((stream, peer)) => match stream.set_nonblocking(true) {
                Ok(()) => conns.push(Conn::new(stream)),
                Err(e) => eprintln!("client {peer}: {e}"),
            },
            Err(e) if e.kind() == ErrorKind::WouldBlock => {} // nobody waiting: go on
            // Out of descriptors, say: reported, and retried on the very next pass.
            Err(e) => eprintln!("accept failed: {e}"),
        }
        // Try every connection once; keep those that are not finished.
        conns.retain_mut(|conn| match conn.try_progress(&mut buf) {
            Ok(open) => open,
            Err(e) => {
                eprintln!("client: {e}"); // a reset, say: drop this one, serve the rest
                false
            }
        });
        // No sleep, no wait: straight back to the top. This is the lesson.
    }
}

/// One client: its socket, and the uppercased bytes it has not yet taken.
struct Conn {
    stream: TcpStream,
    pending: Vec<u8>,
    /// The client has shut down its write half: flush `pending`, then close.
    eof: bool,
}

impl Conn {
    fn new(stream: TcpStream) -> Conn {
        Conn {
            stream,
            pending: Vec::new(),
            eof: false,
        }
    }

    /// Does whatever can be done right now without blocking. Returns `Ok(false)` once the
    /// connection is finished (all sent, FIN sent), `Err` if the client broke it.
    fn try_progress(&mut self, buf: &mut [u8]) -> io::Result<bool> {
        if self.pending.is_empty() && !self.eof {
            match self.stream.read(buf) {
                Ok(0) => self.eof = true,
                Ok(n) => {
                    buf[..n].make_ascii_uppercase();
                    self.pending.extend_from_slice(&buf[..n]);
                }
                Err(e) if retry_later(&e) => {}
                Err(e) => return Err(e), // ECONNRESET and friends
            }
        }
        while !self.pending.is_empty() {
            // May take only part (a partial write); the rest waits for a later pass.
            // std sends with MSG_NOSIGNAL on Linux (and Rust ignores SIGPIPE anyway), so a
            // reset client makes this fail with an error rather than kill the server.
            match self.stream.write(&self.pending) {
                Ok(n) => drop(self.pending.drain(..n)),
                Err(e) if retry_later(&e) => break,
                Err(e) => return Err(e),
            }
        }
        if self.eof && self.pending.is_empty() {
            self.stream.shutdown(Shutdown::Write)?; // FIN after the last byte
            return Ok(false); // dropping the Conn closes the socket
        }
        Ok(true)
    }
}

/// The non-blocking "not now" answers: nothing to read yet, no room to write, or a signal.
fn retry_later(e: &io::Error) -> bool {
    matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted)
}
