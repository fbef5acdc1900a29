//! More ready fds than one backend wait returns (epoll's buffer holds 1024 events): every
//! one is served across turns, with its own bytes.
//!
//! One test in this file: it raises the process's descriptor limit.

mod common_exec;

use std::io::Write;
use std::time::Duration;

use common_exec::{counted, open_fds, raise_fd_limit, with_watchdog, yield_until};
use corio::io::AsyncReadExt;
use corio::net::TcpListener;

const PAIRS: usize = 1500;

#[test]
fn more_ready_sockets_than_the_event_buffer_are_all_served() {
    // Each pair costs two descriptors; leave room for the runtime and the harness.
    let needed = (open_fds() + 2 * PAIRS + 64) as u64;
    let limit = raise_fd_limit(needed);
    if limit < needed {
        println!("SKIPPED: needs {needed} descriptors, RLIMIT_NOFILE allows only {limit}");
        return;
    }
    with_watchdog(Duration::from_secs(60), || {
        let rt = corio::Runtime::new().unwrap();
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let mut peers = Vec::with_capacity(PAIRS);
            let mut readers = Vec::with_capacity(PAIRS);
            let mut counters = Vec::with_capacity(PAIRS);
            for i in 0..PAIRS {
                // Connect (blocking, to a listener with backlog room) then accept, one at a
                // time, so the backlog never overflows.
                let peer = std::net::TcpStream::connect(addr).unwrap();
                let (mut stream, _) = listener.accept().await.unwrap();
                peers.push(peer);
                let (reader, polls) = counted(async move {
                    let mut buf = [0u8; 4];
                    stream.read_exact(&mut buf).await.unwrap();
                    (u32::from_be_bytes(buf), i)
                });
                readers.push(corio::spawn(reader));
                counters.push(polls);
            }
            // Every reader has tried once and parked: nothing was sent yet.
            assert!(yield_until(|| counters.iter().all(|p| p.get() == 1), 10).await);
            assert_eq!(rt.registered_sources(), PAIRS + 1);
            // Make all of them readable before the runtime looks again: its next wait
            // finds 1500 ready fds at once.
            for (i, peer) in peers.iter_mut().enumerate() {
                peer.write_all(&(i as u32).to_be_bytes()).unwrap();
            }
            for (i, reader) in readers.into_iter().enumerate() {
                let (got, index) = reader.await.unwrap();
                assert_eq!((got, index), (i as u32, i));
            }
            for (i, polls) in counters.iter().enumerate() {
                assert_eq!(polls.get(), 2, "reader {i}: one park, one event");
            }
            assert_eq!(rt.registered_sources(), 1);
        });
    });
}
