//! The tutorials' HTTP server, on corio: static files over HTTP/1.1.
//!
//! `../shared/seeds/002_6f00e0160d5b1c4f.txt`, section "HTTPServer v2.0" (day12/
//! http_server.py), lists what the server does: receive a browser's request, parse it,
//! find the content it asks for, and send it back as an HTTP response; and what v2.0
//! adds: I/O concurrency so that many clients are served at once, and real request
//! parsing. Here each connection is a task, so clients overlap; the disk work, which
//! would block the event loop, goes to `corio::task::spawn_blocking` (the same tutorial's
//! 进程池 advice: hand blocking work to a pool).
//!
//! ```text
//! cargo run --example http [-- ADDR] [--root DIR] [--idle-timeout SECS]
//!     # defaults: 127.0.0.1:8080, the current directory, 30 s
//! curl -i http://127.0.0.1:8080/README.md
//! ```
//!
//! GET and HEAD of files under DIR (a directory means its `index.html`), keep-alive and
//! pipelining, Content-Type from the extension, single byte ranges (206, 416),
//! `ETag`/`Last-Modified` with `If-None-Match`/`If-Modified-Since` (304), 400/404/405/408/413/414/431/501/505 for
//! what it will not serve. No path outside DIR is ever served: see `files.rs`.
//!
//! - `request.rs`: the parser (pure: bytes in, a request head or an error out).
//! - `response.rs`: statuses, what to answer (`response::route`), the response head.
//! - `files.rs`: target to path (percent-decoding, refusing `..`), the root check, media types.
//! - `request.rs` also holds `input.rs` (the connection's input buffer) and
//!   `conditions.rs` (`Range`, `If-None-Match`, `If-Modified-Since`, `If-Range`).
//! - `cache.rs`: the open-file cache (descriptor, identity, fixed head lines, small bodies),
//!   revalidated by a `stat` at most once a second per file.
//! - `reply.rs`: 200, 206, 304 or 416 for a cached file, and its head.
//! - `disk.rs`: a cache miss, on the blocking pool: the checked open, the entry built.
//! - `sendfile.rs`: bodies by `sendfile(2)` on Linux, resumed when the socket drains.
//! - `conn.rs`: one connection's I/O on corio.

mod cache;
// `serve_stream` is for `examples/https.rs`, which includes this file too.
#[allow(dead_code)]
mod conn;
mod disk;
mod files;
mod reply;
// `parse`, `head` and `Status::Ok` are for the tests, which include these files too.
#[allow(dead_code)]
mod request;
#[allow(dead_code)]
mod response;
mod sendfile;

use std::io::{self, Write};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use corio::net::TcpListener;

fn main() {
    if let Err(e) = run() {
        eprintln!("http: {e}");
        std::process::exit(1);
    }
}

/// Parses the arguments, canonicalizes the root, and serves until killed.
fn run() -> io::Result<()> {
    let args = parse_args()?;
    let root = files::canonical_root(&args.root)
        .map_err(|e| io::Error::new(e.kind(), format!("--root {}: {e}", args.root.display())))?;
    cache::configure(args.cache);
    let config = Rc::new(conn::Config {
        root: Arc::new(root),
        idle: args.idle,
    });
    // The OS backend comes from CORIO_BACKEND (epoll, poll, kqueue) or the OS default.
    let runtime = corio::Runtime::new()?;
    runtime.block_on(async {
        let listener = TcpListener::bind(&args.addr).await?;
        // Tests and the bench read this line to learn the port; a closed stdout later is
        // no reason to die, so errors are ignored rather than panicking like println!.
        let mut stdout = io::stdout().lock();
        let _ = writeln!(stdout, "listening on {}", listener.local_addr()?)
            .and_then(|()| stdout.flush());
        drop(stdout);
        loop {
            match listener.accept().await {
                Ok((stream, _peer)) => {
                    let config = Rc::clone(&config);
                    corio::spawn(async move {
                        if let Err(e) = conn::serve(stream, &config).await {
                            eprintln!("client error: {e}");
                        }
                    });
                }
                // Out of descriptors, say: report it and go on; the listener pauses
                // before its next attempt, so this loop never spins.
                Err(e) => eprintln!("accept failed: {e}"),
            }
        }
    })
}

/// The command line.
struct Args {
    addr: String,
    root: PathBuf,
    idle: Duration,
    cache: cache::Settings,
}

/// `[ADDR] [--root DIR] [--idle-timeout SECS]`, in any order. Three more, for tests and
/// measurements: `--revalidate-ms MS` (how stale a cached file may be served),
/// `--cache-entries N` (the cache's capacity) and `--small-body BYTES` (the largest file
/// whose bytes the cache keeps; 0 sends every body by `sendfile`).
fn parse_args() -> io::Result<Args> {
    let usage = |why: String| io::Error::new(io::ErrorKind::InvalidInput, why);
    let mut parsed = Args {
        addr: "127.0.0.1:8080".into(),
        root: PathBuf::from("."),
        idle: Duration::from_secs(30),
        cache: cache::Settings::default(),
    };
    let mut args = std::env::args_os().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--root" {
            let dir = args
                .next()
                .ok_or_else(|| usage("--root needs DIR".into()))?;
            parsed.root = PathBuf::from(dir);
        } else if arg == "--idle-timeout" {
            let secs = args
                .next()
                .ok_or_else(|| usage("--idle-timeout needs SECS".into()))?;
            let secs = secs.to_string_lossy();
            let secs: f64 = secs
                .parse()
                .map_err(|_| usage(format!("bad SECS {secs:?}")))?;
            parsed.idle =
                Duration::try_from_secs_f64(secs).map_err(|e| usage(format!("SECS: {e}")))?;
        } else if arg == "--revalidate-ms" {
            let ms = number(args.next(), "--revalidate-ms")?;
            parsed.cache.revalidate = Duration::from_millis(ms);
        } else if arg == "--cache-entries" {
            let n = number(args.next(), "--cache-entries")?;
            parsed.cache.capacity = usize::try_from(n).unwrap_or(usize::MAX);
        } else if arg == "--small-body" {
            parsed.cache.small_body = number(args.next(), "--small-body")?;
        } else {
            parsed.addr = arg
                .into_string()
                .map_err(|a| usage(format!("bad address {a:?}")))?;
        }
    }
    Ok(parsed)
}

/// The whole number after `flag`.
fn number(value: Option<std::ffi::OsString>, flag: &str) -> io::Result<u64> {
    let bad = || {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{flag} needs a number"),
        )
    };
    value
        .and_then(|v| v.to_str().and_then(|v| v.parse().ok()))
        .ok_or_else(bad)
}
