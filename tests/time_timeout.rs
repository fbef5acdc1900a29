//! `timeout` around every kind of I/O future (read, accept, write), `connect_timeout` to a
//! peer that never answers, and timers that stay on time while other tasks flood loopback
//! sockets (PITFALLS.md: "Connect with a timeout to a peer that never answers",
//! "Slowloris", "Always-ready task starves I/O and timers").
//!
//! Lower time bounds are strict (a deadline never fires early); upper bounds are loose
//! because the machine is shared.
// These checks read /proc and use Linux socket options; other OSes skip the file.
#![cfg(target_os = "linux")]

mod time_common;
mod util;

use corio::time::{Duration, Instant};
use std::cell::Cell;
use std::io::{ErrorKind, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::rc::Rc;

use corio::io::{AsyncReadExt, AsyncWriteExt};
use corio::net::{TcpListener, TcpStream};
use corio::time::{sleep, timeout, Elapsed};
use time_common::{connecting_fds, median, ms, runtimes, with_watchdog};
use util::set_socket_option;

const WATCHDOG: Duration = Duration::from_secs(20);
/// The loose upper bound on how late a deadline may fire on a loaded machine.
const SLACK: Duration = Duration::from_secs(2);

/// `timeout` around a read on a silent peer gives `Elapsed` at (not before) the deadline,
/// and the stream is untouched: still registered, and a later read gets the bytes the
/// peer sends afterwards.
#[test]
#[cfg_attr(miri, ignore)]
fn timeout_on_a_silent_read_elapses_and_the_stream_stays_usable() {
    with_watchdog(WATCHDOG, || {
        for (name, runtime) in runtimes() {
            runtime.block_on(async {
                let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                let mut peer = std::net::TcpStream::connect(listener.local_addr().unwrap())
                    .expect("connect (the kernel completes the handshake)");
                let (mut stream, _) = listener.accept().await.unwrap();
                let sources = runtime.registered_sources();

                let limit = Duration::from_millis(150);
                let mut buf = [0u8; 64];
                let start = Instant::now();
                let r = timeout(limit, stream.read(&mut buf)).await;
                let took = start.elapsed();
                println!(
                    "{name}: read timeout {limit:?} fired after {:.1} ms",
                    ms(took)
                );
                assert!(matches!(r, Err(Elapsed { .. })), "{name}: {r:?}");
                assert!(took >= limit, "{name}: fired early, after {took:?}");
                assert!(took < limit + SLACK, "{name}: fired late, after {took:?}");
                assert_eq!(runtime.registered_sources(), sources, "{name}");

                peer.write_all(b"after the timeout").unwrap();
                let r = timeout(SLACK, stream.read_exact(&mut buf[..17])).await;
                r.expect("the later read timed out").unwrap();
                assert_eq!(&buf[..17], b"after the timeout");

                // A read that completes before its deadline is Ok and drops the timer.
                peer.write_all(b"x").unwrap();
                let n = timeout(Duration::from_secs(3600), stream.read(&mut buf)).await;
                assert_eq!(n.unwrap().unwrap(), 1);
            });
        }
    });
}

/// `timeout` around `accept` on a listener nobody connects to gives `Elapsed`; the
/// listener keeps working afterwards.
#[test]
#[cfg_attr(miri, ignore)]
fn timeout_on_accept_elapses_and_the_listener_stays_usable() {
    with_watchdog(WATCHDOG, || {
        for (name, runtime) in runtimes() {
            runtime.block_on(async {
                let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                let addr = listener.local_addr().unwrap();
                let limit = Duration::from_millis(100);
                let start = Instant::now();
                let r = timeout(limit, listener.accept()).await;
                let took = start.elapsed();
                println!(
                    "{name}: accept timeout {limit:?} fired after {:.1} ms",
                    ms(took)
                );
                assert!(
                    r.is_err(),
                    "{name}: accepted {:?}",
                    r.map(|r| r.map(|(_, a)| a))
                );
                assert!(took >= limit, "{name}: fired early, after {took:?}");
                assert!(took < limit + SLACK, "{name}: fired late, after {took:?}");

                let client = std::net::TcpStream::connect(addr).unwrap();
                let (_stream, peer) = timeout(SLACK, listener.accept())
                    .await
                    .expect("accept after the timeout")
                    .unwrap();
                assert_eq!(peer, client.local_addr().unwrap(), "{name}");
            });
        }
    });
}

/// `timeout` around `write_all` to a peer that never reads (both socket buffers fill up)
/// gives `Elapsed`; what was written before the deadline arrives intact, and the stream
/// can still write once the peer drains.
#[test]
#[cfg_attr(miri, ignore)]
fn timeout_on_a_blocked_write_all_elapses() {
    with_watchdog(WATCHDOG, || {
        for (name, runtime) in runtimes() {
            runtime.block_on(async {
                let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                let peer = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
                set_socket_option(&peer, libc::SO_RCVBUF, 16 * 1024);
                let (mut stream, _) = listener.accept().await.unwrap();
                set_socket_option(&stream, libc::SO_SNDBUF, 16 * 1024);

                let data = vec![b'w'; 32 << 20]; // far more than both buffers hold
                let limit = Duration::from_millis(200);
                let start = Instant::now();
                let r = timeout(limit, stream.write_all(&data)).await;
                let took = start.elapsed();
                println!(
                    "{name}: write_all timeout {limit:?} fired after {:.1} ms",
                    ms(took)
                );
                assert!(matches!(r, Err(Elapsed { .. })), "{name}: {r:?}");
                assert!(took >= limit, "{name}: fired early, after {took:?}");
                assert!(took < limit + SLACK, "{name}: fired late, after {took:?}");

                // The peer drains on a thread; our stream can still write, and a final
                // marker arrives after the bytes written before the deadline.
                let reader = std::thread::spawn(move || {
                    let mut peer = peer;
                    peer.set_read_timeout(Some(Duration::from_secs(10)))
                        .unwrap();
                    let mut all = Vec::new();
                    peer.read_to_end(&mut all).map(|_| all)
                });
                timeout(Duration::from_secs(10), stream.write_all(b"END"))
                    .await
                    .expect("writing after the peer drains")
                    .unwrap();
                stream.close().await.unwrap();
                drop(stream);
                let all = reader.join().unwrap().expect("the peer's read");
                println!(
                    "{name}: {} bytes got through before the deadline",
                    all.len() - 3
                );
                assert!(
                    all.len() > 3,
                    "{name}: nothing was written before the deadline"
                );
                assert!(all.len() < data.len(), "{name}: everything was written");
                assert!(all[..all.len() - 3].iter().all(|&b| b == b'w'), "{name}");
                assert_eq!(&all[all.len() - 3..], b"END", "{name}");
            });
        }
    });
}

// ---------------------------------------------------------------------------------------
// connect_timeout to a peer that never answers
// ---------------------------------------------------------------------------------------

/// A listener with the smallest accept queue the kernel allows (`listen(fd, 0)`), made
/// with libc because std always asks for a backlog of 128.
fn tiny_backlog_listener() -> (OwnedFd, SocketAddr) {
    // SAFETY: plain socket syscalls on a fresh descriptor we own, with pointers to live,
    // correctly sized sockaddr_in values.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        assert!(fd >= 0, "socket: {}", std::io::Error::last_os_error());
        let fd = OwnedFd::from_raw_fd(fd);
        let mut sin: libc::sockaddr_in = std::mem::zeroed();
        sin.sin_family = libc::AF_INET as libc::sa_family_t;
        sin.sin_addr.s_addr = u32::from(Ipv4Addr::LOCALHOST).to_be();
        sin.sin_port = 0;
        let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
        let rc = libc::bind(
            fd.as_raw_fd(),
            (&sin as *const libc::sockaddr_in).cast(),
            len,
        );
        assert_eq!(rc, 0, "bind: {}", std::io::Error::last_os_error());
        let rc = libc::listen(fd.as_raw_fd(), 0);
        assert_eq!(rc, 0, "listen: {}", std::io::Error::last_os_error());
        let mut bound: libc::sockaddr_in = std::mem::zeroed();
        let mut len = len;
        let rc = libc::getsockname(
            fd.as_raw_fd(),
            (&mut bound as *mut libc::sockaddr_in).cast(),
            &mut len,
        );
        assert_eq!(rc, 0, "getsockname: {}", std::io::Error::last_os_error());
        let port = u16::from_be(bound.sin_port);
        (
            fd,
            SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, port)),
        )
    }
}

/// Fills `addr`'s accept queue with connections nobody accepts, until a probe connect
/// stays in progress (its SYN is dropped). Returns the filling connections (keep them
/// open), or `None` if the kernel kept completing handshakes.
fn saturate(addr: SocketAddr) -> Option<Vec<std::net::TcpStream>> {
    let mut held = Vec::new();
    for _ in 0..16 {
        match std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(100)) {
            Ok(stream) => held.push(stream),
            Err(e) if e.kind() == ErrorKind::TimedOut => return Some(held),
            Err(e) => panic!("probe connect to the saturated listener: {e}"),
        }
    }
    None
}

/// `connect_timeout` to a listener whose accept queue is full (the kernel drops our SYN,
/// so the handshake never completes) fails with `TimedOut` near the deadline; the socket
/// is deregistered (`registered_sources` back to its baseline) and closed (the descriptor
/// seen in SYN_SENT during the connect is no longer a connecting socket).
#[test]
#[cfg_attr(miri, ignore)]
fn connect_timeout_to_a_peer_that_never_answers() {
    with_watchdog(WATCHDOG, || {
        let (_listener, addr) = tiny_backlog_listener();
        let Some(_held) = saturate(addr) else {
            println!(
                "SKIPPED: the kernel completed every handshake to a listen(fd, 0) listener \
                 (16 connections); no way to make a peer that never answers"
            );
            return;
        };

        for (name, runtime) in runtimes() {
            let baseline = runtime.registered_sources();
            let before = connecting_fds();
            let seen: Rc<Cell<Option<i32>>> = Rc::new(Cell::new(None));
            let limit = Duration::from_millis(200);
            let (r, took) = runtime.block_on(async {
                // Watch our descriptors while the connect is in progress (the connect
                // below is polled first, so its socket exists when this runs).
                let seen = seen.clone();
                let watcher = corio::spawn(async move {
                    for _ in 0..30 {
                        let now = connecting_fds();
                        if let Some(&fd) = now.iter().find(|fd| !before.contains(fd)) {
                            seen.set(Some(fd));
                            return;
                        }
                        sleep(Duration::from_millis(5)).await;
                    }
                });
                let start = Instant::now();
                let r = TcpStream::connect_timeout(addr, limit).await;
                let took = start.elapsed();
                watcher.await.unwrap();
                (r, took)
            });
            println!(
                "{name}: connect_timeout({limit:?}) returned after {:.1} ms",
                ms(took)
            );
            match r {
                Err(e) => assert_eq!(e.kind(), ErrorKind::TimedOut, "{name}: {e}"),
                Ok(s) => panic!("{name}: connected to {:?}", s.peer_addr()),
            }
            assert!(took >= limit, "{name}: fired early, after {took:?}");
            assert!(took < limit + SLACK, "{name}: fired late, after {took:?}");
            let fd = seen
                .get()
                .unwrap_or_else(|| panic!("{name}: no connect in progress was ever seen"));
            assert_eq!(
                runtime.registered_sources(),
                baseline,
                "{name}: not deregistered"
            );
            assert!(
                !connecting_fds().contains(&fd),
                "{name}: fd {fd} is still a connecting socket (not closed)"
            );
        }
    });
}

// ---------------------------------------------------------------------------------------
// Timers beside heavy I/O
// ---------------------------------------------------------------------------------------

/// How long the flood runs on each backend.
const FLOOD_FOR: Duration = Duration::from_millis(800);
/// The sleeper's period while the flood runs.
const TICK: Duration = Duration::from_millis(20);

/// While four tasks flood two loopback connections (both directions, MBs per second),
/// a task sleeping `TICK` at a time still wakes on time: never early, never more than
/// 250 ms late, on the default backend and on poll(2).
#[test]
#[cfg_attr(miri, ignore)]
fn timers_stay_on_time_beside_a_loopback_flood() {
    with_watchdog(Duration::from_secs(30), || {
        for (name, runtime) in runtimes() {
            runtime.block_on(async {
                let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                let addr = listener.local_addr().unwrap();
                let stop = Rc::new(Cell::new(false));
                let mut writers = Vec::new();
                let mut readers = Vec::new();
                for _ in 0..2 {
                    let client = TcpStream::connect(addr).await.unwrap();
                    let (server, _) = listener.accept().await.unwrap();
                    let (c_read, c_write) = client.into_split();
                    let (s_read, s_write) = server.into_split();
                    writers.push(corio::spawn(flood_writer(c_write, stop.clone())));
                    readers.push(corio::spawn(flood_reader(s_read)));
                    writers.push(corio::spawn(flood_writer(s_write, stop.clone())));
                    readers.push(corio::spawn(flood_reader(c_read)));
                }

                let start = Instant::now();
                let mut lateness = Vec::new();
                while start.elapsed() < FLOOD_FOR {
                    let t = Instant::now();
                    sleep(TICK).await;
                    let took = t.elapsed();
                    assert!(took >= TICK, "{name}: a {TICK:?} sleep woke after {took:?}");
                    lateness.push(took - TICK);
                }
                stop.set(true);
                let mut written = 0;
                for w in writers {
                    written += w.await.unwrap();
                }
                let mut read = 0;
                for r in readers {
                    read += r.await.unwrap();
                }
                assert_eq!(written, read, "{name}: bytes lost");
                let worst = *lateness.iter().max().unwrap();
                let ticks = lateness.len();
                let med = median(&mut lateness);
                println!(
                    "{name}: {:.0} MB moved in {:.0} ms; {ticks} sleeps of {TICK:?}: \
                     median {:.2} ms late, worst {:.2} ms late",
                    read as f64 / 1e6,
                    ms(start.elapsed()),
                    ms(med),
                    ms(worst)
                );
                assert!(read > 8 << 20, "{name}: the flood moved only {read} bytes");
                assert!(
                    worst < Duration::from_millis(250),
                    "{name}: worst {worst:?}"
                );
            });
        }
    });
}

/// One direction of a flood: write 64 KiB chunks until `stop`, then shut down.
async fn flood_writer(mut half: corio::net::OwnedWriteHalf, stop: Rc<Cell<bool>>) -> u64 {
    let chunk = vec![0xA5u8; 64 * 1024];
    let mut written = 0u64;
    while !stop.get() {
        half.write_all(&chunk).await.unwrap();
        written += chunk.len() as u64;
    }
    half.close().await.unwrap();
    written
}

/// Reads until EOF; returns the byte count.
async fn flood_reader(mut half: corio::net::OwnedReadHalf) -> u64 {
    let mut buf = vec![0u8; 64 * 1024];
    let mut read = 0u64;
    loop {
        match half.read(&mut buf).await.unwrap() {
            0 => return read,
            n => read += n as u64,
        }
    }
}
