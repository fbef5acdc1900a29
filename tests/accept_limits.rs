//! Accepting under pressure: a server out of descriptors (`EMFILE`) neither exits nor
//! spins and serves the queued clients once descriptors free up; connections reset
//! before they were accepted do not stop a listener.

mod util;

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::process::Stdio;
use std::time::{Duration, Instant};

use corio::io::{AsyncReadExt, AsyncWriteExt};
use corio::net::TcpListener;

use util::{echo_round_trip, fd_count, upper, wait_for, within, Server};

const LIMIT: Duration = Duration::from_secs(20);

/// How many descriptors of process `pid` have numbers below `limit`.
fn fds_below(pid: u32, limit: usize) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<usize>().ok())
        .filter(|&fd| fd < limit)
        .count()
}

fn hello(i: usize) -> Vec<u8> {
    format!("client {i:02} says hi\n").into_bytes()
}

#[test]
fn echo_out_of_descriptors_neither_exits_nor_spins_and_recovers() {
    const FD_LIMIT: u64 = 32;
    const EXTRA: usize = 12; // clients beyond what the server can hold
    let mut server = Server::start_with("echo", &[], |cmd| {
        util::limit_child_fds(cmd, FD_LIMIT);
        cmd.stderr(Stdio::piped());
    });
    let stderr = util::collect_lines(server.child.stderr.take().unwrap());
    let pid = server.child.id();
    // Descriptors the server may still open: numbers below the limit not yet in use
    // (it may also have inherited some above the limit, which take no room).
    let used = || fds_below(pid, FD_LIMIT as usize);
    let room = FD_LIMIT as usize - used();
    assert!(room >= 4, "the server starts with {} descriptors", used());

    // More clients than the server has descriptors for; each sends one line at once.
    let clients: Vec<TcpStream> = (0..room + EXTRA)
        .map(|i| {
            let mut c = TcpStream::connect(server.addr).unwrap();
            c.set_read_timeout(Some(LIMIT)).unwrap();
            c.write_all(&hello(i)).unwrap();
            c
        })
        .collect();

    // The server says why it stopped accepting: EMFILE.
    let deadline = Instant::now() + LIMIT;
    let emfile = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match stderr.recv_timeout(left) {
            Ok(line) if line.starts_with("accept failed") => break line,
            Ok(_) => continue,
            Err(e) => panic!("the server never reported an accept failure: {e}"),
        }
    };
    assert!(
        emfile.contains("os error 24"),
        "expected EMFILE, got {emfile:?}"
    );
    assert_eq!(used(), FD_LIMIT as usize, "the server is at its limit");

    // Exactly `room` clients were accepted and answered; wait for their replies.
    let mut served = vec![false; clients.len()];
    for c in &clients {
        c.set_nonblocking(true).unwrap();
    }
    let all_answered = wait_for(LIMIT, Duration::from_millis(5), || {
        for (i, mut c) in clients.iter().enumerate() {
            if !served[i] {
                let mut buf = [0u8; 64];
                match c.read(&mut buf) {
                    Ok(n) => {
                        let want = upper(&hello(i));
                        assert_eq!(&buf[..n], &want[..], "client {i}'s reply");
                        served[i] = true;
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                    Err(e) => panic!("client {i}: {e}"),
                }
            }
        }
        served.iter().filter(|&&s| s).count() >= room
    });
    assert!(
        all_answered,
        "only {:?} answered",
        served.iter().filter(|&&s| s).count()
    );

    // Out of descriptors, the server idles: it neither exits nor spins on accept.
    let before = server.cpu_ticks();
    std::thread::sleep(Duration::from_secs(1)); // the measurement window
    let used = server.cpu_ticks() - before;
    assert!(
        server.is_running(),
        "the server exited when out of descriptors"
    );
    assert!(
        used < 30,
        "the server used {used} ticks of CPU in 1 s at EMFILE"
    );
    // The queued clients really were left waiting, not answered from somewhere else.
    for (i, mut c) in clients.iter().enumerate() {
        if !served[i] {
            let err = c.read(&mut [0u8; 64]).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::WouldBlock, "queued client {i}");
        }
    }
    assert_eq!(served.iter().filter(|&&s| s).count(), room);

    // Free the served clients' descriptors; the queued ones are then accepted and served.
    let (done, waiting): (Vec<_>, Vec<_>) = clients
        .into_iter()
        .enumerate()
        .partition(|(i, _)| served[*i]);
    for (_, c) in done {
        c.shutdown(Shutdown::Write).unwrap();
    }
    for (i, mut c) in waiting {
        c.set_nonblocking(false).unwrap();
        let want = upper(&hello(i));
        let mut reply = vec![0u8; want.len()];
        c.read_exact(&mut reply)
            .unwrap_or_else(|e| panic!("queued client {i} never served: {e}"));
        assert_eq!(reply, want, "queued client {i}'s reply");
    }
    // And a brand-new client as well.
    let msg = b"a new client after EMFILE \xff\x00 ok";
    assert_eq!(echo_round_trip(server.addr, msg), upper(msg));
    assert!(server.is_running());
}

#[test]
fn listener_survives_a_connection_reset_before_accept() {
    corio::block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();

        // A client completes the handshake (the kernel queues it), then resets before
        // the listener has accepted anything.
        let doomed = TcpStream::connect(addr).unwrap();
        let doomed_addr = doomed.local_addr().unwrap();
        assert!(
            wait_for(LIMIT, Duration::from_millis(2), || {
                util::tcp_socket_exists(addr, doomed_addr)
            }),
            "the queued connection never showed up in the kernel's table"
        );
        util::reset(doomed);
        // Wait until the kernel has torn the queued connection down.
        assert!(
            wait_for(LIMIT, Duration::from_millis(2), || {
                !util::tcp_socket_exists(addr, doomed_addr)
            }),
            "the reset connection is still in the kernel's table"
        );

        // A good client queues behind it.
        let good = TcpStream::connect(addr).unwrap();
        let good_addr = good.local_addr().unwrap();
        let peer = std::thread::spawn(move || {
            let mut good = good;
            good.set_read_timeout(Some(LIMIT)).unwrap();
            good.write_all(b"ping").unwrap();
            good.shutdown(Shutdown::Write).unwrap();
            let mut reply = Vec::new();
            good.read_to_end(&mut reply).unwrap();
            reply
        });

        // accept either skips the aborted connection or hands it over as a stream whose
        // first read reports the reset (Linux does the latter: the kernel keeps it in the
        // queue); either way the next accept is the good client.
        let mut accepted = 0;
        let mut stream = loop {
            accepted += 1;
            assert!(accepted <= 2, "more connections than were made");
            let (mut stream, from) = within(LIMIT, "accept", listener.accept())
                .await
                .expect("accept failed");
            if from == good_addr {
                break stream;
            }
            assert_eq!(from, doomed_addr, "a connection from nowhere");
            let mut buf = [0u8; 8];
            match within(LIMIT, "read the reset connection", stream.read(&mut buf)).await {
                Err(e) if e.kind() == ErrorKind::ConnectionReset => {}
                other => panic!("the reset connection read {other:?}"),
            }
        };
        let mut got = Vec::new();
        within(LIMIT, "read", stream.read_to_end(&mut got))
            .await
            .unwrap();
        assert_eq!(got, b"ping");
        stream.write_all(b"pong").await.unwrap();
        stream.close().await.unwrap();
        drop(stream);
        assert_eq!(peer.join().unwrap(), b"pong");
    });
}

#[test]
fn echo_keeps_serving_through_a_burst_of_resets() {
    let mut server = Server::start("echo");
    let pid = server.child.id();
    let baseline = fd_count(pid);
    for round in 0..3 {
        // 100 clients connect and reset at once, some after sending a little.
        for i in 0..100 {
            let mut c = TcpStream::connect(server.addr).unwrap();
            if i % 2 == 0 {
                c.write_all(b"half a message").unwrap();
            }
            util::reset(c);
        }
        let msg = format!("round {round} after the resets").into_bytes();
        assert_eq!(echo_round_trip(server.addr, &msg), upper(&msg));
    }
    assert!(server.is_running());
    assert!(
        wait_for(LIMIT, Duration::from_millis(5), || fd_count(pid)
            == baseline),
        "descriptors leaked: {} open, baseline {baseline}",
        fd_count(pid)
    );
}
