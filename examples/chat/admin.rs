//! The operator's voice: lines typed on the server's stdin reach everybody as
//! `admin: LINE` (the tutorial's 管理员消息).
//!
//! Reading stdin blocks, so a plain thread does it, not `spawn_blocking`: this read never
//! ends, and the blocking pool is for jobs that do. The thread hands lines to the runtime
//! through a small bounded corio channel; `blocking_send` waits while it is full, so a
//! flood on stdin slows the reader down instead of queueing without limit. End of stdin
//! ends the thread, then `relay`; the server goes on without an operator.
//!
//! Started in the background from a terminal (`chat &`), a read of the terminal would
//! raise SIGTTIN and stop the whole process, so then no thread is started at all.

use std::io::{ErrorKind, Read};
use std::rc::Rc;

use corio::sync::mpsc;

use crate::lines::{printable, Line, LineBuffer, TOO_LONG};
use crate::room::Room;

/// Starts the stdin thread; its lines arrive on the returned channel.
pub fn read_stdin() -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel(16);
    if in_background() {
        eprintln!("admin input is off: the server runs in the background of its terminal");
        return rx; // `tx` drops here: `relay` ends at once
    }
    let started = std::thread::Builder::new()
        .name("chat-stdin".into())
        .spawn(move || read_lines(std::io::stdin(), &tx));
    if let Err(e) = started {
        eprintln!("cannot read stdin ({e}): no admin messages");
    }
    rx
}

/// Whether stdin is a terminal whose foreground process group is not ours: reading it
/// would stop the process (SIGTTIN).
fn in_background() -> bool {
    // SAFETY: plain queries on descriptor 0 and the calling process; no memory is passed.
    unsafe { libc::isatty(0) == 1 && libc::tcgetpgrp(0) != libc::getpgrp() }
}

/// Says each line from the stdin thread to the room.
pub async fn relay(mut lines: mpsc::Receiver<String>, room: Rc<Room>) {
    while let Some(text) = lines.recv().await {
        room.announce(&text);
        // One line per turn, as for clients (client.rs, `talk`): a pasted burst must
        // not outrun the members' writers.
        corio::task::yield_now().await;
    }
}

/// Splits `input` into lines (the same framing and limits as for clients) and sends
/// them on, until end of input or a read error.
fn read_lines(mut input: impl Read, tx: &mpsc::Sender<String>) {
    let mut lines = LineBuffer::default();
    let mut chunk = [0u8; 4096];
    loop {
        while let Some(line) = lines.next_line() {
            forward(line, tx);
        }
        match input.read(&mut chunk) {
            Ok(0) => {
                if let Some(line) = lines.finish() {
                    forward(line, tx);
                }
                eprintln!("stdin closed: no more admin messages");
                return;
            }
            Ok(n) => lines.push(&chunk[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => {
                eprintln!("cannot read stdin ({e}): no more admin messages");
                return;
            }
        }
    }
}

fn forward(line: Line, tx: &mpsc::Sender<String>) {
    match line {
        Line::TooLong => eprintln!("admin: {TOO_LONG}, not sent"),
        Line::Bytes(bytes) => {
            let text = printable(&bytes);
            if !text.trim().is_empty() {
                // Fails only if `relay` is gone, i.e. the runtime is shutting down.
                let _ = tx.blocking_send(text);
            }
        }
    }
}
