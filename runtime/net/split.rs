//! Halves of a stream socket (`TcpStream`, `UnixStream`), so reading and writing can
//! proceed at once: borrowed halves for two futures in one task, owned halves for two
//! tasks on one thread.

use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use crate::io::{AsyncRead, AsyncWrite};

use super::TcpStream;

pub(crate) mod sealed {
    use std::io;
    use std::task::{Context, Poll};

    /// What a stream socket offers its halves. Sealed: only corio's streams implement it.
    pub trait Duplex {
        /// The peer address type.
        type Addr;
        /// Reads into `buf` when readable.
        fn poll_read_ref(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>>;
        /// Writes from `buf` when writable.
        fn poll_write_ref(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>>;
        /// Shuts down the write side (a peer already gone is not an error).
        fn close_write(&self) -> io::Result<()>;
        /// The peer's address.
        fn peer(&self) -> io::Result<Self::Addr>;
    }

    /// So `&TcpStream` reads and writes like `TcpStream`.
    impl<S: Duplex> Duplex for &S {
        type Addr = S::Addr;
        fn poll_read_ref(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
            (**self).poll_read_ref(cx, buf)
        }
        fn poll_write_ref(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
            (**self).poll_write_ref(cx, buf)
        }
        fn close_write(&self) -> io::Result<()> {
            (**self).close_write()
        }
        fn peer(&self) -> io::Result<Self::Addr> {
            (**self).peer()
        }
    }
}

use sealed::Duplex;

/// The read half of a borrowed stream, from `split` ([`TcpStream::split`],
/// [`UnixStream::split`](super::UnixStream::split)).
#[derive(Debug)]
pub struct ReadHalf<'a, S = TcpStream>(&'a S);

/// The write half of a borrowed stream, from `split`.
#[derive(Debug)]
pub struct WriteHalf<'a, S = TcpStream>(&'a S);

/// The read half of a stream, from `into_split` ([`TcpStream::into_split`],
/// [`UnixStream::into_split`](super::UnixStream::into_split)).
#[derive(Debug)]
pub struct OwnedReadHalf<S = TcpStream>(Rc<S>);

/// The write half of a stream, from `into_split`. Dropping it shuts down the write side
/// (the peer reads end of stream); the socket closes when both halves are gone.
#[derive(Debug)]
pub struct OwnedWriteHalf<S: Duplex = TcpStream>(Rc<S>);

/// Borrowed halves of `stream`.
pub(crate) fn split<S>(stream: &S) -> (ReadHalf<'_, S>, WriteHalf<'_, S>) {
    (ReadHalf(stream), WriteHalf(stream))
}

/// Owned halves of `stream`.
pub(crate) fn into_split<S: Duplex>(stream: S) -> (OwnedReadHalf<S>, OwnedWriteHalf<S>) {
    let stream = Rc::new(stream);
    (OwnedReadHalf(stream.clone()), OwnedWriteHalf(stream))
}

impl<S: Duplex> OwnedReadHalf<S> {
    /// The peer's address.
    pub fn peer_addr(&self) -> io::Result<S::Addr> {
        self.0.peer()
    }
}

impl<S: Duplex> OwnedWriteHalf<S> {
    /// The peer's address.
    pub fn peer_addr(&self) -> io::Result<S::Addr> {
        self.0.peer()
    }
}

impl<S: Duplex> Drop for OwnedWriteHalf<S> {
    fn drop(&mut self) {
        let _ = self.0.close_write();
    }
}

macro_rules! impl_read_half {
    ($ty:ty) => {
        impl<S: Duplex> AsyncRead for $ty {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut [u8],
            ) -> Poll<io::Result<usize>> {
                self.0.poll_read_ref(cx, buf)
            }
        }
    };
}

macro_rules! impl_write_half {
    ($ty:ty) => {
        impl<S: Duplex> AsyncWrite for $ty {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                self.0.poll_write_ref(cx, buf)
            }

            fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }

            fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(self.0.close_write())
            }
        }
    };
}

impl_read_half!(ReadHalf<'_, S>);
impl_read_half!(OwnedReadHalf<S>);
impl_write_half!(WriteHalf<'_, S>);
impl_write_half!(OwnedWriteHalf<S>);

/// `AsyncRead`/`AsyncWrite` for a stream type and for a shared reference to it, through
/// its [`Duplex`] methods.
macro_rules! impl_stream_io {
    ($ty:ty) => {
        impl $crate::io::AsyncRead for $ty {
            #[inline]
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                $crate::net::split::sealed::Duplex::poll_read_ref(&*self, cx, buf)
            }
        }

        impl $crate::io::AsyncWrite for $ty {
            #[inline]
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                $crate::net::split::sealed::Duplex::poll_write_ref(&*self, cx, buf)
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(Ok(())) // nothing is buffered in user space
            }

            fn poll_close(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready($crate::net::split::sealed::Duplex::close_write(&*self))
            }
        }
    };
}
pub(crate) use impl_stream_io;

/// Everything TCP and Unix stream sockets share, written once for a type with a
/// `source: Source<_>` field and `shutdown`/`peer_addr` methods, given what a short read
/// proves on it (a `ShortRead`): the readiness pair
/// (`readable`/`writable` with `try_read`/`try_write`), the [`Duplex`] impl its halves use,
/// `AsyncRead`/`AsyncWrite` for it and for a reference to it, and `AsRawFd`.
macro_rules! stream_socket {
    ($ty:ty, $addr:ty, $short_read:expr) => {
        impl $ty {
            /// Waits until the stream may be readable (without reading). Readiness is a
            /// hint: follow it with [`try_read`](Self::try_read), whose `WouldBlock` clears
            /// it, so the next `readable().await` waits for a new event.
            pub async fn readable(&self) -> std::io::Result<()> {
                self.source.ready($crate::reactor::Direction::Read).await
            }

            /// Waits until the stream may be writable (without writing); follow it with
            /// [`try_write`](Self::try_write), as for [`readable`](Self::readable).
            pub async fn writable(&self) -> std::io::Result<()> {
                self.source.ready($crate::reactor::Direction::Write).await
            }

            /// Reads without waiting: `Ok(n)`, `Ok(0)` at end of stream, or `WouldBlock`
            /// (which clears read readiness) when nothing is buffered.
            pub fn try_read(&self, buf: &mut [u8]) -> std::io::Result<usize> {
                self.source.try_io($crate::reactor::Direction::Read, |s| {
                    $crate::sys::socket::recv(std::os::fd::AsRawFd::as_raw_fd(s), buf)
                })
            }

            /// Writes without waiting: `Ok(n)`, or `WouldBlock` (which clears write
            /// readiness) when the send buffer is full.
            pub fn try_write(&self, buf: &[u8]) -> std::io::Result<usize> {
                self.source.try_io($crate::reactor::Direction::Write, |s| {
                    $crate::sys::socket::send(std::os::fd::AsRawFd::as_raw_fd(s), buf)
                })
            }
        }

        impl $crate::net::split::sealed::Duplex for $ty {
            type Addr = $addr;

            #[inline]
            fn poll_read_ref(
                &self,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.source.poll_recv(cx, buf, $short_read)
            }

            #[inline]
            fn poll_write_ref(
                &self,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.source.poll_send(cx, buf)
            }

            /// Sends FIN; a peer that already left is not an error.
            fn close_write(&self) -> std::io::Result<()> {
                match self.shutdown(std::net::Shutdown::Write) {
                    Err(e) if e.raw_os_error() == Some(libc::ENOTCONN) => Ok(()),
                    other => other,
                }
            }

            fn peer(&self) -> std::io::Result<$addr> {
                self.peer_addr()
            }
        }

        $crate::net::split::impl_stream_io!($ty);
        $crate::net::split::impl_stream_io!(&$ty);

        impl std::os::fd::AsRawFd for $ty {
            fn as_raw_fd(&self) -> std::os::fd::RawFd {
                self.source.fd()
            }
        }
    };
}
pub(crate) use stream_socket;
