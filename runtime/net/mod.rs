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
mod addr;
mod connect;
mod listener;
mod split;
mod stream;
pub(crate) mod stream_socket;
mod udp;
mod unix;

pub use addr::{lookup_host, ToSocketAddrs};
pub use listener::TcpListener;
pub use split::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, WriteHalf};
pub use stream::{Tcp, TcpStream};
pub use stream_socket::StreamSocket;
pub use udp::UdpSocket;
pub use unix::{Unix, UnixListener, UnixStream};
