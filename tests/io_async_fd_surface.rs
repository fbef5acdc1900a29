//! `AsyncFd::write_with` and `AsyncFd::get_mut` over a non-blocking pipe: `write_with`
//! returns what its closure's write returned, parks on a full pipe until the reader
//! drains it, retries `Interrupted` and passes other errors through; `get_mut` changes
//! the wrapped object in place, keeping its fd and registration.

mod util;

use std::cell::Cell;
use std::io::{ErrorKind, Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::rc::Rc;
use std::time::Duration;

use corio::io::{AsyncFd, AsyncReadExt};
use util::{pipe, within};

const LIMIT: Duration = Duration::from_secs(20);

/// Writes to `w` (non-blocking) until the pipe takes no more, not even one byte;
/// returns how many bytes it holds.
fn fill(mut w: &std::fs::File) -> usize {
    let mut total = 0;
    for chunk in [&[7u8; 4096][..], &[7u8; 1][..]] {
        loop {
            match w.write(chunk) {
                Ok(n) => total += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => panic!("filling the pipe: {e}"),
            }
        }
    }
    total
}

/// Reads `r` (non-blocking) until it is empty; returns how many bytes came out.
fn drain(mut r: &std::fs::File) -> usize {
    let mut buf = [0u8; 8192];
    let mut total = 0;
    loop {
        match r.read(&mut buf) {
            Ok(0) => panic!("unexpected end of file"),
            Ok(n) => total += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return total,
            Err(e) => panic!("draining the pipe: {e}"),
        }
    }
}

/// One read of what `r` holds now.
fn read_now(mut r: &std::fs::File) -> Vec<u8> {
    let mut buf = [0u8; 64];
    let got = r.read(&mut buf).unwrap();
    buf[..got].to_vec()
}

#[test]
fn write_with_runs_the_write_and_returns_its_count() {
    corio::block_on(within(LIMIT, "write_with", async {
        let (r, w) = pipe();
        let w = AsyncFd::new(w).unwrap();
        let mut calls = 0;
        let n = w
            .write_with(|mut file| {
                calls += 1;
                file.write(b"hello, pipe")
            })
            .await
            .unwrap();
        assert_eq!((n, calls), (11, 1));
        assert_eq!(read_now(&r), b"hello, pipe");
    }));
}

#[test]
fn write_with_on_a_full_pipe_waits_until_the_reader_drains() {
    corio::block_on(within(LIMIT, "full pipe", async {
        let (r, w) = pipe();
        let w = AsyncFd::new(w).unwrap();
        let held = fill(w.get_ref());
        assert!(held > 0);

        let calls = Rc::new(Cell::new(0));
        let writer = corio::spawn({
            let calls = calls.clone();
            async move {
                w.write_with(|mut file| {
                    calls.set(calls.get() + 1);
                    file.write(b"after")
                })
                .await
            }
        });
        // The writer's first try meets the full pipe and parks.
        while calls.get() == 0 {
            corio::task::yield_now().await;
        }
        for _ in 0..10 {
            corio::task::yield_now().await; // any busy retry would show in `calls`
        }
        assert_eq!(calls.get(), 1);
        assert!(!writer.is_finished());

        assert_eq!(drain(&r), held);
        assert_eq!(writer.await.unwrap().unwrap(), 5);
        assert_eq!(
            calls.get(),
            2,
            "one WouldBlock, then the write after the event"
        );
        assert_eq!(read_now(&r), b"after");
    }));
}

#[test]
fn write_with_retries_interrupted_and_passes_other_errors_through() {
    corio::block_on(within(LIMIT, "write_with errors", async {
        let (r, w) = pipe();
        let w = AsyncFd::new(w).unwrap();
        let mut calls = 0;
        let n = w
            .write_with(|mut file| {
                calls += 1;
                if calls == 1 {
                    return Err(ErrorKind::Interrupted.into());
                }
                file.write(b"ok")
            })
            .await
            .unwrap();
        assert_eq!((n, calls), (2, 2));

        drop(r); // no reader: write(2) fails with EPIPE (SIGPIPE is ignored by Rust)
        let mut calls = 0;
        let err = w
            .write_with(|mut file| {
                calls += 1;
                file.write(b"lost")
            })
            .await
            .unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EPIPE));
        assert_eq!(err.kind(), ErrorKind::BrokenPipe);
        assert_eq!(calls, 1);
    }));
}

/// A pipe end with some state of its own, for `get_mut` to change.
struct Tagged {
    file: std::fs::File,
    tag: Vec<u8>,
}

impl AsRawFd for Tagged {
    fn as_raw_fd(&self) -> RawFd {
        self.file.as_raw_fd()
    }
}

#[test]
fn get_mut_changes_the_inner_object_in_place() {
    corio::block_on(within(LIMIT, "get_mut", async {
        let (r, w) = pipe();
        let mut r = AsyncFd::new(r).unwrap();
        let mut w = AsyncFd::new(Tagged {
            file: w,
            tag: b"first".to_vec(),
        })
        .unwrap();
        let fd = w.as_raw_fd();

        w.get_mut().tag = b"second".to_vec();
        w.get_mut().file.write_all(b"direct|").unwrap(); // `&mut File`'s own Write
        assert_eq!(w.get_ref().tag, b"second");
        assert_eq!(w.as_raw_fd(), fd);

        // The registration still works, and the closure sees the new state.
        let n = w
            .write_with(|inner| (&inner.file).write(&inner.tag))
            .await
            .unwrap();
        assert_eq!(n, 6);
        let mut buf = [0u8; 13];
        r.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"direct|second");
    }));
}
