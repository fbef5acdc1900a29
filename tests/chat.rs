//! The chat example (`examples/chat/`), driven as its users would: a real server process,
//! real TCP clients reading lines. Every wait is for a line that proves the state the
//! test needs next (a welcome proves the client is in the room, a `joined` notice that
//! the others know), never a sleep; read timeouts are only a safety net.
//! Abuse (slow readers, floods, crowds) is in `chat_abuse.rs`.

mod chat_common;
mod util;

use std::io::Write;
use std::net::Shutdown;
use std::process::Stdio;

use chat_common::*;
use util::Server;
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
    const BAD: &str = "name may contain only ASCII letters, digits, '_', '.' and '-', try another";
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
        // Look-alikes of `admin`: a zero-width space after it, a Cyrillic `а` in it.
        ("admin\u{200B}\n".as_bytes(), BAD),
        ("\u{430}dmin\n".as_bytes(), BAD),
        ("bob\u{202E}\n".as_bytes(), BAD),
        (b"caf\xc3\xa9\n", BAD),
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
    // A 32-byte name is fine, with any of `_.-` in it, and so are surrounding spaces
    // (trimmed).
    let long_name = format!("B_o.b-{}", "b".repeat(26));
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
    // Invisible formatting characters: a right-to-left override would show the rest of
    // the line backwards on other terminals; zero-width and bidi marks hide or reorder.
    alice.send("evil \u{202E}txt.exe\u{200B}\u{2066}\u{FEFF}\u{AD}!");
    bob.expect("alice: evil \u{FFFD}txt.exe\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}!");
}
