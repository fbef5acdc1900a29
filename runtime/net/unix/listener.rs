//! `UnixListener`: accepts Unix-domain stream connections.

use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::task::{Context, Poll};

use crate::io::source::Source;
use crate::net::accept::AcceptBackoff;
use crate::reactor::{Assume, Direction};

use super::UnixStream;

/// A Unix-domain socket listening for connections at a path.
///
/// Binding fails with `AddrInUse` if the path exists (a socket file left by an earlier
/// run included); remove it first if that is what you mean. Dropping the listener does
/// not remove the file, as with std.
#[derive(Debug)]
pub struct UnixListener {
    source: Source<std::os::unix::net::UnixListener>,
    backoff: AcceptBackoff,
}

impl UnixListener {
    /// Creates the socket at `path` and listens.
    ///
    /// # Errors
    /// If the path is taken or unreachable, or outside a corio runtime.
    pub fn bind<P: AsRef<Path>>(path: P) -> io::Result<UnixListener> {
        // Outside a runtime, fail before the socket file exists (it would outlive us).
        crate::reactor::current()?;
        UnixListener::from_std(std::os::unix::net::UnixListener::bind(path)?)
    }

    /// Wraps a listening std socket (it is switched to non-blocking).
    ///
    /// # Errors
    /// If the socket cannot be made non-blocking, or outside a corio runtime.
    pub fn from_std(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        listener.set_nonblocking(true)?;
        Ok(UnixListener {
            source: Source::new(listener, Assume::Ready)?,
            backoff: AcceptBackoff::default(),
        })
    }

    /// The address (path) this listener is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.source.get_ref().local_addr()
    }

    /// Accepts the next connection, with the same policy as
    /// [`TcpListener::accept`](crate::net::TcpListener::accept): aborted connections are
    /// skipped, and after descriptor exhaustion the next call pauses first instead of
    /// spinning.
    pub async fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        self.backoff
            .accept(&self.source, |listener| listener.accept(), stream_of)
            .await
    }

    /// Polls for one connection, without [`accept`](Self::accept)'s skipping and pausing.
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(UnixStream, SocketAddr)>> {
        self.source
            .poll_io(cx, Direction::Read, |listener| listener.accept())
            .map(|result| result.and_then(stream_of))
    }
}

/// The accepted connection as a registered stream.
fn stream_of(
    (stream, addr): (std::os::unix::net::UnixStream, SocketAddr),
) -> io::Result<(UnixStream, SocketAddr)> {
    Ok((UnixStream::from_accepted(stream)?, addr))
}

impl AsRawFd for UnixListener {
    fn as_raw_fd(&self) -> RawFd {
        self.source.fd()
    }
}
