//! `tokio::io::{AsyncRead, AsyncWrite, AsyncBufRead, AsyncSeek}` for corio's I/O types.
//!
//! Each impl forwards to the type's corio impl of the same trait (`poll_shutdown` is
//! corio's `poll_close`: `shutdown(Write)` for a socket, a flush for stdout), so a stream
//! used through tokio's traits behaves exactly as through corio's, vectored writes
//! included (one `sendmsg` on sockets).
//!
//! A blanket `impl<T: corio::io::AsyncRead> tokio::io::AsyncRead for T` would overlap
//! tokio's own impls for `&mut T`, `Box<T>` and `Pin<P>`, so the types are listed here;
//! [`TokioCompat`](super::TokioCompat) covers any other type.

use std::io;
use std::os::fd::AsRawFd;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::fs::File;
use crate::io::{
    AsyncBufRead, AsyncFd, AsyncRead, AsyncSeek, AsyncWrite, BufReader, BufStream, BufWriter,
    Chain, DuplexStream, Empty, ReadHalf, Repeat, Sink, Stderr, Stdin, Stdout, Take, WriteHalf,
};
use crate::net::stream_socket::StreamKind;
use crate::net::{self, OwnedReadHalf, OwnedWriteHalf, StreamSocket};

/// `tokio::io::AsyncRead` for a type through its `corio::io::AsyncRead` impl.
macro_rules! tokio_read {
    ([$($generics:tt)*] $ty:ty $(where $($bounds:tt)*)?) => {
        impl<$($generics)*> tokio::io::AsyncRead for $ty $(where $($bounds)*)? {
            #[inline]
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut tokio::io::ReadBuf<'_>,
            ) -> Poll<io::Result<()>> {
                super::poll_read_buf(self, cx, buf)
            }
        }
    };
}

/// `tokio::io::AsyncWrite` for a type through its `corio::io::AsyncWrite` impl.
macro_rules! tokio_write {
    ([$($generics:tt)*] $ty:ty $(where $($bounds:tt)*)?) => {
        impl<$($generics)*> tokio::io::AsyncWrite for $ty $(where $($bounds)*)? {
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
            fn is_write_vectored(&self) -> bool {
                <Self as AsyncWrite>::is_write_vectored(self)
            }

            #[inline]
            fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                <Self as AsyncWrite>::poll_flush(self, cx)
            }

            #[inline]
            fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                <Self as AsyncWrite>::poll_close(self, cx)
            }
        }
    };
}

/// `tokio::io::AsyncBufRead` for a type through its `corio::io::AsyncBufRead` impl.
macro_rules! tokio_buf_read {
    ([$($generics:tt)*] $ty:ty $(where $($bounds:tt)*)?) => {
        impl<$($generics)*> tokio::io::AsyncBufRead for $ty $(where $($bounds)*)? {
            #[inline]
            fn poll_fill_buf(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
            ) -> Poll<io::Result<&[u8]>> {
                <Self as AsyncBufRead>::poll_fill_buf(self, cx)
            }

            #[inline]
            fn consume(self: Pin<&mut Self>, amt: usize) {
                <Self as AsyncBufRead>::consume(self, amt)
            }
        }
    };
}

// `TcpStream`, `UnixStream`, references to them, and their halves.
tokio_read!([K: StreamKind] StreamSocket<K>);
tokio_write!([K: StreamKind] StreamSocket<K>);
tokio_read!([K: StreamKind] &StreamSocket<K>);
tokio_write!([K: StreamKind] &StreamSocket<K>);
tokio_read!([K: StreamKind] net::ReadHalf<'_, StreamSocket<K>>);
tokio_write!([K: StreamKind] net::WriteHalf<'_, StreamSocket<K>>);
tokio_read!([K: StreamKind] OwnedReadHalf<StreamSocket<K>>);
tokio_write!([K: StreamKind] OwnedWriteHalf<StreamSocket<K>>);

// Any fd made async, files, the process's standard streams, the in-memory pipe, a child's
// pipes.
tokio_read!([T: AsRawFd] AsyncFd<T>);
tokio_write!([T: AsRawFd] AsyncFd<T>);
tokio_read!([] File);
tokio_write!([] File);
tokio_read!([] Stdin);
tokio_write!([] Stdout);
tokio_write!([] Stderr);
tokio_read!([] DuplexStream);
tokio_write!([] DuplexStream);
tokio_write!([] crate::process::ChildStdin);
tokio_read!([] crate::process::ChildStdout);
tokio_read!([] crate::process::ChildStderr);

// The buffers, the halves of `io::split`, and the combinators.
tokio_read!([R: AsyncRead] BufReader<R>);
tokio_buf_read!([R: AsyncRead] BufReader<R>);
tokio_write!([R: AsyncRead + AsyncWrite] BufReader<R>);
tokio_write!([W: AsyncWrite] BufWriter<W>);
tokio_read!([W: AsyncWrite + AsyncRead] BufWriter<W>);
tokio_buf_read!([W: AsyncWrite + AsyncBufRead] BufWriter<W>);
tokio_read!([RW: AsyncRead + AsyncWrite] BufStream<RW>);
tokio_buf_read!([RW: AsyncRead + AsyncWrite] BufStream<RW>);
tokio_write!([RW: AsyncRead + AsyncWrite] BufStream<RW>);
tokio_read!([T: AsyncRead + Unpin] ReadHalf<T>);
tokio_write!([T: AsyncWrite + Unpin] WriteHalf<T>);
tokio_read!([R: AsyncRead] Take<R>);
tokio_buf_read!([R: AsyncBufRead] Take<R>);
tokio_read!([T: AsyncRead, U: AsyncRead] Chain<T, U>);
tokio_buf_read!([T: AsyncBufRead, U: AsyncBufRead] Chain<T, U>);
tokio_read!([] Empty);
tokio_buf_read!([] Empty);
tokio_write!([] Empty);
tokio_write!([] Sink);
tokio_read!([] Repeat);

/// tokio's `AsyncSeek` has corio's shape (`start_seek`, then `poll_complete`).
impl tokio::io::AsyncSeek for File {
    fn start_seek(self: Pin<&mut Self>, position: io::SeekFrom) -> io::Result<()> {
        <Self as AsyncSeek>::start_seek(self, position)
    }

    fn poll_complete(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        <Self as AsyncSeek>::poll_complete(self, cx)
    }
}
