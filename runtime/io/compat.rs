//! `futures_io::AsyncRead`/`AsyncWrite` for corio's byte streams (cargo feature
//! `futures-io`, off by default).
//!
//! Each impl forwards to the type's own [`AsyncRead`]/[`AsyncWrite`] impl, so the
//! `futures-io` view and corio's view of a stream are the same code: the same readiness
//! loop, the same coop budget, `poll_close` shutting down the write side (`shutdown(Write)`
//! for sockets, nothing for [`AsyncFd`]). The vectored methods keep `futures-io`'s
//! defaults (the first non-empty buffer), as corio has no vectored I/O.
//!
//! A blanket `impl<T: corio::io::AsyncRead> futures_io::AsyncRead for T` is not possible:
//! `futures-io` already implements its traits for `&mut T`, `Box<T>` and `Pin<P>`, which
//! such a blanket would overlap. So the types are listed, one macro call each.

use std::io;
use std::os::fd::AsRawFd;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::{AsyncFd, AsyncRead, AsyncWrite};
use crate::net::stream_socket::StreamKind;
use crate::net::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, StreamSocket, WriteHalf};

/// `futures_io::AsyncRead` for `$ty` through `<$ty as corio::io::AsyncRead>`.
macro_rules! futures_read {
    (impl<$($param:ident: $bound:path),*> for $ty:ty) => {
        impl<$($param: $bound),*> futures_io::AsyncRead for $ty {
            #[inline]
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut [u8],
            ) -> Poll<io::Result<usize>> {
                <Self as AsyncRead>::poll_read(self, cx, buf)
            }
        }
    };
}

/// `futures_io::AsyncWrite` for `$ty` through `<$ty as corio::io::AsyncWrite>`.
macro_rules! futures_write {
    (impl<$($param:ident: $bound:path),*> for $ty:ty) => {
        impl<$($param: $bound),*> futures_io::AsyncWrite for $ty {
            #[inline]
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                <Self as AsyncWrite>::poll_write(self, cx, buf)
            }

            #[inline]
            fn poll_write_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> Poll<io::Result<usize>> {
                <Self as AsyncWrite>::poll_write_vectored(self, cx, bufs)
            }

            #[inline]
            fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                <Self as AsyncWrite>::poll_flush(self, cx)
            }

            #[inline]
            fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                <Self as AsyncWrite>::poll_close(self, cx)
            }
        }
    };
}

// `TcpStream`, `UnixStream`, references to them, and their halves.
futures_read!(impl<K: StreamKind> for StreamSocket<K>);
futures_write!(impl<K: StreamKind> for StreamSocket<K>);
futures_read!(impl<K: StreamKind> for &StreamSocket<K>);
futures_write!(impl<K: StreamKind> for &StreamSocket<K>);
futures_read!(impl<K: StreamKind> for ReadHalf<'_, StreamSocket<K>>);
futures_write!(impl<K: StreamKind> for WriteHalf<'_, StreamSocket<K>>);
futures_read!(impl<K: StreamKind> for OwnedReadHalf<StreamSocket<K>>);
futures_write!(impl<K: StreamKind> for OwnedWriteHalf<StreamSocket<K>>);

futures_read!(impl<T: AsRawFd> for AsyncFd<T>);
futures_write!(impl<T: AsRawFd> for AsyncFd<T>);
