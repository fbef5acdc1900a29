//! The uppercase echo over a Unix-domain socket: the same server as `echo`, addressed by
//! a path instead of a port.
//!
//! ```text
//! cargo run --example unix [-- PATH]       # default /tmp/corio-echo.sock
//! nc -U /tmp/corio-echo.sock
//! ```
//!
//! The socket file is removed at start if it is a stale socket (and refused if it is
//! anything else), and removed again on Ctrl-C or SIGTERM.

use std::io;
use std::path::{Path, PathBuf};

use corio::future::race;
use corio::io::{AsyncReadExt, AsyncWriteExt};
use corio::net::{UnixListener, UnixStream};
use corio::signal::{signal, SignalKind};

fn main() {
    let path = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "/tmp/corio-echo.sock".to_string()),
    );
    if let Err(e) = corio::Runtime::new().and_then(|rt| rt.block_on(run(&path))) {
        eprintln!("unix: {e}");
        std::process::exit(1);
    }
}

async fn run(path: &Path) -> io::Result<()> {
    remove_stale_socket(path)?;
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let listener = UnixListener::bind(path)?;
    println!("listening on {}", path.display());
    let server = corio::spawn(async move {
        loop {
            match listener.accept().await {
                Ok((stream, _)) => drop(corio::spawn(serve(stream))),
                Err(e) => eprintln!("accept failed: {e}"),
            }
        }
    });
    race(term.recv(), int.recv()).await;
    server.abort();
    let _ = server.await;
    std::fs::remove_file(path)
}

async fn serve(mut stream: UnixStream) {
    let mut buf = vec![0u8; 16 * 1024];
    while let Ok(n @ 1..) = stream.read(&mut buf).await {
        buf[..n].make_ascii_uppercase();
        if stream.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
    let _ = stream.close().await;
}

/// Removes `path` if it is a socket (left by an earlier run); any other file is an error.
fn remove_stale_socket(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::FileTypeExt;
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_socket() => std::fs::remove_file(path),
        Ok(_) => Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} exists and is not a socket", path.display()),
        )),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}
