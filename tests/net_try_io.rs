//! `try_io` and `async_io` on sockets: a system call of the caller's own, run under the
//! socket's readiness, whose `WouldBlock` clears that readiness.

use std::cell::Cell;
use std::io::{self, Read};
use std::os::fd::AsRawFd;

use corio::io::Interest;
use corio::net::{TcpListener, TcpStream, UdpSocket};

/// `send(2)` of `buf` on `fd`, non-blocking: the foreign call the tests run.
fn raw_send(fd: i32, buf: &[u8]) -> io::Result<usize> {
    // SAFETY: `buf` is valid for `buf.len()` bytes for the call.
    let n = unsafe { libc::send(fd, buf.as_ptr().cast(), buf.len(), libc::MSG_DONTWAIT) };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

/// A connected pair: corio's end, and a std end for the peer.
async fn pair() -> (TcpStream, std::net::TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let peer = std::net::TcpStream::connect(addr).unwrap();
    let (stream, _) = listener.accept().await.unwrap();
    (stream, peer)
}

#[test]
#[cfg_attr(miri, ignore)]
fn async_io_parks_after_would_block_and_runs_once_when_writable() {
    corio::block_on(async {
        let (stream, mut peer) = pair().await;
        let fd = stream.as_raw_fd();
        let chunk = [b'x'; 64 * 1024];
        // Fill the send buffer through try_io until the kernel says WouldBlock.
        let mut queued = 0usize;
        let would_block = loop {
            match stream.try_io(Interest::WRITABLE, || raw_send(fd, &chunk)) {
                Ok(n) => queued += n,
                Err(e) => break e,
            }
        };
        assert_eq!(would_block.kind(), io::ErrorKind::WouldBlock);
        // Readiness is cleared now: try_io does not even call the closure.
        let calls = Cell::new(0);
        let skipped = stream.try_io(Interest::WRITABLE, || {
            calls.set(calls.get() + 1);
            raw_send(fd, b"y")
        });
        assert_eq!(skipped.unwrap_err().kind(), io::ErrorKind::WouldBlock);
        assert_eq!(calls.get(), 0);

        // The peer drains everything on a thread; async_io waits for the writable event
        // and calls the closure exactly once: no call spins on a full buffer.
        let drain = std::thread::spawn(move || {
            let mut got = vec![0u8; queued];
            peer.read_exact(&mut got).unwrap();
            assert!(got.iter().all(|&b| b == b'x'));
            let mut last = [0u8; 1];
            peer.read_exact(&mut last).unwrap();
            last
        });
        let sent = stream
            .async_io(Interest::WRITABLE, || {
                calls.set(calls.get() + 1);
                raw_send(fd, b"z")
            })
            .await
            .unwrap();
        assert_eq!((sent, calls.get()), (1, 1));
        assert_eq!(drain.join().unwrap(), *b"z");
    });
}

#[test]
#[cfg_attr(miri, ignore)]
fn both_directions_at_once_are_invalid_input_and_the_closure_never_runs() {
    corio::block_on(async {
        let (stream, _peer) = pair().await;
        let both = Interest::BOTH;
        let err = stream
            .try_io(both, || -> io::Result<()> { panic!("must not run") })
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        let err = stream
            .async_io(both, || -> io::Result<()> { panic!("must not run") })
            .await
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    });
}

#[test]
#[cfg_attr(miri, ignore)]
fn udp_async_io_waits_for_a_datagram_then_reads_it_with_the_callers_recv() {
    corio::block_on(async {
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = socket.local_addr().unwrap();
        let fd = socket.as_raw_fd();
        let recv = |buf: &mut [u8]| -> io::Result<usize> {
            // SAFETY: `buf` is valid for writes of `buf.len()` bytes for the call.
            let n = unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), 0) };
            if n < 0 {
                Err(io::Error::last_os_error())
            } else {
                Ok(n as usize)
            }
        };
        let mut buf = [0u8; 16];
        // Nothing queued: the caller's recv says WouldBlock, which clears readiness.
        let err = socket
            .try_io(Interest::READABLE, || recv(&mut buf))
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
        let sender = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let send = std::thread::spawn(move || sender.send_to(b"ping", addr).unwrap());
        let calls = Cell::new(0);
        let n = socket
            .async_io(Interest::READABLE, || {
                calls.set(calls.get() + 1);
                recv(&mut buf)
            })
            .await
            .unwrap();
        send.join().unwrap();
        assert_eq!((&buf[..n], calls.get()), (&b"ping"[..], 1));
    });
}
