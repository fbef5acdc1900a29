//! tokio's I/O traits for corio's I/O types, and adapters both ways (cargo feature
//! `tokio-io`, off by default).
//!
//! Crates such as tokio-util (codecs, `Framed`), tokio-rustls and tokio-tungstenite are
//! written against `tokio::io::{AsyncRead, AsyncWrite, AsyncBufRead}`. With this feature
//! corio depends on tokio with no features at all: the traits and `ReadBuf` only, so no
//! tokio runtime, no mio and no thread is ever started; corio's reactor drives every wake.
//!
//! - `impls.rs`: the traits for corio's own types, each forwarding to the type's corio
//!   impl, so both views of a stream run the same code (readiness loop, coop budget).
//! - `compat.rs`: [`TokioCompat`] (a corio reader/writer seen as a tokio one) and
//!   [`FromTokio`] (a tokio reader/writer seen as a corio one), for every other type.
//!
//! [`TokioCompat`]: crate::io::TokioCompat
//! [`FromTokio`]: crate::io::FromTokio

mod compat;
mod impls;

pub use compat::{FromTokio, TokioCompat};

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use super::AsyncRead;

/// The most bytes of a tokio `ReadBuf`'s uninitialised tail one read zeroes before
/// lending it to a corio reader (which takes `&mut [u8]`, so the bytes must be
/// initialised). Codecs often hand over a large spare capacity for a small read: zeroing
/// all of it on every read would cost more than the read. Space the `ReadBuf` already
/// counts as initialised is lent whole, at no cost.
const ZEROED_PER_READ: usize = 64 * 1024;

/// Reads from a corio reader into a tokio `ReadBuf`: the shared body of every
/// `tokio::io::AsyncRead` impl in this module.
pub(crate) fn poll_read_buf<R: AsyncRead + ?Sized>(
    reader: Pin<&mut R>,
    cx: &mut Context<'_>,
    buf: &mut tokio::io::ReadBuf<'_>,
) -> Poll<io::Result<()>> {
    let ready_now = buf.initialized().len() - buf.filled().len();
    let want = buf.remaining().min(ready_now.max(ZEROED_PER_READ));
    let n = ready!(reader.poll_read(cx, buf.initialize_unfilled_to(want)))?;
    if n > want {
        // `ReadBuf::advance` would panic on a count past the initialised bytes: a reader
        // that claims more than it was lent is an error, never a panic here.
        return Poll::Ready(Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("reader returned {n} bytes for a {want}-byte buffer"),
        )));
    }
    buf.advance(n);
    Poll::Ready(Ok(()))
}
