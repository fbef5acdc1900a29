//! Addresses for `bind`, `connect` and `send_to`: literal ones at once, host names on the
//! blocking pool, so a slow DNS server stalls one task and never the runtime's thread.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::vec;

/// What `bind`, `connect`, `send_to` and [`lookup_host`] take: a `SocketAddr` (or its V4
/// and V6 forms), `(ip, port)`, a slice of `SocketAddr`s, or a string — `"ip:port"`,
/// `"host:port"` or `(host, port)`.
///
/// Like tokio's trait of the same name, and unlike std's, it has no method a caller can
/// use: conversion is the runtime's. Literal addresses convert without a system call;
/// names go to std's resolver (`getaddrinfo`) on the blocking pool
/// ([`spawn_blocking`](crate::task::spawn_blocking)).
pub trait ToSocketAddrs: sealed::ToSocketAddrsPriv {}

/// The hidden half of [`ToSocketAddrs`]: users cannot call or implement it.
pub(crate) mod sealed {
    use super::Resolve;

    /// Turns a value into addresses at once, or into a name for the resolver.
    pub trait ToSocketAddrsPriv {
        /// The addresses, or the lookup that finds them.
        fn resolve(&self) -> Resolve;
    }
}

/// A conversion's outcome before any system call.
#[doc(hidden)]
#[derive(Debug)]
pub enum Resolve {
    /// The addresses themselves (a literal address, a slice).
    Done(Vec<SocketAddr>),
    /// A `"host:port"` string for std's resolver.
    Name(String),
    /// A host and a port for std's resolver.
    HostPort(String, u16),
}

impl Resolve {
    /// The addresses: at once when literal, else from std's resolver on the blocking pool.
    async fn addrs(self) -> io::Result<vec::IntoIter<SocketAddr>> {
        use std::net::ToSocketAddrs as _;
        let lookup = match self {
            Resolve::Done(addrs) => return Ok(addrs.into_iter()),
            Resolve::Name(name) => crate::task::spawn_blocking(move || {
                Ok::<_, io::Error>(name.to_socket_addrs()?.collect::<Vec<_>>())
            }),
            Resolve::HostPort(host, port) => crate::task::spawn_blocking(move || {
                Ok::<_, io::Error>((host.as_str(), port).to_socket_addrs()?.collect::<Vec<_>>())
            }),
        };
        match lookup.await {
            Ok(result) => result.map(Vec::into_iter),
            Err(e) => Err(io::Error::other(format!("name lookup did not finish: {e}"))),
        }
    }
}

/// Resolves `host` to its socket addresses, as tokio's `lookup_host`: a literal address at
/// once, a name with std's resolver on the blocking pool, so other tasks run meanwhile.
///
/// ```
/// corio::block_on(async {
///     let addrs: Vec<_> = corio::net::lookup_host("127.0.0.1:80").await?.collect();
///     assert_eq!(addrs, ["127.0.0.1:80".parse().unwrap()]);
///     Ok::<(), std::io::Error>(())
/// })
/// .unwrap();
/// ```
///
/// # Errors
/// The resolver's (`getaddrinfo`'s) error for a name it cannot resolve; `InvalidInput` for a
/// string that is neither `"ip:port"` nor `"host:port"`.
///
/// # Cancel safety
/// Dropping the future leaves a name lookup to finish on its pool thread; its result is
/// dropped there.
pub async fn lookup_host<T: ToSocketAddrs>(
    host: T,
) -> io::Result<impl Iterator<Item = SocketAddr>> {
    host.resolve().addrs().await
}

/// Resolves `addr`, then runs `f` on each address until one succeeds; the last error wins.
pub(super) async fn each_addr<A: ToSocketAddrs, T>(
    addr: A,
    mut f: impl FnMut(SocketAddr) -> io::Result<T>,
) -> io::Result<T> {
    let mut last = None;
    for addr in addr.resolve().addrs().await? {
        match f(addr) {
            Ok(t) => return Ok(t),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no addresses to try")))
}

/// Resolves `addr` to the first of its addresses.
pub(super) async fn first_addr<A: ToSocketAddrs>(addr: A) -> io::Result<SocketAddr> {
    each_addr(addr, Ok).await
}

impl<T: ToSocketAddrs + ?Sized> ToSocketAddrs for &T {}
impl<T: ToSocketAddrs + ?Sized> sealed::ToSocketAddrsPriv for &T {
    fn resolve(&self) -> Resolve {
        (**self).resolve()
    }
}

/// Literal addresses: converted without a system call.
macro_rules! literal {
    ($($ty:ty => |$v:ident| $addr:expr;)*) => {$(
        impl ToSocketAddrs for $ty {}
        impl sealed::ToSocketAddrsPriv for $ty {
            fn resolve(&self) -> Resolve {
                let $v = self;
                Resolve::Done(vec![$addr])
            }
        }
    )*};
}

literal! {
    SocketAddr => |a| *a;
    SocketAddrV4 => |a| SocketAddr::V4(*a);
    SocketAddrV6 => |a| SocketAddr::V6(*a);
    (IpAddr, u16) => |a| SocketAddr::new(a.0, a.1);
    (Ipv4Addr, u16) => |a| SocketAddr::new(IpAddr::V4(a.0), a.1);
    (Ipv6Addr, u16) => |a| SocketAddr::new(IpAddr::V6(a.0), a.1);
}

impl ToSocketAddrs for [SocketAddr] {}
impl sealed::ToSocketAddrsPriv for [SocketAddr] {
    fn resolve(&self) -> Resolve {
        Resolve::Done(self.to_vec())
    }
}

impl ToSocketAddrs for str {}
impl sealed::ToSocketAddrsPriv for str {
    fn resolve(&self) -> Resolve {
        match self.parse() {
            Ok(addr) => Resolve::Done(vec![addr]),
            Err(_) => Resolve::Name(self.to_owned()),
        }
    }
}

impl ToSocketAddrs for String {}
impl sealed::ToSocketAddrsPriv for String {
    fn resolve(&self) -> Resolve {
        self.as_str().resolve()
    }
}

impl ToSocketAddrs for (&str, u16) {}
impl sealed::ToSocketAddrsPriv for (&str, u16) {
    fn resolve(&self) -> Resolve {
        match self.0.parse() {
            Ok(ip) => Resolve::Done(vec![SocketAddr::new(ip, self.1)]),
            Err(_) => Resolve::HostPort(self.0.to_owned(), self.1),
        }
    }
}

impl ToSocketAddrs for (String, u16) {}
impl sealed::ToSocketAddrsPriv for (String, u16) {
    fn resolve(&self) -> Resolve {
        (self.0.as_str(), self.1).resolve()
    }
}
