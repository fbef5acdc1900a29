//! The chat room's naming deadline: a connection that never chooses an accepted name is
//! told so and closed (`examples/chat/client.rs`, `serve`), so nameless connections cannot
//! hold descriptors for ever; members who joined in time are not affected.
#![cfg(unix)]

mod chat_common;
mod util;

use std::time::{Duration, Instant};

use chat_common::*;

#[test]
fn a_client_that_never_names_itself_is_told_and_disconnected() {
    let server = start_with(&["--name-timeout", "0.5"]);
    let started = Instant::now();
    let mut silent = Client::connect(server.addr);
    silent.expect("no name after 0.5 s; goodbye");
    assert_eq!(silent.read_to_close(), b"");
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(500), "cut off after {took:?}");
}

#[test]
fn refused_names_do_not_extend_the_deadline() {
    let server = start_with(&["--name-timeout", "2"]);
    let mut owner = Client::join(server.addr, "ann", &welcome("ann", &[]));
    let started = Instant::now();
    let mut trying = Client::connect(server.addr);
    // A taken name, refused with a reason, late in the window. (The sleep places the
    // attempt in time; it synchronises nothing.) Were the clock restarted by it, the
    // goodbye would come 2 s after the attempt, past 3.2 s.
    std::thread::sleep(Duration::from_millis(1200));
    trying.send("ann");
    trying.expect("name taken, try another");
    trying.expect("no name after 2 s; goodbye");
    let took = started.elapsed();
    assert!(took < Duration::from_millis(3200), "goodbye after {took:?}");
    assert_eq!(trying.read_to_close(), b"");
    // Nobody joined, so the member heard nothing about it and the room goes on.
    let mut second = Client::join(server.addr, "bob", &welcome("bob", &["ann"]));
    owner.expect("bob joined");
    second.send("hello");
    owner.expect("bob: hello");
}

#[test]
fn a_member_who_joined_in_time_stays_past_the_deadline() {
    let server = start_with(&["--name-timeout", "0.3"]);
    let mut ann = Client::join(server.addr, "ann", &welcome("ann", &[]));
    // A newcomer cut off later marks the deadline's passing without a sleep here.
    let mut late = Client::connect(server.addr);
    late.expect("no name after 0.3 s; goodbye");
    let mut bob = Client::join(server.addr, "bob", &welcome("bob", &["ann"]));
    ann.expect("bob joined");
    ann.send("still here");
    bob.expect("ann: still here");
}

#[test]
fn a_bad_name_timeout_is_refused_at_start() {
    for bad in ["0", "-1", "soon", "inf"] {
        let out = std::process::Command::new(util::example_path("chat"))
            .args(["127.0.0.1:0", "--name-timeout", bad])
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run chat");
        assert_eq!(out.status.code(), Some(1), "--name-timeout {bad}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("not a positive number"), "{bad}: {err}");
    }
}
