//! One client, from its first byte to its last: ask for a name, then run the two halves
//! of a member side by side until either ends.
//!
//! - `talk` reads the client's lines (a `BufReader` on the socket's read half, framed by
//!   lines.rs) and says them to the room; refusals (an over-long line) go to the member's
//!   own reply queue, never into the room's shared stream.
//! - `feed` copies the room's stream and the reply queue to the client's socket.
//!
//! Both are futures in the client's own task, raced: whichever ends first (end of
//! stream, a reset, a client too slow to keep up) ends the other, then the stream is
//! dropped, which closes the socket. A write that cannot proceed parks only this task.

use std::io;
use std::rc::Rc;
use std::time::Duration;

use corio::future::race;
use corio::io::{AsyncWriteExt, BufReader};
use corio::net::{ReadHalf, TcpStream, WriteHalf};
use corio::sync::broadcast::{Receiver, RecvError};
use corio::sync::mpsc;
use corio::time::timeout;

use crate::lines::{printable, Line, LineReader, TOO_LONG};
use crate::room::{Member, Msg, Room};

/// Sent on connect.
const PROMPT: &[u8] = b"enter your name\n";

/// How many replies for one member (refusals) may wait for its writer. When they are
/// all waiting, `talk` waits too, so a client that sends bad lines and does not read
/// the answers only stops being read: the queue never grows.
const REPLIES: usize = 4;

/// How a member went.
enum Left {
    /// End of stream, or the connection failed (reset, say).
    Gone(Option<io::Error>),
    /// Its writer was stuck on a full socket with `CAPACITY` room lines waiting.
    TooSlow,
}

/// Serves one connection until the client leaves or is dropped. A client that has no
/// accepted name `name_within` after connecting is told so and disconnected: until it
/// joins it is nobody's concern but its own socket, and connections that never name
/// themselves would otherwise hold descriptors for ever.
pub async fn serve(stream: TcpStream, room: Rc<Room>, name_within: Duration) -> io::Result<()> {
    let peer = stream.peer_addr()?;
    let (input, mut output) = stream.split();
    let mut lines = LineReader::new(BufReader::new(input));

    // Before joining, nothing else writes to this socket: answer directly.
    let naming = async {
        output.write_all(PROMPT).await?;
        loop {
            let Some(line) = lines.next_line().await? else {
                return Ok(None); // left without a name: nobody to tell
            };
            let refusal = match line {
                Line::TooLong => TOO_LONG.to_string(),
                Line::Bytes(name) => match room.join(&String::from_utf8_lossy(&name)) {
                    Ok(joined) => return Ok(Some(joined)),
                    Err(refusal) => refusal.to_string(),
                },
            };
            output.write_all(format!("{refusal}\n").as_bytes()).await?;
        }
    };
    let joined = match timeout(name_within, naming).await {
        Ok(Ok(Some(joined))) => joined,
        Ok(Ok(None)) => return Ok(()),
        Ok(Err(e)) => return Err(e),
        Err(_) => {
            let secs = name_within.as_secs_f64();
            let bye = format!("no name after {secs} s; goodbye\n");
            // Best effort, and bounded: a client that does not read must not hold us.
            let _ = timeout(Duration::from_secs(1), output.write_all(bye.as_bytes())).await;
            eprintln!("{peer}: no name after {secs} s, disconnected");
            return Ok(());
        }
    };
    let member = joined.member;
    eprintln!("{} joined from {peer}", member.name);

    let (replies, replies_rx) = mpsc::channel(REPLIES);
    let left = race(
        talk(&room, &member, lines, replies),
        feed(
            &room,
            &member,
            output,
            joined.inbox,
            replies_rx,
            joined.welcome,
        ),
    )
    .await;
    match &left {
        Left::Gone(None) => eprintln!("{} left", member.name),
        Left::Gone(Some(e)) => eprintln!("{} left: {e}", member.name),
        Left::TooSlow => eprintln!("{} left (too slow)", member.name),
    }
    room.leave(member, matches!(left, Left::TooSlow));
    Ok(()) // `stream` drops here: the socket closes
}

/// The client's lines to the room, and refusals to `replies`, until end of stream or an
/// error.
async fn talk(
    room: &Room,
    me: &Member,
    mut lines: LineReader<BufReader<ReadHalf<'_>>>,
    replies: mpsc::Sender<Rc<str>>,
) -> Left {
    let too_long: Rc<str> = format!("{TOO_LONG}\n").into();
    loop {
        match lines.next_line().await {
            Ok(Some(Line::Bytes(bytes))) => {
                let text = printable(&bytes);
                if text.trim().is_empty() {
                    continue; // nothing to say
                }
                room.say(me, &text);
                // One line per turn: let every writer take this line before we send
                // the next. Without it, a single read holding thousands of short lines
                // would be sent all at once and push out lines that fast writers have
                // not had a turn to take, as if they were slow.
                corio::task::yield_now().await;
            }
            Ok(Some(Line::TooLong)) => {
                // Waits while `REPLIES` refusals are unwritten; fails only if `feed`
                // is gone, and then this future is being dropped too.
                let _ = replies.send(too_long.clone()).await;
                // As after a line: a read holding hundreds of bad lines gets one
                // answer per turn, and other tasks run in between.
                corio::task::yield_now().await;
            }
            Ok(None) => return Left::Gone(None),
            Err(e) => return Left::Gone(Some(e)),
        }
    }
}

/// The room's lines for `me`, and its own replies, to the client's socket, starting
/// with `first`.
async fn feed(
    room: &Room,
    me: &Member,
    mut output: WriteHalf<'_>,
    mut inbox: Receiver<Msg>,
    mut replies: mpsc::Receiver<Rc<str>>,
    first: Rc<str>,
) -> Left {
    let mut line = first;
    loop {
        // Watch the backlog while writing: if the socket is full, the write waits and
        // `fallen_behind` decides when to give up on this client.
        let write = async {
            output
                .write_all(line.as_bytes())
                .await
                .err()
                .map(Left::from)
        };
        let behind = async {
            room.fallen_behind(&inbox).await;
            Some(Left::TooSlow)
        };
        if let Some(left) = race(write, behind).await {
            return left;
        }
        // Both `recv`s are cancel-safe: whichever loses the race loses nothing.
        let reply = async {
            match replies.recv().await {
                Some(reply) => Ok(reply),
                // Only once `talk` is gone, and then so is this future.
                None => std::future::pending().await,
            }
        };
        line = match race(reply, next_line(me, &mut inbox)).await {
            Ok(line) => line,
            Err(left) => return left,
        };
    }
}

/// The next line on the room's stream for `me`.
async fn next_line(me: &Member, inbox: &mut Receiver<Msg>) -> Result<Rc<str>, Left> {
    loop {
        match inbox.recv().await {
            Ok(msg) => match msg.into_text_for(me.id) {
                Some(text) => return Ok(text),
                None => continue, // not for us
            },
            // More than `CAPACITY` lines went by while this writer was waiting for its
            // turn, not stuck on its socket (`fallen_behind` watches that): a burst from
            // many clients at once, not a slow client. Say so and go on from the oldest
            // line kept. The count may include lines this member would not have been
            // sent (its own).
            Err(RecvError::Lagged(n)) => return Ok(format!("(missed {n} lines)\n").into()),
            // The room holds the sender for as long as the server runs.
            Err(RecvError::Closed) => return Err(Left::Gone(None)),
        }
    }
}

impl From<io::Error> for Left {
    fn from(e: io::Error) -> Left {
        Left::Gone(Some(e))
    }
}
