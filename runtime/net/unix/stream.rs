//! `UnixStream`: a connected Unix-domain stream socket.

use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use crate::io::source::ShortRead;
use crate::net::stream_socket::{sealed, StreamKind, StreamSocket};
use crate::reactor::Assume;
use crate::sys::socket;
use crate::sys::unix_addr::{self, Connect};

/// While a listener's backlog is full, connect retries after this pause, doubling up to
/// `MAX_RETRY` (the kernel offers no readiness event for "backlog has room").
const FIRST_RETRY: Duration = Duration::from_millis(1);
const MAX_RETRY: Duration = Duration::from_millis(100);

/// A Unix-domain stream connection: a [`StreamSocket`] of the [`Unix`] family. Read and
/// write it like a [`TcpStream`](crate::net::TcpStream): the same `AsyncRead`/
/// `AsyncWrite`, `split`, `into_split`, `try_read`, `readable`, ... ([`StreamSocket`]'s
/// generic methods, `impl<K> StreamSocket<K>`); its own (`connect`, `pair`, ...) are
/// under `impl StreamSocket<Unix>`.
pub type UnixStream = StreamSocket<Unix>;

/// The Unix-domain family of [`StreamSocket`]: [`UnixStream`] is `StreamSocket<Unix>`.
#[derive(Debug)]
pub enum Unix {}

impl sealed::Sealed for Unix {}

impl StreamKind for Unix {
    type Addr = SocketAddr;
    type Io = std::os::unix::net::UnixStream;
    /// A Unix `recv` may stop short with bytes still queued.
    const SHORT_READ: ShortRead = ShortRead::ProvesNothing;

    fn local_addr(io: &Self::Io) -> io::Result<SocketAddr> {
        io.local_addr()
    }

    fn peer_addr(io: &Self::Io) -> io::Result<SocketAddr> {
        io.peer_addr()
    }
}

impl UnixStream {
    /// Connects to the socket at `path`. While the listener's backlog is full, keeps
    /// trying (1 ms, doubling to 100 ms); wrap it in [`timeout`](crate::time::timeout) to
    /// bound the wait.
    ///
    /// # Errors
    /// `NotFound` for no socket at `path`, `ConnectionRefused` for one nobody listens
    /// on, `InvalidInput` for a path too long for `sockaddr_un`.
    pub async fn connect<P: AsRef<Path>>(path: P) -> io::Result<UnixStream> {
        let path = path.as_ref();
        let mut pause = FIRST_RETRY;
        loop {
            let fd = socket::stream_socket(libc::AF_UNIX)?;
            match unix_addr::connect(fd.as_raw_fd(), path)? {
                Connect::Done => return UnixStream::from_fd(fd.into(), Assume::Ready),
                Connect::InProgress => {
                    let stream = UnixStream::from_fd(fd.into(), Assume::NotReady)?;
                    crate::net::connect::finish(&stream.source).await?;
                    return Ok(stream);
                }
                Connect::BacklogFull => {
                    drop(fd);
                    crate::time::sleep(pause).await;
                    pause = (pause * 2).min(MAX_RETRY);
                }
            }
        }
    }

    /// A connected pair, as `socketpair(2)` gives.
    ///
    /// # Errors
    /// If the OS refuses the sockets, or outside a corio runtime.
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = std::os::unix::net::UnixStream::pair()?;
        Ok((UnixStream::from_std(a)?, UnixStream::from_std(b)?))
    }

    /// Wraps a connected std stream (it is switched to non-blocking).
    ///
    /// # Errors
    /// If the socket cannot be made non-blocking, or outside a corio runtime.
    pub fn from_std(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        stream.set_nonblocking(true)?;
        socket::set_nosigpipe(stream.as_raw_fd())?;
        UnixStream::from_fd(stream, Assume::Ready)
    }

    /// A stream just returned by `accept` (blocking mode, close-on-exec).
    pub(super) fn from_accepted(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        UnixStream::from_std(stream)
    }

    fn from_fd(stream: std::os::unix::net::UnixStream, assume: Assume) -> io::Result<UnixStream> {
        StreamSocket::new(stream, assume)
    }

    /// Takes the socket's pending error (`SO_ERROR`).
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.source.get_ref().take_error()
    }
}
