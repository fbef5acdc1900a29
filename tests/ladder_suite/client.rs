//! The client side of every check: blocking sockets with [`STEP`] timeouts, one-shot
//! exchanges, reply comparison, and the TCP-level tools (`MSG_DONTWAIT` sends, the
//! socket's TCP state).

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use std::time::Duration;

use super::STEP;
use crate::util::{self, upper, Server};

/// Connects to `addr` with [`STEP`] timeouts on reads and writes.
pub fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect to {addr}: {e}"));
    stream.set_read_timeout(Some(STEP)).unwrap();
    stream.set_write_timeout(Some(STEP)).unwrap();
    stream.set_nodelay(true).unwrap();
    stream
}

/// Reads exactly `len` bytes (within [`STEP`] per read); panics naming `what` otherwise.
pub fn read_exact(stream: &mut TcpStream, len: usize, what: &str) -> Vec<u8> {
    let mut buf = vec![0; len];
    stream
        .read_exact(&mut buf)
        .unwrap_or_else(|e| panic!("{what}: reading {len} bytes: {e}"));
    buf
}

/// Reads until the server closes; an error (a reset, a timeout) fails the check.
pub fn read_to_eof(stream: &mut TcpStream, what: &str) -> Vec<u8> {
    let mut buf = Vec::new();
    stream
        .read_to_end(&mut buf)
        .unwrap_or_else(|e| panic!("{what}: reading to EOF after {} bytes: {e}", buf.len()));
    buf
}

/// Sends `msg`, half-closes, reads to EOF, and checks the reply is `upper(msg)`.
pub fn exchange(addr: SocketAddr, msg: &[u8], what: &str) {
    let reply = try_exchange(addr, msg).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_same(&reply, &upper(msg), what);
}

/// Sends `msg` on a new connection, half-closes, and returns everything read until EOF.
pub fn try_exchange(addr: SocketAddr, msg: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut client = TcpStream::connect(addr)?;
    client.set_read_timeout(Some(STEP))?;
    client.set_write_timeout(Some(STEP))?;
    client.write_all(msg)?;
    client.shutdown(Shutdown::Write)?;
    let mut reply = Vec::new();
    client.read_to_end(&mut reply)?;
    Ok(reply)
}

/// Checks the server still answers a new client; if it does not, says whether it died
/// (and of what: `signal: 13 (SIGPIPE)`, say) or merely failed the exchange.
pub fn assert_still_serving(server: &mut Server, name: &str, what: &str) {
    match try_exchange(server.addr, b"still there?") {
        Ok(reply) => assert_same(&reply, b"STILL THERE?", what),
        Err(e) => {
            util::wait_for(Duration::from_secs(1), Duration::from_millis(20), || {
                !server.is_running()
            });
            match server.child.try_wait() {
                Ok(Some(status)) => panic!("{what}: {name} died: {status}"),
                _ => panic!("{what}: {name} is running but the exchange failed: {e}"),
            }
        }
    }
}

/// `assert_eq!` for big byte strings: reports lengths and the first difference only.
pub fn assert_same(got: &[u8], want: &[u8], what: &str) {
    if got != want {
        let first = got.iter().zip(want).position(|(a, b)| a != b);
        panic!(
            "{what}: reply differs: got {} bytes, want {}; first difference at {:?}",
            got.len(),
            want.len(),
            first.unwrap_or(got.len().min(want.len()))
        );
    }
}

/// One non-blocking `send` (`MSG_DONTWAIT`) on a blocking socket: unlike
/// `set_nonblocking`, it leaves the reading clone of the same socket blocking.
pub fn send_dontwait(stream: &TcpStream, bytes: &[u8]) -> std::io::Result<usize> {
    // SAFETY: the pointer and length describe `bytes`, which outlives the call.
    let n = unsafe {
        libc::send(
            stream.as_raw_fd(),
            bytes.as_ptr().cast(),
            bytes.len(),
            libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL,
        )
    };
    if n < 0 {
        Err(std::io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

/// `tcpi_state` once our FIN has been acknowledged (Linux's `enum tcp_state`).
pub const TCP_FIN_WAIT2: u8 = 5;

/// The TCP state of `stream` (`tcpi_state` of `TCP_INFO`, e.g. [`TCP_FIN_WAIT2`]).
pub fn tcp_state(stream: &TcpStream) -> u8 {
    // SAFETY: an all-zero tcp_info is valid; getsockopt writes at most `len` bytes of it.
    let mut info: libc::tcp_info = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::tcp_info>() as libc::socklen_t;
    // SAFETY: `info` and `len` are live, and `len` is the size of `info`.
    let rc = unsafe {
        libc::getsockopt(
            stream.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_INFO,
            (&mut info as *mut libc::tcp_info).cast(),
            &mut len,
        )
    };
    assert_eq!(rc, 0, "TCP_INFO: {}", std::io::Error::last_os_error());
    info.tcpi_state
}
