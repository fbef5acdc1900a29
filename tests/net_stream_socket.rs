//! `TcpStream` and `UnixStream` are one generic `StreamSocket<K>`; what differs is the
//! family's rule for a short read. A short TCP `recv` drains the receive queue, so read
//! readiness is cleared and a `try_read` right after it says `WouldBlock` without a
//! syscall, even with new bytes queued (they are announced by the next event). A short
//! Unix `recv` proves nothing, so readiness is kept and the same `try_read` gets the bytes.
//! Each rule is checked on the stream and on its read half, which read through the same
//! code.

mod util;

use std::io::{ErrorKind, Write};
use std::net::TcpListener as StdListener;
use std::os::unix::net::UnixStream as StdUnixStream;
use std::task::Poll;
use std::time::Duration;

use corio::io::{AsyncRead, AsyncReadExt};
use corio::net::{TcpStream, UnixStream};

use util::within;

const LIMIT: Duration = Duration::from_secs(20);

/// A corio TCP stream and its connected std peer.
async fn tcp_pair() -> (TcpStream, std::net::TcpStream) {
    let listener = StdListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let stream = within(LIMIT, "connect", TcpStream::connect(addr))
        .await
        .unwrap();
    let (peer, _) = listener.accept().unwrap();
    (stream, peer)
}

/// A corio Unix stream and its connected std peer.
fn unix_pair() -> (UnixStream, StdUnixStream) {
    let (ours, peer) = StdUnixStream::pair().unwrap();
    (UnixStream::from_std(ours).unwrap(), peer)
}

/// Reads "hi" short (into 16 bytes) through `reader`, then queues "more" from `peer`:
/// the caller's `try_read`, with no await in between, shows what the short read left.
async fn short_read_then_queue(reader: &mut (impl AsyncRead + Unpin), peer: &mut impl Write) {
    peer.write_all(b"hi").unwrap();
    let mut buf = [0u8; 16];
    let n = within(LIMIT, "the short read", reader.read(&mut buf))
        .await
        .unwrap();
    assert_eq!(&buf[..n], b"hi");
    peer.write_all(b"more").unwrap();
}

#[test]
#[cfg_attr(miri, ignore)]
fn a_short_tcp_read_clears_readiness_until_the_next_event() {
    corio::block_on(async {
        let (mut stream, mut peer) = tcp_pair().await;
        short_read_then_queue(&mut stream, &mut peer).await;
        let err = stream.try_read(&mut [0u8; 16]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WouldBlock);
        // The bytes are not lost: the event for them makes the stream readable again.
        within(LIMIT, "readable", stream.readable()).await.unwrap();
        let mut buf = [0u8; 16];
        assert_eq!(stream.try_read(&mut buf).unwrap(), 4);
        assert_eq!(&buf[..4], b"more");
    });
}

#[test]
#[cfg_attr(miri, ignore)]
fn a_short_tcp_read_through_a_read_half_clears_readiness() {
    corio::block_on(async {
        let (stream, mut peer) = tcp_pair().await;
        let (mut read_half, _write_half) = stream.split();
        short_read_then_queue(&mut read_half, &mut peer).await;
        let err = stream.try_read(&mut [0u8; 16]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WouldBlock);
    });
}

#[test]
#[cfg_attr(miri, ignore)]
fn a_short_unix_read_keeps_readiness() {
    corio::block_on(async {
        let (mut stream, mut peer) = unix_pair();
        short_read_then_queue(&mut stream, &mut peer).await;
        let mut buf = [0u8; 16];
        assert_eq!(stream.try_read(&mut buf).unwrap(), 4);
        assert_eq!(&buf[..4], b"more");
    });
}

#[test]
#[cfg_attr(miri, ignore)]
fn a_short_unix_read_through_an_owned_read_half_keeps_readiness() {
    corio::block_on(async {
        let (stream, mut peer) = unix_pair();
        let (mut read_half, _write_half) = stream.into_split();
        short_read_then_queue(&mut read_half, &mut peer).await;
        // The owned half has no `try_read`; a read that returns at once shows the same:
        // with readiness kept it goes straight to `recv`.
        let mut buf = [0u8; 16];
        let mut read = read_half.read(&mut buf);
        let n = util::poll_once(&mut read).await;
        assert!(matches!(n, Poll::Ready(Ok(4))), "the read waited: {n:?}");
        assert_eq!(&buf[..4], b"more");
    });
}
