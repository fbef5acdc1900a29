//! The HTTP example against raw bytes: what a real client would never send. Path
//! traversal in every spelling, symlinks out of the root, malformed heads, limits,
//! pipelining, HEAD without a body, keep-alive and close rules, half-closed clients,
//! FIFOs, and the idle and slow-header timeouts.
#![cfg(unix)]

mod http_common;
mod util;

use std::io::{BufReader, ErrorKind, Read, Write};
use std::net::Shutdown;
use std::time::{Duration, Instant};

use http_common::{
    assert_closed, connect, exchange, file_body, read_response, request, Site, SECRET,
};

/// Every way of naming the secret (or anything else outside the root), and the status
/// each must get: 400 for a path the server refuses to decode, 404 for one that
/// resolves outside the root or to nothing.
#[test]
fn no_path_outside_the_root_is_ever_served() {
    let site = Site::new();
    let server = site.serve(&[]);
    let secret_abs = site.outside.join("secret.txt");
    let secret_abs = secret_abs.to_str().unwrap();
    let cases: Vec<(String, u16)> = vec![
        ("/../outside/secret.txt".into(), 400),
        ("/../../../../../../../../etc/passwd".into(), 400),
        ("/sub/../../outside/secret.txt".into(), 400),
        ("/sub/..".into(), 400),
        ("/%2e%2e/outside/secret.txt".into(), 400),
        ("/%2E%2e/outside/secret.txt".into(), 400),
        ("/%2E%2E%2Foutside%2Fsecret.txt".into(), 400),
        ("/.%2e/outside/secret.txt".into(), 400),
        ("/..%2foutside%2fsecret.txt".into(), 400),
        ("/sub%2f..%2f..%2foutside/secret.txt".into(), 400),
        ("/%252e%252e/outside/secret.txt".into(), 404), // decoded once: a name "%2e%2e"
        ("/..%5coutside%5csecret.txt".into(), 404),     // a backslash is a name byte
        ("/notes.txt%00.html".into(), 400),
        ("/%00".into(), 400),
        ("/%zz".into(), 400),
        ("/%2".into(), 400),
        (format!("/{secret_abs}"), 404), // "absolute": still under the root
        (format!("/{}", secret_abs.replace('/', "%2f")), 400),
        ("//etc/passwd".into(), 404),
        ("http://test/../outside/secret.txt".into(), 400),
        ("http://test/%2e%2e/outside/secret.txt".into(), 400),
        ("/escape.txt".into(), 404),            // symlink to the secret
        ("/escape_dir/secret.txt".into(), 404), // through a symlinked directory
        ("/escape_dir/".into(), 404),           // the directory itself
        ("/sub/up/outside/secret.txt".into(), 404), // relative symlink "../.."
        ("/sub/up/root/notes.txt".into(), 200), // ...that leads back inside: fine
        ("*".into(), 400),
    ];
    for (target, code) in &cases {
        let (response, _) = exchange(server.addr, &request("GET", target, ""), false);
        let reason = match code {
            200 => {
                response.assert_file("text/plain; charset=utf-8", &file_body("notes.txt"), false);
                continue;
            }
            400 => "Bad Request",
            _ => "Not Found",
        };
        assert!(
            !response.body.windows(SECRET.len()).any(|w| w == SECRET),
            "{target}: the secret leaked"
        );
        response.assert_error(*code, reason, false, false);
    }
    // A raw NUL, a space or an 8-bit byte in the target, or a target that is neither a
    // path nor a URL, is not even a valid request line: 400 and close.
    for target in [
        &b"/notes.txt\0"[..],
        b"/a b",
        b"/\x80",
        b"etc/passwd",
        b"file:///etc/passwd",
    ] {
        let mut bytes = b"GET ".to_vec();
        bytes.extend_from_slice(target);
        bytes.extend_from_slice(b" HTTP/1.1\r\nHost: test\r\n\r\n");
        let (response, mut reader) = exchange(server.addr, &bytes, false);
        response.assert_error(400, "Bad Request", true, false);
        assert_closed(&mut reader);
    }
}

/// Malformed heads: each gets its exact status with `Connection: close`, then the
/// server closes (after the response, which arrives intact).
#[test]
fn malformed_requests_get_400_or_their_status_and_a_close() {
    let site = Site::new();
    let server = site.serve(&[]);
    let long_name = "a".repeat(5000);
    let long_value = "v".repeat(9000);
    let many: String = (0..70).map(|i| format!("X-H{i}: {i}\r\n")).collect();
    let cases: Vec<(Vec<u8>, u16, &str)> = vec![
        (b"GET /\r\n\r\n".to_vec(), 400, "Bad Request"),
        (b"GET  / HTTP/1.1\r\nHost: t\r\n\r\n".to_vec(), 400, "Bad Request"),
        (b"GET / HTTP/1.1 x\r\nHost: t\r\n\r\n".to_vec(), 400, "Bad Request"),
        (b"G(T / HTTP/1.1\r\nHost: t\r\n\r\n".to_vec(), 400, "Bad Request"),
        (b"GET / HTTP/1.x\r\nHost: t\r\n\r\n".to_vec(), 400, "Bad Request"),
        (b"GET / http/1.1\r\nHost: t\r\n\r\n".to_vec(), 400, "Bad Request"),
        (b"GET / HTTP/11\r\nHost: t\r\n\r\n".to_vec(), 400, "Bad Request"),
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\n\n".to_vec(), 400, "Bad Request"),
        (b"GET / HTTP/1.1\r\nHost t\r\n\r\n".to_vec(), 400, "Bad Request"),
        (b"GET / HTTP/1.1\r\nHost : t\r\n\r\n".to_vec(), 400, "Bad Request"),
        (b"GET / HTTP/1.1\r\n: t\r\nHost: t\r\n\r\n".to_vec(), 400, "Bad Request"),
        (b"GET / HTTP/1.1\r\nHost: t\r\n folded\r\n\r\n".to_vec(), 400, "Bad Request"),
        (b"GET / HTTP/1.1\r\nHost: t\r\nX: a\0b\r\n\r\n".to_vec(), 400, "Bad Request"),
        (b"GET / HTTP/1.1\r\nHost: t\rX: y\r\n\r\n".to_vec(), 400, "Bad Request"),
        (b"GET / HTTP/1.1\r\n\r\n".to_vec(), 400, "Bad Request"), // no Host
        (b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n".to_vec(), 400, "Bad Request"),
        (b"GET / HTTP/1.1\r\nHost: t\r\nContent-Length: x\r\n\r\n".to_vec(), 400, "Bad Request"),
        (b"GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab".to_vec(), 400, "Bad Request"),
        (b"GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec(), 400, "Bad Request"),
        (b"GET / HTTP/2.0\r\nHost: t\r\n\r\n".to_vec(), 505, "HTTP Version Not Supported"),
        (b"GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello".to_vec(), 413, "Content Too Large"),
        (b"GET / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n".to_vec(), 501, "Not Implemented"),
        (request("GET", &format!("/{long_name}"), ""), 414, "URI Too Long"),
        (request("GET", "/", &format!("X-Long: {long_value}\r\n")), 431, "Request Header Fields Too Large"),
        (request("GET", "/", &many), 431, "Request Header Fields Too Large"),
    ];
    for (bytes, code, reason) in &cases {
        let (response, mut reader) = exchange(server.addr, bytes, false);
        response.assert_error(*code, reason, true, false);
        assert_closed(&mut reader);
    }
    // A POST with a body: 405, and a close because the body is never read.
    let post = b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\nbody";
    let (response, mut reader) = exchange(server.addr, post, false);
    response.assert_error(405, "Method Not Allowed", true, false);
    assert_closed(&mut reader);
}

/// A header block far over the limit, sent in one go: the 431 still arrives intact
/// (the server drains what it will not read instead of resetting the connection).
#[test]
fn a_huge_header_block_gets_431_not_a_reset() {
    let site = Site::new();
    let server = site.serve(&[]);
    let filler: String = (0..2000)
        .map(|i| format!("X-Filler-{i}: {}\r\n", "f".repeat(40)))
        .collect();
    let (response, mut reader) = exchange(server.addr, &request("GET", "/", &filler), false);
    response.assert_error(431, "Request Header Fields Too Large", true, false);
    assert_closed(&mut reader);
}

/// Three requests in one write: three responses, in order; the last asked to close.
/// Blank lines between pipelined requests are allowed.
#[test]
fn pipelined_requests_are_answered_in_order() {
    let site = Site::new();
    let server = site.serve(&[]);
    let mut stream = connect(server.addr);
    let mut bytes = request("GET", "/notes.txt", "");
    bytes.extend(request("HEAD", "/big.bin", ""));
    bytes.extend(b"\r\n");
    bytes.extend(request("GET", "/missing", ""));
    bytes.extend(request("GET", "/style.css", "Connection: close\r\n"));
    bytes.extend(request("GET", "/index.html", "")); // after the close: never answered
    stream.write_all(&bytes).unwrap();
    let mut reader = BufReader::new(stream);
    let text = "text/plain; charset=utf-8";
    read_response(&mut reader, false).assert_file(text, &file_body("notes.txt"), false);
    let head = read_response(&mut reader, true);
    assert_eq!(head.status_line, "HTTP/1.1 200 OK");
    let big_len = http_common::BIG_LEN.to_string();
    assert_eq!(head.header("Content-Length"), Some(big_len.as_str()));
    read_response(&mut reader, false).assert_error(404, "Not Found", false, false);
    let last = read_response(&mut reader, false);
    last.assert_file("text/css; charset=utf-8", &file_body("style.css"), false);
    assert_eq!(last.header("Connection"), Some("close"));
    assert_closed(&mut reader);
}

/// The answer to HEAD has Content-Length but no body: the next response on the same
/// connection starts right after its head.
#[test]
fn head_has_no_body_on_the_wire() {
    let site = Site::new();
    let server = site.serve(&[]);
    let mut stream = connect(server.addr);
    let mut bytes = request("HEAD", "/index.html", "");
    bytes.extend(request("HEAD", "/missing", ""));
    bytes.extend(request("GET", "/notes.txt", "Connection: close\r\n"));
    stream.write_all(&bytes).unwrap();
    let mut reader = BufReader::new(stream);
    let html = "text/html; charset=utf-8";
    read_response(&mut reader, true).assert_file(html, &file_body("index.html"), true);
    read_response(&mut reader, true).assert_error(404, "Not Found", false, true);
    let get = read_response(&mut reader, false);
    get.assert_file("text/plain; charset=utf-8", &file_body("notes.txt"), false);
    assert_closed(&mut reader);
}

/// HTTP/1.1 stays open by default; `Connection: close` closes; HTTP/1.0 closes unless
/// it asks for keep-alive, and then the server says `Connection: keep-alive`.
#[test]
fn keep_alive_and_close_follow_the_version_and_connection_header() {
    let site = Site::new();
    let server = site.serve(&[]);
    let mut stream = connect(server.addr);
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    for i in 0..5 {
        stream.write_all(&request("GET", "/notes.txt", "")).unwrap();
        let response = read_response(&mut reader, false);
        response.assert_file("text/plain; charset=utf-8", &file_body("notes.txt"), false);
        assert_eq!(response.header("Connection"), None, "request {i}");
    }
    stream
        .write_all(&request(
            "GET",
            "/notes.txt",
            "Connection: Upgrade, Close\r\n",
        ))
        .unwrap();
    let last = read_response(&mut reader, false);
    assert_eq!(last.header("Connection"), Some("close"));
    assert_closed(&mut reader);

    let (response, mut reader) = exchange(server.addr, b"GET /notes.txt HTTP/1.0\r\n\r\n", false);
    response.assert_file("text/plain; charset=utf-8", &file_body("notes.txt"), false);
    assert_eq!(response.header("Connection"), Some("close"));
    assert_closed(&mut reader);

    let mut stream = connect(server.addr);
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    for _ in 0..3 {
        stream
            .write_all(b"GET /notes.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            .unwrap();
        let response = read_response(&mut reader, false);
        response.assert_file("text/plain; charset=utf-8", &file_body("notes.txt"), false);
        assert_eq!(response.header("Connection"), Some("keep-alive"));
    }
    stream.write_all(b"GET /missing HTTP/1.0\r\n\r\n").unwrap();
    read_response(&mut reader, false).assert_error(404, "Not Found", true, false);
    assert_closed(&mut reader);
}

/// A refused head on a connection that already had an answer gets its own response
/// only (nothing of the previous one again), in one write or pipelined.
#[test]
fn an_error_after_a_good_request_is_answered_alone() {
    let site = Site::new();
    let server = site.serve(&[]);
    for pipelined in [false, true] {
        let mut stream = connect(server.addr);
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let good = request("GET", "/notes.txt", "");
        let bad = b"GET / HTTP/1.1\r\nHost: t\r\nBad Header\r\n\r\n";
        if pipelined {
            stream.write_all(&[&good[..], bad].concat()).unwrap();
        } else {
            stream.write_all(&good).unwrap();
        }
        let text = "text/plain; charset=utf-8";
        read_response(&mut reader, false).assert_file(text, &file_body("notes.txt"), false);
        if !pipelined {
            stream.write_all(bad).unwrap();
        }
        read_response(&mut reader, false).assert_error(400, "Bad Request", true, false);
        assert_closed(&mut reader);
    }
}

/// A client that sends its requests and shuts down its write half still gets every
/// response, then EOF.
#[test]
fn a_half_closed_client_gets_all_its_responses() {
    let site = Site::new();
    let server = site.serve(&[]);
    let mut stream = connect(server.addr);
    let mut bytes = request("GET", "/notes.txt", "");
    bytes.extend(request("GET", "/big.bin", ""));
    stream.write_all(&bytes).unwrap();
    stream.shutdown(Shutdown::Write).unwrap();
    let mut reader = BufReader::new(stream);
    read_response(&mut reader, false).assert_file(
        "text/plain; charset=utf-8",
        &file_body("notes.txt"),
        false,
    );
    let big = read_response(&mut reader, false);
    assert!(
        big.body == util::pattern(http_common::BIG_LEN, 7),
        "big.bin differs"
    );
    assert_closed(&mut reader);
}

/// A FIFO under the root would block a plain `open` forever: it is a 404, at once, and
/// the server goes on serving.
#[test]
fn a_fifo_is_not_served_and_does_not_hang_the_server() {
    let site = Site::new();
    let fifo = std::ffi::CString::new(site.root.join("pipe.txt").to_str().unwrap()).unwrap();
    // SAFETY: mkfifo reads a NUL-terminated path that lives across the call.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
    let server = site.serve(&[]);
    for _ in 0..3 {
        let (response, _) = exchange(server.addr, &request("GET", "/pipe.txt", ""), false);
        response.assert_error(404, "Not Found", false, false);
    }
    let (response, _) = exchange(server.addr, &request("GET", "/notes.txt", ""), false);
    response.assert_file("text/plain; charset=utf-8", &file_body("notes.txt"), false);
}

/// With `--idle-timeout 0.5`: a kept-alive connection that sends nothing more is closed
/// without a word, a head that has started but not finished gets 408, and a client
/// trickling a header a few bytes at a time is cut off too (the limit covers the whole
/// head, not each read).
#[test]
fn idle_connections_and_slow_heads_are_closed() {
    let site = Site::new();
    let server = site.serve(&["--idle-timeout", "0.5"]);

    let mut stream = connect(server.addr);
    stream.write_all(&request("GET", "/notes.txt", "")).unwrap();
    let mut reader = BufReader::new(stream);
    read_response(&mut reader, false);
    let start = Instant::now();
    assert_closed(&mut reader);
    assert!(start.elapsed() < Duration::from_secs(5), "closed late");

    // Blank lines after a request (allowed before the next one) are not a head begun:
    // the idle connection is closed quietly, no 408.
    let mut stream = connect(server.addr);
    let mut request_then_blank = request("GET", "/notes.txt", "");
    request_then_blank.extend_from_slice(b"\r\n\r\n");
    stream.write_all(&request_then_blank).unwrap();
    let mut reader = BufReader::new(stream);
    read_response(&mut reader, false);
    assert_closed(&mut reader);

    // A head begun after a first request was answered: the 408 comes alone.
    let mut stream = connect(server.addr);
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    stream.write_all(&request("GET", "/notes.txt", "")).unwrap();
    read_response(&mut reader, false);
    stream
        .write_all(b"GET /notes.txt HTTP/1.1\r\nHost: te")
        .unwrap();
    read_response(&mut reader, false).assert_error(408, "Request Timeout", true, false);
    assert_closed(&mut reader);

    // Trickle a header line every 100 ms; each read would be well within the timeout.
    let mut stream = connect(server.addr);
    stream.write_all(b"GET /notes.txt HTTP/1.1\r\n").unwrap();
    stream
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let start = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    for i in 0.. {
        assert!(start.elapsed() < Duration::from_secs(10), "never cut off");
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                // Writes may fail once the server has closed; the read then sees EOF.
                let _ = stream.write_all(format!("X-{i}: {i}\r\n").as_bytes());
            }
            Err(e) => panic!("read: {e}"),
        }
    }
    let text = String::from_utf8_lossy(&got);
    assert!(
        text.starts_with("HTTP/1.1 408 Request Timeout\r\n"),
        "{text}"
    );
}

/// Dot-files are never served, even when they exist under the root (`.git`, `.env`).
#[test]
fn dot_files_are_not_served() {
    let site = Site::new();
    std::fs::write(
        std::path::Path::new(site.root_arg()).join(".env"),
        "SECRET=1",
    )
    .unwrap();
    let server = site.serve(&[]);
    for target in ["/.env", "/%2eenv", "/./.env"] {
        let mut stream = connect(server.addr);
        stream.write_all(&request("GET", target, "")).unwrap();
        let mut reader = BufReader::new(stream);
        read_response(&mut reader, false).assert_error(404, "Not Found", false, false);
    }
}
