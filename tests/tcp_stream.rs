//! `corio::net::TcpStream` at the edges: half-close, zero-length I/O, refused connects,
//! and writes larger than the socket buffer to a slow reader.
//!
//! The peer is always a plain `std` socket, driven from its own thread where it has to
//! block, so what corio does is observed from outside the runtime.

mod util;

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener as StdListener};
use std::pin::Pin;
use std::task::Poll;
use std::time::{Duration, Instant};

use corio::io::{AsyncReadExt, AsyncWrite, AsyncWriteExt};
use corio::net::TcpStream;

use util::{join2, pattern, poll_once, within};

const LIMIT: Duration = Duration::from_secs(20);

/// A std listener on an ephemeral loopback port.
fn std_listener() -> StdListener {
    StdListener::bind("127.0.0.1:0").unwrap()
}

/// Connects a corio stream to `listener` and accepts the std end (the handshake is done
/// by the kernel, so the blocking accept returns at once).
async fn connected_pair(listener: &StdListener) -> (TcpStream, std::net::TcpStream) {
    let addr = listener.local_addr().unwrap();
    let stream = within(LIMIT, "connect", TcpStream::connect(addr))
        .await
        .unwrap();
    let (peer, peer_addr) = listener.accept().unwrap();
    assert_eq!(peer_addr, stream.local_addr().unwrap());
    peer.set_read_timeout(Some(LIMIT)).unwrap();
    peer.set_write_timeout(Some(LIMIT)).unwrap();
    (stream, peer)
}

#[test]
fn after_peer_half_close_reads_give_eof_and_writes_still_arrive() {
    const REPLY: usize = 4 << 20;
    let listener = std_listener();
    // Small buffers both ways, so the reply cannot vanish into them: the writer has to
    // wait for space again and again after the peer's FIN.
    util::set_socket_option(&listener, libc::SO_RCVBUF, 32 * 1024);
    let rt = corio::Runtime::new().unwrap();
    rt.block_on(async {
        let (mut stream, mut peer) = connected_pair(&listener).await;
        util::set_socket_option(&stream, libc::SO_SNDBUF, 32 * 1024);
        peer.write_all(b"last words").unwrap();
        peer.shutdown(Shutdown::Write).unwrap();

        let mut got = Vec::new();
        let n = within(LIMIT, "read to EOF", stream.read_to_end(&mut got))
            .await
            .unwrap();
        assert_eq!((n, &got[..]), (10, &b"last words"[..]));
        // EOF is sticky: every further read says Ok(0) at once, it never hangs.
        let mut buf = [0u8; 64];
        for _ in 0..3 {
            let n = within(LIMIT, "read after EOF", stream.read(&mut buf)).await;
            assert_eq!(n.unwrap(), 0);
        }

        // The peer only closed its write half: it still reads, slowly, on a thread.
        let reader = std::thread::spawn(move || {
            let mut received = Vec::with_capacity(REPLY);
            let mut chunk = vec![0u8; 16 * 1024];
            loop {
                let n = peer.read(&mut chunk).unwrap();
                if n == 0 {
                    return received;
                }
                received.extend_from_slice(&chunk[..n]);
                std::thread::sleep(Duration::from_millis(1)); // a slow reader, on purpose
            }
        });
        let data = pattern(REPLY, 7);
        let wall = Instant::now();
        let cpu = util::thread_cpu_time();
        within(LIMIT, "write after the peer's FIN", stream.write_all(&data))
            .await
            .unwrap();
        stream.close().await.unwrap();
        let (wall, cpu) = (wall.elapsed(), util::thread_cpu_time() - cpu);
        let received = reader.join().unwrap();
        assert_eq!(received.len(), REPLY);
        assert!(received == data, "the half-closed peer got different bytes");
        // EPOLLRDHUP is not a hang-up: a writer parked on a half-closed socket must sleep,
        // not spin. Spinning would burn about as much CPU as the wall time.
        assert!(
            wall > Duration::from_millis(100),
            "the reply went out in {wall:?}: the buffers absorbed it, nothing was tested"
        );
        assert!(
            cpu < wall / 3,
            "the runtime thread used {cpu:?} of CPU in {wall:?} writing to a half-closed peer"
        );
    });
}

#[test]
fn zero_length_read_is_ok_zero_not_eof_and_keeps_readiness() {
    let listener = std_listener();
    let rt = corio::Runtime::new().unwrap();
    rt.block_on(async {
        let (mut stream, mut peer) = connected_pair(&listener).await;

        // Nothing to read yet: an empty buffer still completes at the very first poll.
        let mut empty = [0u8; 0];
        let mut read = stream.read(&mut empty);
        match poll_once(&mut read).await {
            Poll::Ready(Ok(0)) => {}
            other => panic!("empty read with no data: {other:?}"),
        }

        // Data waiting, readiness recorded: an empty read must not consume it (with
        // edge-triggered epoll no second event would come to announce it again).
        peer.write_all(b"abc").unwrap();
        within(LIMIT, "readable", stream.readable()).await.unwrap();
        assert_eq!(stream.read(&mut empty).await.unwrap(), 0);
        stream.read_exact(&mut empty).await.unwrap();
        let mut buf = [0u8; 16];
        let n = within(LIMIT, "read after an empty read", stream.read(&mut buf))
            .await
            .unwrap();
        assert_eq!(&buf[..n], b"abc");

        // And the stream is not at EOF: more data flows, then the real EOF.
        peer.write_all(b"defg").unwrap();
        peer.shutdown(Shutdown::Write).unwrap();
        let mut rest = Vec::new();
        within(LIMIT, "read to EOF", stream.read_to_end(&mut rest))
            .await
            .unwrap();
        assert_eq!(rest, b"defg");
    });
}

#[test]
fn zero_length_write_is_ok_zero_even_when_the_buffer_is_full() {
    let listener = std_listener();
    let rt = corio::Runtime::new().unwrap();
    rt.block_on(async {
        let (mut stream, mut peer) = connected_pair(&listener).await;
        assert_eq!(stream.write(&[]).await.unwrap(), 0);
        stream.write_all(&[]).await.unwrap();
        stream.write_all(b"xyz").await.unwrap();

        // Fill the send path until a write parks: the socket is then not writable.
        let chunk = vec![0x5au8; 256 * 1024];
        let mut filled = 0usize;
        loop {
            let mut write = Pin::new(&mut stream);
            let polled =
                std::future::poll_fn(|cx| Poll::Ready(write.as_mut().poll_write(cx, &chunk))).await;
            match polled {
                Poll::Ready(Ok(n)) => filled += n,
                Poll::Ready(Err(e)) => panic!("write failed: {e}"),
                Poll::Pending => break,
            }
            assert!(filled < 256 << 20, "the socket never filled up");
        }
        // An empty write on a full socket completes at once: it neither parks nor errs.
        let mut write = stream.write(&[]);
        match poll_once(&mut write).await {
            Poll::Ready(Ok(0)) => {}
            other => panic!("empty write on a full socket: {other:?}"),
        }
        drop(write);

        let drain = std::thread::spawn(move || {
            let mut all = Vec::new();
            peer.read_to_end(&mut all).unwrap();
            all
        });
        within(LIMIT, "final write", stream.write_all(b"end"))
            .await
            .unwrap();
        stream.close().await.unwrap();
        let all = drain.join().unwrap();
        // Exactly the bytes written: empty writes added nothing and did not end the stream.
        assert_eq!(all.len(), 3 + filled + 3);
        assert_eq!(&all[..3], b"xyz");
        assert!(all[3..3 + filled].iter().all(|&b| b == 0x5a));
        assert_eq!(&all[3 + filled..], b"end");
    });
}

#[test]
fn connect_to_a_closed_port_is_connection_refused() {
    // A port that was just free: bind, note it, close.
    let addr = std_listener().local_addr().unwrap();
    let rt = corio::Runtime::new().unwrap();
    let err = rt
        .block_on(within(LIMIT, "refused connect", TcpStream::connect(addr)))
        .expect_err("connect to a closed port succeeded");
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "got {err:?}");
    assert_eq!(err.raw_os_error(), Some(libc::ECONNREFUSED));
    // The failed socket was deregistered (and closed with it).
    assert_eq!(rt.registered_sources(), 0);
    // Twice in a row, and a good connect afterwards, on the same runtime.
    let err = rt.block_on(TcpStream::connect(addr)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
    let listener = std_listener();
    let stream = rt
        .block_on(TcpStream::connect(listener.local_addr().unwrap()))
        .unwrap();
    assert_eq!(stream.peer_addr().unwrap(), listener.local_addr().unwrap());
}

#[test]
fn write_larger_than_socket_buffer_resumes_on_writable_in_order() {
    const TOTAL: usize = 8 << 20;
    let listener = std_listener();
    // A small receive buffer on the peer (inherited by the accepted socket), so the send
    // path fills after a few hundred KiB at most.
    util::set_socket_option(&listener, libc::SO_RCVBUF, 64 * 1024);
    let rt = corio::Runtime::new().unwrap();
    rt.block_on(async {
        let (mut stream, mut peer) = connected_pair(&listener).await;
        let data = pattern(TOTAL, 42);
        let reader = std::thread::spawn(move || {
            // Start late and read in small bursts: the writer must park and resume.
            std::thread::sleep(Duration::from_millis(100));
            let mut received = Vec::with_capacity(TOTAL);
            let mut chunk = [0u8; 4096];
            let mut bursts = 0u32;
            loop {
                let n = peer.read(&mut chunk).unwrap();
                if n == 0 {
                    return received;
                }
                received.extend_from_slice(&chunk[..n]);
                bursts += 1;
                if bursts % 64 == 0 {
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
        });

        // write_all, by hand, counting short writes and parks.
        let (mut sent, mut short, mut parked) = (0usize, 0u32, 0u32);
        let deadline = Instant::now() + LIMIT;
        while sent < TOTAL {
            assert!(Instant::now() < deadline, "stuck after {sent} bytes");
            let mut s = Pin::new(&mut stream);
            let rest = &data[sent..];
            let n = std::future::poll_fn(|cx| {
                let polled = s.as_mut().poll_write(cx, rest);
                if polled.is_pending() {
                    parked += 1;
                }
                polled
            })
            .await
            .unwrap();
            assert!(n > 0 && n <= rest.len());
            if n < rest.len() {
                short += 1;
            }
            sent += n;
        }
        stream.close().await.unwrap();
        let received = reader.join().unwrap();
        assert_eq!(received.len(), TOTAL);
        assert!(received == data, "bytes arrived changed or out of order");
        assert!(short >= 1, "no short write: the buffer was never exceeded");
        assert!(parked >= 1, "the writer never had to wait for writable");
    });
}

#[test]
fn concurrent_reads_and_writes_on_one_stream_with_shared_references() {
    // `&TcpStream` is AsyncRead + AsyncWrite: one future reads while another writes.
    const TOTAL: usize = 2 << 20;
    let listener = std_listener();
    let rt = corio::Runtime::new().unwrap();
    rt.block_on(async {
        let (stream, peer) = connected_pair(&listener).await;
        // The peer echoes everything back, unchanged, on a thread.
        let echo = std::thread::spawn(move || {
            let mut peer = peer;
            let mut buf = vec![0u8; 32 * 1024];
            loop {
                let n = peer.read(&mut buf).unwrap();
                if n == 0 {
                    peer.shutdown(Shutdown::Write).unwrap();
                    return;
                }
                peer.write_all(&buf[..n]).unwrap();
            }
        });
        let data = pattern(TOTAL, 3);
        let write = async {
            let mut w = &stream;
            w.write_all(&data).await.unwrap();
            w.close().await.unwrap();
        };
        let read = async {
            let mut r = &stream;
            let mut got = Vec::new();
            r.read_to_end(&mut got).await.unwrap();
            got
        };
        let ((), got) = within(LIMIT, "echo through &TcpStream", join2(write, read)).await;
        echo.join().unwrap();
        assert_eq!(got.len(), TOTAL);
        assert!(got == data);
    });
}

#[test]
fn bytes_after_an_urgent_byte_are_still_delivered() {
    // recv stops at the urgent mark: "ab" comes back short although "de" is already
    // queued behind the urgent byte. A short read does not always mean "drained".
    let listener = std_listener();
    let rt = corio::Runtime::new().unwrap();
    rt.block_on(async {
        let (mut stream, mut peer) = connected_pair(&listener).await;
        peer.set_nodelay(true).unwrap();
        peer.write_all(b"ab").unwrap();
        util::send_urgent(&peer, b'c');
        peer.write_all(b"de").unwrap();
        // All five bytes are in our receive queue before corio reads anything, so they
        // come with a single readiness edge.
        let (ours, theirs) = (stream.local_addr().unwrap(), peer.local_addr().unwrap());
        assert!(
            util::wait_for(LIMIT, Duration::from_millis(2), || {
                util::tcp_rx_queue(ours, theirs) == Some(5)
            }),
            "the bytes never arrived"
        );
        let mut buf = [0u8; 64];
        let n = within(LIMIT, "first read", stream.read(&mut buf))
            .await
            .unwrap();
        assert_eq!(
            &buf[..n],
            b"ab",
            "the kernel stops a read at the urgent mark"
        );
        // The urgent byte is out of band (SO_OOBINLINE is off); the stream goes on with "de".
        let n = within(
            Duration::from_secs(3),
            "the bytes after the urgent byte",
            stream.read(&mut buf),
        )
        .await
        .unwrap();
        assert_eq!(&buf[..n], b"de");
    });
}

/// `(O_NONBLOCK set, FD_CLOEXEC set)` for a descriptor.
fn fd_flags(fd: &impl std::os::fd::AsRawFd) -> (bool, bool) {
    let fd = fd.as_raw_fd();
    // SAFETY: fcntl with F_GETFL/F_GETFD on a live descriptor takes no pointers.
    let (fl, fdfl) = unsafe {
        (
            libc::fcntl(fd, libc::F_GETFL),
            libc::fcntl(fd, libc::F_GETFD),
        )
    };
    assert!(
        fl >= 0 && fdfl >= 0,
        "fcntl: {}",
        std::io::Error::last_os_error()
    );
    (fl & libc::O_NONBLOCK != 0, fdfl & libc::FD_CLOEXEC != 0)
}

#[test]
fn every_socket_is_non_blocking_and_close_on_exec() {
    corio::block_on(async {
        let listener = corio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        assert_eq!(fd_flags(&listener), (true, true), "listener");
        let client = within(LIMIT, "connect", TcpStream::connect(addr))
            .await
            .unwrap();
        assert_eq!(fd_flags(&client), (true, true), "connected stream");
        let (accepted, from) = within(LIMIT, "accept", listener.accept()).await.unwrap();
        assert_eq!(from, client.local_addr().unwrap());
        assert_eq!(accepted.peer_addr().unwrap(), client.local_addr().unwrap());
        assert_eq!(fd_flags(&accepted), (true, true), "accepted stream");
        // Wrapping std sockets switches them to non-blocking.
        let std_stream = std::net::TcpStream::connect(addr).unwrap();
        let wrapped = TcpStream::from_std(std_stream).unwrap();
        assert!(fd_flags(&wrapped).0, "from_std stream is blocking");
        let std_listener = std_listener();
        let wrapped = corio::net::TcpListener::from_std(std_listener).unwrap();
        assert!(fd_flags(&wrapped).0, "from_std listener is blocking");
        // TCP_NODELAY round-trips.
        client.set_nodelay(true).unwrap();
        assert!(client.nodelay().unwrap());
        client.set_nodelay(false).unwrap();
        assert!(!client.nodelay().unwrap());
    });
}
