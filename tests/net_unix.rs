//! `UnixListener`/`UnixStream`: the TCP behaviours, over a filesystem path.

mod util;

use std::io::ErrorKind;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use corio::io::{AsyncReadExt, AsyncWriteExt};
use corio::net::{UnixListener, UnixStream};
use util::within;

const LIMIT: Duration = Duration::from_secs(20);

/// A fresh socket path in the temp dir, removed when dropped.
struct TempPath(PathBuf);

impl TempPath {
    fn new() -> TempPath {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("corio-unix-{}-{n}.sock", std::process::id()));
        let _ = std::fs::remove_file(&path);
        TempPath(path)
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn echo_over_a_unix_socket_with_half_close() {
    let path = TempPath::new();
    corio::block_on(within(LIMIT, "unix echo", async {
        let listener = UnixListener::bind(&path.0).unwrap();
        let server = corio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut got = Vec::new();
            stream.read_to_end(&mut got).await.unwrap();
            got.make_ascii_uppercase();
            stream.write_all(&got).await.unwrap();
            stream.close().await.unwrap();
        });
        let mut client = UnixStream::connect(&path.0).await.unwrap();
        assert_eq!(
            client.peer_addr().unwrap().as_pathname(),
            Some(path.0.as_path())
        );
        let payload = util::pattern(300_000, 7); // more than the socket buffers hold
        client.write_all(&payload).await.unwrap();
        client.close().await.unwrap(); // half-close: the server sees end of stream
        let mut reply = Vec::new();
        client.read_to_end(&mut reply).await.unwrap();
        assert_eq!(reply, util::upper(&payload));
        server.await.unwrap();
    }));
}

#[test]
fn pair_and_split_halves_work_in_two_tasks() {
    corio::block_on(within(LIMIT, "unix pair", async {
        let (a, mut b) = UnixStream::pair().unwrap();
        let (mut read, mut write) = a.into_split();
        let writer = corio::spawn(async move {
            write.write_all(b"ping").await.unwrap();
            drop(write); // shuts down a's write side
        });
        let mut buf = [0u8; 4];
        b.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"ping");
        assert_eq!(b.read(&mut buf).await.unwrap(), 0);
        b.write_all(b"pong").await.unwrap();
        read.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"pong");
        writer.await.unwrap();
    }));
}

#[test]
fn connect_errors_are_clear() {
    let path = TempPath::new();
    corio::block_on(async {
        let missing = UnixStream::connect(&path.0).await.unwrap_err();
        assert_eq!(missing.kind(), ErrorKind::NotFound);
        let too_long = PathBuf::from(format!("/tmp/{}", "x".repeat(200)));
        let long = UnixStream::connect(&too_long).await.unwrap_err();
        assert_eq!(long.kind(), ErrorKind::InvalidInput);
        let nul = UnixStream::connect("/tmp/a\0b").await.unwrap_err();
        assert_eq!(nul.kind(), ErrorKind::InvalidInput);
        // A socket file nobody listens on any more.
        drop(UnixListener::bind(&path.0).unwrap());
        let refused = UnixStream::connect(&path.0).await.unwrap_err();
        assert_eq!(refused.kind(), ErrorKind::ConnectionRefused);
        // Binding over an existing path is refused, not silently replaced.
        let taken = UnixListener::bind(&path.0).unwrap_err();
        assert_eq!(taken.kind(), ErrorKind::AddrInUse);
    });
}

#[test]
fn a_peer_that_closes_gives_end_of_stream_and_broken_pipe_not_sigpipe() {
    corio::block_on(within(LIMIT, "closed peer", async {
        let (mut a, b) = UnixStream::pair().unwrap();
        drop(b);
        let mut buf = [0u8; 8];
        assert_eq!(a.read(&mut buf).await.unwrap(), 0);
        let err = a.write_all(&[1u8; 100_000]).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BrokenPipe); // and the process is still alive
    }));
}

/// More connects than the listener's backlog holds: Linux answers the extra ones `EAGAIN`
/// (no readiness event exists for "the backlog has room"), and `connect` keeps retrying
/// on a timer until the server accepts; every client gets through, none fails.
#[test]
fn connects_beyond_a_full_backlog_wait_and_succeed() {
    let path = TempPath::new();
    corio::block_on(within(LIMIT, "backlog", async {
        let listener = UnixListener::bind(&path.0).unwrap();
        // std listens with the largest backlog the kernel allows (`somaxconn`): go past it.
        let somaxconn: usize = std::fs::read_to_string("/proc/sys/net/core/somaxconn")
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(4096);
        let clients_wanted = (somaxconn + 200).min(20_000);
        let clients: Vec<_> = (0..clients_wanted)
            .map(|_| {
                let path = path.0.clone();
                corio::spawn(async move { UnixStream::connect(&path).await.map(drop) })
            })
            .collect();
        // Let every connect run (and the late ones meet a full backlog) before accepting.
        corio::time::sleep(Duration::from_millis(50)).await;
        let mut accepted = 0;
        for _ in 0..clients_wanted {
            drop(listener.accept().await.unwrap());
            accepted += 1;
        }
        for client in clients {
            client.await.unwrap().unwrap();
        }
        assert_eq!(accepted, clients_wanted);
    }));
}

#[test]
fn binding_outside_a_runtime_fails_without_leaving_a_socket_file() {
    let path = TempPath::new();
    assert!(UnixListener::bind(&path.0).is_err());
    assert!(!path.0.exists());
}
