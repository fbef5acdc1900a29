//! Multi-producer, single-consumer channels — the tutorials' `Queue` between tasks (and
//! threads): many senders, one receiver, messages in the order they were sent.
//!
//! - [`channel`]`(n)`: bounded. `send().await` waits while `n` messages are queued, which
//!   is how a producer learns to slow down (back-pressure).
//! - [`unbounded_channel`]: `send` never waits, from a task or a plain thread.
//!
//! [`Sender::reserve`] waits for a slot *before* the value exists and returns a
//! [`Permit`] that sends without waiting: racing it against a timeout loses no value.
//! [`Sender::closed`] completes when the receiver is gone or closed.
//!
//! Closing, from either side, is an error the other side sees, never a silent loss: when
//! every sender is gone the receiver drains what is queued and then gets `None`; when the
//! receiver is gone (or [`Receiver::close`] was called) every send fails and hands its
//! message back in [`SendError`].
//!
//! ```
//! corio::block_on(async {
//!     let (tx, mut rx) = corio::sync::mpsc::channel(2);
//!     corio::spawn(async move {
//!         for i in 0..5 {
//!             tx.send(i).await.unwrap(); // waits whenever 2 are queued
//!         }
//!     });
//!     let mut got = Vec::new();
//!     while let Some(i) = rx.recv().await {
//!         got.push(i);
//!     }
//!     assert_eq!(got, [0, 1, 2, 3, 4]);
//! });
//! ```

mod bounded;
mod chan;
pub mod error;
mod permit;
mod unbounded;

pub use bounded::{channel, Receiver, Recv, Sender};
pub use error::{SendError, TryRecvError, TrySendError};
pub use permit::{OwnedPermit, Permit};
pub use unbounded::{unbounded_channel, UnboundedReceiver, UnboundedSender};
