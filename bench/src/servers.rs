//! The echo servers under test: the same uppercase protocol on each runtime.
//!
//! Each runs in its own process (`corio-bench serve NAME ADDR`), prints
//! `listening on ADDR`, and serves until killed. All use a 16 KiB buffer per connection.

use std::io::{self, Read, Write};
use std::net::TcpListener as StdListener;

const BUF: usize = 16 * 1024;

/// Runs server `name` on `addr`; returns only on a start-up error.
pub fn serve(name: &str, addr: &str) -> io::Result<()> {
    match name {
        "corio" => corio_server(addr),
        "corio-2w" => corio_workers_server(addr, 2),
        "tokio" => tokio_server(addr),
        "tokio-mt2" => tokio_multi_thread_server(addr, 2),
        "smol" => smol_server(addr),
        "raw-epoll" => crate::raw_epoll::serve(addr),
        "threads" => threads_server(addr),
        other => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("unknown server {other:?}"),
        )),
    }
}

/// The names `serve` accepts, in report order.
pub const SERVERS: &[&str] = &[
    "corio",
    "tokio",
    "smol",
    "raw-epoll",
    "threads",
    "corio-2w",
    "tokio-mt2",
];

/// How many threads server `name` runs its event loops on: the CPUs it should be given.
pub fn threads(name: &str) -> usize {
    match name {
        "corio-2w" | "tokio-mt2" => 2,
        _ => 1,
    }
}

fn announce(addr: std::net::SocketAddr) {
    println!("listening on {addr}");
    let _ = io::stdout().flush();
}

fn corio_server(addr: &str) -> io::Result<()> {
    let runtime = corio::Runtime::new()?;
    runtime.block_on(async {
        let listener = corio::net::TcpListener::bind(addr).await?;
        announce(listener.local_addr()?);
        loop {
            if let Ok((stream, _)) = listener.accept().await {
                corio::spawn(corio_connection(stream));
            }
        }
    })
}

/// The uppercase loop on one connection (corio).
async fn corio_connection(mut stream: corio::net::TcpStream) {
    use corio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buf = vec![0u8; BUF];
    while let Ok(n @ 1..) = stream.read(&mut buf).await {
        buf[..n].make_ascii_uppercase();
        if stream.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
}

/// corio thread-per-core: `workers` runtimes, each with its own `SO_REUSEPORT` listener
/// on the same address (worker 0 binds first; the others take the port it got).
fn corio_workers_server(addr: &str, workers: usize) -> io::Result<()> {
    let pool = corio::Runtime::builder().workers(workers).build_workers()?;
    let (bound_tx, bound_rx) = std::sync::mpsc::channel();
    let mut addr = addr.to_string();
    let mut handles = Vec::new();
    for index in 0..workers {
        let (bound, bind_to) = (bound_tx.clone(), addr.clone());
        handles.push(pool.spawn_on_with(index, move || async move {
            let listener = match corio::net::TcpListener::bind_reuse_port(&bind_to).await {
                Ok(listener) => listener,
                Err(e) => return drop(bound.send(Err(e))),
            };
            let _ = bound.send(listener.local_addr());
            loop {
                if let Ok((stream, _)) = listener.accept().await {
                    corio::spawn(corio_connection(stream));
                }
            }
        })?);
        let bound = bound_rx
            .recv()
            .map_err(|_| io::Error::other("a worker died"))?;
        addr = bound?.to_string();
    }
    announce(addr.parse().map_err(io::Error::other)?);
    for handle in handles {
        let _ = handle.join(); // serves until the process is killed
    }
    Ok(())
}

/// tokio's work-stealing scheduler with `workers` threads.
fn tokio_multi_thread_server(addr: &str, workers: usize) -> io::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_io()
        .build()?;
    tokio_serve(runtime, addr)
}

fn tokio_server(addr: &str) -> io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    tokio_serve(runtime, addr)
}

/// The echo server on a tokio runtime of either flavour.
fn tokio_serve(runtime: tokio::runtime::Runtime, addr: &str) -> io::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        announce(listener.local_addr()?);
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                continue;
            };
            tokio::spawn(async move {
                let mut buf = vec![0u8; BUF];
                while let Ok(n @ 1..) = stream.read(&mut buf).await {
                    buf[..n].make_ascii_uppercase();
                    if stream.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            });
        }
    })
}

fn smol_server(addr: &str) -> io::Result<()> {
    use smol::io::{AsyncReadExt, AsyncWriteExt};
    let executor = smol::LocalExecutor::new();
    smol::block_on(executor.run(async {
        let listener = smol::Async::<StdListener>::bind(
            addr.parse::<std::net::SocketAddr>()
                .map_err(io::Error::other)?,
        )?;
        announce(listener.get_ref().local_addr()?);
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                continue;
            };
            executor
                .spawn(async move {
                    let mut buf = vec![0u8; BUF];
                    while let Ok(n @ 1..) = stream.read(&mut buf).await {
                        buf[..n].make_ascii_uppercase();
                        if stream.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                })
                .detach();
        }
    }))
}

fn threads_server(addr: &str) -> io::Result<()> {
    let listener = StdListener::bind(addr)?;
    announce(listener.local_addr()?);
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { continue };
        std::thread::Builder::new()
            .stack_size(64 * 1024)
            .spawn(move || {
                let mut buf = vec![0u8; BUF];
                while let Ok(n @ 1..) = stream.read(&mut buf) {
                    buf[..n].make_ascii_uppercase();
                    if stream.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            })?;
    }
    Ok(())
}
