//! The uppercase echo server from the tutorials, on corio.
//!
//! Every byte a client sends comes back in ASCII uppercase (other bytes unchanged). When
//! the client shuts down its write half, the server finishes sending and closes.
//!
//! ```text
//! cargo run --example echo [-- ADDR] [--idle-timeout SECS]   # default 127.0.0.1:8080
//! nc 127.0.0.1 8080                                          # or: cargo run --example client
//! ```
//!
//! With `--idle-timeout SECS`, a client that makes no progress for that long (sends
//! nothing, or reads nothing while a reply waits) is disconnected, so trickling clients
//! cannot hold connections forever.

use std::future::Future;
use std::io;
use std::time::Duration;

use corio::io::{AsyncReadExt, AsyncWriteExt};
use corio::net::{TcpListener, TcpStream};
use corio::time::timeout;

fn main() {
    if let Err(e) = run() {
        eprintln!("echo: {e}");
        std::process::exit(1);
    }
}

fn run() -> io::Result<()> {
    let (addr, idle) = parse_args()?;
    // The OS backend comes from CORIO_BACKEND (epoll, poll, kqueue) or the OS default.
    let runtime = corio::Runtime::new()?;
    runtime.block_on(async {
        let listener = TcpListener::bind(&addr)?;
        println!("listening on {}", listener.local_addr()?);
        loop {
            match listener.accept().await {
                Ok((stream, _peer)) => {
                    corio::spawn(async move {
                        if let Err(e) = serve(stream, idle).await {
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

/// One client: read, uppercase, write back, until the client stops sending. (`pub` so
/// tests can compare it with the hand-written state machine of ladder rung 11.)
pub async fn serve(mut stream: TcpStream, idle: Option<Duration>) -> io::Result<()> {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = within(idle, stream.read(&mut buf)).await?;
        if n == 0 {
            break; // the client shut down its write half
        }
        buf[..n].make_ascii_uppercase();
        within(idle, stream.write_all(&buf[..n])).await?;
    }
    stream.close().await // send FIN after the last byte
}

/// Awaits `op`, failing with `TimedOut` if `idle` passes first (never, without the flag).
async fn within<T>(
    idle: Option<Duration>,
    op: impl Future<Output = io::Result<T>>,
) -> io::Result<T> {
    match idle {
        Some(limit) => timeout(limit, op)
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "idle timeout, disconnected"))?,
        None => op.await,
    }
}

/// `[ADDR] [--idle-timeout SECS]`; without the flag the idle timeout is off.
fn parse_args() -> io::Result<(String, Option<Duration>)> {
    let usage = |why: String| io::Error::new(io::ErrorKind::InvalidInput, why);
    let (mut addr, mut idle) = ("127.0.0.1:8080".to_string(), None);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--idle-timeout" {
            let secs = args
                .next()
                .ok_or_else(|| usage("--idle-timeout needs SECS".into()))?;
            let secs: f64 = secs
                .parse()
                .map_err(|_| usage(format!("bad SECS {secs:?}")))?;
            let secs =
                Duration::try_from_secs_f64(secs).map_err(|e| usage(format!("SECS: {e}")))?;
            idle = Some(secs);
        } else {
            addr = arg;
        }
    }
    Ok((addr, idle))
}
