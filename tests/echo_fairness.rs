//! The echo example keeps serving everyone while some clients hog or dawdle: one that
//! never reads its replies, and 200 that trickle a byte every 50 ms (slowloris).

mod util;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use util::{echo_round_trip, upper, wait_for, Server};

/// A generous bound on one round trip while the server is under this abuse; a server
/// that serves clients one after another would blow through it.
const ROUND_TRIP: Duration = Duration::from_secs(2);

fn timed_round_trip(server: &Server, i: usize) -> Duration {
    let msg = format!("normal client {i}: The quick brown fox \u{263a}\n").repeat(20);
    let start = Instant::now();
    let reply = echo_round_trip(server.addr, msg.as_bytes());
    let took = start.elapsed();
    assert_eq!(reply, upper(msg.as_bytes()), "client {i}'s reply");
    took
}

#[test]
fn a_client_that_never_reads_does_not_block_the_others() {
    let mut server = Server::start("echo");
    let mut hog = TcpStream::connect(server.addr).unwrap();
    // The hog sends until the server is parked writing back to it, and never reads.
    let sent = util::write_until_stalled(&mut hog, Duration::from_millis(200));
    assert!(util::unread_bytes(&hog) > 0);

    for i in 0..20 {
        let took = timed_round_trip(&server, i);
        assert!(
            took < ROUND_TRIP,
            "client {i} waited {took:?} behind the hog"
        );
    }
    // Parked on the hog's write, the server sleeps: no busy loop on the full socket.
    let before = server.cpu_ticks();
    std::thread::sleep(Duration::from_millis(500)); // the measurement window
    let used = server.cpu_ticks() - before;
    assert!(
        used < 15,
        "server used {used} ticks in 0.5 s while blocked on the hog"
    );

    // The hog's reply is far behind its input: the server really was held up by it (the
    // kernel may still let a little through now and then, as window probes free space).
    let backlog = util::unread_bytes(&hog);
    assert!(
        sent > backlog + 64 * 1024,
        "the server echoed almost everything the hog sent ({backlog} of {sent} bytes)"
    );
    // ...and once it reads, it gets exactly its uppercased bytes back, in order.
    hog.set_nonblocking(false).unwrap();
    hog.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut head = vec![0u8; 4096];
    hog.read_exact(&mut head).unwrap();
    assert!(
        head.iter().all(|&b| b == b'Q'),
        "the hog's reply was garbled"
    );
    assert!(server.is_running());
}

#[test]
fn slowloris_clients_do_not_delay_a_normal_client() {
    const TRICKLERS: usize = 200;
    const MAX_ROUNDS: u32 = 200; // 10 s at 50 ms: a hard stop if the test stalls
    let server = Server::start("echo");
    let mut slow: Vec<TcpStream> = (0..TRICKLERS)
        .map(|_| {
            let s = TcpStream::connect(server.addr).unwrap();
            s.set_nodelay(true).unwrap();
            s.set_write_timeout(Some(Duration::from_secs(10))).unwrap();
            s
        })
        .collect();
    let rounds = Arc::new(AtomicU32::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let trickler = {
        let (rounds, stop) = (rounds.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut next = Instant::now();
            let mut round = 0u32;
            while !stop.load(Ordering::Acquire) && round < MAX_ROUNDS {
                let byte = b'a' + (round % 26) as u8;
                for s in &mut slow {
                    s.write_all(&[byte]).unwrap();
                }
                round += 1;
                rounds.store(round, Ordering::Release);
                next += Duration::from_millis(50);
                if let Some(wait) = next.checked_duration_since(Instant::now()) {
                    std::thread::sleep(wait); // deliberate pacing: one byte per 50 ms
                }
            }
            (slow, round)
        })
    };
    assert!(
        wait_for(Duration::from_secs(10), Duration::from_millis(5), || {
            rounds.load(Ordering::Acquire) >= 3
        }),
        "the trickle never got going"
    );

    let started_at_round = rounds.load(Ordering::Acquire);
    let mut worst = Duration::ZERO;
    for i in 0..10 {
        worst = worst.max(timed_round_trip(&server, i));
        std::thread::sleep(Duration::from_millis(30)); // spread them over the trickle
    }
    let ended_at_round = rounds.load(Ordering::Acquire);
    stop.store(true, Ordering::Release);
    let (slow, sent_rounds) = trickler.join().unwrap();
    assert!(
        worst < ROUND_TRIP,
        "a normal round trip took {worst:?} while {TRICKLERS} clients trickled"
    );
    assert!(
        ended_at_round > started_at_round && ended_at_round < MAX_ROUNDS,
        "the normal clients did not run while the trickle went on"
    );

    // Every trickling client was served too: each gets exactly its bytes, uppercased.
    let expected: Vec<u8> = (0..sent_rounds)
        .map(|r| (b'a' + (r % 26) as u8).to_ascii_uppercase())
        .collect();
    for (i, mut s) in slow.into_iter().enumerate() {
        s.shutdown(Shutdown::Write).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut got = Vec::new();
        s.read_to_end(&mut got).unwrap();
        assert_eq!(got, expected, "trickling client {i}");
    }
}
