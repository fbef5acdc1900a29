//! The room: who is in it, and the one ordered stream of lines everybody reads.
//!
//! Every line for the room goes into one [`broadcast`] channel, and each member's writer
//! (client.rs, `feed`) reads it at its own pace. Sending never waits for anybody, and the
//! channel keeps only the last [`CAPACITY`] lines. A member whose writer is stuck on a
//! socket that stops taking bytes is dropped once `CAPACITY` lines are waiting for it
//! (see [`Room::fallen_behind`]); a member whose writer was merely not scheduled while
//! more than `CAPACITY` lines went by (a burst from many clients at once) is not dropped:
//! it is told how many lines it missed and goes on. So the memory for room traffic is
//! bounded by the channel, however many members are slow, and nobody's speed depends on
//! anybody else's. Replies for one member (refusals) never enter the channel: they go on
//! that member's own small queue (client.rs), so they cannot push out anybody's lines.
//!
//! The roster is a `RefCell`, not corio's `Mutex`: every task runs on the one runtime
//! thread, and no borrow is held across an `.await`, so there is never a second borrower
//! to wait for (an async `Mutex` is for data held *across* awaits; a `RefCell` costs a
//! flag check and would panic, loudly, if that ever changed).

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;

use corio::sync::broadcast::{self, Receiver, Sender};
use corio::sync::Notify;

use crate::lines::MAX_LINE;

/// How many lines the room keeps for a member that has not taken them yet; a member
/// whose writer is stuck with that many lines waiting is dropped as too slow.
pub const CAPACITY: usize = 256;

/// The longest name, in bytes.
pub const MAX_NAME: usize = 32;

/// The name the server speaks under (stdin lines); nobody may take it.
pub const ADMIN: &str = "admin";

/// A member's number, unique for the server's lifetime (names are reused).
pub type Id = u64;

/// One line on the room's stream and who should see it. Cloned once per reader, so the
/// text is shared (`Rc`: everything lives on the runtime's one thread).
#[derive(Clone, Debug)]
pub struct Msg {
    to: To,
    /// The whole line, `\n` included, ready to write.
    text: Rc<str>,
}

#[derive(Clone, Copy, Debug)]
enum To {
    All,
    /// Everybody but the member who said it: nobody gets their own lines back.
    AllBut(Id),
}

impl Msg {
    /// The line to write to member `me`, if it is for them.
    pub fn into_text_for(self, me: Id) -> Option<Rc<str>> {
        let mine = match self.to {
            To::All => true,
            To::AllBut(id) => id != me,
        };
        mine.then_some(self.text)
    }
}

/// A member of the room.
#[derive(Debug)]
pub struct Member {
    pub id: Id,
    pub name: String,
}

/// What [`Room::join`] gives a new member.
#[derive(Debug)]
pub struct Joined {
    pub member: Member,
    /// The room's stream from the moment of joining.
    pub inbox: Receiver<Msg>,
    /// The first line to send the member (`welcome, NAME; ...`).
    pub welcome: Rc<str>,
}

/// Why a name was refused; `Display` is the line the client gets.
#[derive(Debug)]
pub enum Refusal {
    Empty,
    TooLong,
    BadCharacter,
    Reserved,
    Taken,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Empty => f.write_str("name must not be empty"),
            Refusal::TooLong => write!(f, "name too long (max {MAX_NAME} bytes)"),
            Refusal::BadCharacter => {
                f.write_str("name may contain only ASCII letters, digits, '_', '.' and '-'")
            }
            Refusal::Reserved => write!(f, "name {ADMIN} is reserved"),
            Refusal::Taken => f.write_str("name taken"),
        }?;
        f.write_str(", try another")
    }
}

/// The chat room: members by name, and the stream of lines.
pub struct Room {
    /// Lowercased name -> name as typed: names are unique regardless of case, so
    /// `Alice` cannot pose as `alice`. Sorted, for a stable "online" list.
    names: RefCell<BTreeMap<String, String>>,
    stream: Sender<Msg>,
    /// Fired after every send, for writers stuck on a full socket (see `fallen_behind`).
    sent: Notify,
    next_id: Cell<Id>,
}

impl Room {
    pub fn new() -> Room {
        // The first receiver is not needed: members subscribe when they join.
        let (stream, _) = broadcast::channel(CAPACITY);
        Room {
            names: RefCell::new(BTreeMap::new()),
            stream,
            sent: Notify::new(),
            next_id: Cell::new(1),
        }
    }

    /// Adds a member named by `line` (surrounding whitespace trimmed), tells the others,
    /// and subscribes the member to everything said from now on.
    pub fn join(&self, line: &str) -> Result<Joined, Refusal> {
        let name = line.trim();
        if name.is_empty() {
            return Err(Refusal::Empty);
        }
        if name.len() > MAX_NAME {
            return Err(Refusal::TooLong);
        }
        // ASCII letters, digits and `_.-` only: ':' would let a name pose as a message
        // ("bob: hi"), spaces make the "online" list ambiguous, and any other Unicode
        // opens the door to look-alikes (`admin` plus a zero-width space, Cyrillic `а`)
        // and bidi overrides that reorder the rest of the line on other terminals.
        if !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
        {
            return Err(Refusal::BadCharacter);
        }
        let key = name.to_ascii_lowercase();
        if key == ADMIN {
            return Err(Refusal::Reserved);
        }
        let mut names = self.names.borrow_mut();
        if names.contains_key(&key) {
            return Err(Refusal::Taken);
        }
        let others: Vec<&str> = names.values().map(String::as_str).collect();
        let welcome = welcome(name, &others);
        names.insert(key, name.to_string());
        drop(names);

        let id = self.next_id.get();
        self.next_id.set(id + 1);
        let inbox = self.stream.subscribe(); // before the notice: we see all that follows
        self.send(To::AllBut(id), format!("{name} joined\n"));
        Ok(Joined {
            member: Member {
                id,
                name: name.to_string(),
            },
            inbox,
            welcome: welcome.into(),
        })
    }

    /// `member` said `text`: everybody else sees `NAME: text`.
    pub fn say(&self, member: &Member, text: &str) {
        self.send(To::AllBut(member.id), format!("{}: {text}\n", member.name));
    }

    /// The server operator says `text` to everybody.
    pub fn announce(&self, text: &str) {
        self.send(To::All, format!("{ADMIN}: {text}\n"));
    }

    /// Removes `member` (its name is free again) and tells the others why it went.
    pub fn leave(&self, member: Member, too_slow: bool) {
        self.names.borrow_mut().remove(&member.name.to_lowercase());
        let why = if too_slow { " (too slow)" } else { "" };
        self.send(
            To::AllBut(member.id),
            format!("{} left{why}\n", member.name),
        );
    }

    /// Completes once `CAPACITY` lines wait in `inbox`, so the next one would push out a
    /// line this member has not seen. A writer awaits this while its `write_all` is stuck
    /// on a full socket, and only then: that is what makes a member too slow. (A writer
    /// that is idle but was not scheduled while more than `CAPACITY` lines went by gets
    /// `RecvError::Lagged` at its next `recv`; it is told what it missed, not dropped.)
    pub async fn fallen_behind(&self, inbox: &Receiver<Msg>) {
        loop {
            // Created before the check, so a send between the check and the await
            // still wakes us (`notify_waiters` counts futures from their creation).
            let sent = self.sent.notified();
            if inbox.len() >= CAPACITY {
                return;
            }
            sent.await;
        }
    }

    fn send(&self, to: To, text: String) {
        // With no member subscribed there is nobody to tell: nothing to do.
        let _ = self.stream.send(Msg {
            to,
            text: text.into(),
        });
        self.sent.notify_waiters();
    }
}

/// The first line for a new member `name`, listing the `others` online. Cut short with
/// `and N more` where the whole list would make it longer than [`MAX_LINE`] bytes.
fn welcome(name: &str, others: &[&str]) -> String {
    if others.is_empty() {
        return format!("welcome, {name}; nobody else is here\n");
    }
    let mut line = format!("welcome, {name}; online: {}", others.join(", "));
    if line.len() > MAX_LINE {
        line = format!("welcome, {name}; online: ");
        // Keep room for the longest tail, so whatever is cut can still be counted.
        let tail = format!(", and {} more", others.len()).len();
        for (shown, other) in others.iter().enumerate() {
            let sep = if shown == 0 { "" } else { ", " };
            if line.len() + sep.len() + other.len() + tail > MAX_LINE {
                line.push_str(&format!("{sep}and {} more", others.len() - shown));
                break;
            }
            line.push_str(sep);
            line.push_str(other);
        }
    }
    line.push('\n');
    line
}
