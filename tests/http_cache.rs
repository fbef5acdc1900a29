//! The HTTP example's open-file cache, seen from outside: a file replaced or rewritten on
//! disk is served fresh, and a deleted one gives 404, within the revalidation bound (made
//! short here by the hidden `--revalidate-ms`) but not before it (the cache is really
//! used); 10,000 distinct files never hold more descriptors open than the capacity
//! (`--cache-entries`); and a client reading an 8 MiB body slowly through a small receive
//! buffer makes `sendfile` stop and resume many times and still gets exact bytes, with the
//! connection usable afterwards.
#![cfg(target_os = "linux")]

mod http_common;
mod util;

use std::io::{BufReader, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use http_common::{connect, exchange, file_body, read_response, request, Site};
use util::{fd_count, pattern, wait_for};

const TEXT: &str = "text/plain; charset=utf-8";

/// GET `target` on a fresh connection: (status line, body).
fn get(addr: SocketAddr, target: &str) -> (String, Vec<u8>) {
    let (response, _) = exchange(addr, &request("GET", target, ""), false);
    (response.status_line, response.body)
}

/// Replaces `path` by a new file (another inode), as editors and deploy tools do.
fn replace(path: &std::path::Path, contents: &[u8]) {
    let tmp = path.with_extension("tmp-new");
    std::fs::write(&tmp, contents).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

#[test]
#[cfg_attr(miri, ignore)]
fn a_changed_file_is_served_fresh_within_the_bound() {
    let site = Site::new();
    let server = site.serve(&["--revalidate-ms", "300"]);
    let path = site.root.join("notes.txt");
    assert_eq!(get(server.addr, "/notes.txt").1, file_body("notes.txt"));

    // Replaced by a new file, then rewritten in place with the same length (only the
    // modification time tells): each is served within the bound.
    let changes: [(&str, &[u8]); 2] = [
        ("replaced", b"version two\n"),
        ("rewritten", b"version 3!!\n"),
    ];
    for (how, contents) in changes {
        let changed_at = Instant::now();
        if how == "replaced" {
            replace(&path, contents);
        } else {
            std::fs::write(&path, contents).unwrap();
        }
        let fresh = wait_for(Duration::from_secs(10), Duration::from_millis(10), || {
            get(server.addr, "/notes.txt").1 == contents
        });
        let took = changed_at.elapsed();
        assert!(fresh, "{how}: never served fresh");
        assert!(
            took < Duration::from_millis(300 + 700),
            "{how}: fresh only after {took:?}"
        );
    }
}

#[test]
#[cfg_attr(miri, ignore)]
fn within_the_bound_the_cached_file_is_served() {
    let site = Site::new();
    let server = site.serve(&["--revalidate-ms", "60000"]);
    let path = site.root.join("notes.txt");
    assert_eq!(get(server.addr, "/notes.txt").1, file_body("notes.txt"));
    replace(&path, b"new contents\n");
    std::fs::remove_file(site.root.join("style.css")).unwrap();
    // Not yet revalidated: the open descriptor still serves the first version, and a
    // file never requested before is opened fresh.
    assert_eq!(get(server.addr, "/notes.txt").1, file_body("notes.txt"));
    assert_eq!(get(server.addr, "/style.css").0, "HTTP/1.1 404 Not Found");
}

#[test]
#[cfg_attr(miri, ignore)]
fn a_deleted_file_gives_404_within_the_bound() {
    let site = Site::new();
    let server = site.serve(&["--revalidate-ms", "300"]);
    for _ in 0..2 {
        assert_eq!(get(server.addr, "/notes.txt").0, "HTTP/1.1 200 OK");
    }
    let removed_at = Instant::now();
    std::fs::remove_file(site.root.join("notes.txt")).unwrap();
    let gone = wait_for(Duration::from_secs(10), Duration::from_millis(10), || {
        get(server.addr, "/notes.txt").0 == "HTTP/1.1 404 Not Found"
    });
    let took = removed_at.elapsed();
    assert!(gone, "a deleted file was served for 10 s");
    assert!(
        took < Duration::from_millis(300 + 700),
        "404 only after {took:?}"
    );
    // And a symlink that comes to lead out of the root is refused, not served from cache.
    let link = site.root.join("to_app.txt");
    std::os::unix::fs::symlink("app.js", &link).unwrap();
    assert_eq!(get(server.addr, "/to_app.txt").1, file_body("app.js"));
    std::fs::remove_file(&link).unwrap();
    std::os::unix::fs::symlink(site.outside.join("secret.txt"), &link).unwrap();
    let refused = wait_for(Duration::from_secs(10), Duration::from_millis(10), || {
        get(server.addr, "/to_app.txt").0 == "HTTP/1.1 404 Not Found"
    });
    assert!(
        refused,
        "a symlink swapped to outside the root kept being served"
    );
}

#[test]
#[cfg_attr(miri, ignore)]
fn ten_thousand_paths_never_hold_more_than_the_capacity_open() {
    const FILES: usize = 10_000;
    const CAPACITY: usize = 64;
    let site = Site::new();
    let many = site.root.join("many");
    std::fs::create_dir(&many).unwrap();
    for i in 0..FILES {
        std::fs::write(many.join(format!("{i}.txt")), format!("file {i}\n")).unwrap();
    }
    let server = site.serve(&["--cache-entries", &CAPACITY.to_string()]);
    let pid = server.child.id();
    let mut stream = connect(server.addr);
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    // Once a 404 has come back, the connection is accepted; nothing is cached yet.
    stream.write_all(&request("GET", "/many/none", "")).unwrap();
    read_response(&mut reader, false).assert_error(404, "Not Found", false, false);
    let fds_base = fd_count(pid); // stdio, listener, reactor, this connection
    let mut most = 0;
    // Pipelined in batches of 100, each file twice (a miss, then a hit), then the first
    // ones again (evicted long ago: misses again).
    let order: Vec<usize> = (0..FILES).chain(0..200).collect();
    for batch in order.chunks(100) {
        let mut bytes = Vec::new();
        for &i in batch {
            let target = format!("/many/{i}.txt");
            bytes.extend_from_slice(&request("GET", &target, ""));
            bytes.extend_from_slice(&request("GET", &target, ""));
        }
        stream.write_all(&bytes).unwrap();
        for &i in batch {
            for _ in 0..2 {
                let response = read_response(&mut reader, false);
                response.assert_file(TEXT, format!("file {i}\n").as_bytes(), false);
            }
        }
        most = most.max(fd_count(pid));
    }
    assert!(
        most <= fds_base + CAPACITY,
        "{most} descriptors open: more than {fds_base} + the cache's {CAPACITY}"
    );
    assert!(
        most >= fds_base + CAPACITY / 2,
        "only {most} descriptors: is anything cached?"
    );
}

#[test]
#[cfg_attr(miri, ignore)]
fn a_slow_reader_gets_an_8_mib_file_exactly_by_sendfile_resumed() {
    const LEN: usize = 8 << 20;
    let site = Site::new();
    let contents = pattern(LEN, 5);
    std::fs::write(site.root.join("eight.bin"), &contents).unwrap();
    let server = site.serve(&["--idle-timeout", "10"]);
    let mut stream = connect_with_small_window(server.addr);
    // The body twice: whole, then a range, pipelined; then a small file on the same
    // connection after both.
    let mut bytes = request("GET", "/eight.bin", "");
    bytes.extend_from_slice(&request("GET", "/eight.bin", "Range: bytes=1000000-\r\n"));
    stream.write_all(&bytes).unwrap();
    let mut reader = BufReader::with_capacity(4096, stream.try_clone().unwrap());
    let mut head = String::new();
    while !head.ends_with("\r\n\r\n") {
        let mut byte = [0];
        reader.read_exact(&mut byte).unwrap();
        head.push(byte[0] as char);
    }
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(
        head.contains(&format!("\r\nContent-Length: {LEN}\r\n")),
        "{head}"
    );
    // Slowly: 16 KiB at a time, pausing every 256 KiB, so the server's socket fills and
    // sendfile has to wait for room again and again.
    let mut body = vec![0; LEN];
    for (i, piece) in body.chunks_mut(16 * 1024).enumerate() {
        reader.read_exact(piece).unwrap();
        if i % 16 == 0 {
            std::thread::sleep(Duration::from_millis(2));
        }
        if i == 64 {
            // 1 MiB in, the client stops reading for a while: 7 MiB cannot fit in the
            // socket buffers, so the server is waiting for room, and must wait parked
            // (sendfile's EAGAIN clears the stream's write readiness), not spinning.
            let before = server.cpu_ticks();
            std::thread::sleep(Duration::from_millis(500)); // the measurement window
            let used = server.cpu_ticks() - before;
            assert!(
                used <= 10,
                "the server spun while the client paused: {used} ticks"
            );
        }
    }
    assert!(body == contents, "the slowly read body differs");
    let response = read_response(&mut reader, false);
    assert_eq!(response.status_line, "HTTP/1.1 206 Partial Content");
    assert!(response.body == contents[1_000_000..], "the range differs");
    stream.write_all(&request("GET", "/notes.txt", "")).unwrap();
    read_response(&mut reader, false).assert_file(TEXT, &file_body("notes.txt"), false);
}

/// A connection whose receive buffer is 16 KiB from the start (set before `connect`, so
/// the window is small from the handshake on): the server's sends stall early and often.
fn connect_with_small_window(addr: SocketAddr) -> std::net::TcpStream {
    use std::os::fd::FromRawFd;
    let SocketAddr::V4(v4) = addr else {
        panic!("IPv4 expected")
    };
    // SAFETY: socket() returns a new fd or -1; it is owned by the TcpStream below.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
    assert!(fd >= 0, "socket: {}", std::io::Error::last_os_error());
    // SAFETY: `fd` was just created and nothing else owns it.
    let stream = unsafe { std::net::TcpStream::from_raw_fd(fd) };
    util::set_socket_option(&stream, libc::SO_RCVBUF, 16 * 1024);
    let sin = libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: v4.port().to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from(*v4.ip()).to_be(),
        },
        sin_zero: [0; 8],
    };
    // SAFETY: passes a live sockaddr_in and its exact size.
    let rc = unsafe {
        libc::connect(
            fd,
            (&sin as *const libc::sockaddr_in).cast(),
            std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
        )
    };
    assert_eq!(rc, 0, "connect: {}", std::io::Error::last_os_error());
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
        .set_write_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
}

#[test]
#[cfg_attr(miri, ignore)]
fn a_file_that_shrinks_under_sendfile_ends_the_connection() {
    const LEN: usize = 8 << 20;
    const CUT: usize = 6 << 20;
    let site = Site::new();
    let contents = pattern(LEN, 9);
    let path = site.root.join("shrinks.bin");
    std::fs::write(&path, &contents).unwrap();
    let server = site.serve(&[]);
    let mut stream = connect_with_small_window(server.addr);
    stream
        .write_all(&request("GET", "/shrinks.bin", ""))
        .unwrap();
    let mut reader = BufReader::new(stream);
    let mut first = vec![0; 1 << 20];
    reader.read_exact(&mut first).unwrap();
    // Less than 6 MiB can be in flight now (1 MiB read, a 16 KiB window, the send
    // buffer): the server's sendfile meets the new end of the file and must close.
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(CUT as u64)
        .unwrap();
    let mut rest = Vec::new();
    reader
        .read_to_end(&mut rest)
        .expect("EOF, not a hang, after the file shrank");
    first.extend_from_slice(&rest);
    let head_end = first.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let body = &first[head_end..];
    assert_eq!(
        body.len(),
        CUT,
        "the body should end where the file now ends"
    );
    assert!(
        body == &contents[..CUT],
        "the body is not the file's prefix"
    );
}
