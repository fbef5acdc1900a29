//! Tests of the open-loop generator against in-process echo servers.

use super::*;
use std::io::Write;
use std::net::TcpListener;

#[test]
fn schedule_spreads_requests_over_connections() {
    let start = Instant::now();
    let plan = Schedule {
        start,
        rate: 20_000,
        conns: 10,
    };
    assert_eq!(plan.at(0), start);
    assert_eq!(plan.at(1) - start, Duration::from_micros(50));
    // Connection 3's third request (nth 2) is request 23 of the run.
    assert_eq!(plan.of_conn(3, 2) - start, Duration::from_micros(1_150));
    // Requests 20 to 39 (due at 1,000 µs to 1,950 µs) fall in [1 ms, 2 ms); none in
    // [1,001 µs, 1,050 µs).
    let ms = Duration::from_millis;
    assert_eq!(plan.due_between(ms(1), ms(2)), 20);
    let us = Duration::from_micros;
    assert_eq!(plan.due_between(us(1_001), us(1_050)), 0);
}

/// A thread-per-connection echo server that replies with `map` of what it got.
fn server(map: fn(&mut [u8])) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n @ 1..) = stream.read(&mut buf) {
                    map(&mut buf[..n]);
                    if stream.write_all(&buf[..n]).is_err() {
                        return;
                    }
                }
            });
        }
    });
    addr
}

fn offer() -> Offer {
    Offer {
        conns: 4,
        rate: 2_000,
        msg_len: 64,
        warmup: Duration::from_millis(100),
        window: Duration::from_millis(500),
    }
}

#[test]
#[cfg_attr(miri, ignore)]
fn offers_the_schedule_and_checks_replies() {
    let addr = server(<[u8]>::make_ascii_uppercase);
    let out = run(addr, offer(), Some(std::process::id())).unwrap();
    // Requests 200 to 1199 fall due in [0.1 s, 0.6 s).
    assert_eq!(out.offered, 1_000);
    assert_eq!(out.load.corrupt, 0);
    assert!(
        (800..=1_010).contains(&out.load.requests),
        "{} requests completed in the window",
        out.load.requests
    );
    assert_eq!(out.load.latencies_us.len() as u64, out.load.requests);
    assert!(out.cpu.is_some());
}

#[test]
#[cfg_attr(miri, ignore)]
fn counts_wrong_replies() {
    let addr = server(|_| {}); // echoes without uppercasing
    let out = run(addr, offer(), None).unwrap();
    assert!(out.load.corrupt > 0);
    assert!(out.cpu.is_none());
}
