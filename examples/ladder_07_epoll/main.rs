//! Ladder rung 7: the uppercase echo server on raw `epoll(7)`, std and libc only (no corio).
//!
//! Mirrors the "多路复用" section of `001_ac775e21223f34ef.txt` ("epoll --->效率最高，没有最大
//! 描述符限制，支持水平触发与边缘触发") and its "触发" subsection on level and edge triggering.
//!
//! **What it fixes.** poll (rung 6) handed the kernel the whole list of sockets on every
//! call and got the whole list back to scan. epoll keeps the interest list *in the kernel*:
//! each socket is registered once (`epoll_ctl`), changed only when what we wait for changes,
//! and `epoll_wait` returns just the ready ones, each tagged with our own token. A wake-up
//! costs O(ready sockets), not O(all sockets), and an idle server sleeps at zero CPU.
//!
//! **What it costs.** More state to keep in step: an extra `epoll_ctl` syscall whenever a
//! connection switches between waiting to read and waiting to write (level-triggered), and
//! Linux only (the BSDs have kqueue instead). Per request (a read and its echo) it makes
//! about three syscalls: `epoll_wait`, `read`, `send` (plus `epoll_ctl` when a reply does
//! not fit the socket buffer and we must wait for `EPOLLOUT`).
//!
//! **Level versus edge (触发).** By default registrations are level-triggered: `epoll_wait`
//! keeps reporting a socket while it *is* readable, so reading once per event is fine, just
//! like select and poll. With `--edge` they are edge-triggered (`EPOLLET`): a socket is
//! reported when it *becomes* ready, once. The handler must then drain: read until `EAGAIN`
//! and write until `EAGAIN` (or until nothing is pending), because bytes left behind produce
//! no new event. `EPOLLOUT` interest is kept only while output is pending. Edge triggering
//! saves epoll work on busy sockets but makes every handler responsible for draining, and
//! the drain costs a syscall of its own: the last `read`, the one that says `EAGAIN` (four
//! syscalls per request when clients take turns, against three level-triggered).
//!
//! `--edge-read-once` (for the tests) is the classic mistake: edge-triggered, but reading
//! only once per event like the level-triggered code. A message larger than one read
//! buffer (16 KiB) arrives in a few segments, so a few edges, and each edge reads just one
//! buffer; the rest sits in the socket with no edge left to announce it. The client waits
//! for an echo that never comes: the server stalls.
//!
//! ```text
//! cargo run --example ladder_07_epoll [-- ADDR] [--edge]   # default 127.0.0.1:8080
//! ```

#[cfg(any(target_os = "linux", target_os = "android"))]
mod server;

#[cfg(any(target_os = "linux", target_os = "android"))]
fn main() {
    server::main()
}

/// epoll is a Linux API: elsewhere this rung only says so.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn main() {
    eprintln!(
        "ladder_07_epoll needs Linux (epoll); this is {}",
        std::env::consts::OS
    );
    std::process::exit(2);
}
