//! Networking: TCP ([`TcpListener`], [`TcpStream`]), UDP ([`UdpSocket`]) and Unix-domain
//! streams ([`UnixListener`], [`UnixStream`]).
//!
//! Each type owns its socket inside a reactor-registered source; every operation goes
//! through the one readiness helper ("try, on `WouldBlock` park, retry"). The two stream
//! types are one generic type, [`StreamSocket`], of the [`Tcp`] or the [`Unix`] family:
//! `TcpStream` is `StreamSocket<Tcp>` and `UnixStream` is `StreamSocket<Unix>`, so they
//! read, write and split into halves through the same code ([`ReadHalf`],
//! [`OwnedReadHalf`], ...; the halves' type parameter names the stream and defaults to
//! `TcpStream`).

mod accept;
mod connect;
mod listener;
mod split;
mod stream;
pub(crate) mod stream_socket;
mod udp;
mod unix;

pub use listener::TcpListener;
pub use split::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, WriteHalf};
/// The address conversion `connect` and `bind` take: std's trait, so any `SocketAddr`,
/// `(ip, port)` or `"host:port"` string works, as on tokio.
pub use std::net::ToSocketAddrs;
pub use stream::{Tcp, TcpStream};
pub use stream_socket::StreamSocket;
pub use udp::UdpSocket;
pub use unix::{Unix, UnixListener, UnixStream};

use std::io;
use std::net::SocketAddr;

/// Resolves `addr` and runs `f` on each address until one succeeds; the last error wins.
fn each_addr<A: ToSocketAddrs, T>(
    addr: A,
    mut f: impl FnMut(SocketAddr) -> io::Result<T>,
) -> io::Result<T> {
    let mut last = None;
    for addr in addr.to_socket_addrs()? {
        match f(addr) {
            Ok(t) => return Ok(t),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no addresses to try")))
}
