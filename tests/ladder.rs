//! Rungs 1–4 of the ladder (`examples/ladder_0N_*.rs`): the shared checks of
//! `ladder_suite`, then each rung's known weakness, asserted so the lesson stays true.
// These checks read /proc and use Linux socket options; other OSes skip the file.
#![cfg(target_os = "linux")]

mod util;
#[macro_use]
mod ladder_suite;

use std::io::{ErrorKind, Read, Write};
use std::net::Shutdown;
use std::time::{Duration, Instant};

use ladder_suite::{
    children, connect, exchange, idle_cpu_ticks, read_exact, read_to_eof, start, start_idle,
};

// Rung 1 serves one client at a time, so its clients take turns.
ladder_suite!(blocking, "ladder_01_blocking", sequential_clients = 20);
ladder_suite!(fork, "ladder_02_fork", clients = 50);
ladder_suite!(threads, "ladder_03_threads", clients = 50);
ladder_suite!(busy_poll, "ladder_04_busy_poll", clients = 50);

/// Rung 1's weakness: while client 1 stays connected, client 2 can connect and send, but
/// gets no answer; once client 1 leaves, client 2 is answered.
#[test]
fn blocking_serves_one_client_at_a_time() {
    let server = start("ladder_01_blocking");
    let mut first = connect(server.addr);
    first.write_all(b"one").unwrap();
    assert_eq!(read_exact(&mut first, 3, "first client"), b"ONE"); // being served now

    let mut second = connect(server.addr); // the backlog accepts the connection
    second.write_all(b"two").unwrap();
    second
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut byte = [0u8; 1];
    match second.read(&mut byte) {
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
        other => panic!("second client answered while the first is connected: {other:?}"),
    }

    first.shutdown(Shutdown::Write).unwrap();
    assert_eq!(read_to_eof(&mut first, "first client"), b"");
    second.set_read_timeout(Some(ladder_suite::STEP)).unwrap();
    assert_eq!(
        read_exact(&mut second, 3, "second client, after the first left"),
        b"TWO"
    );
    second.shutdown(Shutdown::Write).unwrap();
    assert_eq!(read_to_eof(&mut second, "second client"), b"");
}

/// Rung 2 forks a process per client, and reaps every one: after 20 clients have come and
/// gone, the server has no zombie children (and, once they have exited, no children).
#[test]
fn fork_leaves_no_zombies() {
    let server = start("ladder_02_fork");
    let pid = server.child.id();

    // While a client is connected, a child process serves it.
    let mut held = connect(server.addr);
    held.write_all(b"x").unwrap();
    assert_eq!(read_exact(&mut held, 1, "held client"), b"X");
    assert!(
        !children(pid).is_empty(),
        "no child process serves the connected client"
    );
    held.shutdown(Shutdown::Write).unwrap();
    assert_eq!(read_to_eof(&mut held, "held client"), b"");

    for i in 0..20 {
        exchange(server.addr, format!("client {i}").as_bytes(), "fork client");
    }
    // Each child exits just after its client's EOF; give the reaping a bounded while.
    let all_gone = util::wait_for(Duration::from_secs(10), Duration::from_millis(20), || {
        children(pid).is_empty()
    });
    let left = children(pid);
    let zombies: Vec<_> = left.iter().filter(|(_, state)| *state == 'Z').collect();
    assert!(zombies.is_empty(), "zombie children left: {zombies:?}");
    assert!(
        all_gone,
        "children still running after their clients left: {left:?}"
    );
}

/// Rung 3 spends a thread per connected client: 50 clients connected means 50 more
/// threads, and they all go away when the clients leave.
#[test]
fn threads_one_per_client() {
    const N: usize = 50;
    let server = start("ladder_03_threads");
    let pid = server.child.id();
    let base = ladder_suite::thread_count(pid);
    let mut clients: Vec<_> = (0..N).map(|_| connect(server.addr)).collect();
    for c in &mut clients {
        c.write_all(b"hi").unwrap();
        assert_eq!(read_exact(c, 2, "threads client"), b"HI"); // its thread exists now
    }
    let threads = ladder_suite::thread_count(pid);
    assert!(
        threads >= base + N,
        "{threads} threads for {N} clients (base {base})"
    );
    for c in &mut clients {
        c.shutdown(Shutdown::Write).unwrap();
        assert_eq!(read_to_eof(c, "threads client"), b"");
    }
    let back = util::wait_for(Duration::from_secs(10), Duration::from_millis(20), || {
        ladder_suite::thread_count(pid) <= base
    });
    assert!(back, "{} threads left", ladder_suite::thread_count(pid));
}

/// Rung 4's weakness: with nothing to do it still burns CPU, trying sockets in a loop.
/// A server that waits in the kernel uses about 0 ticks (1/100 s) however long it idles;
/// this one piles up 50 ticks in half a second with a core to itself. The wait is bounded
/// (10 s) rather than a fixed window, so sharing 2 busy cores cannot fail the check.
#[test]
fn busy_poll_burns_cpu_while_idle() {
    let (server, _idle_client) = start_idle("ladder_04_busy_poll");
    let (before, since) = (server.cpu_ticks(), Instant::now());
    let burned = util::wait_for(Duration::from_secs(10), Duration::from_millis(50), || {
        server.cpu_ticks() - before >= 50
    });
    let (ticks, idle) = (server.cpu_ticks() - before, since.elapsed());
    eprintln!("ladder_04_busy_poll: {ticks} ticks of CPU in {idle:?} idle");
    assert!(burned, "only {ticks} ticks in {idle:?} idle");
}

/// Rungs 1–3 wait in the kernel: idle, they use (almost) no CPU.
#[test]
fn blocking_rungs_sleep_while_idle() {
    for name in ["ladder_01_blocking", "ladder_02_fork", "ladder_03_threads"] {
        let ticks = idle_cpu_ticks(name, Duration::from_secs(1));
        eprintln!("{name}: {ticks} ticks of CPU in 1 s idle");
        assert!(ticks <= 5, "{name} used {ticks} ticks in 1 s idle");
    }
}
