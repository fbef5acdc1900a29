//! `AsyncReadExt::read_buf`: appends into a `Vec<u8>`'s spare capacity, reserves when
//! there is none, returns 0 at end of stream, and leaves the vector as it was when
//! cancelled.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use corio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

#[test]
fn appends_exact_bytes_after_existing_content() {
    corio::block_on(async {
        let mut input: &[u8] = b"hello, world";
        let mut buf = Vec::with_capacity(64);
        buf.extend_from_slice(b"> ");
        let n = input.read_buf(&mut buf).await.unwrap();
        assert_eq!(n, 12);
        assert_eq!(buf, b"> hello, world");
        assert_eq!(input.read_buf(&mut buf).await.unwrap(), 0);
        assert_eq!(buf, b"> hello, world");
    });
}

#[test]
fn reads_into_spare_capacity_only() {
    corio::block_on(async {
        let mut input: &[u8] = b"abcdefghij";
        let mut buf = Vec::with_capacity(4);
        assert_eq!(buf.capacity(), 4);
        let n = input.read_buf(&mut buf).await.unwrap();
        assert_eq!((n, &buf[..]), (4, &b"abcd"[..]));
        assert_eq!(input, b"efghij");
    });
}

#[test]
fn full_vector_grows_instead_of_reporting_end_of_stream() {
    corio::block_on(async {
        let mut input: &[u8] = b"xyz";
        let mut buf = b"ab".to_vec();
        buf.shrink_to_fit();
        assert_eq!(buf.capacity(), buf.len());
        let n = input.read_buf(&mut buf).await.unwrap();
        assert_eq!(n, 3);
        assert_eq!(buf, b"abxyz");
        assert!(buf.capacity() >= 2 + 64);
    });
}

#[test]
#[cfg_attr(miri, ignore)] // sockets-free, but the duplex pair wakes across tasks
fn reads_a_stream_in_pieces_until_end() {
    let data: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
    let expected = data.clone();
    let got = corio::block_on(async move {
        let (mut a, mut b) = corio::io::duplex(1000);
        let writer = corio::spawn(async move {
            a.write_all(&data).await.unwrap();
            a.shutdown().await.unwrap();
        });
        let mut buf = Vec::new();
        let mut calls = 0;
        while b.read_buf(&mut buf).await.unwrap() != 0 {
            calls += 1;
        }
        writer.await.unwrap();
        assert!(
            calls >= 10,
            "a 1000-byte pipe needs at least 10 reads, took {calls}"
        );
        buf
    });
    assert_eq!(got, expected);
}

/// Pending on the first poll, then the error or bytes given.
struct PendingOnce {
    polled: bool,
    then: Option<io::Error>,
}

impl AsyncRead for PendingOnce {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        if !self.polled {
            self.polled = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        match self.then.take() {
            Some(e) => Poll::Ready(Err(e)),
            None => {
                buf[..2].copy_from_slice(b"ok");
                Poll::Ready(Ok(2))
            }
        }
    }
}

#[test]
fn cancelled_read_leaves_the_vector_unchanged() {
    let mut reader = PendingOnce {
        polled: false,
        then: None,
    };
    let mut buf = b"kept".to_vec();
    {
        let mut fut = reader.read_buf(&mut buf);
        let waker = futures_task::noop_waker();
        let mut cx = Context::from_waker(&waker);
        assert!(Pin::new(&mut fut).poll(&mut cx).is_pending());
    }
    assert_eq!(buf, b"kept");
    let n = corio::block_on(reader.read_buf(&mut buf)).unwrap();
    assert_eq!((n, &buf[..]), (2, &b"keptok"[..]));
}

#[test]
fn error_leaves_the_vector_unchanged() {
    let mut reader = PendingOnce {
        polled: true,
        then: Some(io::Error::from(io::ErrorKind::ConnectionReset)),
    };
    let mut buf = b"kept".to_vec();
    let err = corio::block_on(reader.read_buf(&mut buf)).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::ConnectionReset);
    assert_eq!(buf, b"kept");
}
