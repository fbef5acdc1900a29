//! [`stdin`], [`stdout`], [`stderr`]: the process's standard streams as
//! [`AsyncRead`]/[`AsyncWrite`], through the blocking pool ([`Blocking`]).
//!
//! Standard streams may be terminals, pipes or files; none of these can be made
//! non-blocking for this process alone (the flag is shared with every process holding the
//! descriptor), so each read or write is a blocking call on a pool thread, one at a time
//! per handle, exactly as tokio does it.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::blocking::Blocking;
use super::{AsyncRead, AsyncWrite};

/// The process's standard input, read on the blocking pool. Made by [`stdin`].
///
/// # A read in flight keeps a pool thread
///
/// A read waits on a pool thread until input arrives (or the stream ends), and nothing
/// can interrupt it: dropping the read future, or the `Stdin`, does not stop the call,
/// and the line it then reads is lost to later readers. Until it returns, that thread is
/// taken (it counts against [`MAX_THREADS`](crate::task::MAX_THREADS)).
///
/// This does not hold the process open: dropping a runtime waits for its other pool jobs
/// (see [Runtime's shutdown](crate::Runtime#shutdown)) but not for stdin reads, so
/// `block_on` returns and `main` exits while a read is still blocked (the exit ends the
/// thread). tokio's runtime, in contrast, waits for them too when it shuts down, which is
/// why tokio documents that a pending stdin read can keep the process from exiting; with
/// corio it cannot.
///
/// For an interactive program that must stay responsive, one reading task (or a line
/// reader over it) is the usual shape. For input it must be able to abandon, read a
/// non-blocking pipe with [`AsyncFd`](crate::io::AsyncFd) instead.
///
/// Each `Stdin` value has its own read-ahead buffer (as on tokio): bytes one handle has
/// read ahead are not seen by another.
#[derive(Debug)]
pub struct Stdin {
    inner: Blocking<io::Stdin>,
}

/// The process's standard output, written on the blocking pool. Made by [`stdout`].
///
/// A write is accepted at once and carried out by a pool job; the next operation on this
/// handle waits for it, and reports its error (see [`fs::File`](crate::fs::File), which
/// works the same way). `flush().await` waits for every accepted write and then flushes
/// std's line buffer, so bytes without a trailing newline appear too: flush before the
/// program exits. Writes from two `Stdout` values (or from `println!`) may interleave at
/// write boundaries.
#[derive(Debug)]
pub struct Stdout {
    inner: Blocking<io::Stdout>,
}

/// The process's standard error, written on the blocking pool. Made by [`stderr`]; works
/// like [`Stdout`] (std's stderr is unbuffered, so `flush` only waits for the writes).
#[derive(Debug)]
pub struct Stderr {
    inner: Blocking<io::Stderr>,
}

/// A handle to the process's standard input; see [`Stdin`] for what a read in flight
/// costs.
///
/// ```no_run
/// use corio::io::{AsyncReadExt, AsyncWriteExt};
///
/// corio::block_on(async {
///     let mut input = Vec::new();
///     corio::io::stdin().read_to_end(&mut input).await?;
///     let mut out = corio::io::stdout();
///     out.write_all(&input.to_ascii_uppercase()).await?;
///     out.flush().await
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn stdin() -> Stdin {
    Stdin {
        inner: Blocking::stream(io::stdin()),
    }
}

/// A handle to the process's standard output; flush it before exiting (see [`Stdout`]).
pub fn stdout() -> Stdout {
    Stdout {
        inner: Blocking::stream(io::stdout()),
    }
}

/// A handle to the process's standard error.
pub fn stderr() -> Stderr {
    Stderr {
        inner: Blocking::stream(io::stderr()),
    }
}

impl AsyncRead for Stdin {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        // A read may wait for input forever: the runtime's drop does not wait for it.
        let inner = &mut self.get_mut().inner;
        crate::task::uncounted(|| inner.poll_read(cx, buf))
    }
}

macro_rules! blocking_async_write {
    ($ty:ty) => {
        impl AsyncWrite for $ty {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                self.get_mut().inner.poll_write(cx, buf)
            }
            fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                self.get_mut().inner.poll_flush(cx)
            }
            /// Flushes; the stream itself stays open (as on tokio: closing the process's
            /// standard stream is not this handle's to do).
            fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                self.get_mut().inner.poll_flush(cx)
            }
        }
    };
}

blocking_async_write!(Stdout);
blocking_async_write!(Stderr);
