//! The adapter with std objects that misbehave: a panicking read, failing writes, and a
//! poll outside any runtime.

use std::io::{self, Read, Write};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use super::Blocking;
use crate::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// A `Blocking` stream as a corio stream.
struct Adapter<T>(Blocking<T>);

impl<T: Read + Send + 'static> AsyncRead for Adapter<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().0.poll_read(cx, buf)
    }
}

impl<T: Write + Send + 'static> AsyncWrite for Adapter<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().0.poll_write(cx, buf)
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().0.poll_flush(cx)
    }
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().0.poll_flush(cx)
    }
}

/// Panics on its first read, then reads `b"ok"` forever.
struct PanicsOnce {
    reads: usize,
}

impl Read for PanicsOnce {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.reads += 1;
        if self.reads == 1 {
            panic!("disk on fire");
        }
        buf[..2].copy_from_slice(b"ok");
        Ok(2)
    }
}

#[test]
#[cfg_attr(miri, ignore)] // pool threads
fn a_panicking_read_is_an_error_and_the_object_survives() {
    crate::block_on(async {
        let mut stream = Adapter(Blocking::stream(PanicsOnce { reads: 0 }));
        let mut buf = [0; 8];
        let err = stream.read(&mut buf).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::Other);
        assert_eq!(
            err.to_string(),
            "corio: a blocking I/O job panicked: disk on fire"
        );
        assert_eq!(stream.read(&mut buf).await.unwrap(), 2);
        assert_eq!(&buf[..2], b"ok");
    });
}

/// Fails every write whose first byte is `!`; counts the bytes it took and its flushes.
#[derive(Clone, Default)]
struct Picky {
    written: Arc<AtomicUsize>,
    flushes: Arc<AtomicUsize>,
}

impl Write for Picky {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.first() == Some(&b'!') {
            return Err(io::ErrorKind::PermissionDenied.into());
        }
        self.written.fetch_add(buf.len(), Ordering::SeqCst);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        self.flushes.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

#[test]
#[cfg_attr(miri, ignore)] // pool threads
fn a_failed_write_is_accepted_then_reported_by_the_next_operation_once() {
    crate::block_on(async {
        let picky = Picky::default();
        let mut stream = Adapter(Blocking::stream(picky.clone()));
        assert_eq!(stream.write(b"!no").await.unwrap(), 3, "accepted at once");
        let err = stream.flush().await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::PermissionDenied);
        stream.flush().await.unwrap(); // reported once

        assert_eq!(stream.write(b"!again").await.unwrap(), 6);
        let err = stream.write(b"fine").await.unwrap_err();
        assert_eq!(
            err.kind(),
            io::ErrorKind::PermissionDenied,
            "the next write reports it"
        );
        assert_eq!(stream.write(b"fine").await.unwrap(), 4);
        stream.flush().await.unwrap();
        assert_eq!(picky.written.load(Ordering::SeqCst), 4);
    });
}

#[test]
#[cfg_attr(miri, ignore)] // pool threads
fn a_stream_flush_runs_the_objects_flush_only_after_writes() {
    crate::block_on(async {
        let picky = Picky::default();
        let mut stream = Adapter(Blocking::stream(picky.clone()));
        stream.flush().await.unwrap();
        assert_eq!(picky.flushes.load(Ordering::SeqCst), 0, "nothing written");
        stream.write_all(b"line").await.unwrap();
        stream.flush().await.unwrap();
        assert_eq!(picky.written.load(Ordering::SeqCst), 4);
        assert_eq!(picky.flushes.load(Ordering::SeqCst), 1);
        stream.flush().await.unwrap();
        assert_eq!(picky.flushes.load(Ordering::SeqCst), 1);
    });
}

#[test]
#[cfg_attr(miri, ignore)] // pool threads
fn polled_outside_a_runtime_it_is_an_error_not_a_panic() {
    let mut stream = Adapter(Blocking::stream(PanicsOnce { reads: 0 }));
    let waker = futures_task::noop_waker();
    let mut cx = Context::from_waker(&waker);
    let mut buf = [0; 4];
    match Pin::new(&mut stream).poll_read(&mut cx, &mut buf) {
        Poll::Ready(Err(e)) => assert!(e.to_string().contains("needs a corio runtime"), "{e}"),
        other => panic!("expected an error, got {other:?}"),
    }
    // The object stayed idle: in a runtime it reads as usual.
    crate::block_on(async {
        let err = stream.read(&mut buf).await.unwrap_err();
        assert!(err.to_string().contains("disk on fire"), "{err}");
    });
}
