//! `AsyncFd`: a pipe made async, the helper loop, and clear errors for fds it can't take.

mod util;

use std::io::{ErrorKind, Read, Write};
use std::os::fd::AsRawFd;
use std::time::Duration;

use corio::io::{AsyncFd, AsyncReadExt, AsyncWriteExt};
use util::{pipe, within};

const LIMIT: Duration = Duration::from_secs(20);

#[test]
fn a_pipe_carries_bytes_both_ways_of_the_api() {
    corio::block_on(within(LIMIT, "pipe", async {
        let (r, w) = pipe();
        let mut r = AsyncFd::new(r).unwrap();
        let mut w = AsyncFd::new(w).unwrap();
        let payload = util::pattern(200_000, 3); // more than a pipe holds: writes must wait
        let writer = corio::spawn(async move {
            w.write_all(&payload).await.unwrap();
            drop(w); // end of file for the reader
            payload
        });
        let mut got = Vec::new();
        r.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, writer.await.unwrap());
    }));
}

#[test]
fn read_with_waits_for_readiness_and_retries() {
    corio::block_on(within(LIMIT, "read_with", async {
        let (r, w) = pipe();
        let r = AsyncFd::new(r).unwrap();
        let mut w = w;
        let reader = corio::spawn(async move {
            let mut buf = [0u8; 16];
            let mut calls = 0;
            let n = r
                .read_with(|mut file| {
                    calls += 1;
                    file.read(&mut buf)
                })
                .await
                .unwrap();
            (buf[..n].to_vec(), calls)
        });
        corio::task::yield_now().await; // the reader tries, sees WouldBlock, parks
        w.write_all(b"now").unwrap();
        let (got, calls) = reader.await.unwrap();
        assert_eq!(got, b"now");
        assert_eq!(calls, 2, "one WouldBlock, then the read after the event");
    }));
}

#[test]
fn try_read_with_clears_readiness_so_readable_waits_again() {
    corio::block_on(within(LIMIT, "try_read_with", async {
        let (r, mut w) = pipe();
        let r = AsyncFd::new(r).unwrap();
        let mut buf = [0u8; 8];
        let err = r.try_read_with(|mut f| f.read(&mut buf)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WouldBlock);
        w.write_all(b"x").unwrap();
        r.readable().await.unwrap();
        assert_eq!(r.try_read_with(|mut f| f.read(&mut buf)).unwrap(), 1);
    }));
}

#[test]
fn blocking_fds_and_regular_files_are_refused_clearly() {
    corio::block_on(async {
        let (r, _w) = std::os::unix::net::UnixStream::pair().unwrap(); // blocking by default
        let err = AsyncFd::new(r).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);

        let file = std::fs::File::open("/proc/self/exe")
            .or_else(|_| std::fs::File::open(std::env::current_exe().unwrap()))
            .unwrap();
        // SAFETY: fcntl with integer arguments on an fd we own.
        unsafe {
            let fd = file.as_raw_fd();
            libc::fcntl(
                fd,
                libc::F_SETFL,
                libc::fcntl(fd, libc::F_GETFL) | libc::O_NONBLOCK,
            );
        }
        // epoll refuses regular files (EPERM); poll(2) and kqueue accept them, and they
        // are then simply always ready.
        match AsyncFd::new(file) {
            Err(e) => assert_eq!(e.raw_os_error(), Some(libc::EPERM)),
            Ok(fd) => drop(fd),
        }
    });
}

#[test]
fn into_inner_gives_the_fd_back_open() {
    corio::block_on(async {
        let (r, mut w) = pipe();
        let r = AsyncFd::new(r).unwrap();
        let mut r = r.into_inner();
        w.write_all(b"still open").unwrap();
        let mut buf = [0u8; 10];
        r.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"still open");
    });
}

#[test]
fn try_new_hands_a_refused_object_back_open() {
    corio::block_on(within(LIMIT, "try_new", async {
        let (r, mut w) = std::os::unix::net::UnixStream::pair().unwrap(); // blocking
        let (err, r) = AsyncFd::try_new(r).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        // Still open and usable: fix it and try again.
        r.set_nonblocking(true).unwrap();
        let mut fd = AsyncFd::try_new(r).map_err(|(e, _)| e).unwrap();
        w.write_all(b"kept").unwrap();
        let mut buf = [0u8; 4];
        fd.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"kept");
    }));
}
