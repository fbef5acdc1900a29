//! `examples/hello.rs` against misbehaving clients: malformed requests get 400 while the
//! server goes on serving others, and the header read timeout closes slow and idle
//! connections.

mod hello_common;

use std::io::{BufReader, Read, Write};
use std::time::{Duration, Instant};

use corio_hyper::demo::HELLO;
use hello_common::{raw_connect, read_response, start_hello, url};

#[test]
fn a_malformed_request_gets_400_and_the_server_serves_others() {
    let server = start_hello(&[]);
    // A client mid-request when the bad one arrives, finished afterwards.
    let mut waiting = raw_connect(server.addr);
    waiting.write_all(b"GET / HTTP/1.1\r\nHost: te").unwrap();

    for garbage in [
        &b"GARBAGE\r\n\r\n"[..],
        b"GET / HTTP/1.1\r\nHost: test\r\nBad Header Line\r\n\r\n",
        b"GET / HTTP/9.9\r\n\r\n",
    ] {
        let mut bad = raw_connect(server.addr);
        bad.write_all(garbage).unwrap();
        let mut reply = String::new();
        bad.read_to_string(&mut reply).unwrap(); // then the server closes
        assert!(
            reply.starts_with("HTTP/1.1 400 Bad Request\r\n"),
            "{:?} got {reply:?}",
            String::from_utf8_lossy(garbage)
        );
    }

    waiting.write_all(b"st\r\n\r\n").unwrap();
    let (head, body) = read_response(&mut BufReader::new(waiting));
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"));
    assert_eq!(body, HELLO.as_bytes());
    let response = ureq::get(&url(&server, "/")).call().unwrap();
    assert_eq!(response.into_string().unwrap(), HELLO);
}

#[test]
fn header_read_timeout_closes_slow_and_idle_connections() {
    let server = start_hello(&["--header-timeout-ms", "300"]);

    // Half a head, then nothing: closed once the timeout passes, without a response.
    let start = Instant::now();
    let mut slow = raw_connect(server.addr);
    slow.write_all(b"GET / HTTP/1.1\r\nHost: test\r\n").unwrap();
    let mut reply = Vec::new();
    let _ = slow.read_to_end(&mut reply); // EOF (or a reset) when the server gives up
    let took = start.elapsed();
    assert!(reply.is_empty(), "{:?}", String::from_utf8_lossy(&reply));
    assert!(took >= Duration::from_millis(250), "closed after {took:?}");
    assert!(took < Duration::from_secs(10), "closed after {took:?}");

    // A kept-alive connection waits for its next head under the same clock.
    let stream = raw_connect(server.addr);
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    writer
        .write_all(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
        .unwrap();
    let (head, _) = read_response(&mut reader);
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"));
    let idle_from = Instant::now();
    let mut rest = Vec::new();
    let _ = reader.read_to_end(&mut rest);
    assert!(rest.is_empty());
    let idle = idle_from.elapsed();
    assert!(
        idle >= Duration::from_millis(250) && idle < Duration::from_secs(10),
        "{idle:?}"
    );

    // Prompt clients are served as usual meanwhile.
    let response = ureq::get(&url(&server, "/")).call().unwrap();
    assert_eq!(response.into_string().unwrap(), HELLO);
}
