//! Helpers for the chat tests: a line-reading client and the server under test.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Stdio;
use std::time::Duration;

use crate::util::Server;

/// How long any single read may take before the test gives up.
pub const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// A chat client: a socket, read line by line.
pub struct Client {
    pub reader: BufReader<TcpStream>,
    pub stream: TcpStream,
}

impl Client {
    /// Connects and reads the name prompt.
    pub fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).expect("connect to the chat server");
        stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
        stream.set_write_timeout(Some(READ_TIMEOUT)).unwrap();
        let mut client = Client {
            reader: BufReader::new(stream.try_clone().unwrap()),
            stream,
        };
        client.expect("enter your name");
        client
    }

    /// Connects, sends `name`, and waits for the welcome line, `welcome`.
    pub fn join(addr: SocketAddr, name: &str, welcome: &str) -> Client {
        let mut client = Client::connect(addr);
        client.send(name);
        client.expect(welcome);
        client
    }

    /// Sends `line` and a `\n`.
    pub fn send(&mut self, line: &str) {
        self.send_raw(format!("{line}\n").as_bytes());
    }

    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.stream
            .write_all(bytes)
            .expect("send to the chat server");
    }

    /// The next line, without its `\n`.
    pub fn line(&mut self) -> String {
        let mut line = Vec::new();
        match self.reader.read_until(b'\n', &mut line) {
            Ok(_) if line.ends_with(b"\n") => {}
            Ok(_) => panic!(
                "connection closed; got {:?}",
                String::from_utf8_lossy(&line)
            ),
            Err(e) => panic!("no line within {READ_TIMEOUT:?} ({e}); got {line:?}"),
        }
        line.pop();
        String::from_utf8(line).expect("the server sends UTF-8")
    }

    pub fn expect(&mut self, want: &str) {
        assert_eq!(self.line(), want);
    }

    /// Reads to the end of the stream; returns what came before it.
    pub fn read_to_close(&mut self) -> Vec<u8> {
        let mut rest = Vec::new();
        match self.reader.read_to_end(&mut rest) {
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::ConnectionReset => {}
            Err(e) => panic!("the server did not close the connection: {e}"),
        }
        rest
    }

    /// Closes abortively: the server's next read fails with a reset.
    pub fn reset(self) {
        let Client { reader, stream } = self;
        drop(reader);
        crate::util::reset(stream);
    }
}

/// Starts the chat server with stdin at end of file from the start (so it never reads
/// the terminal `cargo test` runs in): the server must go on without an operator.
pub fn start() -> Server {
    start_with(&[])
}

/// [`start`] with extra command-line arguments.
pub fn start_with(args: &[&str]) -> Server {
    Server::start_with("chat", args, |cmd| {
        cmd.stdin(Stdio::null());
    })
}

/// The welcome line for `name` with these others online.
pub fn welcome(name: &str, online: &[&str]) -> String {
    if online.is_empty() {
        format!("welcome, {name}; nobody else is here")
    } else {
        format!("welcome, {name}; online: {}", online.join(", "))
    }
}

/// Process `pid`'s peak resident set size, in KiB (`VmHWM` in /proc/PID/status; Linux).
pub fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read status");
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .expect("VmHWM line");
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}
