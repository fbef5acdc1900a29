//! One client's state, the table of clients, and the `user_data` tags that lead a
//! completion back to its client.
//!
//! The rule that makes a completion model safe: a connection (its socket and its send
//! buffer) is dropped only when no request on it is in flight, and a tag carries the slot's
//! *generation*, so a completion that outlived its connection (none should, but a bug here
//! must not become a use-after-free) finds a different generation and is ignored.

use std::net::TcpStream;

/// Bytes owed to a client (received, not yet sent back) above which we stop receiving
/// from it: a client that never reads cannot make the server grow without bound.
pub const CAP: usize = 64 << 10;
/// The receive re-arms once the debt is down to this (hysteresis: not one cancel and one
/// re-arm per buffer).
const RESUME: usize = CAP / 2;

/// What a request is, in the top byte of its `user_data`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    /// The multishot accept on the listener.
    Accept,
    /// The back-off timer after an accept error such as `EMFILE`.
    Backoff,
    /// A connection's multishot recv.
    Recv,
    /// A connection's send.
    Send,
    /// An `ASYNC_CANCEL` on a connection's requests.
    Cancel,
}

/// `user_data` layout: kind (8 bits) | generation (24 bits) | slot (32 bits).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Tag {
    pub kind: Kind,
    pub gen: u32,
    pub slot: u32,
}

const GEN_MASK: u32 = (1 << 24) - 1;

impl Tag {
    /// The tag of a request not tied to a connection.
    pub fn global(kind: Kind) -> Tag {
        Tag {
            kind,
            gen: 0,
            slot: 0,
        }
    }

    /// Packs the tag into a `user_data`.
    pub fn encode(self) -> u64 {
        let kind = match self.kind {
            Kind::Accept => 1u64,
            Kind::Backoff => 2,
            Kind::Recv => 3,
            Kind::Send => 4,
            Kind::Cancel => 5,
        };
        kind << 56 | ((self.gen & GEN_MASK) as u64) << 32 | self.slot as u64
    }

    /// Unpacks a `user_data`; `None` for one we never made (the start-up NOP, say).
    pub fn decode(user_data: u64) -> Option<Tag> {
        let kind = match user_data >> 56 {
            1 => Kind::Accept,
            2 => Kind::Backoff,
            3 => Kind::Recv,
            4 => Kind::Send,
            5 => Kind::Cancel,
            _ => return None,
        };
        Some(Tag {
            kind,
            gen: (user_data >> 32) as u32 & GEN_MASK,
            slot: user_data as u32,
        })
    }
}

/// One client. Requests in flight on it: at most one multishot recv, one send, and the
/// cancels we asked for; it is dropped (closing the socket) only when all have completed.
pub struct Conn {
    pub stream: TcpStream,
    /// The bytes being sent: while `sending`, the kernel reads `out[sent..]`, so `out` is
    /// neither changed nor dropped until that send completes.
    pub out: Vec<u8>,
    pub sent: usize,
    pub sending: bool,
    /// Uppercased bytes received while a send was in flight: they go out next.
    pub next: Vec<u8>,
    /// A multishot recv is armed (its final CQE, without `IORING_CQE_F_MORE`, not seen).
    pub receiving: bool,
    /// We asked the kernel to cancel that recv (back-pressure).
    pub recv_cancelled: bool,
    /// `ASYNC_CANCEL` requests in flight.
    pub cancels: u32,
    /// The recv ended with `ENOBUFS` (the buffer ring was empty): re-armed at the end of
    /// the loop turn, once the turn's buffers are back in the ring.
    pub starved: bool,
    /// The client shut down its write half (recv returned 0).
    pub eof: bool,
    /// An error (reset, say): cancel what is in flight, then close.
    pub failed: bool,
    /// The close-time cancel (every request on the fd) has been submitted.
    pub closing: bool,
}

impl Conn {
    pub fn new(stream: TcpStream) -> Conn {
        Conn {
            stream,
            out: Vec::new(),
            sent: 0,
            sending: false,
            next: Vec::new(),
            receiving: false,
            recv_cancelled: false,
            cancels: 0,
            starved: false,
            eof: false,
            failed: false,
            closing: false,
        }
    }

    /// Received bytes, uppercased, join the queue to send. The caller gives the receive
    /// buffer back to the kernel right after: the copy is what lets a shared pool of
    /// buffers serve every connection.
    pub fn queue(&mut self, data: &[u8]) {
        self.next.extend(data.iter().map(u8::to_ascii_uppercase));
    }

    /// Bytes received and not yet sent back.
    pub fn owed(&self) -> usize {
        self.out.len() - self.sent + self.next.len()
    }

    /// The next bytes to send, if no send is in flight and there is something to send:
    /// the rest of `out` after a short send, else the queued bytes (which become `out`).
    pub fn next_send(&mut self) -> Option<&[u8]> {
        if self.sending || self.failed {
            return None;
        }
        if self.sent == self.out.len() {
            self.out.clear();
            self.sent = 0;
            std::mem::swap(&mut self.out, &mut self.next);
            if self.out.is_empty() {
                // All sent: an idle connection keeps no large buffers.
                if self.out.capacity() > 4096 {
                    self.out = Vec::new();
                }
                if self.next.capacity() > 4096 {
                    self.next = Vec::new();
                }
                return None;
            }
        }
        Some(&self.out[self.sent..])
    }

    /// Whether a recv should be armed now.
    pub fn wants_recv(&self) -> bool {
        !self.receiving && !self.eof && !self.failed && !self.starved && self.owed() <= RESUME
    }

    /// Whether the armed recv should be cancelled: too many bytes owed.
    pub fn over_cap(&self) -> bool {
        self.receiving && !self.recv_cancelled && self.owed() > CAP
    }

    /// No request on this connection is in flight.
    pub fn quiet(&self) -> bool {
        !self.receiving && !self.sending && self.cancels == 0
    }

    /// Nothing more to do: failed, or the client is done and every byte went back.
    pub fn finished(&self) -> bool {
        self.failed || (self.eof && self.owed() == 0)
    }
}

/// The table of connections: slots reused through a free list, each with a generation
/// bumped when its connection is dropped.
#[derive(Default)]
pub struct Conns {
    slots: Vec<(u32, Option<Conn>)>,
    free: Vec<u32>,
}

impl Conns {
    /// Stores `conn`; returns its slot and generation.
    pub fn insert(&mut self, conn: Conn) -> (u32, u32) {
        match self.free.pop() {
            Some(slot) => {
                let entry = &mut self.slots[slot as usize];
                entry.1 = Some(conn);
                (slot, entry.0)
            }
            None => {
                self.slots.push((0, Some(conn)));
                (self.slots.len() as u32 - 1, 0)
            }
        }
    }

    /// The connection in `slot`, if it is still the one of generation `gen`.
    pub fn get_mut(&mut self, slot: u32, gen: u32) -> Option<&mut Conn> {
        match self.slots.get_mut(slot as usize) {
            Some((g, Some(conn))) if *g == gen => Some(conn),
            _ => None,
        }
    }

    /// Drops the connection in `slot` (closing its socket) and retires its generation.
    pub fn remove(&mut self, slot: u32) {
        if let Some((gen, conn @ Some(_))) = self.slots.get_mut(slot as usize) {
            *conn = None;
            *gen = (*gen + 1) & GEN_MASK;
            self.free.push(slot);
        }
    }
}
