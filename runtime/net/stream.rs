//! `TcpStream`: a connected TCP socket that reads and writes without blocking the thread.

use std::io;
use std::net::{Shutdown, SocketAddr, ToSocketAddrs};
use std::os::fd::{AsRawFd, OwnedFd};

use crate::io::source::{ShortRead, Source};
use crate::sys::socket;

use super::split::{self, stream_socket};
use super::split::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, WriteHalf};

/// A TCP connection.
///
/// Read and write it through [`AsyncReadExt`](crate::io::AsyncReadExt) and
/// [`AsyncWriteExt`](crate::io::AsyncWriteExt). `&TcpStream` implements both traits too,
/// so one task can read while another writes: borrow with [`split`](Self::split), or move
/// halves into separate tasks with [`into_split`](Self::into_split). Several tasks may
/// wait on the same direction through [`readable`](Self::readable) or
/// [`writable`](Self::writable); each is woken. Reads and writes (`poll_read`,
/// `poll_write` and the `AsyncReadExt`/`AsyncWriteExt` futures built on them) keep one
/// waker per direction: if two tasks read one `&TcpStream` at once, only the last to
/// wait is woken, and the other may wait for ever. Read from one task at a time.
///
/// A reset peer gives `ConnectionReset` or `BrokenPipe` errors, never `SIGPIPE`
/// (`send` uses `MSG_NOSIGNAL`). After the peer shuts down its write half, reads return
/// `Ok(0)` and writes still work.
#[derive(Debug)]
pub struct TcpStream {
    source: Source<OwnedFd>,
}

impl TcpStream {
    /// Connects to `addr`, trying each resolved address in turn.
    ///
    /// Name resolution uses std's blocking resolver; pass a `SocketAddr` (or an
    /// `"ip:port"` string) to avoid it.
    ///
    /// # Errors
    /// `ConnectionRefused` for a closed port, or whatever the last address failed with.
    pub async fn connect<A: ToSocketAddrs>(addr: A) -> io::Result<TcpStream> {
        let mut last = None;
        for addr in addr.to_socket_addrs()? {
            match TcpStream::connect_addr(addr).await {
                Ok(stream) => return Ok(stream),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "no addresses to connect to")
        }))
    }

    /// Connects like [`connect`](Self::connect), giving up after `timeout`: the socket is
    /// then deregistered and closed, and the error is `ErrorKind::TimedOut`.
    ///
    /// # Errors
    /// `TimedOut` when the deadline passes first, else as [`connect`](Self::connect).
    pub async fn connect_timeout<A: ToSocketAddrs>(
        addr: A,
        timeout: std::time::Duration,
    ) -> io::Result<TcpStream> {
        crate::time::timeout(timeout, TcpStream::connect(addr)).await?
    }

    async fn connect_addr(addr: SocketAddr) -> io::Result<TcpStream> {
        let fd = socket::tcp_socket(&addr)?;
        let done = socket::connect(fd.as_raw_fd(), &addr)?;
        // Not optimistic: a connect in progress must not be probed before an event.
        let stream = TcpStream::from_fd(fd, false)?;
        if done {
            return Ok(stream);
        }
        super::connect::finish(&stream.source).await?;
        Ok(stream)
    }

    pub(crate) fn from_fd(fd: OwnedFd, optimistic: bool) -> io::Result<TcpStream> {
        Ok(TcpStream {
            source: Source::new(fd, optimistic)?,
        })
    }

    /// Wraps a connected std stream (it is switched to non-blocking).
    ///
    /// # Errors
    /// If the socket cannot be made non-blocking, or outside a corio runtime.
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        stream.set_nonblocking(true)?;
        TcpStream::from_fd(stream.into(), true)
    }

    /// The local address of this connection.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        socket::local_addr(self.source.fd())
    }

    /// The peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        socket::peer_addr(self.source.fd())
    }

    /// Sets `TCP_NODELAY` (disables Nagle's algorithm) when `on`.
    pub fn set_nodelay(&self, on: bool) -> io::Result<()> {
        socket::set_nodelay(self.source.fd(), on)
    }

    /// Whether `TCP_NODELAY` is set.
    pub fn nodelay(&self) -> io::Result<bool> {
        socket::nodelay(self.source.fd())
    }

    /// Shuts down the read half, the write half (sends FIN) or both, at once.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        socket::shutdown(self.source.fd(), how)
    }

    /// Borrows the stream as a read half and a write half, for two futures in one task.
    pub fn split(&self) -> (ReadHalf<'_>, WriteHalf<'_>) {
        split::split(self)
    }

    /// Splits the stream into halves that can move into two tasks (on this thread).
    /// Dropping the write half shuts down the write side.
    pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        split::into_split(self)
    }
}

stream_socket!(TcpStream, SocketAddr, ShortRead::Drains);
