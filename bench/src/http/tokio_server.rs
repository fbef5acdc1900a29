//! The http example's connection loop (`examples/http/conn.rs`) on tokio's
//! current_thread runtime, line for line: the same parser, routing, response heads and
//! file code (included from the example by `#[path]` in `mod.rs`), the same chunking,
//! timeouts and lingering close. Only the runtime differs, which is what the `http`
//! suite measures. Run as `corio-bench serve-http DIR ADDR`.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::spawn_blocking;
use tokio::time::{timeout, timeout_at, Instant};

use super::files::{self, Refused, CHUNK};
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
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        println!("listening on {}", listener.local_addr()?);
        loop {
            match listener.accept().await {
                Ok((stream, _peer)) => {
                    let config = Arc::clone(&config);
                    tokio::spawn(async move {
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
                send_file(&mut stream, &mut out, config, file, conn).await?
            }
        };
        if !conn.stays_open() {
            return finish(stream, &out, config).await;
        }
        write(&mut stream, &out, config.idle).await?;
    }
}

/// `conn::send_file` of the example.
async fn send_file(
    stream: &mut TcpStream,
    out: &mut Vec<u8>,
    config: &Config,
    request: FileRequest,
    conn: Conn,
) -> io::Result<Conn> {
    let root = Arc::clone(&config.root);
    let buf = std::mem::take(out);
    let with_body = request.with_body;
    let (buf, request, opened) = blocking(move || {
        let (buf, opened) = super::disk::open_and_read(&root, &request, conn, buf);
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
            return Err(io::Error::other("file shrank while being sent"));
        }
        left -= want as u64;
    }
    Ok(conn)
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
