//! The watch channel's errors (tokio's `sync::watch::error`).

use std::fmt;

/// [`Sender::send`](super::Sender::send) found no receiver; the value is handed back in
/// `.0` and was not stored.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SendError<T>(pub T);

impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SendError(..)")
    }
}

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the watch channel has no receivers")
    }
}

impl<T> std::error::Error for SendError<T> {}

/// Every [`Sender`](super::Sender) is gone (and, for
/// [`changed`](super::Receiver::changed), the last value was already seen).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecvError(pub(super) ());

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the watch channel's senders are gone")
    }
}

impl std::error::Error for RecvError {}
