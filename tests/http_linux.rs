//! The HTTP example's memory and descriptor bounds, read from /proc (so Linux only): a
//! client that requests a large file and never reads costs the server one chunk, not
//! the file, and is disconnected after the idle timeout; a client that resets mid-file
//! costs nothing afterwards.
#![cfg(target_os = "linux")]

mod http_common;
mod util;

use std::io::{BufReader, Read, Write};
use std::time::Duration;

use http_common::{connect, exchange, file_body, read_response, request, Site};
use util::{fd_count, pattern, reset, unread_bytes, wait_for};

/// The file the stalled client asks for: far more than any socket buffers hold.
const HUGE: usize = 48 << 20;

/// The peak resident set of process `pid`, in KiB (`VmHWM`).
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Waits until `stream`'s unread bytes stop growing (the server can push no more: its
/// send buffer and our receive buffer are full). Returns how many are waiting.
fn wait_until_stalled(stream: &std::net::TcpStream) -> usize {
    let (mut last, mut steady) = (0, 0);
    let stalled = wait_for(Duration::from_secs(20), Duration::from_millis(20), || {
        let now = unread_bytes(stream);
        steady = if now == last && now > 0 {
            steady + 1
        } else {
            0
        };
        last = now;
        steady >= 10
    });
    assert!(stalled, "the transfer never stalled ({last} bytes unread)");
    last
}

#[test]
fn a_client_that_never_reads_costs_one_chunk_and_is_dropped_after_the_idle_timeout() {
    let site = Site::new();
    let contents = pattern(HUGE, 11);
    std::fs::write(site.root.join("huge.bin"), &contents).unwrap();
    let server = site.serve(&["--idle-timeout", "1"]);
    let pid = server.child.id();
    // Once served, huge.bin and notes.txt stay open in the server's file cache.
    let fds_idle = fd_count(pid) + 2;

    let mut stalled = connect(server.addr);
    stalled.write_all(&request("GET", "/huge.bin", "")).unwrap();
    let unread = wait_until_stalled(&stalled);
    assert!(unread < HUGE, "the whole file fit in the socket buffers");

    // The server is parked in a write to the stalled client; others are still served.
    for _ in 0..3 {
        let (response, _) = exchange(server.addr, &request("GET", "/notes.txt", ""), false);
        response.assert_file("text/plain; charset=utf-8", &file_body("notes.txt"), false);
    }
    let peak = peak_rss_kib(pid);
    assert!(
        peak < 24 * 1024,
        "server peak RSS {peak} KiB: it buffered the {} MiB file",
        HUGE >> 20
    );

    // After a second without progress the server gives up on the stalled client.
    let closed = wait_for(Duration::from_secs(10), Duration::from_millis(20), || {
        fd_count(pid) == fds_idle
    });
    assert!(closed, "the stalled connection was never closed");
    // What was already sent arrives, then EOF: a prefix of the response, cut short.
    let mut got = Vec::new();
    stalled
        .read_to_end(&mut got)
        .expect("EOF after the buffered bytes");
    let head_end = got.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let head = String::from_utf8_lossy(&got[..head_end]);
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(
        head.contains(&format!("\r\nContent-Length: {HUGE}\r\n")),
        "{head}"
    );
    let body = &got[head_end..];
    assert!(body.len() < HUGE, "the whole file arrived");
    assert!(
        body == &contents[..body.len()],
        "the body is not a prefix of the file"
    );
}

#[test]
fn a_client_that_resets_mid_file_leaves_nothing_behind() {
    let site = Site::new();
    std::fs::write(site.root.join("huge.bin"), pattern(HUGE, 3)).unwrap();
    let server = site.serve(&[]);
    let pid = server.child.id();
    // Once served, huge.bin stays open in the server's file cache.
    let fds_idle = fd_count(pid) + 1;
    for _ in 0..5 {
        let mut client = connect(server.addr);
        client.write_all(&request("GET", "/huge.bin", "")).unwrap();
        let mut first = [0u8; 4096];
        client.read_exact(&mut first).unwrap();
        assert!(first.starts_with(b"HTTP/1.1 200 OK\r\n"));
        reset(client);
    }
    let clean = wait_for(Duration::from_secs(10), Duration::from_millis(20), || {
        fd_count(pid) == fds_idle
    });
    assert!(clean, "connections left open after their clients reset");
    let mut stream = connect(server.addr);
    stream
        .write_all(&request("GET", "/notes.txt", "Connection: close\r\n"))
        .unwrap();
    let mut reader = BufReader::new(stream);
    let response = read_response(&mut reader, false);
    response.assert_file("text/plain; charset=utf-8", &file_body("notes.txt"), false);
}
