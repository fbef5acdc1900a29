//! Vectored writes: a socket sends several buffers in one `sendmsg`, with the same
//! readiness rules as `write` (a short write parks the next one until there is room);
//! other writers fall back to the first non-empty buffer.

mod util;

use std::io::IoSlice;
use std::pin::Pin;
use std::task::{Context, Poll};

use corio::io::{AsyncReadExt, AsyncWrite, AsyncWriteExt};
use corio::net::{TcpListener, TcpStream, UnixStream};
use util::within;

const LIMIT: std::time::Duration = std::time::Duration::from_secs(20);

async fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (server, _) = listener.accept().await.unwrap();
    (client, server)
}

#[test]
#[cfg_attr(miri, ignore)]
fn three_buffers_leave_as_one_write_in_order() {
    corio::block_on(async {
        let (mut client, mut server) = tcp_pair().await;
        assert!(client.is_write_vectored());
        let bufs = [
            IoSlice::new(b"HTTP/1.1 200 OK\r\n"),
            IoSlice::new(b""),
            IoSlice::new(b"content-length: 5\r\n\r\n"),
            IoSlice::new(b"hello"),
        ];
        let n = client.write_vectored(&bufs).await.unwrap();
        assert_eq!(n, 17 + 21 + 5, "all of it, in one call");
        client.shutdown().await.unwrap();
        let mut got = Vec::new();
        within(LIMIT, "read", server.read_to_end(&mut got))
            .await
            .unwrap();
        assert_eq!(got, b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello");
        // Nothing to write is not an error, and writes nothing.
        assert_eq!(client.write_vectored(&[]).await.unwrap(), 0);
    });
}

#[test]
#[cfg_attr(miri, ignore)]
fn a_peer_that_does_not_read_gets_a_short_write_then_a_park_then_the_rest() {
    corio::block_on(async {
        let (mut client, mut server) = tcp_pair().await;
        // Far more than the socket buffers hold, in 64 pieces of 64 KiB.
        let piece: Vec<u8> = (0..65_536u32).map(|i| (i % 251) as u8).collect();
        let bufs: Vec<IoSlice<'_>> = (0..64).map(|_| IoSlice::new(&piece)).collect();
        let total = 64 * piece.len();
        let first = client.write_vectored(&bufs).await.unwrap();
        assert!(
            first > 0 && first < total,
            "a short write: {first} of {total}"
        );
        // The buffer is full: the next write parks rather than returning 0.
        let mut cx = Context::from_waker(std::task::Waker::noop());
        let again = Pin::new(&mut client).poll_write_vectored(&mut cx, &bufs);
        assert!(again.is_pending(), "{again:?}");
        // Drain on one side while the rest goes out on the other, byte for byte.
        let reader = async {
            let mut got = Vec::with_capacity(total);
            server.read_to_end(&mut got).await.unwrap();
            got
        };
        let writer = async {
            let mut sent = first;
            while sent < total {
                let skip = sent / piece.len();
                let offset = sent % piece.len();
                let mut rest = vec![IoSlice::new(&piece[offset..])];
                rest.extend((skip + 1..64).map(|_| IoSlice::new(&piece)));
                sent += client.write_vectored(&rest).await.unwrap();
            }
            client.shutdown().await.unwrap();
            sent
        };
        let (got, sent) = within(LIMIT, "transfer", async { corio::join!(reader, writer) }).await;
        assert_eq!(sent, total);
        assert_eq!(got.len(), total);
        assert!(got
            .chunks(piece.len())
            .all(|chunk| chunk == piece.as_slice()));
    });
}

#[test]
#[cfg_attr(miri, ignore)]
fn halves_and_unix_streams_write_vectored_too() {
    corio::block_on(async {
        let (client, mut server) = tcp_pair().await;
        let (_read, mut write) = client.into_split();
        assert!(write.is_write_vectored());
        let n = write
            .write_vectored(&[IoSlice::new(b"ab"), IoSlice::new(b"cd")])
            .await
            .unwrap();
        assert_eq!(n, 4);
        let mut got = [0u8; 4];
        server.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"abcd");

        let (mut a, mut b) = UnixStream::pair().unwrap();
        let n = a
            .write_vectored(&[IoSlice::new(b"x"), IoSlice::new(b"yz")])
            .await
            .unwrap();
        assert_eq!(n, 3);
        let mut got = [0u8; 3];
        b.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"xyz");
    });
}

/// A writer with only `poll_write`: takes everything it is given, and counts calls.
#[derive(Default)]
struct Plain {
    written: Vec<u8>,
    calls: usize,
}

impl AsyncWrite for Plain {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.calls += 1;
        self.written.extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// One vectored write through `writer` (here `&mut Box<Plain>`: both forwarding impls).
async fn write_through<W: AsyncWrite + Unpin>(mut writer: W, bufs: &[IoSlice<'_>]) -> usize {
    assert!(!writer.is_write_vectored());
    writer.write_vectored(bufs).await.unwrap()
}

#[test]
fn the_default_writes_the_first_non_empty_buffer() {
    corio::block_on(async {
        let mut plain = Plain::default();
        assert!(!plain.is_write_vectored());
        let bufs = [
            IoSlice::new(b""),
            IoSlice::new(b"one"),
            IoSlice::new(b"two"),
        ];
        assert_eq!(plain.write_vectored(&bufs).await.unwrap(), 3);
        assert_eq!((plain.written.as_slice(), plain.calls), (&b"one"[..], 1));
        // Through `&mut` and `Box`, the same.
        let mut boxed: Box<Plain> = Box::default();
        assert_eq!(write_through(&mut boxed, &bufs).await, 3);
        assert_eq!(boxed.written, b"one");
    });
}
