//! Async I/O traits, their extension methods, the readiness helper every socket uses, and
//! [`AsyncFd`], which makes any non-blocking fd async with that same helper.
//!
//! [`AsyncRead`] and [`AsyncWrite`] are shaped like the `futures-io` traits, so adapters
//! are one-liners. [`AsyncReadExt`] and [`AsyncWriteExt`] add the `async fn`-style methods
//! (`read`, `write_all`, ...) that application code awaits.

mod async_fd;
mod ext;
mod read;
pub(crate) mod source;
mod traits;
mod write;

pub use async_fd::AsyncFd;
pub use ext::{AsyncReadExt, AsyncWriteExt};
pub use read::{Read, ReadExact, ReadToEnd};
pub use traits::{AsyncRead, AsyncWrite};
pub use write::{Close, Flush, Write, WriteAll};
