//! `UnixStream`: a connected Unix-domain stream socket.

use std::io;
use std::net::Shutdown;
use std::os::fd::AsRawFd;
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use crate::io::source::{ShortRead, Source};
use crate::net::split::{self, stream_socket};
use crate::net::split::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, WriteHalf};
use crate::sys::socket;
use crate::sys::unix_addr::{self, Connect};

/// While a listener's backlog is full, connect retries after this pause, doubling up to
/// `MAX_RETRY` (the kernel offers no readiness event for "backlog has room").
const FIRST_RETRY: Duration = Duration::from_millis(1);
const MAX_RETRY: Duration = Duration::from_millis(100);

/// A Unix-domain stream connection: read and write it like a
/// [`TcpStream`](crate::net::TcpStream) (the same `AsyncRead`/`AsyncWrite`, `split`,
/// `into_split`, `try_read`, `readable`, ...).
#[derive(Debug)]
pub struct UnixStream {
    source: Source<std::os::unix::net::UnixStream>,
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
                Connect::Done => return UnixStream::from_fd(fd.into(), true),
                Connect::InProgress => {
                    let stream = UnixStream::from_fd(fd.into(), false)?;
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
        UnixStream::from_fd(stream, true)
    }

    /// A stream just returned by `accept` (blocking mode, close-on-exec).
    pub(super) fn from_accepted(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        UnixStream::from_std(stream)
    }

    fn from_fd(stream: std::os::unix::net::UnixStream, optimistic: bool) -> io::Result<UnixStream> {
        Ok(UnixStream {
            source: Source::new(stream, optimistic)?,
        })
    }

    /// This end's address (unnamed for a connecting socket).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.source.get_ref().local_addr()
    }

    /// The peer's address (the listener's path, for a connected client).
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.source.get_ref().peer_addr()
    }

    /// Takes the socket's pending error (`SO_ERROR`).
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.source.get_ref().take_error()
    }

    /// Shuts down the read half, the write half or both, at once.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.source.get_ref().shutdown(how)
    }

    /// Borrows the stream as a read half and a write half, for two futures in one task.
    pub fn split(&self) -> (ReadHalf<'_, UnixStream>, WriteHalf<'_, UnixStream>) {
        split::split(self)
    }

    /// Splits the stream into halves that can move into two tasks (on this thread).
    /// Dropping the write half shuts down the write side.
    pub fn into_split(self) -> (OwnedReadHalf<UnixStream>, OwnedWriteHalf<UnixStream>) {
        split::into_split(self)
    }
}

stream_socket!(UnixStream, SocketAddr, ShortRead::ProvesNothing);
