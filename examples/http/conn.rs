//! One connection on corio: read heads, answer them in order, stream files, close.
//!
//! Only the I/O lives here; what to answer comes from `request.rs`, `response.rs`,
//! `reply.rs` and the open-file cache (`cache.rs`); misses open through `disk.rs` and
//! `files.rs` on the blocking pool; bodies go by `sendfile.rs` on a plain TCP socket.
//! `bench/src/http/tokio_server.rs` is this file on tokio, line for line.
//! The loop takes any corio stream, so `examples/https.rs` serves TLS streams with it.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use corio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use corio::net::TcpStream;
use corio::task::spawn_blocking;
use corio::time::{timeout, timeout_at};

use super::cache::{self, Key};
use super::disk;
use super::files::{self, Refused, CHUNK};
use super::reply;
use super::request::conditions::Conditions;
use super::request::{Input, Method};
use super::response::{self, Conn, FileRequest, Route, Status};
use super::sendfile::Socket;

/// After deciding to close: how long to keep reading (and discarding) what the client
/// still sends, at most [`LINGER_BYTES`] of it, so that our close does not turn into a
/// reset that destroys the response before the client has read it.
const LINGER: Duration = Duration::from_secs(2);
const LINGER_BYTES: usize = 1 << 20;

/// What the connection loop needs from the command line.
#[derive(Debug)]
pub struct Config {
    /// The canonical root directory; an `Arc` because file jobs run on pool threads.
    pub root: Arc<PathBuf>,
    /// How long a connection may wait for a request head, or stall a write.
    pub idle: Duration,
}

/// Serves one client until it closes, asks to close, errs, or idles out. Requests
/// already buffered (pipelined) are answered one after another, in order.
pub async fn serve(stream: TcpStream, config: &Config) -> io::Result<()> {
    // One response goes out in a few large writes; Nagle would only delay its tail.
    stream.set_nodelay(true)?;
    serve_with(&stream, config, Socket::new(&stream)).await
}

/// [`serve`] over any byte stream (a TLS stream, say): the caller sets socket options.
/// Bodies are read and written (no `sendfile`: the bytes must pass through the stream).
pub async fn serve_stream<S>(stream: S, config: &Config) -> io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    serve_with(stream, config, None).await
}

/// The connection loop; `zero` is the socket under `stream` when bodies may bypass it.
async fn serve_with<S>(mut stream: S, config: &Config, zero: Option<Socket<'_>>) -> io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut input = Input::default();
    // Grows to one response head plus one chunk at most; idle connections hold little.
    let mut out = Vec::new();
    loop {
        out.clear(); // the previous response is out

        // The whole head must arrive within `idle` of starting to wait for it: an idle
        // keep-alive connection and a client trickling a head byte by byte both end.
        let deadline = deadline_after(config.idle);
        let request = loop {
            match input.next() {
                Ok(Some(request)) => break request,
                Ok(None) => {}
                Err(e) => {
                    response::error(&mut out, e.into(), Conn::Close, false);
                    return finish(stream, &out, config).await;
                }
            }
            let n = match timeout_at(deadline.into(), stream.read(input.space())).await {
                Ok(read) => read?,
                Err(_) if input.is_empty() => return Ok(()), // idle: just close
                Err(_) => {
                    response::error(&mut out, Status::RequestTimeout, Conn::Close, false);
                    return finish(stream, &out, config).await;
                }
            };
            if n == 0 {
                return Ok(()); // the client is done (a half-sent head cannot be answered)
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
                let request = (file, conn);
                send_file(&mut stream, &mut out, config, request, &conditions, zero).await?
            }
        };
        if !conn.stays_open() {
            return finish(stream, &out, config).await;
        }
        write(&mut stream, &out, config.idle).await?;
    }
}

/// Answers a request for a file: from the cache when it holds the file (no open, no pool
/// hand-off), else opened on the blocking pool and cached. The head (200, 206, 304 or 416,
/// `reply::file_response`) and a small file's cached bytes are left in `out`, for one
/// write; a larger body is sent here — by `sendfile` when `zero` is given, else read on
/// the pool chunk by chunk with its last chunk left in `out` — so that a client that
/// stops reading holds at most one chunk in memory. Returns the connection's fate.
async fn send_file<S: AsyncWrite + Unpin>(
    stream: &mut S,
    out: &mut Vec<u8>,
    config: &Config,
    (request, conn): (FileRequest, Conn),
    conditions: &Conditions,
    zero: Option<Socket<'_>>,
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
    if let Some(socket) = zero {
        let sent = socket.send_head(out);
        write(stream, &out[sent..], config.idle).await?;
        out.clear();
        socket.send_file(&entry.file, body, config.idle).await?;
        return Ok(conn);
    }
    let (mut offset, end) = (body.offset, body.offset + body.len);
    while offset < end {
        if out.len() >= CHUNK {
            write(stream, out, config.idle).await?;
            out.clear();
        }
        let want = (end - offset).min(CHUNK as u64) as usize;
        let (file, mut buf) = (Arc::clone(&entry.file), std::mem::take(out));
        let (buf, got) = blocking(move || {
            let at = buf.len();
            buf.resize(at + want, 0);
            let got = disk::read_exact_at(&file, &mut buf[at..], offset);
            (buf, got)
        })
        .await?;
        *out = buf;
        // The file shrank after its length was promised: the client cannot be told, so
        // the connection ends short and the client sees the truncation.
        got.map_err(|_| io::Error::other("file shrank while being sent"))?;
        offset += want as u64;
    }
    Ok(conn)
}

/// `idle` from now, capped at a year so that `--idle-timeout 1e30` cannot overflow.
fn deadline_after(idle: Duration) -> Instant {
    Instant::now() + idle.min(Duration::from_secs(365 * 86_400))
}

/// Runs `job` on the blocking pool; a panic there becomes an I/O error for this client.
async fn blocking<T: Send + 'static>(job: impl FnOnce() -> T + Send + 'static) -> io::Result<T> {
    spawn_blocking(job)
        .await
        .map_err(|e| io::Error::other(format!("file job failed: {e}")))
}

/// Writes `bytes`, failing with `TimedOut` if the client takes no part of them for
/// `idle`: the deadline restarts after every partial write, so a slow reader that keeps
/// making progress is served, and only a stalled one is dropped. Then flushes, under the
/// same limit: a no-op for a socket, but a TLS stream may hold the last records.
async fn write<S: AsyncWrite + Unpin>(
    stream: &mut S,
    mut bytes: &[u8],
    idle: Duration,
) -> io::Result<()> {
    while !bytes.is_empty() {
        match timeout(idle, stream.write(bytes)).await? {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => bytes = &bytes[n..],
            Err(e) => return Err(e),
        }
    }
    timeout(idle, stream.flush()).await?
}

/// Sends the last response, then closes gracefully: FIN first, then read and discard
/// what the client still sends (a pipelined request, an unread body) until it closes too,
/// for at most [`LINGER`]. Closing with unread input would send a reset instead, and the
/// client could lose the response.
async fn finish<S>(mut stream: S, last: &[u8], config: &Config) -> io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    write(&mut stream, last, config.idle).await?;
    stream.close().await?;
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
