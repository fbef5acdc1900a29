//! The echo example against clients that misbehave at the byte and connection level:
//! resets in the middle of the server's write, half-closes with output still pending,
//! and input one byte at a time.

mod util;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::mpsc;
use std::time::Duration;

use util::{echo_round_trip, fd_count, pattern, upper, wait_for, Server};

const LIMIT: Duration = Duration::from_secs(20);

fn client(server: &Server) -> TcpStream {
    let c = TcpStream::connect(server.addr).unwrap();
    c.set_read_timeout(Some(LIMIT)).unwrap();
    c.set_write_timeout(Some(LIMIT)).unwrap();
    c
}

#[test]
fn server_survives_a_reset_in_the_middle_of_its_write() {
    let mut server = Server::start("echo");
    let pid = server.child.id();
    let baseline = fd_count(pid);
    for round in 0..3 {
        let mut hog = client(&server);
        // Send without reading until the server is parked writing back to us.
        let sent = util::write_until_stalled(&mut hog, Duration::from_millis(200));
        assert!(sent > 0);
        assert_eq!(
            fd_count(pid),
            baseline + 1,
            "round {round}: one connection open"
        );
        util::reset(hog); // RST while the server's write_all is pending
                          // The server's task gets the error and closes its socket: the fd goes away.
        assert!(
            wait_for(LIMIT, Duration::from_millis(10), || fd_count(pid) == baseline),
            "round {round}: the reset connection's fd was never closed ({} open, baseline {baseline})",
            fd_count(pid)
        );
        assert!(server.is_running(), "round {round}: the server died");
        let msg = format!("after reset {round}: hello \u{e9}\0").into_bytes();
        assert_eq!(echo_round_trip(server.addr, &msg), upper(&msg));
    }
    assert!(server.is_running());
}

#[test]
fn half_close_still_gets_every_pending_byte_then_eof() {
    const TOTAL: usize = 3 << 20;
    let server = Server::start("echo");
    let mut c = client(&server);
    let data = pattern(TOTAL, 5);
    let expected = upper(&data);
    let mut writer = c.try_clone().unwrap();
    let (done_tx, done_rx) = mpsc::channel();
    let write_thread = std::thread::spawn(move || {
        writer.write_all(&data).unwrap();
        writer.shutdown(Shutdown::Write).unwrap();
        done_tx.send(()).unwrap();
    });
    // Read slowly at first, so much of the reply is still in flight at the half-close.
    let mut got = Vec::with_capacity(TOTAL);
    let mut buf = vec![0u8; 4096];
    let mut read_after_shutdown = None;
    let mut reads = 0u32;
    loop {
        if read_after_shutdown.is_none() && done_rx.try_recv().is_ok() {
            read_after_shutdown = Some(got.len());
        }
        let n = c.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
        reads += 1;
        if read_after_shutdown.is_none() && reads % 16 == 0 {
            std::thread::sleep(Duration::from_millis(2)); // pacing, not synchronisation
        }
    }
    write_thread.join().unwrap();
    let at_shutdown = read_after_shutdown.unwrap_or(got.len());
    assert_eq!(got.len(), TOTAL, "reply length");
    assert!(got == expected, "reply bytes differ");
    assert!(
        at_shutdown < TOTAL,
        "the whole reply had arrived before the half-close; nothing was tested"
    );
    // EOF stays EOF.
    assert_eq!(c.read(&mut buf).unwrap(), 0);
}

#[test]
fn half_close_with_nothing_sent_gets_immediate_eof() {
    let server = Server::start("echo");
    let mut c = client(&server);
    c.shutdown(Shutdown::Write).unwrap();
    let mut reply = Vec::new();
    c.read_to_end(&mut reply).unwrap();
    assert!(reply.is_empty());
}

#[test]
fn one_byte_at_a_time_every_byte_value() {
    let server = Server::start("echo");
    let mut c = client(&server);
    c.set_nodelay(true).unwrap();
    for b in 0..=255u8 {
        c.write_all(&[b]).unwrap();
        let mut reply = [0u8; 1];
        c.read_exact(&mut reply).unwrap();
        assert_eq!(reply[0], b.to_ascii_uppercase(), "reply to byte {b:#04x}");
    }
    // Nothing extra was sent back, and the connection ends cleanly.
    c.shutdown(Shutdown::Write).unwrap();
    let mut rest = Vec::new();
    c.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty(), "unexpected extra bytes {rest:?}");
}

#[test]
fn one_byte_writes_without_waiting_are_echoed_in_order() {
    // Many tiny segments back to back (TCP_NODELAY: each is its own segment).
    let server = Server::start("echo");
    let mut c = client(&server);
    c.set_nodelay(true).unwrap();
    let input: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
    let mut writer = c.try_clone().unwrap();
    let sent = input.clone();
    let w = std::thread::spawn(move || {
        for b in &sent {
            writer.write_all(std::slice::from_ref(b)).unwrap();
        }
        writer.shutdown(Shutdown::Write).unwrap();
    });
    let mut reply = Vec::new();
    c.read_to_end(&mut reply).unwrap();
    w.join().unwrap();
    assert_eq!(reply, upper(&input));
}

#[test]
fn urgent_byte_does_not_stall_the_bytes_after_it() {
    let server = Server::start("echo");
    let pid = server.child.id() as libc::pid_t;
    let mut c = client(&server);
    c.set_nodelay(true).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    // One round trip: the connection is accepted and its task is parked in read.
    c.write_all(b"x").unwrap();
    let mut one = [0u8; 1];
    c.read_exact(&mut one).unwrap();
    assert_eq!(&one, b"X");

    // Freeze the server so that "ab", the urgent "c" and "de" all land in its receive
    // queue before it looks: one readiness edge for all of them.
    // SAFETY: kill takes no pointers; the pid is our own child's.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGSTOP) }, 0);
    let stopped = wait_for(LIMIT, Duration::from_millis(1), || {
        util::process_state(server.child.id()) == 't'
            || util::process_state(server.child.id()) == 'T'
    });
    assert!(stopped, "the server never stopped");
    c.write_all(b"ab").unwrap();
    util::send_urgent(&c, b'c');
    c.write_all(b"de").unwrap();
    let queued = wait_for(LIMIT, Duration::from_millis(2), || {
        util::tcp_rx_queue(server.addr, c.local_addr().unwrap()) == Some(5)
    });
    // SAFETY: as above.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGCONT) }, 0);
    assert!(queued, "the bytes never reached the server's socket");

    // The urgent byte is out of band (not inline), so the stream the server reads is
    // "abde"; all of it must come back.
    let mut reply = [0u8; 4];
    c.read_exact(&mut reply)
        .unwrap_or_else(|e| panic!("the bytes after the urgent byte never came back: {e}"));
    assert_eq!(&reply, b"ABDE");
}
