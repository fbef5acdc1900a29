//! `UdpSocket`: datagrams without blocking the thread.
//!
//! Unlike a TCP stream, a datagram socket's short read says nothing about what is left
//! queued (each `recv` returns one datagram, whatever its size), so reads here keep the
//! plain "try until `WouldBlock`" rule and never clear readiness early.

use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, RawFd};
use std::task::{Context, Poll};

use crate::io::source::{direction, Source};
use crate::reactor::{Assume, Direction};
use crate::sys::Interest;

use super::addr::{each_addr, first_addr, ToSocketAddrs};

/// A UDP socket.
///
/// ```
/// use corio::net::UdpSocket;
///
/// corio::block_on(async {
///     let a = UdpSocket::bind("127.0.0.1:0").await?;
///     let b = UdpSocket::bind("127.0.0.1:0").await?;
///     a.send_to(b"ping", b.local_addr()?).await?;
///     let mut buf = [0; 16];
///     let (n, from) = b.recv_from(&mut buf).await?;
///     assert_eq!((&buf[..n], from), (&b"ping"[..], a.local_addr()?));
///     Ok::<(), std::io::Error>(())
/// })
/// .unwrap();
/// ```
///
/// Several tasks may wait on one socket (share it through an `Rc`) in its `async fn`s: each
/// datagram wakes every task waiting to receive, one of them gets it, and the others wait
/// on. The `poll_*` functions keep one waker per direction instead: of several tasks
/// polling one direction, only the last to park is woken.
///
/// An empty datagram is a datagram: `send_to(&[], ..)` sends one and `recv_from` returns
/// `Ok((0, from))` for it. A datagram longer than the buffer is truncated to it (the rest
/// is discarded by the kernel), as with std.
#[derive(Debug)]
pub struct UdpSocket {
    source: Source<std::net::UdpSocket>,
}

impl UdpSocket {
    /// Binds to `addr` (trying each resolved address in turn). Port 0 picks a free port.
    ///
    /// An `async fn`, as on tokio: a host name is resolved on the blocking pool first (see
    /// [`ToSocketAddrs`]); a literal address binds without waiting. For a socket bound
    /// before the runtime exists, see [`from_std`](Self::from_std).
    ///
    /// # Errors
    /// If no address could be bound, or outside a corio runtime.
    pub async fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<UdpSocket> {
        each_addr(addr, |addr| {
            UdpSocket::from_std(std::net::UdpSocket::bind(addr)?)
        })
        .await
    }

    /// Wraps a std socket (it is switched to non-blocking): the synchronous way to a
    /// socket, for one bound before the runtime started.
    ///
    /// # Errors
    /// If the socket cannot be made non-blocking, or outside a corio runtime.
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        socket.set_nonblocking(true)?;
        Ok(UdpSocket {
            source: Source::new(socket, Assume::Ready)?,
        })
    }

    /// Sets the default peer: [`send`](Self::send) goes there, and only its datagrams are
    /// received. UDP's connect sends nothing; this waits only for a host name's lookup
    /// (see [`ToSocketAddrs`]), and is an `async fn` for that, as on tokio. Each resolved
    /// address is tried in turn.
    pub async fn connect<A: ToSocketAddrs>(&self, addr: A) -> io::Result<()> {
        let socket = self.source.get_ref();
        each_addr(addr, |addr| socket.connect(addr)).await
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.source.get_ref().local_addr()
    }

    /// The connected peer's address; `NotConnected` if [`connect`](Self::connect) was not
    /// called.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.source.get_ref().peer_addr()
    }

    /// Sends one datagram to `target` when the socket can take it; returns the bytes sent.
    /// The address is resolved once, before waiting (a name on the blocking pool, see
    /// [`ToSocketAddrs`]); the datagram goes to its first address.
    pub async fn send_to<A: ToSocketAddrs>(&self, buf: &[u8], target: A) -> io::Result<usize> {
        let target = first_addr(target).await?;
        self.source
            .io(Direction::Write, |s| s.send_to(buf, target))
            .await
    }

    /// Receives one datagram; returns its length (truncated to `buf`) and its sender.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.source.io(Direction::Read, |s| s.recv_from(buf)).await
    }

    /// Sends one datagram to the connected peer.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.source.io(Direction::Write, |s| s.send(buf)).await
    }

    /// Receives one datagram from the connected peer.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.source.io(Direction::Read, |s| s.recv(buf)).await
    }

    /// Receives the next datagram without taking it off the queue.
    pub async fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.source.io(Direction::Read, |s| s.peek_from(buf)).await
    }

    /// [`send_to`](Self::send_to) as a poll function.
    pub fn poll_send_to(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        target: SocketAddr,
    ) -> Poll<io::Result<usize>> {
        self.source
            .poll_io(cx, Direction::Write, |s| s.send_to(buf, target))
    }

    /// [`recv_from`](Self::recv_from) as a poll function.
    pub fn poll_recv_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, SocketAddr)>> {
        self.source
            .poll_io(cx, Direction::Read, |s| s.recv_from(buf))
    }

    /// [`send`](Self::send) as a poll function.
    pub fn poll_send(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.source.poll_io(cx, Direction::Write, |s| s.send(buf))
    }

    /// [`recv`](Self::recv) as a poll function.
    pub fn poll_recv(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.source.poll_io(cx, Direction::Read, |s| s.recv(buf))
    }

    /// Sends without waiting; `WouldBlock` (clearing write readiness) if the socket's
    /// buffer is full.
    pub fn try_send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        self.source
            .try_io(Direction::Write, |s| s.send_to(buf, target))
    }

    /// Receives without waiting; `WouldBlock` (clearing read readiness) if nothing is
    /// queued.
    pub fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.source.try_io(Direction::Read, |s| s.recv_from(buf))
    }

    /// [`try_send_to`](Self::try_send_to) to the connected peer.
    pub fn try_send(&self, buf: &[u8]) -> io::Result<usize> {
        self.source.try_io(Direction::Write, |s| s.send(buf))
    }

    /// [`try_recv_from`](Self::try_recv_from) from the connected peer.
    pub fn try_recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.source.try_io(Direction::Read, |s| s.recv(buf))
    }

    /// Waits until a datagram may be queued; follow with a `try_recv*`.
    pub async fn readable(&self) -> io::Result<()> {
        self.source.ready(Direction::Read).await
    }

    /// Waits until a datagram may be sent; follow with a `try_send*`.
    pub async fn writable(&self) -> io::Result<()> {
        self.source.ready(Direction::Write).await
    }

    /// Runs `f`, a system call of the caller's own on this socket (`sendmsg` with
    /// control data, `recvmmsg`), if the socket is known ready for `interest`, as
    /// [`TcpStream::try_io`](crate::net::TcpStream::try_io) does: a `WouldBlock` from `f`
    /// clears that readiness. tokio's `try_io`.
    pub fn try_io<R>(
        &self,
        interest: Interest,
        f: impl FnOnce() -> io::Result<R>,
    ) -> io::Result<R> {
        self.source.try_io(direction(interest)?, |_| f())
    }

    /// Waits for `interest` and runs `f` until it does not return `WouldBlock`, as
    /// [`TcpStream::async_io`](crate::net::TcpStream::async_io) does. tokio's `async_io`.
    pub async fn async_io<R>(
        &self,
        interest: Interest,
        mut f: impl FnMut() -> io::Result<R>,
    ) -> io::Result<R> {
        self.source.io(direction(interest)?, |_| f()).await
    }

    /// Allows sending to broadcast addresses (`SO_BROADCAST`).
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.source.get_ref().set_broadcast(on)
    }

    /// Whether `SO_BROADCAST` is set.
    pub fn broadcast(&self) -> io::Result<bool> {
        self.source.get_ref().broadcast()
    }

    /// Sets the IP time-to-live of outgoing datagrams.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.source.get_ref().set_ttl(ttl)
    }

    /// The IP time-to-live of outgoing datagrams.
    pub fn ttl(&self) -> io::Result<u32> {
        self.source.get_ref().ttl()
    }

    /// Takes the socket's pending error (`SO_ERROR`), such as an ICMP port-unreachable
    /// reported for an earlier send on a connected socket.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.source.get_ref().take_error()
    }
}

impl AsRawFd for UdpSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.source.fd()
    }
}
