//! Async I/O traits, their extension methods, and the readiness helper every socket uses.
//!
//! [`AsyncRead`] and [`AsyncWrite`] are shaped like the `futures-io` traits, so adapters
//! are one-liners. [`AsyncReadExt`] and [`AsyncWriteExt`] add the `async fn`-style methods
//! (`read`, `write_all`, ...) that application code awaits.

mod ext;
mod read;
pub(crate) mod source;
mod traits;
mod write;

pub use ext::{AsyncReadExt, AsyncWriteExt};
pub use read::{Read, ReadExact, ReadToEnd};
pub use traits::{AsyncRead, AsyncWrite};
pub use write::{Close, Flush, Write, WriteAll};
