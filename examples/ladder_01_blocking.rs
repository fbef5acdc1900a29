//! Ladder rung 1: one thread, blocking `accept` and `recv`. Clients are served one at a
//! time.
//!
//! Mirrors `/work/shared/seeds/000_2cf84844f173c2a4.txt`, section "四、一个简单的C/S程序"
//! (单线程+阻塞IO+循环串行): a connection loop around a message loop. Like every rung up
//! to 9 it uses only `std` and `libc`, not corio, so the waiting a runtime later hides is
//! in plain sight.
//!
//! What it costs: one `recv` and one or more `send`s per chunk, no extra threads or
//! processes, and no CPU while idle (the thread sleeps in the kernel). But while one client
//! is connected, every other client waits in the listen backlog: they can connect, and
//! their bytes are buffered by the kernel, yet nothing answers them until the first client
//! leaves. Rungs 2 and 3 fix that with more processes or threads.
//!
//! ```text
//! cargo run --example ladder_01_blocking [-- ADDR]    # default 127.0.0.1:8080
//! ```
//!
//! Protocol (same as `examples/echo.rs`): every byte comes back ASCII-uppercased; after the
//! client shuts down its write half, the server sends what is left and closes.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};

fn main() {
    if let Err(e) = run() {
        eprintln!("ladder_01_blocking: {e}");
        std::process::exit(1);
    }
}

fn run() -> io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or("127.0.0.1:8080".into());
    ignore_sigpipe();
    let listener = TcpListener::bind(&addr)?;
    println!("listening on {}", listener.local_addr()?);
    io::stdout().flush()?;
    loop {
        // The connection loop: blocks until a client arrives.
        match listener.accept() {
            // The message loop: blocks in `read` until this client sends or leaves.
            // Nobody else is served until it returns.
            Ok((stream, peer)) => {
                if let Err(e) = serve(stream) {
                    eprintln!("client {peer}: {e}");
                }
            }
            // Out of descriptors, say: report it and try again.
            Err(e) => eprintln!("accept failed: {e}"),
        }
    }
}

/// Reads, uppercases and writes back until the client shuts down its write half.
fn serve(mut stream: TcpStream) -> io::Result<()> {
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = match stream.read(&mut buf) {
            Ok(0) => break, // EOF: the client shut down its write half
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e), // e.g. ECONNRESET: drop this client, keep serving
        };
        buf[..n].make_ascii_uppercase();
        // `write_all` loops over partial writes (a full send buffer blocks us here).
        stream.write_all(&buf[..n])?;
    }
    stream.shutdown(Shutdown::Write) // FIN after the last byte; drop closes the socket
}

/// A write to a connection the peer has reset raises SIGPIPE, whose default action kills
/// the whole server. Ignored, the write fails with EPIPE instead, which `serve` reports.
/// (Rust's runtime already ignores SIGPIPE before `main`, as CPython's does, and std sends
/// with MSG_NOSIGNAL on Linux; a C server must do it itself, so the ladder says it aloud.)
fn ignore_sigpipe() {
    // SAFETY: installs the SIG_IGN disposition; no handler code runs, nothing is shared.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
}
