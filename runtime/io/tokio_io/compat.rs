//! Adapters between corio's and tokio's I/O traits, for types `impls.rs` does not list.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use pin_project_lite::pin_project;

use crate::io::{AsyncBufRead, AsyncRead, AsyncWrite};

pin_project! {
    /// A corio reader or writer seen through tokio's traits: `TokioCompat<T>` implements
    /// `tokio::io::AsyncRead`, `AsyncWrite` and `AsyncBufRead` wherever `T` implements
    /// corio's trait of the same name.
    ///
    /// corio's own streams, files, stdio, buffers and `DuplexStream` need no wrapper: with
    /// the `tokio-io` feature they implement tokio's traits themselves. This adapter is for
    /// any other corio reader or writer, such as one defined in another crate: Rust's
    /// orphan rule forbids that crate, and corio, from implementing tokio's traits for it
    /// directly, and a blanket impl would overlap tokio's impls for `&mut T`, `Box<T>` and
    /// `Pin<P>`. The same role as tokio-util's `Compat` in the other direction.
    ///
    /// `poll_shutdown` is corio's `poll_close`. A read zeroes at most 64 KiB of a
    /// `ReadBuf`'s uninitialised space before lending it, as corio readers take `&mut [u8]`.
    ///
    /// ```
    /// # #[cfg(feature = "tokio-io")]
    /// # fn main() -> std::io::Result<()> {
    /// use corio::io::{AsyncRead, TokioCompat};
    /// use std::pin::Pin;
    /// use std::task::{Context, Poll};
    ///
    /// /// A corio reader that yields one byte, then end of stream.
    /// struct One(bool);
    /// impl AsyncRead for One {
    ///     fn poll_read(
    ///         mut self: Pin<&mut Self>,
    ///         _: &mut Context<'_>,
    ///         buf: &mut [u8],
    ///     ) -> Poll<std::io::Result<usize>> {
    ///         if std::mem::replace(&mut self.0, true) || buf.is_empty() {
    ///             return Poll::Ready(Ok(0));
    ///         }
    ///         buf[0] = b'x';
    ///         Poll::Ready(Ok(1))
    ///     }
    /// }
    ///
    /// fn takes_tokio_reader(_: impl tokio::io::AsyncRead) {}
    /// takes_tokio_reader(TokioCompat::new(One(false)));
    /// # Ok(())
    /// # }
    /// # #[cfg(not(feature = "tokio-io"))]
    /// # fn main() {}
    /// ```
    #[derive(Debug, Default, Clone, Copy)]
    pub struct TokioCompat<T> {
        #[pin]
        inner: T,
    }
}

impl<T> TokioCompat<T> {
    /// Wraps a corio reader or writer.
    pub fn new(inner: T) -> TokioCompat<T> {
        TokioCompat { inner }
    }

    /// The wrapped value.
    pub fn get_ref(&self) -> &T {
        &self.inner
    }

    /// The wrapped value, mutably. Reading or writing through it bypasses nothing: the
    /// adapter keeps no state of its own.
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.inner
    }

    /// The wrapped value, pinned.
    pub fn get_pin_mut(self: Pin<&mut Self>) -> Pin<&mut T> {
        self.project().inner
    }

    /// Unwraps the value.
    pub fn into_inner(self) -> T {
        self.inner
    }
}

impl<T: AsyncRead> tokio::io::AsyncRead for TokioCompat<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        super::poll_read_buf(self.project().inner, cx, buf)
    }
}

impl<T: AsyncWrite> tokio::io::AsyncWrite for TokioCompat<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.project().inner.poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_close(cx)
    }
}

impl<T: AsyncBufRead> tokio::io::AsyncBufRead for TokioCompat<T> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        self.project().inner.poll_fill_buf(cx)
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        self.project().inner.consume(amt)
    }
}

pin_project! {
    /// A tokio reader or writer seen through corio's traits: `FromTokio<T>` implements
    /// `corio::io::AsyncRead`, `AsyncWrite` and `AsyncBufRead` wherever `T` implements
    /// tokio's trait of the same name, so corio's extension methods (`read`, `write_all`,
    /// `read_line`, `copy`, ...) and code written for corio's traits take it.
    ///
    /// The usual case is a stream that a tokio-based crate builds on top of a corio socket:
    /// tokio-rustls' `TlsStream<corio::net::TcpStream>` implements only tokio's traits, and
    /// `FromTokio::new(tls)` hands it to a connection handler written for corio's. (The
    /// orphan rule keeps corio from implementing its traits for such types directly, as
    /// with futures-util's `Compat`.) The wrapped value is only polled: nothing of tokio's
    /// runtime is used, so any tokio-trait type that does its own waking through the
    /// streams it wraps works on corio.
    ///
    /// `poll_close` is tokio's `poll_shutdown` (for TLS: send `close_notify`, then shut
    /// down the socket's write side).
    ///
    /// ```
    /// # #[cfg(feature = "tokio-io")]
    /// # fn main() -> std::io::Result<()> {
    /// use corio::io::{AsyncReadExt, FromTokio};
    ///
    /// corio::Runtime::new()?.block_on(async {
    ///     // `&[u8]` implements tokio's `AsyncRead`; through the adapter, corio's too.
    ///     let mut reader = FromTokio::new(&b"hello"[..]);
    ///     let mut text = String::new();
    ///     reader.read_to_string(&mut text).await?;
    ///     assert_eq!(text, "hello");
    ///     Ok(())
    /// })
    /// # }
    /// # #[cfg(not(feature = "tokio-io"))]
    /// # fn main() {}
    /// ```
    #[derive(Debug, Default, Clone, Copy)]
    pub struct FromTokio<T> {
        #[pin]
        inner: T,
    }
}

impl<T> FromTokio<T> {
    /// Wraps a tokio reader or writer.
    pub fn new(inner: T) -> FromTokio<T> {
        FromTokio { inner }
    }

    /// The wrapped value.
    pub fn get_ref(&self) -> &T {
        &self.inner
    }

    /// The wrapped value, mutably. The adapter keeps no state of its own.
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.inner
    }

    /// The wrapped value, pinned.
    pub fn get_pin_mut(self: Pin<&mut Self>) -> Pin<&mut T> {
        self.project().inner
    }

    /// Unwraps the value.
    pub fn into_inner(self) -> T {
        self.inner
    }
}

impl<T: tokio::io::AsyncRead> AsyncRead for FromTokio<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let mut read_buf = tokio::io::ReadBuf::new(buf);
        ready!(self.project().inner.poll_read(cx, &mut read_buf))?;
        Poll::Ready(Ok(read_buf.filled().len()))
    }
}

impl<T: tokio::io::AsyncWrite> AsyncWrite for FromTokio<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.project().inner.poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_shutdown(cx)
    }
}

impl<T: tokio::io::AsyncBufRead> AsyncBufRead for FromTokio<T> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        self.project().inner.poll_fill_buf(cx)
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        self.project().inner.consume(amt)
    }
}
