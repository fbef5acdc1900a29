//! `TcpStream`: a connected TCP socket that reads and writes without blocking the thread.

use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, OwnedFd};

use crate::io::source::ShortRead;
use crate::reactor::Assume;
use crate::sys::socket;

use super::stream_socket::{sealed, StreamKind, StreamSocket};
use super::ToSocketAddrs;

/// A TCP connection: a [`StreamSocket`] of the [`Tcp`] family.
///
/// Read and write it through [`AsyncReadExt`](crate::io::AsyncReadExt) and
/// [`AsyncWriteExt`](crate::io::AsyncWriteExt). `&TcpStream` implements both traits too,
/// so one task can read while another writes: borrow with [`split`](TcpStream::split), or
/// move halves into separate tasks with [`into_split`](TcpStream::into_split). Several
/// tasks may wait on the same direction through [`readable`](TcpStream::readable) or
/// [`writable`](TcpStream::writable); each is woken. Reads and writes (`poll_read`,
/// `poll_write` and the `AsyncReadExt`/`AsyncWriteExt` futures built on them) keep one
/// waker per direction: if two tasks read one `&TcpStream` at once, only the last to
/// wait is woken, and the other may wait for ever. Read from one task at a time.
///
/// A reset peer gives `ConnectionReset` or `BrokenPipe` errors, never `SIGPIPE`
/// (`send` uses `MSG_NOSIGNAL`). After the peer shuts down its write half, reads return
/// `Ok(0)` and writes still work.
///
/// The methods shared with [`UnixStream`](super::UnixStream) are [`StreamSocket`]'s
/// generic ones (`impl<K> StreamSocket<K>`); TCP's own (`connect`, `set_nodelay`, ...)
/// are under `impl StreamSocket<Tcp>`.
pub type TcpStream = StreamSocket<Tcp>;

/// The TCP family of [`StreamSocket`]: [`TcpStream`] is `StreamSocket<Tcp>`.
#[derive(Debug)]
pub enum Tcp {}

impl sealed::Sealed for Tcp {}

impl StreamKind for Tcp {
    type Addr = SocketAddr;
    type Io = OwnedFd;
    /// TCP's `recv` stops short only when the receive queue is empty.
    const SHORT_READ: ShortRead = ShortRead::Drains;

    fn local_addr(io: &OwnedFd) -> io::Result<SocketAddr> {
        socket::local_addr(io.as_raw_fd())
    }

    fn peer_addr(io: &OwnedFd) -> io::Result<SocketAddr> {
        socket::peer_addr(io.as_raw_fd())
    }
}

impl TcpStream {
    /// Connects to `addr`, trying each resolved address in turn. A host name is resolved
    /// on the blocking pool (see [`ToSocketAddrs`]), so other tasks run meanwhile.
    ///
    /// # Errors
    /// `ConnectionRefused` for a closed port, or whatever the last address failed with.
    pub async fn connect<A: ToSocketAddrs>(addr: A) -> io::Result<TcpStream> {
        let mut last = None;
        for addr in super::lookup_host(addr).await? {
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
        let stream = TcpStream::from_fd(fd, Assume::NotReady)?;
        if done {
            return Ok(stream);
        }
        super::connect::finish(&stream.source).await?;
        Ok(stream)
    }

    /// Registers a connected socket (`Assume::Ready`) or one still connecting
    /// (`Assume::NotReady`).
    pub(crate) fn from_fd(fd: OwnedFd, assume: Assume) -> io::Result<TcpStream> {
        StreamSocket::new(fd, assume)
    }

    /// Wraps a connected std stream (it is switched to non-blocking).
    ///
    /// # Errors
    /// If the socket cannot be made non-blocking, or outside a corio runtime.
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        stream.set_nonblocking(true)?;
        TcpStream::from_fd(stream.into(), Assume::Ready)
    }

    /// Sets `TCP_NODELAY` (disables Nagle's algorithm) when `on`.
    pub fn set_nodelay(&self, on: bool) -> io::Result<()> {
        socket::set_nodelay(self.source.fd(), on)
    }

    /// Whether `TCP_NODELAY` is set.
    pub fn nodelay(&self) -> io::Result<bool> {
        socket::nodelay(self.source.fd())
    }
}
