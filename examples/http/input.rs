//! A connection's unparsed input: the buffer the socket reads into and from whose front
//! complete request heads are taken (a child module of `request.rs`).

use super::conditions::Conditions;
use super::{parse_with_conditions, Error, Request, MAX_HEAD};

/// A connection's unparsed input: a fixed buffer of [`MAX_HEAD`] bytes into which the
/// socket reads, and from whose front complete heads are taken. Pipelined requests wait
/// here, already read, until the responses before them are sent.
///
/// Not a `corio::io::BufReader`: the parser needs a whole head in one slice, and
/// `fill_buf` reads again only once its buffer is empty, so a head split across two reads
/// would have to be copied into a buffer like this one anyway (twice the memory per
/// connection, every such byte copied twice, and no read saved).
#[derive(Debug)]
pub struct Input {
    buf: Box<[u8]>,
    filled: usize,
    /// Whether the bytes added since the last parse may complete a head (hold a `\n`, or
    /// fill the buffer): parsing again is pointless otherwise, and a client trickling a
    /// head byte by byte would cost a full re-scan per byte.
    dirty: bool,
    /// The conditional and range fields of the head [`next`](Self::next) last returned.
    conditions: Conditions,
}

impl Default for Input {
    fn default() -> Self {
        Input {
            buf: vec![0; MAX_HEAD].into_boxed_slice(),
            filled: 0,
            dirty: false,
            conditions: Conditions::default(),
        }
    }
}

impl Input {
    /// Where the next read goes; never empty while a head is incomplete, because a full
    /// buffer with no complete head is [`Error::HeadTooLarge`].
    pub fn space(&mut self) -> &mut [u8] {
        &mut self.buf[self.filled..]
    }

    /// Records that a read put `n` bytes into [`space`](Self::space).
    pub fn filled(&mut self, n: usize) {
        let new = &self.buf[self.filled..self.filled + n];
        self.dirty |= new.contains(&b'\n');
        self.filled += n;
        self.dirty |= self.filled == self.buf.len();
    }

    /// Whether some bytes of a next request have arrived. Blank lines between requests
    /// (which RFC 9112 lets a client send) do not count: a connection holding only those
    /// is idle, and is closed quietly rather than answered with a 408.
    pub fn is_empty(&self) -> bool {
        self.buf[..self.filled]
            .iter()
            .all(|&b| b == b'\r' || b == b'\n')
    }

    /// Takes the next complete head off the front, if there is one.
    pub fn next(&mut self) -> Result<Option<Request>, Error> {
        if !self.dirty {
            return Ok(None);
        }
        match parse_with_conditions(&self.buf[..self.filled])? {
            Some((request, conditions, used)) => {
                self.conditions = conditions;
                self.buf.copy_within(used..self.filled, 0);
                self.filled -= used;
                // What is left may already hold the next pipelined head.
                self.dirty = self.filled > 0;
                Ok(Some(request))
            }
            None => {
                self.dirty = false;
                Ok(None)
            }
        }
    }

    /// Takes the conditional and range fields of the head [`next`](Self::next) last
    /// returned (empty once taken).
    pub fn take_conditions(&mut self) -> Conditions {
        std::mem::take(&mut self.conditions)
    }
}
