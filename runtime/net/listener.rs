//! `TcpListener`: accepts connections, surviving aborted handshakes and fd exhaustion.

use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::task::{Context, Poll};

use crate::io::source::Source;
use crate::reactor::{Assume, Direction};
use crate::sys::socket;

use super::accept::AcceptBackoff;
use super::addr::{each_addr, ToSocketAddrs};
use super::TcpStream;

/// The kernel's accept queue length we ask for (it caps this at `somaxconn`).
const BACKLOG: libc::c_int = 1024;

/// A TCP socket listening for connections.
///
/// ```no_run
/// # corio::block_on(async {
/// let listener = corio::net::TcpListener::bind("127.0.0.1:8080").await?;
/// loop {
///     let (stream, peer) = listener.accept().await?;
///     corio::spawn(async move { drop((stream, peer)) });
/// }
/// # #[allow(unreachable_code)] Ok::<(), std::io::Error>(())
/// # });
/// ```
#[derive(Debug)]
pub struct TcpListener {
    source: Source<OwnedFd>,
    /// After fd exhaustion: when to try again.
    backoff: AcceptBackoff,
}

impl TcpListener {
    /// Binds to `addr` (trying each resolved address in turn) and starts listening, with
    /// `SO_REUSEADDR` set. Port 0 picks a free port; see [`local_addr`](Self::local_addr).
    ///
    /// An `async fn`, as on tokio, because a host name is resolved first, on the blocking
    /// pool (see [`ToSocketAddrs`]); a literal address binds without waiting. Code that
    /// binds before its runtime exists binds a `std::net::TcpListener` and hands it to
    /// [`from_std`](Self::from_std) inside the runtime.
    ///
    /// # Errors
    /// If no address could be bound, or outside a corio runtime.
    pub async fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<TcpListener> {
        each_addr(addr, |addr| {
            let fd = socket::tcp_socket(&addr)?;
            socket::bind_listen(fd.as_raw_fd(), &addr, BACKLOG)?;
            TcpListener::from_fd(fd)
        })
        .await
    }

    /// Like [`bind`](Self::bind), with `SO_REUSEPORT` set first: several listeners —
    /// one per [worker](crate::workers), typically — may bind the same address, and
    /// Linux spreads incoming connections among them (by a hash of each connection's
    /// addresses). On macOS and the BSDs the option lets the sockets share the address
    /// but does not balance (FreeBSD 12+ has `SO_REUSEPORT_LB` for that), so there one
    /// listener shared by accept loops is the better shape.
    ///
    /// Port 0 gives each call a different port; to share an ephemeral port, bind the
    /// first listener to port 0 and the others to its [`local_addr`](Self::local_addr).
    ///
    /// # Errors
    /// As [`bind`](Self::bind); `AddrInUse` if a socket without `SO_REUSEPORT` (or of
    /// another user) holds the address.
    pub async fn bind_reuse_port<A: ToSocketAddrs>(addr: A) -> io::Result<TcpListener> {
        each_addr(addr, |addr| {
            let fd = socket::tcp_socket(&addr)?;
            socket::set_reuseport(fd.as_raw_fd())?;
            socket::bind_listen(fd.as_raw_fd(), &addr, BACKLOG)?;
            TcpListener::from_fd(fd)
        })
        .await
    }

    /// Wraps a listening std socket (it is switched to non-blocking): the synchronous way to
    /// a listener, for a socket bound before the runtime started.
    ///
    /// # Errors
    /// If the socket cannot be made non-blocking, or outside a corio runtime.
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        listener.set_nonblocking(true)?;
        TcpListener::from_fd(listener.into())
    }

    fn from_fd(fd: OwnedFd) -> io::Result<TcpListener> {
        Ok(TcpListener {
            source: Source::new(fd, Assume::Ready)?,
            backoff: AcceptBackoff::default(),
        })
    }

    /// The address this listener is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        socket::local_addr(self.source.fd())
    }

    /// Accepts the next connection, as a non-blocking, close-on-exec stream.
    ///
    /// Several tasks may wait in `accept` on one listener (shared through an `Rc`); each
    /// incoming connection wakes them all and one of them gets it. The usual shape is
    /// still one accepting task that spawns a task per connection.
    ///
    /// Connections aborted or reset before they were accepted (`ECONNABORTED`, `EPROTO`,
    /// `ECONNRESET`) are skipped. When descriptors or memory run out (`EMFILE`, `ENFILE`, `ENOBUFS`,
    /// `ENOMEM`) the error is returned, and the *next* call first pauses (10 ms, doubling
    /// up to 1 s while the condition lasts) so a server that loops on `accept` neither
    /// exits nor spins; the pending connection stays queued and is served once
    /// descriptors are free.
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        self.backoff
            .accept(&self.source, accept_syscall, stream_of)
            .await
    }

    /// Polls for one connection: the building block of [`accept`](Self::accept), without
    /// its skipping of aborted connections or its pause after fd exhaustion.
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        self.source
            .poll_io(cx, Direction::Read, accept_syscall)
            .map(|result| result.and_then(stream_of))
    }
}

/// One `accept4` on the listener.
fn accept_syscall<T: AsRawFd>(listener: &T) -> io::Result<(OwnedFd, SocketAddr)> {
    socket::accept(listener.as_raw_fd())
}

/// The accepted connection as a registered stream.
fn stream_of((fd, addr): (OwnedFd, SocketAddr)) -> io::Result<(TcpStream, SocketAddr)> {
    Ok((TcpStream::from_fd(fd, Assume::Ready)?, addr))
}

impl AsRawFd for TcpListener {
    fn as_raw_fd(&self) -> RawFd {
        self.source.fd()
    }
}
