//! The rest of the Unix-socket surface: `UnixStream::take_error` (nothing pending on a
//! healthy stream; a reset reported once, then cleared) and `UnixListener::from_std` (a
//! blocking std listener is switched to non-blocking and accepts, connections queued
//! before the wrap included).

mod util;

use std::io::{ErrorKind, Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::time::Duration;

use corio::io::{AsyncReadExt, AsyncWriteExt};
use corio::net::{UnixListener, UnixStream};
use util::{within, TempDir};

const LIMIT: Duration = Duration::from_secs(20);

/// Whether `O_NONBLOCK` is set on `fd`.
fn is_nonblocking(fd: RawFd) -> bool {
    // SAFETY: F_GETFL takes no pointer; the fd is open for the caller's borrow.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    assert!(flags >= 0, "fcntl: {}", std::io::Error::last_os_error());
    flags & libc::O_NONBLOCK != 0
}

#[test]
fn take_error_is_none_on_healthy_streams_before_and_after_traffic() {
    let dir = TempDir::new("unix-take-error");
    let path = dir.path().join("s.sock");
    corio::block_on(within(LIMIT, "healthy take_error", async {
        let (mut a, mut b) = UnixStream::pair().unwrap();
        assert!(a.take_error().unwrap().is_none());
        assert!(b.take_error().unwrap().is_none());
        a.write_all(b"ping").await.unwrap();
        let mut buf = [0u8; 4];
        b.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"ping");
        assert!(a.take_error().unwrap().is_none());
        assert!(b.take_error().unwrap().is_none());

        // A stream from connect (the non-blocking path) and its accepted peer, too.
        let listener = UnixListener::bind(&path).unwrap();
        let client = UnixStream::connect(&path).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        assert!(client.take_error().unwrap().is_none());
        assert!(server.take_error().unwrap().is_none());
    }));
}

/// Linux sets `ECONNRESET` as the pending error of a stream whose peer closed with bytes
/// still unread in its receive queue (`unix_release_sock`). `take_error` reports it once
/// and clears it: the next read then sees a plain end of stream, where without the
/// `take_error` the read itself fails with the reset.
#[cfg(target_os = "linux")]
#[test]
fn take_error_reports_a_reset_once_then_clears_it() {
    corio::block_on(within(LIMIT, "reset take_error", async {
        let (mut a, b) = UnixStream::pair().unwrap();
        a.write_all(b"never read").await.unwrap();
        drop(b); // closes with 10 bytes unread
        let err = a.take_error().unwrap().expect("a pending error");
        assert_eq!(err.raw_os_error(), Some(libc::ECONNRESET));
        assert_eq!(err.kind(), ErrorKind::ConnectionReset);
        assert!(
            a.take_error().unwrap().is_none(),
            "SO_ERROR is cleared by reading it"
        );
        let mut buf = [0u8; 16];
        assert_eq!(a.read(&mut buf).await.unwrap(), 0);

        // The same situation without take_error: the read consumes the error instead.
        let (mut c, d) = UnixStream::pair().unwrap();
        c.write_all(b"never read").await.unwrap();
        drop(d);
        let err = c.read(&mut buf).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionReset);
        assert!(c.take_error().unwrap().is_none());
    }));
}

#[test]
fn from_std_switches_a_blocking_listener_to_non_blocking_and_accepts() {
    let dir = TempDir::new("unix-from-std");
    let path = dir.path().join("l.sock");
    corio::block_on(within(LIMIT, "from_std", async {
        let std_listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
        assert!(!is_nonblocking(std_listener.as_raw_fd()));
        // Queued in the backlog before corio sees the listener.
        let mut early = std::os::unix::net::UnixStream::connect(&path).unwrap();

        let listener = UnixListener::from_std(std_listener).unwrap();
        assert!(is_nonblocking(listener.as_raw_fd()));
        assert_eq!(
            listener.local_addr().unwrap().as_pathname(),
            Some(path.as_path())
        );

        let (mut server, from) = listener.accept().await.unwrap();
        assert!(from.is_unnamed(), "the client never bound: {from:?}");
        assert!(is_nonblocking(server.as_raw_fd()));
        early.write_all(b"early").unwrap();
        let mut buf = [0u8; 5];
        server.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"early");
        server.write_all(b"EARLY").await.unwrap();
        early.read_exact(&mut buf).unwrap(); // blocking, but the bytes are there
        assert_eq!(&buf, b"EARLY");

        // A connection made after the wrap, by corio's own connect.
        let connecting = corio::spawn({
            let path = path.clone();
            async move {
                let mut client = UnixStream::connect(&path).await.unwrap();
                client.write_all(b"late").await.unwrap();
                let mut reply = [0u8; 4];
                client.read_exact(&mut reply).await.unwrap();
                reply
            }
        });
        let (mut late, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 4];
        late.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"late");
        late.write_all(b"LATE").await.unwrap();
        assert_eq!(&connecting.await.unwrap(), b"LATE");
    }));
}

#[test]
fn from_std_outside_a_runtime_is_an_error() {
    let dir = TempDir::new("unix-from-std-outside");
    let std_listener = std::os::unix::net::UnixListener::bind(dir.path().join("o.sock")).unwrap();
    let err = UnixListener::from_std(std_listener).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Other);
    assert!(err.to_string().contains("no corio runtime"), "{err}");
}
