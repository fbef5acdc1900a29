//! Graceful shutdown of the echo example: on SIGTERM or Ctrl-C (SIGINT) it stops
//! accepting, lets open connections finish up to `--grace`, prints how many clients it
//! served and exits 0.

mod util;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use util::{example_path, upper};

/// The echo example with its stdout kept, so the test reads every status line.
struct Echo {
    child: Child,
    out: BufReader<ChildStdout>,
    addr: SocketAddr,
}

impl Echo {
    fn start(args: &[&str]) -> Echo {
        let mut child = Command::new(example_path("echo"))
            .arg("127.0.0.1:0")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn echo");
        let mut out = BufReader::new(child.stdout.take().expect("stdout"));
        let line = read_line(&mut out);
        let addr = line
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .parse()
            .expect("address");
        Echo { child, out, addr }
    }

    fn signal(&self, signum: libc::c_int) {
        let pid = self.child.id() as libc::pid_t;
        // SAFETY: kill takes no pointers; the pid is our live child.
        let sent = unsafe { libc::kill(pid, signum) };
        assert_eq!(sent, 0);
    }

    /// Waits (up to 20 s) for the process to exit; its exit code.
    fn exit_code(&mut self) -> Option<i32> {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(10)); // polling a process, not syncing
        }
        panic!("echo did not exit within 20 s");
    }
}

impl Drop for Echo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read_line(out: &mut BufReader<ChildStdout>) -> String {
    let mut line = String::new();
    out.read_line(&mut line).expect("read a status line");
    line.trim_end().to_string()
}

/// One echo round trip on an open connection.
fn round_trip(client: &mut TcpStream, msg: &[u8]) -> Vec<u8> {
    client.write_all(msg).unwrap();
    let mut reply = vec![0; msg.len()];
    client.read_exact(&mut reply).unwrap();
    reply
}

fn graceful(signum: libc::c_int) {
    let mut echo = Echo::start(&["--grace", "30"]);
    let mut done = TcpStream::connect(echo.addr).unwrap();
    assert_eq!(round_trip(&mut done, b"first"), b"FIRST");
    drop(done);
    let mut open = TcpStream::connect(echo.addr).unwrap();
    open.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    assert_eq!(round_trip(&mut open, b"before"), b"BEFORE");

    echo.signal(signum);
    // The first line proves the signal was handled and the listener is gone.
    let line = read_line(&mut echo.out);
    assert!(
        line.starts_with("shutting down: 1 open connection(s)")
            || line.starts_with("shutting down: 2 open connection(s)"),
        "{line:?}"
    );
    let refused = TcpStream::connect(echo.addr)
        .map(|s| (s.local_addr().unwrap(), s.peer_addr().unwrap()))
        .unwrap_err();
    assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);

    // The open connection is still served, then finishes.
    assert_eq!(round_trip(&mut open, b"after"), b"AFTER");
    assert!(
        echo.child.try_wait().unwrap().is_none(),
        "exited with a client open"
    );
    open.shutdown(Shutdown::Write).unwrap();
    let mut rest = Vec::new();
    open.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty());

    assert_eq!(
        read_line(&mut echo.out),
        "served 2 client(s); 0 cut off at the deadline"
    );
    assert_eq!(echo.exit_code(), Some(0));
}

#[test]
fn sigterm_stops_accepting_and_waits_for_open_clients() {
    graceful(libc::SIGTERM);
}

#[test]
fn ctrl_c_shuts_down_the_same_way() {
    graceful(libc::SIGINT);
}

#[test]
fn clients_still_open_at_the_deadline_are_cut_off() {
    let mut echo = Echo::start(&["--grace", "0.2"]);
    let mut open = TcpStream::connect(echo.addr).unwrap();
    assert_eq!(round_trip(&mut open, b"x"), b"X");
    echo.signal(libc::SIGTERM);
    assert_eq!(
        read_line(&mut echo.out),
        "shutting down: 1 open connection(s), waiting up to 200ms"
    );
    assert_eq!(
        read_line(&mut echo.out),
        "served 1 client(s); 1 cut off at the deadline"
    );
    assert_eq!(echo.exit_code(), Some(0));
    // The process is gone, so the connection is closed: end of stream.
    open.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut rest = Vec::new();
    open.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty());
}

#[test]
fn workers_share_the_port_spread_clients_and_stop_together() {
    let mut echo = Echo::start(&["--workers", "2"]);
    for i in 0..32 {
        let mut client = TcpStream::connect(echo.addr).unwrap();
        let msg = format!("client {i}");
        assert_eq!(
            round_trip(&mut client, msg.as_bytes()),
            upper(msg.as_bytes())
        );
    }
    echo.signal(libc::SIGTERM);
    let mut stopping = vec![read_line(&mut echo.out), read_line(&mut echo.out)];
    stopping.sort();
    assert_eq!(
        stopping,
        [
            "worker 0: shutting down: 0 open connection(s), waiting up to 5s",
            "worker 1: shutting down: 0 open connection(s), waiting up to 5s"
        ]
    );
    let last = read_line(&mut echo.out);
    let per_worker = last
        .strip_prefix("served 32 client(s); 0 cut off at the deadline; per worker [")
        .and_then(|rest| rest.strip_suffix(']'))
        .unwrap_or_else(|| panic!("{last:?}"));
    let counts: Vec<u64> = per_worker.split(", ").map(|n| n.parse().unwrap()).collect();
    assert_eq!(counts.len(), 2);
    assert_eq!(counts.iter().sum::<u64>(), 32);
    assert!(
        counts.iter().all(|&n| n > 0),
        "one worker served all: {counts:?}"
    );
    assert_eq!(echo.exit_code(), Some(0));
}
