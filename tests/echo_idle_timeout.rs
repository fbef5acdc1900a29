//! The echo example's `--idle-timeout SECS`, driven as a user would: a real server
//! process and blocking std clients. A client that makes no progress for SECS is
//! disconnected (no sooner); a client that keeps talking stays; without the flag nobody
//! is disconnected for idling (PITFALLS.md, TCP: "Slowloris").

mod time_common;
mod util;

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

use time_common::ms;
use util::{upper, Server};

const IDLE: Duration = Duration::from_millis(300);
/// Loose upper bound for "disconnected promptly" on a loaded machine.
const SLACK: Duration = Duration::from_secs(3);

fn idle_server() -> Server {
    Server::start_with("echo", &["--idle-timeout", "0.3"], |_| {})
}

/// Whether a read result means "the server closed the connection" (EOF or reset).
fn is_disconnect(r: &std::io::Result<usize>) -> bool {
    match r {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => matches!(
            e.kind(),
            ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted
        ),
    }
}

/// One request/reply through `client` (a message that fits in one segment).
fn round_trip(client: &mut TcpStream, msg: &[u8]) {
    client.write_all(msg).expect("send");
    let mut reply = vec![0u8; msg.len()];
    client.read_exact(&mut reply).expect("reply");
    assert_eq!(reply, upper(msg));
}

/// A client that sends nothing is disconnected: not before the idle timeout, and not
/// much after it. Another client is served meanwhile and afterwards.
#[test]
fn a_silent_client_is_disconnected_after_the_idle_timeout() {
    let mut server = idle_server();
    // Taken before connecting, so the server's idle clock cannot have started earlier.
    let start = Instant::now();
    let mut silent = TcpStream::connect(server.addr).unwrap();
    silent
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut buf = [0u8; 16];
    let r = silent.read(&mut buf);
    let took = start.elapsed();
    println!(
        "silent client disconnected after {:.1} ms ({r:?})",
        ms(took)
    );
    assert!(is_disconnect(&r), "expected EOF or reset, got {r:?}");
    assert!(took >= IDLE, "disconnected early, after {took:?}");
    assert!(took < IDLE + SLACK, "disconnected late, after {took:?}");

    assert!(server.is_running(), "the server exited");
    let mut fresh = TcpStream::connect(server.addr).unwrap();
    fresh
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    round_trip(&mut fresh, b"still serving");
}

/// A client that sends every 100 ms for a second (each gap well under the 0.3 s idle
/// timeout) stays connected and gets every reply, and can close cleanly afterwards.
#[test]
fn a_client_that_keeps_talking_stays_connected() {
    let server = idle_server();
    let mut client = TcpStream::connect(server.addr).unwrap();
    client
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let start = Instant::now();
    let mut replies = 0;
    for i in 0..10 {
        round_trip(&mut client, format!("ping {i:02}").as_bytes());
        replies += 1;
        std::thread::sleep(Duration::from_millis(100)); // the client's pace, not a wait
    }
    let talked = start.elapsed();
    println!("{replies} replies over {:.0} ms, all received", ms(talked));
    assert_eq!(replies, 10);
    assert!(talked >= Duration::from_secs(1));
    round_trip(&mut client, b"last one");
    client.shutdown(Shutdown::Write).unwrap();
    let mut rest = Vec::new();
    client.read_to_end(&mut rest).expect("clean close");
    assert!(rest.is_empty(), "unexpected bytes {rest:?}");
}

/// Without the flag, a silent client is still connected after a second of silence:
/// the read times out on our side, and a later message is answered.
#[test]
fn without_the_flag_a_silent_client_stays_connected() {
    let server = Server::start("echo");
    let mut client = TcpStream::connect(server.addr).unwrap();
    let wait = Duration::from_secs(1);
    client.set_read_timeout(Some(wait)).unwrap();
    let start = Instant::now();
    let mut buf = [0u8; 16];
    let r = client.read(&mut buf);
    let took = start.elapsed();
    match r {
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
        other => panic!("expected our read timeout, got {other:?} after {took:?}"),
    }
    assert!(took >= wait, "{took:?}");
    client
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    round_trip(&mut client, b"are you there?");
}

/// Waits (up to 100 ms) until `socket` is writable or has an error pending (`poll(2)`).
fn wait_writable_or_error(socket: &TcpStream) {
    use std::os::fd::AsRawFd;
    let mut pfd = libc::pollfd {
        fd: socket.as_raw_fd(),
        events: libc::POLLOUT,
        revents: 0,
    };
    // SAFETY: `pfd` is one live pollfd; the count says so.
    let rc = unsafe { libc::poll(&mut pfd, 1, 100) };
    assert!(rc >= 0, "poll: {}", std::io::Error::last_os_error());
}

/// A client that never reads while replies pile up is disconnected too: the server's
/// write stalls, and the idle timeout covers writes. We see the connection torn down
/// (reset, since the server leaves our unread requests behind) within a generous bound.
#[test]
fn a_client_that_never_reads_is_disconnected() {
    let mut server = idle_server();
    let mut client = TcpStream::connect(server.addr).unwrap();
    util::set_socket_option(&client, libc::SO_RCVBUF, 16 * 1024);
    client.set_nonblocking(true).unwrap();
    let chunk = vec![b'z'; 64 * 1024];
    let start = Instant::now();
    let mut written = 0usize;
    // Write until the pipeline is full; stop at the first sign of the disconnect.
    let outcome = loop {
        if start.elapsed() > Duration::from_secs(10) {
            break Err(format!(
                "still connected after 10 s, {written} bytes written"
            ));
        }
        match client.write(&chunk) {
            Ok(n) => written += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => wait_writable_or_error(&client),
            Err(e) if matches!(e.kind(), ErrorKind::ConnectionReset | ErrorKind::BrokenPipe) => {
                break Ok(e);
            }
            Err(e) => break Err(format!("unexpected write error {e}")),
        }
    };
    let took = start.elapsed();
    let e = outcome.unwrap_or_else(|why| panic!("{why}"));
    println!(
        "non-reading client: {written} bytes written, disconnected ({e}) after {:.0} ms",
        ms(took)
    );
    assert!(
        took >= IDLE,
        "disconnected after {took:?}, before the idle timeout"
    );
    assert!(took < IDLE + SLACK * 2, "disconnected late, after {took:?}");
    assert!(server.is_running(), "the server exited");
}
