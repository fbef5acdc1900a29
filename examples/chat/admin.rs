//! The operator's voice: lines typed on the server's stdin reach everybody as
//! `admin: LINE` (the tutorial's 管理员消息).
//!
//! `relay` is a task like any client's: it reads `corio::io::stdin()` through a
//! `BufReader` and the same bounded [`LineReader`] as for clients, and announces each
//! line. A terminal or pipe cannot be made non-blocking for this process alone, so each
//! read of stdin is a blocking call on the blocking pool (tokio's stdin works the same
//! way): while stdin is open, one pool thread waits in that read. Lines are read one at a
//! time, as the room takes them, so a flood on stdin waits in the pipe, not in memory.
//! End of stdin ends `relay`; the server goes on without an operator.
//!
//! Started in the background from a terminal (`chat &`), a read of the terminal would
//! raise SIGTTIN and stop the whole process, so then stdin is not read at all.

use std::rc::Rc;

use corio::io::BufReader;

use crate::lines::{printable, Line, LineReader, TOO_LONG};
use crate::room::Room;

/// Says each line typed on stdin to the room, until end of stdin or a read error.
pub async fn relay(room: Rc<Room>) {
    if in_background() {
        eprintln!("admin input is off: the server runs in the background of its terminal");
        return;
    }
    let mut lines = LineReader::new(BufReader::new(corio::io::stdin()));
    loop {
        match lines.next_line().await {
            Ok(Some(Line::TooLong)) => eprintln!("admin: {TOO_LONG}, not sent"),
            Ok(Some(Line::Bytes(bytes))) => {
                let text = printable(&bytes);
                if text.trim().is_empty() {
                    continue;
                }
                room.announce(&text);
                // One line per turn, as for clients (client.rs, `talk`): a pasted burst
                // must not outrun the members' writers.
                corio::task::yield_now().await;
            }
            Ok(None) => {
                eprintln!("stdin closed: no more admin messages");
                return;
            }
            Err(e) => {
                eprintln!("cannot read stdin ({e}): no more admin messages");
                return;
            }
        }
    }
}

/// Whether stdin is a terminal whose foreground process group is not ours: reading it
/// would stop the process (SIGTTIN).
fn in_background() -> bool {
    // SAFETY: plain queries on descriptor 0 and the calling process; no memory is passed.
    unsafe { libc::isatty(0) == 1 && libc::tcgetpgrp(0) != libc::getpgrp() }
}
