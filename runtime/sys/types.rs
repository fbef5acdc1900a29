//! The words of the seam: tokens, interests, readiness bits and events.

/// Names a registration inside one selector. The reactor uses the source's key in its
/// table: index in the low 32 bits, generation in the high 32. A key is never issued twice,
/// so an event still queued for a deregistered source (whose fd number and index may both
/// have been reused since) names no live source and is dropped. No registration's token is
/// [`Token::NOTIFY`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Token(pub u64);

impl Token {
    /// Reserved: the token the runtime registers its cross-thread doorbell with. A backend
    /// reports it like any other; registrations never receive it.
    pub const NOTIFY: Token = Token(u64::MAX);
}

/// Directions an fd is registered or armed for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interest(u8);

impl Interest {
    /// Wake when reads (or accepts) may make progress.
    pub const READABLE: Interest = Interest(0b01);
    /// Wake when writes (or a pending connect) may make progress.
    pub const WRITABLE: Interest = Interest(0b10);
    /// Both directions.
    pub const BOTH: Interest = Interest(0b11);

    /// Whether `self` includes read interest.
    pub fn is_readable(self) -> bool {
        self.0 & Self::READABLE.0 != 0
    }

    /// Whether `self` includes write interest.
    pub fn is_writable(self) -> bool {
        self.0 & Self::WRITABLE.0 != 0
    }
}

/// What an event says about an fd: a set of readiness bits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Readiness(pub(crate) u8);

impl Readiness {
    /// Data (or a connection to accept) may be waiting.
    pub const READABLE: Readiness = Readiness(0b0000_0001);
    /// Buffer space (or a finished connect) may be waiting.
    pub const WRITABLE: Readiness = Readiness(0b0000_0010);
    /// The peer shut down its write half: reads will end in EOF. Sticky until WouldBlock.
    pub const READ_CLOSED: Readiness = Readiness(0b0000_0100);
    /// Writing can no longer succeed (hang-up or error); the syscall will say why.
    pub const WRITE_CLOSED: Readiness = Readiness(0b0000_1000);

    /// Urgent (out-of-band) data is pending. A read then stops short at the urgent mark,
    /// so while this is set a short read does not prove the buffer drained.
    pub const PRIORITY: Readiness = Readiness(0b0001_0000);

    /// Every bit that lets a reader make progress.
    pub const READ_SIDE: Readiness = Readiness(0b0000_0101);
    /// Every bit that lets a writer make progress.
    pub const WRITE_SIDE: Readiness = Readiness(0b0000_1010);

    /// Whether any bit of `other` is set in `self`.
    pub fn intersects(self, other: Readiness) -> bool {
        self.0 & other.0 != 0
    }

    /// No bits set.
    pub const EMPTY: Readiness = Readiness(0);

    /// `self` with every bit of `other` added.
    pub fn union(self, other: Readiness) -> Readiness {
        Readiness(self.0 | other.0)
    }
}

/// One event from [`Selector::select`](super::Selector::select).
#[derive(Clone, Copy, Debug)]
pub struct Event {
    /// The token of the registration it concerns.
    pub token: Token,
    /// What became ready.
    pub readiness: Readiness,
}
