//! Writing to a peer that reset the connection: an error (`ConnectionReset` or
//! `BrokenPipe`), never a hang, a panic, or death by `SIGPIPE`.
//!
//! Rust programs (this test harness included) start with `SIGPIPE` ignored, which would
//! hide a `send` without `MSG_NOSIGNAL`. This file is its own test binary, so every test
//! here first puts `SIGPIPE` back to its default action: if corio ever raised it, the
//! whole binary would die of the signal and `cargo test` would report it. std's sockets
//! use `MSG_NOSIGNAL` themselves, so the peers here cannot trip it.

mod util;

use std::io::{ErrorKind, Read};
use std::net::TcpListener as StdListener;
use std::pin::Pin;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use corio::io::{AsyncReadExt, AsyncWrite, AsyncWriteExt};
use corio::net::TcpStream;

use util::within;

const LIMIT: Duration = Duration::from_secs(20);

fn sigpipe_default() {
    // SAFETY: installs the default disposition for SIGPIPE; no handler code runs.
    let previous = unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    assert_ne!(previous, libc::SIG_ERR);
}

fn is_reset(kind: ErrorKind) -> bool {
    matches!(kind, ErrorKind::ConnectionReset | ErrorKind::BrokenPipe)
}

#[test]
fn write_parked_on_a_full_buffer_fails_when_the_peer_resets() {
    sigpipe_default();
    let listener = StdListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (fill_tx, fill_rx) = mpsc::channel::<()>();
    // The peer accepts, never reads, and resets once told the writer is stuck.
    let peer = std::thread::spawn(move || {
        let (peer, _) = listener.accept().unwrap();
        fill_rx
            .recv_timeout(LIMIT)
            .expect("the writer never filled the socket");
        util::reset(peer);
    });
    corio::block_on(async {
        let mut stream = within(LIMIT, "connect", TcpStream::connect(addr))
            .await
            .unwrap();
        let chunk = vec![7u8; 64 * 1024];
        let mut fill_tx = Some(fill_tx);
        let (mut written, mut parked) = (0usize, 0u32);
        let deadline = Instant::now() + LIMIT;
        let err = loop {
            assert!(Instant::now() < deadline, "no error after {written} bytes");
            let mut s = Pin::new(&mut stream);
            let result = std::future::poll_fn(|cx| {
                let polled = s.as_mut().poll_write(cx, &chunk);
                if polled.is_pending() {
                    parked += 1;
                    // The writer is parked on a full buffer: now the peer may reset.
                    if let Some(tx) = fill_tx.take() {
                        tx.send(()).unwrap();
                    }
                }
                polled
            })
            .await;
            match result {
                Ok(n) => written += n,
                Err(e) => break e,
            }
        };
        assert!(
            parked >= 1,
            "the RST should arrive while the write is parked"
        );
        assert!(is_reset(err.kind()), "write to a reset peer gave {err:?}");
        // Every later write fails at once as well; none hangs.
        for _ in 0..3 {
            let e = within(LIMIT, "write after reset", stream.write(b"more"))
                .await
                .unwrap_err();
            assert!(is_reset(e.kind()), "later write gave {e:?}");
        }
        // Reading a reset connection: an error or end of stream, at once.
        let mut buf = [0u8; 16];
        match within(LIMIT, "read after reset", stream.read(&mut buf)).await {
            Ok(0) => {}
            Err(e) if is_reset(e.kind()) => {}
            other => panic!("read after reset gave {other:?}"),
        }
    });
    peer.join().unwrap();
}

#[test]
fn first_write_after_the_peer_reset_fails_without_sigpipe() {
    sigpipe_default();
    let listener = StdListener::bind("127.0.0.1:0").unwrap();
    corio::block_on(async {
        let mut stream = within(
            LIMIT,
            "connect",
            TcpStream::connect(listener.local_addr().unwrap()),
        )
        .await
        .unwrap();
        let (peer, _) = listener.accept().unwrap();
        let peer_addr = peer.local_addr().unwrap();
        let ours = stream.local_addr().unwrap();
        util::reset(peer);
        // Wait until the kernel has torn down the peer's socket (the RST went out).
        assert!(util::wait_for(LIMIT, Duration::from_millis(5), || {
            !util::tcp_socket_exists(peer_addr, ours)
        }));
        // Our side is told by the RST; the writes fail however many we try. The first
        // may be ECONNRESET and later ones EPIPE, which is where SIGPIPE would come from.
        let mut kinds = Vec::new();
        for _ in 0..4 {
            match within(LIMIT, "write to a reset peer", stream.write_all(b"hello")).await {
                Ok(()) => kinds.push(None),
                Err(e) => kinds.push(Some(e.kind())),
            }
        }
        assert!(
            kinds.iter().all(|k| k.is_some_and(is_reset)),
            "writes to a reset peer gave {kinds:?}"
        );
        assert!(
            kinds.contains(&Some(ErrorKind::BrokenPipe)),
            "EPIPE never came up, so SIGPIPE was not exercised: {kinds:?}"
        );
    });
}

#[test]
fn std_peer_sees_reset_when_corio_stream_closes_with_unread_data() {
    // The mirror image: corio dropping a stream with unread input resets the peer (the
    // kernel's rule), and corio does not linger or panic on the way out.
    sigpipe_default();
    let listener = StdListener::bind("127.0.0.1:0").unwrap();
    let mut peer = None;
    corio::block_on(async {
        let stream = within(
            LIMIT,
            "connect",
            TcpStream::connect(listener.local_addr().unwrap()),
        )
        .await
        .unwrap();
        let (mut p, _) = listener.accept().unwrap();
        std::io::Write::write_all(&mut p, b"never read").unwrap();
        // Wait until the bytes are in corio's receive queue, then drop it unread.
        assert!(util::wait_for(LIMIT, Duration::from_millis(2), || {
            util::unread_bytes(&stream) == 10
        }));
        drop(stream);
        peer = Some(p);
    });
    let mut peer = peer.unwrap();
    peer.set_read_timeout(Some(LIMIT)).unwrap();
    let err = peer.read(&mut [0u8; 16]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionReset);
}

#[test]
fn write_after_our_own_close_is_broken_pipe_without_sigpipe() {
    // EPIPE without any reset: writing after shutdown(Write). Same SIGPIPE hazard.
    sigpipe_default();
    let listener = StdListener::bind("127.0.0.1:0").unwrap();
    corio::block_on(async {
        let mut stream = within(
            LIMIT,
            "connect",
            TcpStream::connect(listener.local_addr().unwrap()),
        )
        .await
        .unwrap();
        let (mut peer, _) = listener.accept().unwrap();
        stream.write_all(b"done").await.unwrap();
        stream.close().await.unwrap();
        stream.close().await.unwrap(); // closing twice is harmless
        for _ in 0..3 {
            let err = within(LIMIT, "write after close", stream.write(b"late"))
                .await
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::BrokenPipe, "got {err:?}");
        }
        // The peer saw exactly the bytes before the close, then EOF; reading still works.
        peer.set_read_timeout(Some(LIMIT)).unwrap();
        let mut got = Vec::new();
        peer.read_to_end(&mut got).unwrap();
        assert_eq!(got, b"done");
        std::io::Write::write_all(&mut peer, b"reply").unwrap();
        let mut reply = [0u8; 5];
        within(LIMIT, "read after our close", stream.read_exact(&mut reply))
            .await
            .unwrap();
        assert_eq!(&reply, b"reply");
    });
}
