//! `BufWriter` and `BufStream`: small writes coalesce into one, `flush` and `shutdown`
//! push the buffer out, large writes bypass it; and the integer read/write methods.

mod util;

use std::io::ErrorKind;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use corio::io::{
    AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufStream, BufWriter,
};
use corio::net::UnixStream;

use util::within;

const LIMIT: Duration = Duration::from_secs(20);

/// A writer that records every call: the bytes of each `poll_write`, and how many
/// flushes and closes it saw. It accepts at most `max_write` bytes per write.
#[derive(Default)]
struct Counting {
    writes: Vec<Vec<u8>>,
    flushes: usize,
    closes: usize,
    max_write: Option<usize>,
}

impl Counting {
    fn all(&self) -> Vec<u8> {
        self.writes.concat()
    }
}

impl AsyncWrite for Counting {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let n = self.max_write.map_or(buf.len(), |max| buf.len().min(max));
        self.writes.push(buf[..n].to_vec());
        Poll::Ready(Ok(n))
    }

    fn poll_flush(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        self.flushes += 1;
        Poll::Ready(Ok(()))
    }

    fn poll_close(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        self.closes += 1;
        Poll::Ready(Ok(()))
    }
}

#[test]
fn small_writes_coalesce_into_one_write_on_flush() {
    corio::block_on(async {
        let mut out = BufWriter::new(Counting::default());
        let mut expected = Vec::new();
        for i in 0..100 {
            let line = format!("line {i}\n");
            out.write_all(line.as_bytes()).await.unwrap();
            expected.extend_from_slice(line.as_bytes());
        }
        assert!(
            out.get_ref().writes.is_empty(),
            "nothing written before flush"
        );
        assert_eq!(out.buffer(), &expected[..]);
        out.flush().await.unwrap();
        assert_eq!(
            out.get_ref().writes,
            [expected.clone()],
            "100 writes -> 1 write"
        );
        assert_eq!(out.get_ref().flushes, 1);
        assert!(out.buffer().is_empty());
        // A flush with nothing buffered writes nothing but still flushes the writer.
        out.flush().await.unwrap();
        assert_eq!(out.get_ref().writes.len(), 1);
        assert_eq!(out.get_ref().flushes, 2);
    });
}

#[test]
fn a_full_buffer_is_written_before_the_write_that_does_not_fit() {
    corio::block_on(async {
        let mut out = BufWriter::with_capacity(10, Counting::default());
        out.write_all(b"abcdef").await.unwrap();
        out.write_all(b"ghij").await.unwrap(); // exactly fills it
        assert!(out.get_ref().writes.is_empty());
        out.write_all(b"k").await.unwrap(); // does not fit: the buffer goes first
        assert_eq!(out.get_ref().writes, [b"abcdefghij".to_vec()]);
        assert_eq!(out.buffer(), b"k");
        assert_eq!(
            out.get_ref().flushes,
            0,
            "a full buffer is written, not flushed"
        );
    });
}

#[test]
fn large_writes_bypass_the_buffer_after_what_is_buffered() {
    corio::block_on(async {
        let mut out = BufWriter::with_capacity(8, Counting::default());
        out.write_all(b"abc").await.unwrap();
        let big = [b'x'; 8];
        assert_eq!(out.write(&big).await.unwrap(), 8);
        assert_eq!(out.get_ref().writes, [b"abc".to_vec(), big.to_vec()]);
        assert!(out.buffer().is_empty());
    });
}

#[test]
fn a_short_writing_writer_still_gets_every_byte_in_order() {
    corio::block_on(async {
        let inner = Counting {
            max_write: Some(3),
            ..Counting::default()
        };
        let mut out = BufWriter::with_capacity(16, inner);
        let data: Vec<u8> = (0..40).collect();
        for chunk in data.chunks(5) {
            out.write_all(chunk).await.unwrap();
        }
        out.flush().await.unwrap();
        assert_eq!(out.get_ref().all(), data);
        assert!(out.get_ref().writes.iter().all(|w| w.len() <= 3));
    });
}

#[test]
fn shutdown_flushes_the_buffer_then_closes() {
    corio::block_on(async {
        let mut out = BufWriter::new(Counting::default());
        out.write_all(b"bye").await.unwrap();
        out.shutdown().await.unwrap();
        let inner = out.into_inner();
        assert_eq!(inner.writes, [b"bye".to_vec()]);
        assert_eq!(inner.closes, 1);
    });
}

#[test]
fn a_writer_accepting_zero_bytes_gives_write_zero() {
    struct Zero;
    impl AsyncWrite for Zero {
        fn poll_write(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
            _: &[u8],
        ) -> Poll<std::io::Result<usize>> {
            Poll::Ready(Ok(0))
        }
        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
            Poll::Ready(Ok(()))
        }
        fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }
    corio::block_on(async {
        let mut out = BufWriter::new(Zero);
        out.write_all(b"data").await.unwrap();
        let err = out.flush().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WriteZero);
    });
}

#[test]
#[cfg_attr(miri, ignore)]
fn buf_stream_answers_lines_over_a_socket() {
    corio::block_on(within(LIMIT, "BufStream", async {
        let (a, b) = UnixStream::pair().unwrap();
        let mut a = BufStream::new(a);
        let mut b = BufStream::new(b);
        a.write_all(b"ping\n").await.unwrap();
        a.flush().await.unwrap();
        let mut line = String::new();
        b.read_line(&mut line).await.unwrap();
        assert_eq!(line, "ping\n");
        b.write_all(b"pong\n").await.unwrap();
        b.shutdown().await.unwrap();
        let mut rest = String::new();
        assert_eq!(a.read_to_string(&mut rest).await.unwrap(), 5);
        assert_eq!(rest, "pong\n");
    }));
}

#[test]
fn integers_round_trip_in_big_and_little_endian() {
    corio::block_on(async {
        let mut out = Vec::new();
        out.write_u8(0xAB).await.unwrap();
        out.write_u16(0x0102).await.unwrap();
        out.write_u32(0x0304_0506).await.unwrap();
        out.write_u64(0x0708_090A_0B0C_0D0E).await.unwrap();
        out.write_i16_le(-2).await.unwrap();
        out.write_u32_le(0x0102_0304).await.unwrap();
        out.write_i64(-1).await.unwrap();
        out.write_i8(-3).await.unwrap();
        assert_eq!(
            out,
            [
                0xAB, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 0xFE, 0xFF, 4, 3, 2, 1, 0xFF,
                0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFD
            ]
        );
        let mut r: &[u8] = &out;
        assert_eq!(r.read_u8().await.unwrap(), 0xAB);
        assert_eq!(r.read_u16().await.unwrap(), 0x0102);
        assert_eq!(r.read_u32().await.unwrap(), 0x0304_0506);
        assert_eq!(r.read_u64().await.unwrap(), 0x0708_090A_0B0C_0D0E);
        assert_eq!(r.read_i16_le().await.unwrap(), -2);
        assert_eq!(r.read_u32_le().await.unwrap(), 0x0102_0304);
        assert_eq!(r.read_i64().await.unwrap(), -1);
        assert_eq!(r.read_i8().await.unwrap(), -3);
        let err = r.read_u8().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UnexpectedEof);
        let mut short: &[u8] = &[1, 2, 3];
        let err = short.read_u32().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UnexpectedEof);
    });
}

#[test]
fn take_and_chain_read_exact_bytes() {
    struct OneByteAtATime<'a>(&'a [u8]);
    impl AsyncRead for OneByteAtATime<'_> {
        fn poll_read(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut [u8],
        ) -> Poll<std::io::Result<usize>> {
            let end = buf.len().min(1);
            Pin::new(&mut self.0).poll_read(cx, &mut buf[..end])
        }
    }
    corio::block_on(async {
        let mut all = Vec::new();
        let reader = OneByteAtATime(b"head").chain(&b"-tail-ignored"[..]).take(9);
        assert_eq!(reader.limit(), 9);
        let mut reader = reader;
        assert_eq!(reader.read_to_end(&mut all).await.unwrap(), 9);
        assert_eq!(all, b"head-tail");
        assert_eq!(reader.limit(), 0);
        reader.set_limit(3);
        all.clear();
        reader.read_to_end(&mut all).await.unwrap();
        assert_eq!(all, b"-ig");
    });
}
