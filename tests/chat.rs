//! The chat example (`examples/chat/`), driven as its users would: a real server process,
//! real TCP clients reading lines. Every wait is for a line that proves the state the
//! test needs next (a welcome proves the client is in the room, a `joined` notice that
//! the others know), never a sleep; read timeouts are only a safety net.
#![cfg(unix)]

mod util;

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::process::Stdio;
use std::time::Duration;

use util::Server;

/// How long any single read may take before the test gives up.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// A chat client: a socket, read line by line.
struct Client {
    reader: BufReader<TcpStream>,
    stream: TcpStream,
}

impl Client {
    /// Connects and reads the name prompt.
    fn connect(addr: SocketAddr) -> Client {
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
    fn join(addr: SocketAddr, name: &str, welcome: &str) -> Client {
        let mut client = Client::connect(addr);
        client.send(name);
        client.expect(welcome);
        client
    }

    /// Sends `line` and a `\n`.
    fn send(&mut self, line: &str) {
        self.send_raw(format!("{line}\n").as_bytes());
    }

    fn send_raw(&mut self, bytes: &[u8]) {
        self.stream
            .write_all(bytes)
            .expect("send to the chat server");
    }

    /// The next line, without its `\n`.
    fn line(&mut self) -> String {
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

    fn expect(&mut self, want: &str) {
        assert_eq!(self.line(), want);
    }

    /// Reads to the end of the stream; returns what came before it.
    fn read_to_close(&mut self) -> Vec<u8> {
        let mut rest = Vec::new();
        match self.reader.read_to_end(&mut rest) {
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::ConnectionReset => {}
            Err(e) => panic!("the server did not close the connection: {e}"),
        }
        rest
    }

    /// Closes abortively: the server's next read fails with a reset.
    fn reset(self) {
        let Client { reader, stream } = self;
        drop(reader);
        util::reset(stream);
    }
}

/// Starts the chat server with stdin at end of file from the start (so it never reads
/// the terminal `cargo test` runs in): the server must go on without an operator.
fn start() -> Server {
    Server::start_with("chat", &[], |cmd| {
        cmd.stdin(Stdio::null());
    })
}

/// The welcome line for `name` with these others online.
fn welcome(name: &str, online: &[&str]) -> String {
    if online.is_empty() {
        format!("welcome, {name}; nobody else is here")
    } else {
        format!("welcome, {name}; online: {}", online.join(", "))
    }
}

#[test]
fn joins_are_announced_and_lines_reach_everyone_but_the_sender() {
    let server = start();
    let mut alice = Client::join(server.addr, "alice", &welcome("alice", &[]));
    let mut bob = Client::join(server.addr, "bob", &welcome("bob", &["alice"]));
    alice.expect("bob joined");
    let mut carol = Client::join(server.addr, "carol", &welcome("carol", &["alice", "bob"]));
    alice.expect("carol joined");
    bob.expect("carol joined");

    alice.send("hello, room");
    bob.expect("alice: hello, room");
    carol.expect("alice: hello, room");
    // `\r\n` ends a line as well as `\n`.
    bob.send_raw(b"hi alice\r\n");
    carol.send("hi both");
    // Alice's next lines are the others': her own line never came back to her.
    alice.expect("bob: hi alice");
    alice.expect("carol: hi both");
    bob.expect("carol: hi both"); // ... and bob's did not come back to him
    carol.expect("bob: hi alice");
}

#[test]
fn bad_names_are_refused_and_the_client_may_try_again() {
    let server = start();
    let mut alice = Client::join(server.addr, "alice", &welcome("alice", &[]));
    let mut bob = Client::connect(server.addr);
    const BAD: &str = "name must not contain spaces, colons or control characters, try another";
    let refusals: &[(&[u8], &str)] = &[
        (b"\n", "name must not be empty, try another"),
        (b"   \r\n", "name must not be empty, try another"),
        (b"alice\n", "name taken, try another"),
        (b"ALICE\n", "name taken, try another"),
        (b"admin\n", "name admin is reserved, try another"),
        (b"Admin\n", "name admin is reserved, try another"),
        (b"bob smith\n", BAD),
        (b"bob:\n", BAD),
        (b"b\x1bob\n", BAD),
        (&[b'b'; 33], "name too long (max 32 bytes), try another"),
    ];
    for (name, refusal) in refusals {
        let mut line = name.to_vec();
        if !line.ends_with(b"\n") {
            line.push(b'\n');
        }
        bob.send_raw(&line);
        bob.expect(refusal);
    }
    // A 32-byte name is fine, and so are surrounding spaces (trimmed).
    let long_name = "b".repeat(32);
    bob.send(&format!("  {long_name} "));
    bob.expect(&welcome(&long_name, &["alice"]));
    // Alice saw none of the refused attempts: her next line is the join.
    alice.expect(&format!("{long_name} joined"));
}

#[test]
fn leaving_on_end_of_stream_or_reset_is_announced_and_frees_the_name() {
    let server = start();
    let mut alice = Client::join(server.addr, "alice", &welcome("alice", &[]));

    // A client that leaves before choosing a name is not announced.
    let nameless = Client::connect(server.addr);
    drop(nameless);

    let mut bob = Client::join(server.addr, "bob", &welcome("bob", &["alice"]));
    alice.expect("bob joined");
    let mut carol = Client::join(server.addr, "carol", &welcome("carol", &["alice", "bob"]));
    alice.expect("carol joined");
    bob.expect("carol joined");

    // End of stream (a half-close) after an unterminated last line: the line still
    // counts, then bob leaves and the server closes his connection.
    bob.send_raw(b"bye");
    bob.stream.shutdown(Shutdown::Write).unwrap();
    alice.expect("bob: bye");
    alice.expect("bob left");
    carol.expect("bob: bye");
    carol.expect("bob left");
    assert_eq!(bob.read_to_close(), b"");

    // A reset.
    carol.reset();
    alice.expect("carol left");

    // Both names are free again.
    let _bob = Client::join(server.addr, "bob", &welcome("bob", &["alice"]));
    alice.expect("bob joined");
    let _carol = Client::join(server.addr, "carol", &welcome("carol", &["alice", "bob"]));
    alice.expect("carol joined");
}

#[test]
fn lines_on_the_servers_stdin_reach_everyone_as_admin() {
    let mut server = Server::start_with("chat", &[], |cmd| {
        cmd.stdin(Stdio::piped());
    });
    let mut stdin = server.child.stdin.take().expect("piped stdin");
    let mut alice = Client::join(server.addr, "alice", &welcome("alice", &[]));
    let mut bob = Client::join(server.addr, "bob", &welcome("bob", &["alice"]));
    alice.expect("bob joined");

    stdin.write_all(b"the server restarts at noon\n").unwrap();
    stdin.write_all(b"\n   \nsecond notice\r\n").unwrap(); // blank lines are not sent
    stdin.flush().unwrap();
    for client in [&mut alice, &mut bob] {
        client.expect("admin: the server restarts at noon");
        client.expect("admin: second notice");
    }

    // A burst on stdin reaches everybody, all of it, in order.
    let burst: String = (0..1000).map(|i| format!("notice {i}\n")).collect();
    stdin.write_all(burst.as_bytes()).unwrap();
    for client in [&mut alice, &mut bob] {
        for i in 0..1000 {
            client.expect(&format!("admin: notice {i}"));
        }
    }

    // End of stdin (an unterminated last line still counts) does not stop the server.
    stdin.write_all(b"last words").unwrap();
    drop(stdin);
    alice.expect("admin: last words");
    bob.expect("admin: last words");
    alice.send("still here?");
    bob.expect("alice: still here?");
    let _carol = Client::join(server.addr, "carol", &welcome("carol", &["alice", "bob"]));
    alice.expect("carol joined");
    assert!(server.is_running());
}

#[test]
fn over_long_lines_are_refused_and_the_connection_keeps_working() {
    let server = start();
    let mut alice = Client::join(server.addr, "alice", &welcome("alice", &[]));

    // An over-long line in place of a name: refused, and the next line is the name.
    let mut bob = Client::connect(server.addr);
    bob.send(&"n".repeat(2000));
    bob.expect("line too long (max 1024 bytes)");
    bob.send("bob");
    bob.expect(&welcome("bob", &["alice"]));
    alice.expect("bob joined");

    // 1025 bytes: refused, to bob only.
    bob.send(&"x".repeat(1025));
    bob.expect("line too long (max 1024 bytes)");
    // 32 MiB in one line: refused once, and never buffered (the server reads on through
    // it, keeping at most one maximal line).
    let chunk = vec![b'h'; 1 << 20];
    for _ in 0..32 {
        bob.send_raw(&chunk);
    }
    bob.send_raw(b"\n");
    bob.expect("line too long (max 1024 bytes)");
    if cfg!(target_os = "linux") {
        let peak = peak_rss_kib(server.child.id());
        println!("server peak RSS: {peak} KiB");
        assert!(peak < 16 * 1024, "the server's peak RSS is {peak} KiB");
    }
    // Exactly 1024 bytes, with `\n` or `\r\n`: delivered.
    let max = "y".repeat(1024);
    bob.send(&max);
    bob.send_raw(format!("{max}\r\n").as_bytes());
    bob.send("still talking");
    alice.expect(&format!("bob: {max}"));
    alice.expect(&format!("bob: {max}"));
    alice.expect("bob: still talking");
}

#[test]
fn invalid_utf8_and_control_characters_are_replaced() {
    let server = start();
    let mut alice = Client::join(server.addr, "alice", &welcome("alice", &[]));
    let mut bob = Client::join(server.addr, "bob", &welcome("bob", &["alice"]));
    alice.expect("bob joined");
    alice.send_raw(b"caf\xc3\xa9 \xff\xfe \x1b[31mred\x07\n\t tab\n");
    bob.expect("alice: café \u{FFFD}\u{FFFD} \u{FFFD}[31mred\u{FFFD}");
    bob.expect("alice: \t tab");
}

/// Process `pid`'s peak resident set size, in KiB (`VmHWM` in /proc/PID/status; Linux).
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read status");
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .expect("VmHWM line");
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// The line number `i` the talker sends: about 1 KiB, so the slow client's socket
/// buffers fill in a few thousand lines.
fn bulk_line(i: usize) -> String {
    format!("{i:06} {}", "z".repeat(1000))
}

#[test]
fn a_client_that_stops_reading_is_dropped_and_delays_nobody() {
    let server = start();
    let mut listener = Client::join(server.addr, "listener", &welcome("listener", &[]));
    let mut talker = Client::join(server.addr, "talker", &welcome("talker", &["listener"]));
    listener.expect("talker joined");
    // Reads its welcome and then nothing more.
    let mut slow = Client::join(
        server.addr,
        "slow",
        &welcome("slow", &["listener", "talker"]),
    );
    listener.expect("slow joined");
    talker.expect("slow joined");

    // The talker sends until the listener hears that the slow client was dropped, never
    // more than WINDOW lines ahead of the listener (so the listener itself can never be
    // "too slow"). Every line reaches the listener, in order.
    const WINDOW: usize = 32;
    const LIMIT: usize = 200_000; // ~200 MB: far more than any socket buffers hold
    let (mut sent, mut heard) = (0, 0);
    let mut dropped_after = None;
    while dropped_after.is_none() || heard < sent {
        if dropped_after.is_none() {
            assert!(sent < LIMIT, "the slow client was never dropped");
            talker.send(&bulk_line(sent));
            sent += 1;
            if sent - heard <= WINDOW {
                continue;
            }
        }
        let line = listener.line();
        if line == "slow left (too slow)" {
            assert_eq!(dropped_after, None, "dropped twice");
            dropped_after = Some(heard);
        } else {
            assert_eq!(line, format!("talker: {}", bulk_line(heard)));
            heard += 1;
        }
    }
    println!(
        "slow client dropped after {} of {sent} lines",
        dropped_after.unwrap()
    );
    talker.expect("slow left (too slow)");

    // The slow client got an in-order prefix of the lines (the last one may be cut
    // short where the server gave up), then the server closed the connection.
    let got = slow.read_to_close();
    let mut pieces = got.split(|&b| b == b'\n').peekable();
    let mut count = 0;
    while let Some(piece) = pieces.next() {
        let want = format!("talker: {}", bulk_line(count));
        if pieces.peek().is_some() {
            assert_eq!(piece, want.as_bytes(), "line {count} to the slow client");
            count += 1;
        } else {
            assert!(
                want.as_bytes().starts_with(piece),
                "a cut line that is not a prefix"
            );
        }
    }
    assert!(
        count < sent,
        "the slow client got everything ({count} lines)"
    );
    println!("the slow client received {count} whole lines before being closed");

    // The room goes on, and the name is free.
    let _slow = Client::join(
        server.addr,
        "slow",
        &welcome("slow", &["listener", "talker"]),
    );
    listener.expect("slow joined");
    talker.send("done");
    listener.expect("talker: done");
}

/// Thousands of short lines in one write (far more than the room's 256-line ring per
/// read) are all delivered: the server sends them one per turn, so a reader whose socket
/// has room is never mistaken for a slow one.
#[test]
fn a_burst_of_short_lines_reaches_everyone() {
    const LINES: usize = 10_000;
    let server = start();
    let mut alice = Client::join(server.addr, "alice", &welcome("alice", &[]));
    let mut bob = Client::join(server.addr, "bob", &welcome("bob", &["alice"]));
    alice.expect("bob joined");
    let burst: String = (0..LINES).map(|i| format!("{i}\n")).collect();
    alice.send_raw(burst.as_bytes()); // ~50 KB: bob's socket buffers hold it all
    for i in 0..LINES {
        bob.expect(&format!("alice: {i}"));
    }
    alice.send("end");
    bob.expect("alice: end");
}

#[test]
fn twenty_clients_all_receive_every_line() {
    const N: usize = 20;
    const LINES: usize = 5;
    let server = start();
    let names: Vec<String> = (0..N).map(|i| format!("c{i:02}")).collect();
    let mut clients = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let online: Vec<&str> = names[..i].iter().map(String::as_str).collect();
        clients.push(Client::join(server.addr, name, &welcome(name, &online)));
    }
    for (i, client) in clients.iter_mut().enumerate() {
        for later in &names[i + 1..] {
            client.expect(&format!("{later} joined"));
        }
    }

    // Everybody talks at once (interleaved by the server however it comes)...
    for n in 0..LINES {
        for (i, client) in clients.iter_mut().enumerate() {
            client.send(&format!("line {n} from {}", names[i]));
        }
    }
    // ... and everybody hears every other client's lines, each sender's in order.
    for (i, client) in clients.iter_mut().enumerate() {
        let mut next = [0; N];
        for _ in 0..(N - 1) * LINES {
            let line = client.line();
            let (sender, text) = line.split_once(": ").expect("NAME: LINE");
            let j = names
                .iter()
                .position(|n| n == sender)
                .expect("a known sender");
            assert_ne!(i, j, "{sender} got its own line back");
            assert_eq!(text, format!("line {} from {sender}", next[j]));
            next[j] += 1;
        }
        for (j, &n) in next.iter().enumerate() {
            assert_eq!(n, if i == j { 0 } else { LINES });
        }
    }
}
