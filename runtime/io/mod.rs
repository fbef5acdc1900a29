//! Async I/O traits, their extension methods, the readiness helper every socket uses, and
//! [`AsyncFd`], which makes any non-blocking fd async with that same helper.
//!
//! [`AsyncRead`] and [`AsyncWrite`] are shaped like the `futures-io` traits, so adapters
//! are one-liners. [`AsyncReadExt`] and [`AsyncWriteExt`] add the `async fn`-style methods
//! (`read`, `write_all`, ...) that application code awaits.
//!
//! # Buffered I/O, copying, splitting
//!
//! Written once over any `AsyncRead`/`AsyncWrite`, with tokio's names and semantics:
//!
//! | item | what it does |
//! |---|---|
//! | [`AsyncBufRead`], [`AsyncBufReadExt`] | `fill_buf`/`consume`; `read_line`, `read_until`, `lines()`, `split(byte)` |
//! | [`BufReader`], [`BufWriter`], [`BufStream`] | a read buffer, a write buffer (flushed on `flush`/`shutdown`), both |
//! | [`AsyncReadExt`] extras | `read_to_string`, `take` ([`Take`]), `chain` ([`Chain`]), `read_u8` ... `read_i64_le` |
//! | [`AsyncWriteExt`] extras | `shutdown` (finishes the write side; `close` is the same), `write_u8` ... `write_i64_le` |
//! | [`copy`], [`copy_buf`], [`copy_bidirectional`] | reader to writer until end of stream; both ways at once, for a proxy |
//! | [`split()`] | a [`ReadHalf`] and a [`WriteHalf`] of any stream, for two tasks |
//! | [`duplex`], [`empty`], [`sink`], [`repeat`] | an in-memory stream pair; readers and writers with no source |
//!
//! `&[u8]` is an `AsyncRead` and `AsyncBufRead`, `Vec<u8>` an `AsyncWrite`. Each method's
//! rustdoc says whether it is cancellation safe, as tokio's do (`Lines::next_line` is;
//! `read_line` is not).
//!
//! # `futures-io` compatibility
//!
//! With the cargo feature `futures-io` (off by default, so a default build depends on
//! nothing more), corio's streams also implement `futures_io::AsyncRead` and
//! `futures_io::AsyncWrite`, forwarding to the impls above: [`TcpStream`] and
//! `&TcpStream`, [`UnixStream`] and `&UnixStream`, the split halves ([`net::ReadHalf`],
//! [`net::WriteHalf`], [`OwnedReadHalf`], [`OwnedWriteHalf`]) of either, and [`AsyncFd`].
//! Enable it in your `Cargo.toml`:
//!
//! ```toml
//! [dependencies]
//! corio = { version = "0.1", features = ["futures-io"] }
//! ```
//!
//! Then code written against `futures-io` (`futures::io::copy`, codecs, `BufReader`, ...)
//! takes corio sockets as they are. Import either corio's `AsyncReadExt`/`AsyncWriteExt`
//! or `futures`' in one scope, not both: their method names are the same. With `futures`'
//! `AsyncReadExt` in scope, `stream.split()` on an owned stream resolves to its
//! `split(self)` (halves behind a lock); write `TcpStream::split(&stream)` for corio's.
//!
//! [`TcpStream`]: crate::net::TcpStream
//! [`UnixStream`]: crate::net::UnixStream
//! [`net::ReadHalf`]: crate::net::ReadHalf
//! [`net::WriteHalf`]: crate::net::WriteHalf
//! [`OwnedReadHalf`]: crate::net::OwnedReadHalf
//! [`OwnedWriteHalf`]: crate::net::OwnedWriteHalf

mod adapters;
mod async_fd;
pub(crate) mod blocking;
mod buf_read;
mod buf_reader;
mod buf_writer;
#[cfg(feature = "futures-io")]
mod compat;
mod copy;
mod duplex;
mod ext;
mod lines;
mod read;
mod seek;
pub(crate) mod source;
mod split;
mod stdio;
#[cfg(feature = "tokio-io")]
mod tokio_io;
mod traits;
mod util;
mod write;

/// The direction a socket's `try_io`/`async_io` waits on, under tokio's path.
pub use crate::sys::Interest;
pub use adapters::{Chain, Take};
pub use async_fd::AsyncFd;
pub use buf_read::{AsyncBufRead, AsyncBufReadExt};
pub use buf_reader::BufReader;
pub use buf_writer::{BufStream, BufWriter};
pub use copy::{copy, copy_bidirectional, copy_bidirectional_with_sizes, copy_buf};
pub use duplex::{duplex, DuplexStream};
pub use ext::{AsyncReadExt, AsyncWriteExt};
pub use lines::{FillBuf, Lines, ReadLine, ReadUntil, Split};
pub use read::{Read, ReadBuf, ReadExact, ReadInt, ReadToEnd, ReadToString};
pub use seek::{AsyncSeek, AsyncSeekExt, Rewind, Seek};
pub use split::{split, ReadHalf, WriteHalf};
/// std's I/O error types, under the paths tokio programs use (`corio::io::Result`).
pub use std::io::{Error, ErrorKind, Result};
pub use stdio::{stderr, stdin, stdout, Stderr, Stdin, Stdout};
#[cfg(feature = "tokio-io")]
pub use tokio_io::{FromTokio, TokioCompat};
pub use traits::{AsyncRead, AsyncWrite};
pub use util::{empty, repeat, sink, Empty, Repeat, Sink};
pub use write::{Close, Flush, Write, WriteAll, WriteInt, WriteVectored};
