//! The UDP, Unix-socket and pipe examples, driven as a user would.

mod util;

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::process::{Command, Stdio};
use std::time::Duration;

use util::{example_path, Server};

#[test]
fn udp_example_answers_each_datagram_uppercased_and_empty_with_empty() {
    let server = Server::start("udp");
    let client = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    client
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut buf = [0u8; 100];
    for msg in [&b"hello, udp"[..], b"", &[b'x'; 1400]] {
        client.send_to(msg, server.addr).unwrap();
        let (n, from) = client.recv_from(&mut buf).unwrap();
        assert_eq!(from, server.addr);
        assert_eq!(&buf[..n], &msg.to_ascii_uppercase()[..n.min(100)]);
        assert_eq!(n, msg.len().min(100)); // the 1400-byte reply is truncated by *our* buffer
    }
}

#[test]
fn unix_example_serves_on_its_path_and_removes_it_on_sigterm() {
    let path = std::env::temp_dir().join(format!("corio-unix-example-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let mut child = Command::new(example_path("unix"))
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert_eq!(line.trim_end(), format!("listening on {}", path.display()));

    let mut client = UnixStream::connect(&path).unwrap();
    client.write_all(b"over a path").unwrap();
    client.shutdown(std::net::Shutdown::Write).unwrap();
    let mut reply = String::new();
    client.read_to_string(&mut reply).unwrap();
    assert_eq!(reply, "OVER A PATH");

    let pid = child.id() as libc::pid_t;
    // SAFETY: kill takes no pointers; the pid is our live child.
    let sent = unsafe { libc::kill(pid, libc::SIGTERM) };
    assert_eq!(sent, 0);
    assert!(child.wait().unwrap().success());
    assert!(!path.exists(), "the socket file was left behind");
}

#[test]
fn pipe_example_reads_a_child_through_async_fd() {
    let out = Command::new(example_path("pipe"))
        .args(["sh", "-c", "echo first; echo second; printf 'no newline'"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "FIRST\nSECOND\nNO NEWLINE\nchild exited: exit status: 0\n"
    );
}
