//! One connection on corio: read heads, answer them in order, stream files, close.
//!
//! Only the I/O lives here; what to answer comes from `request.rs`, `response.rs` and
//! `files.rs`. `bench/src/http/tokio_server.rs` is this file on tokio, line for line.
//! The loop takes any corio stream, so `examples/https.rs` serves TLS streams with it.

use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use corio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use corio::net::TcpStream;
use corio::task::spawn_blocking;
use corio::time::{timeout, timeout_at};

use super::disk;
use super::files::{self, Refused, CHUNK};
use super::request::{Input, Method};
use super::response::{self, Conn, FileRequest, Route, Status};

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
    serve_stream(stream, config).await
}

/// [`serve`] over any byte stream (a TLS stream, say): the caller sets socket options.
pub async fn serve_stream<S>(mut stream: S, config: &Config) -> io::Result<()>
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
                send_file(&mut stream, &mut out, config, file, conn).await?
            }
        };
        if !conn.stays_open() {
            return finish(stream, &out, config).await;
        }
        write(&mut stream, &out, config.idle).await?;
    }
}

/// Opens the file and sends its head with the first chunk in one write, then the rest
/// chunk by chunk: each read happens on the blocking pool, and the next chunk is read only
/// once the previous one is written, so a client that stops reading holds at most one
/// chunk in memory. Leaves in `out` the last piece still to be sent (the whole response
/// for a small file, the last chunk, or an error response) and returns the connection's
/// fate.
async fn send_file<S: AsyncWrite + Unpin>(
    stream: &mut S,
    out: &mut Vec<u8>,
    config: &Config,
    request: FileRequest,
    conn: Conn,
) -> io::Result<Conn> {
    let root = Arc::clone(&config.root);
    let buf = std::mem::take(out);
    let with_body = request.with_body;
    let (buf, request, opened) = blocking(move || {
        let (buf, opened) = disk::open_and_read(&root, &request, conn, buf);
        (buf, request, opened)
    })
    .await?;
    *out = buf;
    let (mut file, mut left) = match opened {
        Ok(opened) => opened,
        Err(Refused::Directory) => {
            let location = files::directory_location(&request.path);
            response::moved(out, &location, conn, !with_body);
            return Ok(conn);
        }
        Err(refused) => {
            response::error(out, refused.into(), conn, !with_body);
            return Ok(conn);
        }
    };
    while left > 0 {
        write(stream, out, config.idle).await?;
        let want = left.min(CHUNK as u64) as usize;
        let mut buf = std::mem::take(out);
        buf.clear();
        let (back, buf, got) = blocking(move || {
            let got = files::read_chunk(&mut file, &mut buf, want);
            (file, buf, got)
        })
        .await?;
        (file, *out) = (back, buf);
        if got? < want {
            // The file shrank after its length was promised: the client cannot be told,
            // so the connection ends short and the client sees the truncation.
            return Err(io::Error::other("file shrank while being sent"));
        }
        left -= want as u64;
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
