//! The shared checks `ladder_suite!` runs against every rung: round trip, all byte
//! values, 8 MiB through a stalled reader, half-close, client resets, and many clients.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::client::{
    assert_same, assert_still_serving, connect, exchange, read_exact, read_to_eof, send_dontwait,
    tcp_state, TCP_FIN_WAIT2,
};
use super::launch::start;
use super::STEP;
use crate::util::{self, pattern, upper};

/// An interactive conversation (line, reply, line, reply, as the tutorial's client does),
/// then a one-shot send-and-half-close exchange on a second connection.
pub fn round_trip(name: &str) {
    let server = start(name);
    let mut client = connect(server.addr);
    for line in [&b"hello, ladder\n"[..], b"Mixed Case 123 !?\n"] {
        client.write_all(line).unwrap();
        let reply = read_exact(&mut client, line.len(), "interactive reply");
        assert_eq!(reply, upper(line));
    }
    client.shutdown(Shutdown::Write).unwrap();
    assert_eq!(read_to_eof(&mut client, "after half-close"), b"");
    exchange(server.addr, b"one shot: abc xyz", "one-shot exchange");
}

/// All 256 byte values, several times over: only `a..=z` change.
pub fn binary_bytes(name: &str) {
    let server = start(name);
    let msg: Vec<u8> = (0..=255u8).cycle().take(256 * 16).collect();
    exchange(server.addr, &msg, "all byte values");
}

/// 8 MiB of pseudo-random bytes, written by one thread while another reads the reply.
/// The reader starts only once the pipeline has filled up (the writer made no progress
/// for 100 ms) or everything is sent, so the server must cope with writes that block or
/// take only part of what it offers, without losing a byte.
pub fn eight_mib(name: &str) {
    let server = start(name);
    let msg = pattern(8 << 20, 8);
    let want = upper(&msg);
    let mut client = connect(server.addr);
    let writer = client.try_clone().unwrap();
    let (stalled, wait_stalled) = mpsc::channel();
    let sender = std::thread::spawn(move || {
        let (mut sent, deadline) = (0, Instant::now() + 3 * STEP);
        while sent < msg.len() {
            assert!(Instant::now() < deadline, "8 MiB: only {sent} bytes sent");
            match send_dontwait(&writer, &msg[sent..(sent + (64 << 10)).min(msg.len())]) {
                Ok(n) => sent += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    if !util::wait_writable(&writer, Duration::from_millis(100)) {
                        let _ = stalled.send(()); // full: time for the reader to start
                    }
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => panic!("8 MiB: send failed after {sent} bytes: {e}"),
            }
        }
        let _ = stalled.send(());
        writer.shutdown(Shutdown::Write).unwrap();
    });
    let started = wait_stalled.recv_timeout(3 * STEP);
    assert!(
        started.is_ok(),
        "8 MiB: the writer neither stalled nor finished"
    );
    let reply = read_to_eof(&mut client, "8 MiB reply");
    sender.join().expect("writer thread");
    assert_same(&reply, &want, "8 MiB");
}

/// Half-close semantics: the server must answer everything sent before the client's FIN
/// (here 256 KiB the client has not started reading yet), then close with FIN; and a
/// client that sends nothing at all gets a clean, empty EOF.
pub fn half_close(name: &str) {
    let server = start(name);

    let msg = pattern(256 << 10, 2);
    let mut client = connect(server.addr);
    let mut writer = client.try_clone().unwrap();
    let sender = std::thread::spawn(move || {
        writer.write_all(&msg).expect("send 256 KiB");
        writer.shutdown(Shutdown::Write).unwrap(); // FIN right behind the data
        msg
    });
    // Read only once the FIN is out: the server may see EOF with its reply still queued.
    let msg = sender.join().expect("writer thread");
    let reply = read_to_eof(&mut client, "reply after half-close");
    assert_same(&reply, &upper(&msg), "256 KiB then FIN");

    let mut silent = connect(server.addr);
    silent.shutdown(Shutdown::Write).unwrap();
    assert_eq!(read_to_eof(&mut silent, "silent client"), b"");
}

/// Clients that reset (`SO_LINGER` 0) at awkward moments must not kill the server or leak
/// their connection: right after connecting, after sending without reading, and while the
/// server is writing a large reply. Afterwards the server still answers a new client.
pub fn reset_survives(name: &str) {
    let mut server = start(name);
    exchange(server.addr, b"warm up", "warm-up exchange"); // any lazily opened fds
    let pid = server.child.id();
    let baseline = util::fd_count(pid);

    // 1: connect, reset.
    util::reset(connect(server.addr));
    // 2: send a little, reset before reading the reply.
    let mut c = connect(server.addr);
    c.write_all(b"reset me").unwrap();
    util::reset(c);
    // 3: send a lot without reading (up to 4 MiB, or until the server stops taking it),
    // then reset while the server is still writing the reply.
    let mut c = connect(server.addr);
    write_without_reading(&mut c, 4 << 20);
    util::reset(c);
    // 4: half-close then reset while the reply is in flight.
    let mut c = connect(server.addr);
    c.write_all(&pattern(256 << 10, 4)).unwrap();
    c.shutdown(Shutdown::Write).unwrap();
    util::reset(c);
    // 5: reset after the server has seen our FIN, while it is blocked writing the reply.
    reset_after_fin_while_server_writes(server.addr);

    assert_still_serving(&mut server, name, "after client resets");
    // The server closes every reset connection (a server without its own fds per
    // connection, such as one that forks, sits at the baseline all along).
    let closed = util::wait_for(Duration::from_secs(10), Duration::from_millis(20), || {
        util::fd_count(pid) <= baseline
    });
    assert!(
        closed,
        "{name}: {} fds open after the resets, {baseline} before",
        util::fd_count(pid)
    );
    assert_still_serving(&mut server, name, "after the resets were handled");
}

/// Writes up to `limit` bytes without reading, stopping early once the pipeline is full
/// (no progress for 200 ms). Leaves the stream non-blocking.
fn write_without_reading(stream: &mut TcpStream, limit: usize) -> usize {
    stream.set_nonblocking(true).unwrap();
    let chunk = vec![b'r'; 64 << 10];
    let (mut written, deadline) = (0, Instant::now() + STEP);
    while written < limit && Instant::now() < deadline {
        match stream.write(&chunk) {
            Ok(n) => written += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                if !util::wait_writable(stream, Duration::from_millis(200)) {
                    break;
                }
            }
            Err(e) => panic!("write before reset failed: {e}"),
        }
    }
    written
}

/// The reset that raises SIGPIPE. A reset that arrives after the server has received the
/// client's FIN (its socket in CLOSE_WAIT) makes the server's next `send` fail with EPIPE,
/// which raises SIGPIPE unless the server ignores it or sends with `MSG_NOSIGNAL`. So: fill
/// the pipeline, half-close, read just enough of the reply for our FIN to get through (our
/// socket reaches FIN_WAIT2 once the server's kernel acknowledges it), and reset at once,
/// while the server still has input to answer. (Whether it is still writing by then is up
/// to the scheduler; in practice it is, and a server that SIGPIPE can kill dies here.)
fn reset_after_fin_while_server_writes(addr: SocketAddr) {
    let mut c = connect(addr);
    let written = write_without_reading(&mut c, 16 << 20);
    c.set_nonblocking(false).unwrap();
    c.shutdown(Shutdown::Write).unwrap();
    let (mut buf, mut read) = (vec![0u8; 16 << 10], 0);
    while tcp_state(&c) != TCP_FIN_WAIT2 && read < written {
        match c.read(&mut buf) {
            Ok(0) => break, // the server already answered everything
            Ok(n) => read += n,
            Err(e) => panic!("reading the reply before the reset: {e}"),
        }
    }
    // Reset at once, while the server is still working through its input.
    util::reset(c);
}

/// `n` clients served at the same time, each with its own message. Every client first
/// gets its first reply while all `n` are connected (a server that handles one client at
/// a time fails here, by timeout), then sends 16 KiB more, half-closes, and must get
/// exactly its own bytes back.
pub fn many_clients(name: &str, n: usize) {
    util::raise_fd_limit(2 * n as u64 + 64); // for us and, inherited, the server
    let server = start(name);
    let mut clients: Vec<TcpStream> = (0..n).map(|_| connect(server.addr)).collect();
    let hello = |i: usize| format!("client {i} says hi\n").into_bytes();
    for (i, c) in clients.iter_mut().enumerate() {
        c.write_all(&hello(i)).unwrap();
    }
    for (i, c) in clients.iter_mut().enumerate() {
        let what = format!("client {i} of {n}, first reply, all connected");
        assert_eq!(read_exact(c, hello(i).len(), &what), upper(&hello(i)));
    }
    for (i, c) in clients.iter_mut().enumerate() {
        c.write_all(&pattern(16 << 10, i as u64)).unwrap();
        c.shutdown(Shutdown::Write).unwrap();
    }
    for (i, c) in clients.iter_mut().enumerate() {
        let what = format!("client {i} of {n}, rest of the reply");
        assert_same(
            &read_to_eof(c, &what),
            &upper(&pattern(16 << 10, i as u64)),
            &what,
        );
    }
}

/// `n` clients, one after another, each with its own message: for rungs that serve one
/// client at a time.
pub fn sequential_clients(name: &str, n: usize) {
    let server = start(name);
    for i in 0..n {
        let msg = pattern(4 << 10, 100 + i as u64);
        exchange(server.addr, &msg, &format!("client {i} of {n}"));
    }
}
