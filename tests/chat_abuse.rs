//! The chat example under abuse: a client that stops reading, bursts, floods of
//! over-long lines, crowds talking at once. Same rules as `chat.rs`: real processes and
//! sockets, waits on lines, no sleeps.

mod chat_common;
mod util;

use std::io::Write;

use chat_common::*;

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

/// Clients flooding the server with over-long lines get a refusal each, on their own
/// connection; the refusals never take room in the room's shared stream, so members who
/// read normally are not mistaken for slow ones.
#[test]
fn a_flood_of_over_long_lines_drops_nobody_else() {
    const ATTACKERS: usize = 4;
    const LINES: usize = 300;
    let server = start();
    let mut v1 = Client::join(server.addr, "v1", &welcome("v1", &[]));
    let mut v2 = Client::join(server.addr, "v2", &welcome("v2", &["v1"]));
    v1.expect("v2 joined");
    let mut online = vec!["v1".to_string(), "v2".to_string()];
    let mut attackers = Vec::new();
    for i in 0..ATTACKERS {
        let name = format!("x{i}");
        let others: Vec<&str> = online.iter().map(String::as_str).collect();
        attackers.push(Client::join(server.addr, &name, &welcome(&name, &others)));
        v1.expect(&format!("{name} joined"));
        v2.expect(&format!("{name} joined"));
        for earlier in &mut attackers[..i] {
            earlier.expect(&format!("{name} joined"));
        }
        online.push(name);
    }

    // Each attacker's lines in one write, all attackers at once.
    let flood: Vec<u8> = (0..LINES)
        .flat_map(|_| format!("{}\n", "a".repeat(1025)).into_bytes())
        .collect();
    let writers: Vec<_> = attackers
        .iter()
        .map(|a| {
            let mut stream = a.stream.try_clone().unwrap();
            let flood = flood.clone();
            std::thread::spawn(move || stream.write_all(&flood).unwrap())
        })
        .collect();
    for attacker in &mut attackers {
        for _ in 0..LINES {
            attacker.expect("line too long (max 1024 bytes)");
        }
    }
    for writer in writers {
        writer.join().unwrap();
    }

    // The victims are still in the room, and their next lines are each other's.
    v1.send("still here");
    v2.expect("v1: still here");
    v2.send("me too");
    v1.expect("v2: me too");
    for attacker in &mut attackers {
        attacker.expect("v1: still here");
        attacker.expect("v2: me too");
    }
}

/// Many members each say one line at the same moment. Every member gets every other's
/// line, or, if its writer had no turn while more than the room's 256 lines went by, a
/// `(missed N lines)` notice, but nobody is disconnected as "too slow". The names are
/// long enough that the welcome line's "online" list has to be cut short.
#[test]
fn many_members_talking_at_once_are_never_dropped() {
    const N: usize = 60;
    let server = start();
    let names: Vec<String> = (0..N)
        .map(|i| format!("m{i:03}-{}", "n".repeat(27)))
        .collect();
    let mut clients = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let mut client = Client::connect(server.addr);
        client.send(name);
        check_welcome(&client.line(), name, &names[..i]);
        clients.push(client);
    }
    for (i, client) in clients.iter_mut().enumerate() {
        for later in &names[i + 1..] {
            client.expect(&format!("{later} joined"));
        }
    }

    for (i, client) in clients.iter_mut().enumerate() {
        client.send(&format!("hello from {}", names[i]));
    }
    // Reads client `i`'s lines until `stop` (if any) or, without one, until it has heard
    // from everybody else or been told it missed some. Returns (heard, missed).
    let hear = |client: &mut Client, i: usize, stop: Option<&str>| -> (usize, u64) {
        let (mut heard, mut missed) = (vec![false; N], 0);
        loop {
            let done = heard.iter().filter(|&&h| h).count() == N - 1 || missed > 0;
            if stop.is_none() && done {
                return (N - 1, missed);
            }
            let line = client.line();
            if Some(line.as_str()) == stop {
                return (heard.iter().filter(|&&h| h).count(), missed);
            }
            if let Some(n) = line
                .strip_prefix("(missed ")
                .and_then(|rest| rest.strip_suffix(" lines)"))
            {
                missed += n.parse::<u64>().expect("a count of missed lines");
                continue;
            }
            let (sender, text) = line.split_once(": ").expect("NAME: LINE");
            let j = names
                .iter()
                .position(|n| n == sender)
                .expect("a known sender");
            assert_ne!(i, j, "{sender} got its own line back");
            assert_eq!(text, format!("hello from {sender}"));
            assert!(!heard[j], "{sender}'s line twice");
            heard[j] = true;
        }
    };
    // Once the first member has heard everybody's line (or been told it missed some),
    // its `done` comes after them in the room's stream.
    let (_, missed0) = hear(&mut clients[0], 0, None);
    clients[0].send("done");
    let done = format!("{}: done", names[0]);
    let mut lagged = usize::from(missed0 > 0);
    for (i, client) in clients.iter_mut().enumerate().skip(1) {
        let (heard, missed) = hear(client, i, Some(&done));
        assert!(
            heard == N - 1 || missed > 0 || missed0 > 0,
            "{} heard {heard} lines and no notice",
            names[i]
        );
        lagged += usize::from(missed > 0);
    }
    println!("{lagged} of {N} members were told they missed lines");
    // Still connected, all of them. (After a `missed` notice, the first member may
    // still have lines of the burst to read before the `bye`.)
    clients[1].send("bye");
    let bye = format!("{}: bye", names[1]);
    for (i, client) in clients.iter_mut().enumerate() {
        if i == 1 {
            continue;
        }
        loop {
            let line = client.line();
            if line == bye {
                break;
            }
            assert!(
                line.contains(": hello from ") || line.starts_with("(missed "),
                "{}: unexpected {line:?}",
                names[i]
            );
        }
    }
}

/// `line` is a welcome for `name` listing `others` (in order), cut short with `and N
/// more` if the whole list would not fit in a 1024-byte line.
fn check_welcome(line: &str, name: &str, others: &[String]) {
    assert!(line.len() <= 1024, "welcome line of {} bytes", line.len());
    if others.is_empty() {
        assert_eq!(line, welcome(name, &[]));
        return;
    }
    let list = line
        .strip_prefix(&format!("welcome, {name}; online: "))
        .unwrap_or_else(|| panic!("not a welcome for {name}: {line:?}"));
    let (shown, more) = match list.rsplit_once(" more") {
        Some((head, "")) => {
            let (shown, n) = head.rsplit_once("and ").expect("and N more");
            let shown = shown.strip_suffix(", ").unwrap_or(shown);
            (shown, n.parse::<usize>().expect("a count"))
        }
        _ => (list, 0),
    };
    let shown: Vec<&str> = shown.split(", ").filter(|s| !s.is_empty()).collect();
    assert_eq!(shown.len() + more, others.len(), "{line:?}");
    assert_eq!(shown, others[..shown.len()], "{line:?}");
    if more > 0 {
        // Cut only where needed: one more name would not have fit.
        assert!(
            line.len() + others[shown.len()].len() + 2 > 1024 - 20,
            "{line:?}"
        );
    }
}
