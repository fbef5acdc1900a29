//! Ladder rung 3: a thread per connection.
//!
//! Mirrors `/work/shared/seeds/000_2cf84844f173c2a4.txt`, "五. 使用阻塞IO实现并发",
//! "方案二: 阻塞IO+多线程" (and "基于threading的多线程网络并发" in
//! `/work/shared/seeds/002_6f00e0160d5b1c4f.txt`). Uses only `std`, not corio.
//!
//! What it fixes from rung 2: a thread is much cheaper than a process to create and to
//! switch to (no page tables to copy, no PID to reap), and threads share memory, so
//! clients could share state without IPC. Nothing needs reaping: a finished thread's
//! resources go back when its `JoinHandle` is dropped (the thread is detached).
//!
//! What it costs: one OS thread per connected client, each with its own stack (2 MiB of
//! address space by default in Rust, touched lazily) and kernel task; `clone` per
//! connection plus rung 1's `recv`/`send` per chunk; zero CPU while idle. Thousands of
//! clients mean thousands of threads, and shared state now needs locks (`Mutex`, `Arc`).
//!
//! Unlike CPython (the seed's note on the GIL), Rust has no global interpreter lock:
//! these threads really run in parallel on every core, and the compiler's `Send`/`Sync`
//! checks stand in for the GIL's protection of shared data.
//!
//! ```text
//! cargo run --example ladder_03_threads [-- ADDR]    # default 127.0.0.1:8080
//! ```

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::thread;

fn main() {
    if let Err(e) = run() {
        eprintln!("ladder_03_threads: {e}");
        std::process::exit(1);
    }
}

fn run() -> io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or("127.0.0.1:8080".into());
    let listener = TcpListener::bind(&addr)?;
    println!("listening on {}", listener.local_addr()?);
    io::stdout().flush()?;
    loop {
        let (stream, peer) = match listener.accept() {
            Ok(conn) => conn,
            Err(e) => {
                eprintln!("accept failed: {e}");
                continue;
            }
        };
        // `Builder::spawn` reports failure (too many threads) instead of panicking as
        // `thread::spawn` would; the connection is then dropped, the server goes on.
        let spawned = thread::Builder::new()
            .name(format!("client {peer}"))
            .spawn(move || {
                if let Err(e) = serve(stream) {
                    eprintln!("client {peer}: {e}");
                }
            });
        if let Err(e) = spawned {
            eprintln!("spawning a thread for {peer} failed: {e}");
        }
    }
}

/// Rung 1's message loop: read, uppercase, write back, until the client's EOF.
/// (SIGPIPE needs no handling: Rust ignores it before `main`, and std sends with
/// MSG_NOSIGNAL on Linux, so a reset peer makes `write_all` fail with an error.)
fn serve(mut stream: TcpStream) -> io::Result<()> {
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = match stream.read(&mut buf) {
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
