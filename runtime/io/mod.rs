//! Async I/O traits, their extension methods, the readiness helper every socket uses, and
//! [`AsyncFd`], which makes any non-blocking fd async with that same helper.
//!
//! [`AsyncRead`] and [`AsyncWrite`] are shaped like the `futures-io` traits, so adapters
//! are one-liners. [`AsyncReadExt`] and [`AsyncWriteExt`] add the `async fn`-style methods
//! (`read`, `write_all`, ...) that application code awaits.
//!
//! # `futures-io` compatibility
//!
//! With the cargo feature `futures-io` (off by default, so a default build depends on
//! nothing more), corio's streams also implement `futures_io::AsyncRead` and
//! `futures_io::AsyncWrite`, forwarding to the impls above: [`TcpStream`] and
//! `&TcpStream`, [`UnixStream`] and `&UnixStream`, the split halves ([`ReadHalf`],
//! [`WriteHalf`], [`OwnedReadHalf`], [`OwnedWriteHalf`]) of either, and [`AsyncFd`].
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
//! [`ReadHalf`]: crate::net::ReadHalf
//! [`WriteHalf`]: crate::net::WriteHalf
//! [`OwnedReadHalf`]: crate::net::OwnedReadHalf
//! [`OwnedWriteHalf`]: crate::net::OwnedWriteHalf

mod async_fd;
#[cfg(feature = "futures-io")]
mod compat;
mod ext;
mod read;
pub(crate) mod source;
mod traits;
mod write;

pub use async_fd::AsyncFd;
pub use ext::{AsyncReadExt, AsyncWriteExt};
pub use read::{Read, ReadExact, ReadToEnd};
/// std's I/O error types, under the paths tokio programs use (`corio::io::Result`).
pub use std::io::{Error, ErrorKind, Result};
pub use traits::{AsyncRead, AsyncWrite};
pub use write::{Close, Flush, Write, WriteAll};
