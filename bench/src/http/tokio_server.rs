//! The http example's connection loop (`examples/http/conn.rs`) on tokio's
//! current_thread runtime, line for line: the same parser, routing, response heads, open-
//! file cache, conditional and range replies and file code (included from the example by
//! `#[path]` in `mod.rs`), the same `sendfile` bodies, timeouts and lingering close. Only the runtime differs, which is what the `http`
//! suite measures. Run as `corio-bench serve-http DIR ADDR`.

use std::io;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt, Interest};
use tokio::net::TcpStream;
use tokio::task::spawn_blocking;
use tokio::time::{timeout, timeout_at, Instant};

use super::cache::{self, Key};
use super::disk;
use super::files::{self, Refused};
use super::reply;
use super::request::conditions::Conditions;
use super::request::{Input, Method};
use super::response::{self, Conn, FileRequest, Route, Status};

/// As in the example: how long, and how much, to drain before closing.
const LINGER: Duration = Duration::from_secs(2);
const LINGER_BYTES: usize = 1 << 20;
/// The example's default idle timeout.
const IDLE: Duration = Duration::from_secs(30);

struct Config {
    root: Arc<PathBuf>,
    idle: Duration,
}

/// Serves `root` on `addr` until killed, printing `listening on ADDR` first.
pub fn serve(root: &str, addr: &str) -> io::Result<()> {
    let root = files::canonical_root(Path::new(root))?;
    let config = Arc::new(Config {
        root: Arc::new(root),
        idle: IDLE,
    });
    cache::configure(cache::Settings::default()); // the example's defaults
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()?;
    // The file cache is per thread (`Rc`), as in the example, so connections are local
    // tasks: tokio's equivalent of corio's `spawn`, which needs no `Send` either.
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, async {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        println!("listening on {}", listener.local_addr()?);
        loop {
            match listener.accept().await {
                Ok((stream, _peer)) => {
                    let config = Arc::clone(&config);
                    tokio::task::spawn_local(async move {
                        if let Err(e) = conn(stream, &config).await {
                            eprintln!("client error: {e}");
                        }
                    });
                }
                Err(e) => eprintln!("accept failed: {e}"),
            }
        }
    })
}

/// `conn::serve` of the example.
async fn conn(mut stream: TcpStream, config: &Config) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let mut input = Input::default();
    // Grows to one response head plus one chunk at most; idle connections hold little.
    let mut out = Vec::new();
    loop {
        out.clear();
        let deadline = Instant::now() + config.idle;
        let request = loop {
            match input.next() {
                Ok(Some(request)) => break request,
                Ok(None) => {}
                Err(e) => {
                    response::error(&mut out, e.into(), Conn::Close, false);
                    return finish(stream, &out, config).await;
                }
            }
            let n = match timeout_at(deadline, stream.read(input.space())).await {
                Ok(read) => read?,
                Err(_) if input.is_empty() => return Ok(()),
                Err(_) => {
                    response::error(&mut out, Status::RequestTimeout, Conn::Close, false);
                    return finish(stream, &out, config).await;
                }
            };
            if n == 0 {
                return Ok(());
            }
            input.filled(n);
        };
        let conn = match response::route(&request) {
            Route::Error(status, conn) => {
                response::error(&mut out, status, conn, request.method == Method::Head);
                conn
            }
            Route::File { file, conn } => {
                let conditions = input.take_conditions();
                send_file(&mut stream, &mut out, config, (file, conn), &conditions).await?
            }
        };
        if !conn.stays_open() {
            return finish(stream, &out, config).await;
        }
        write(&mut stream, &out, config.idle).await?;
    }
}

/// `conn::send_file` of the example: the same cache, reply and `sendfile`, the socket's
/// writability awaited through tokio's `async_io`.
async fn send_file(
    stream: &mut TcpStream,
    out: &mut Vec<u8>,
    config: &Config,
    (request, conn): (FileRequest, Conn),
    conditions: &Conditions,
) -> io::Result<Conn> {
    let with_body = request.with_body;
    let key: Key = (request.path.into_os_string(), request.slash);
    let entry = match cache::lookup(&key) {
        Some(entry) => entry,
        None => {
            let root = Arc::clone(&config.root);
            let small_body = cache::settings().small_body;
            let (key, opened) = blocking(move || {
                let opened = disk::open_entry(&root, &key, small_body);
                (key, opened)
            })
            .await?;
            match opened {
                Ok(entry) => cache::insert(key, entry),
                Err(Refused::Directory) => {
                    let location = files::directory_location(Path::new(&key.0));
                    response::moved(out, &location, conn, !with_body);
                    return Ok(conn);
                }
                Err(refused) => {
                    response::error(out, refused.into(), conn, !with_body);
                    return Ok(conn);
                }
            }
        }
    };
    let Some(body) = reply::file_response(out, &entry, conditions, with_body, conn) else {
        return Ok(conn);
    };
    if let Some(bytes) = &entry.body {
        out.extend_from_slice(&bytes[body.offset as usize..][..body.len as usize]);
        return Ok(conn);
    }
    let sent = send_head(stream, out);
    write(stream, &out[sent..], config.idle).await?;
    out.clear();
    let (mut offset, end) = (body.offset, body.offset + body.len);
    let fd = stream.as_raw_fd();
    while offset < end {
        let file = &entry.file;
        let send = stream.async_io(Interest::WRITABLE, || {
            disk::sendfile(fd, file, &mut offset, end)
        });
        if timeout(config.idle, send).await?? == 0 {
            return Err(io::Error::other("file shrank while being sent"));
        }
    }
    Ok(conn)
}

/// `Socket::send_head` of the example: the head with `MSG_MORE`, as much as fits now.
fn send_head(stream: &TcpStream, head: &[u8]) -> usize {
    let flags = libc::MSG_MORE | libc::MSG_NOSIGNAL | libc::MSG_DONTWAIT;
    // SAFETY: `head` is a valid slice for the call; the fd is the stream's open socket.
    let n = unsafe { libc::send(stream.as_raw_fd(), head.as_ptr().cast(), head.len(), flags) };
    usize::try_from(n).unwrap_or(0)
}

/// Runs `job` on tokio's blocking pool.
async fn blocking<T: Send + 'static>(job: impl FnOnce() -> T + Send + 'static) -> io::Result<T> {
    spawn_blocking(job)
        .await
        .map_err(|e| io::Error::other(format!("file job failed: {e}")))
}

/// `conn::write` of the example.
async fn write(stream: &mut TcpStream, bytes: &[u8], idle: Duration) -> io::Result<()> {
    timeout(idle, stream.write_all(bytes)).await?
}

/// `conn::finish` of the example.
async fn finish(mut stream: TcpStream, last: &[u8], config: &Config) -> io::Result<()> {
    write(&mut stream, last, config.idle).await?;
    stream.shutdown().await?;
    let mut sink = [0u8; 4096];
    let drain = async {
        let mut total = 0;
        while let Ok(n @ 1..) = stream.read(&mut sink).await {
            total += n;
            if total > LINGER_BYTES {
                break;
            }
        }
    };
    let _ = timeout(LINGER, drain).await;
    Ok(())
}
