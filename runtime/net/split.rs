//! Halves of a `TcpStream`, so reading and writing can proceed at once.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use crate::io::{AsyncRead, AsyncWrite};

use super::TcpStream;

/// The read half of a borrowed [`TcpStream`], from [`TcpStream::split`].
#[derive(Debug)]
pub struct ReadHalf<'a>(&'a TcpStream);

/// The write half of a borrowed [`TcpStream`], from [`TcpStream::split`].
#[derive(Debug)]
pub struct WriteHalf<'a>(&'a TcpStream);

/// The read half of a [`TcpStream`], from [`TcpStream::into_split`].
#[derive(Debug)]
pub struct OwnedReadHalf(Rc<TcpStream>);

/// The write half of a [`TcpStream`], from [`TcpStream::into_split`]. Dropping it shuts
/// down the write side (the peer reads end of stream); the socket closes when both
/// halves are gone.
#[derive(Debug)]
pub struct OwnedWriteHalf(Rc<TcpStream>);

impl<'a> ReadHalf<'a> {
    pub(crate) fn new(stream: &'a TcpStream) -> Self {
        ReadHalf(stream)
    }
}

impl<'a> WriteHalf<'a> {
    pub(crate) fn new(stream: &'a TcpStream) -> Self {
        WriteHalf(stream)
    }
}

impl OwnedReadHalf {
    pub(crate) fn new(stream: Rc<TcpStream>) -> Self {
        OwnedReadHalf(stream)
    }

    /// The peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.0.peer_addr()
    }
}

impl OwnedWriteHalf {
    pub(crate) fn new(stream: Rc<TcpStream>) -> Self {
        OwnedWriteHalf(stream)
    }

    /// The peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.0.peer_addr()
    }
}

impl Drop for OwnedWriteHalf {
    fn drop(&mut self) {
        let _ = self.0.close_write();
    }
}

macro_rules! impl_read_half {
    ($ty:ty) => {
        impl AsyncRead for $ty {
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
        impl AsyncWrite for $ty {
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

impl_read_half!(ReadHalf<'_>);
impl_read_half!(OwnedReadHalf);
impl_write_half!(WriteHalf<'_>);
impl_write_half!(OwnedWriteHalf);
