//! One client, from its first byte to its last: ask for a name, then run the two halves
//! of a member side by side until either ends.
//!
//! - `talk` reads the client's lines and says them to the room.
//! - `feed` copies the room's stream to the client's socket.
//!
//! Both are futures in the client's own task, raced: whichever ends first (end of
//! stream, a reset, a client too slow to keep up) ends the other, then the stream is
//! dropped, which closes the socket. A write that cannot proceed parks only this task.

use std::future::{poll_fn, Future};
use std::io;
use std::pin::pin;
use std::rc::Rc;
use std::task::Poll;

use corio::io::AsyncWriteExt;
use corio::net::{ReadHalf, TcpStream, WriteHalf};
use corio::sync::broadcast::{Receiver, RecvError};

use crate::lines::{printable, read_line, Line, LineBuffer, TOO_LONG};
use crate::room::{Member, Msg, Room};

/// Sent on connect.
const PROMPT: &[u8] = b"enter your name\n";

/// How a member went.
enum Left {
    /// End of stream, or the connection failed (reset, say).
    Gone(Option<io::Error>),
    /// `CAPACITY` lines were waiting for it.
    TooSlow,
}

/// Serves one connection until the client leaves or is dropped.
pub async fn serve(stream: TcpStream, room: Rc<Room>) -> io::Result<()> {
    let peer = stream.peer_addr()?;
    let (mut input, mut output) = stream.split();
    let mut lines = LineBuffer::default();

    // Before joining, nothing else writes to this socket: answer directly.
    output.write_all(PROMPT).await?;
    let joined = loop {
        let Some(line) = read_line(&mut input, &mut lines).await? else {
            return Ok(()); // left without a name: nobody to tell
        };
        let refusal = match line {
            Line::TooLong => TOO_LONG.to_string(),
            Line::Bytes(name) => match room.join(&String::from_utf8_lossy(&name)) {
                Ok(joined) => break joined,
                Err(refusal) => refusal.to_string(),
            },
        };
        output.write_all(format!("{refusal}\n").as_bytes()).await?;
    };
    let member = joined.member;
    eprintln!("{} joined from {peer}", member.name);

    let left = race(
        talk(&room, &member, input, lines),
        feed(&room, &member, output, joined.inbox, joined.welcome),
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

/// The client's lines to the room, until end of stream or an error.
async fn talk(room: &Room, me: &Member, mut input: ReadHalf<'_>, mut lines: LineBuffer) -> Left {
    loop {
        match read_line(&mut input, &mut lines).await {
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
            Ok(Some(Line::TooLong)) => room.tell(me, TOO_LONG),
            Ok(None) => return Left::Gone(None),
            Err(e) => return Left::Gone(Some(e)),
        }
    }
}

/// The room's lines for `me` to the client's socket, starting with `first`.
async fn feed(
    room: &Room,
    me: &Member,
    mut output: WriteHalf<'_>,
    mut inbox: Receiver<Msg>,
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
        line = loop {
            match inbox.recv().await {
                Ok(msg) => match msg.into_text_for(me.id) {
                    Some(text) => break text,
                    None => continue, // not for us
                },
                // Lines were pushed out before we took them: this client is too slow.
                Err(RecvError::Lagged(_)) => return Left::TooSlow,
                // The room holds the sender for as long as the server runs.
                Err(RecvError::Closed) => return Left::Gone(None),
            }
        };
    }
}

impl From<io::Error> for Left {
    fn from(e: io::Error) -> Left {
        Left::Gone(Some(e))
    }
}

/// Runs `a` and `b` in the current task; the first to finish wins and the other is
/// dropped (cancelled).
async fn race<T>(a: impl Future<Output = T>, b: impl Future<Output = T>) -> T {
    let (mut a, mut b) = (pin!(a), pin!(b));
    poll_fn(|cx| {
        if let Poll::Ready(out) = a.as_mut().poll(cx) {
            return Poll::Ready(out);
        }
        b.as_mut().poll(cx)
    })
    .await
}
