//! The tutorials' chat room, on corio: `002_6f00e0160d5b1c4f.txt`, section "群聊聊天室"
//! (a QQ-group-like room):
//!
//! 1. a newcomer must enter a name, and names are unique — here the first line is the
//!    name; a taken, empty, over-long or malformed name (or `admin`) is refused with a
//!    line saying why, and the client tries again;
//! 2. when someone enters, the others see `NAME joined`;
//! 3. when someone speaks, the others see `NAME: LINE` (the speaker does not get it back);
//! 4. when someone leaves, the others see `NAME left` — at end of stream, on a reset, or
//!    `NAME left (too slow)` when the server drops a client that stopped reading;
//! 5. the server can speak to everybody: each line typed on its stdin arrives as
//!    `admin: LINE` (not when started in the background from a terminal: reading the
//!    terminal there would stop the whole process).
//!
//! ```text
//! cargo run --example chat [-- ADDR]      # default 127.0.0.1:8080
//! nc 127.0.0.1 8080                       # one terminal per person
//! ```
//!
//! A newcomer has 60 seconds (`--name-timeout SECS`) to choose an accepted name; then it
//! is told `no name after 60 s; goodbye` and disconnected.
//!
//! The tutorial builds it from processes and a UDP socket; here one task per client on
//! one thread, and a broadcast channel as the room:
//!
//! - `room.rs`: the roster and the room's one stream of lines (`corio::sync::broadcast`);
//!   the bound on slow clients.
//! - `client.rs`: one connection: the name, then reading lines and writing the stream.
//! - `lines.rs`: line framing with a length limit (1024 bytes) over a `BufReader`, text
//!   clean-up.
//! - `admin.rs`: stdin (`corio::io::stdin`, on the blocking pool), line by line to the room.
//!
//! Lines end in `\n` or `\r\n`. Longer lines are refused (`line too long (max 1024
//! bytes)`) and skipped without being stored. Invalid UTF-8 and control characters are
//! shown as U+FFFD, and so are zero-width and bidi formatting characters; blank lines are
//! not sent. Names are 1 to 32 ASCII letters, digits, `_`, `.` or `-`. A client that stops
//! reading costs nobody else anything and is dropped once its socket takes no more and 256
//! room lines are waiting for it beyond what its socket buffers hold (room.rs); a client
//! that reads but whose writer had no turn while more than 256 lines went by (a burst
//! from hundreds of clients at once) is not dropped but gets `(missed N lines)`.
//! Diagnostics go to stderr; stdout carries only the `listening on ADDR` line.

mod admin;
mod client;
mod lines;
mod room;

use std::io::{self, Write};
use std::rc::Rc;
use std::time::Duration;

use corio::net::TcpListener;

use room::Room;

fn main() {
    if let Err(e) = run() {
        eprintln!("chat: {e}");
        std::process::exit(1);
    }
}

fn run() -> io::Result<()> {
    let (addr, name_within) = parse_args()?;
    // The OS backend comes from CORIO_BACKEND (epoll, poll, kqueue) or the OS default.
    let runtime = corio::Runtime::new()?;
    runtime.block_on(async {
        let listener = TcpListener::bind(&addr).await?;
        // Not `println!`, which panics if stdout is closed: the server does not need it.
        let mut stdout = io::stdout();
        let _ = writeln!(stdout, "listening on {}", listener.local_addr()?);
        let _ = stdout.flush();
        let room = Rc::new(Room::new());
        corio::spawn(admin::relay(room.clone()));
        loop {
            match listener.accept().await {
                Ok((stream, peer)) => {
                    // Lines are small and interactive: send each at once, not after
                    // the previous one is acknowledged (Nagle's algorithm).
                    if let Err(e) = stream.set_nodelay(true) {
                        eprintln!("{peer}: TCP_NODELAY: {e}");
                    }
                    let room = room.clone();
                    corio::spawn(async move {
                        if let Err(e) = client::serve(stream, room, name_within).await {
                            eprintln!("{peer}: {e}");
                        }
                    });
                }
                // Out of descriptors, say: the listener pauses before its next try.
                Err(e) => eprintln!("accept failed: {e}"),
            }
        }
    })
}

/// How long a newcomer has to choose an accepted name, unless `--name-timeout` says.
const NAME_WITHIN: Duration = Duration::from_secs(60);

/// `[ADDR] [--name-timeout SECS]`: the address (default `127.0.0.1:8080`) and how long a
/// newcomer may take to choose a name.
fn parse_args() -> io::Result<(String, Duration)> {
    let usage = "usage: chat [ADDR] [--name-timeout SECS]";
    let bad = |why: String| io::Error::new(io::ErrorKind::InvalidInput, format!("{why}; {usage}"));
    let mut addr = None;
    let mut name_within = NAME_WITHIN;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--name-timeout" {
            let value = args
                .next()
                .ok_or_else(|| bad("--name-timeout needs SECS".into()))?;
            name_within = value
                .parse::<f64>()
                .ok()
                .filter(|s| s.is_finite() && *s > 0.0 && *s < 1e9)
                .map(Duration::from_secs_f64)
                .ok_or_else(|| bad(format!("--name-timeout {value:?}: not a positive number")))?;
        } else if addr.is_none() && !arg.starts_with("--") {
            addr = Some(arg);
        } else {
            return Err(bad(format!("unexpected argument {arg:?}")));
        }
    }
    Ok((
        addr.unwrap_or_else(|| "127.0.0.1:8080".to_string()),
        name_within,
    ))
}
