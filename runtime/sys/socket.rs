//! The socket syscalls corio needs, in one place, each returning `io::Result`.
//!
//! Addresses are converted field by field between `std::net::SocketAddr` and libc's
//! `sockaddr_in`/`sockaddr_in6`; std's layout is never assumed (RUSTSEC-2020-0081).

use std::io;
use std::mem::{size_of, MaybeUninit};
use std::net::{Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::{FromRawFd, OwnedFd, RawFd};

use super::{cvt, cvt_ssize};

/// Flags for `send`: never raise SIGPIPE on a reset peer; report `EPIPE` instead.
#[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
const SEND_FLAGS: libc::c_int = libc::MSG_NOSIGNAL;
/// Apple has no MSG_NOSIGNAL; sockets get `SO_NOSIGPIPE` when created instead.
#[cfg(not(any(target_os = "linux", target_os = "android", target_os = "freebsd")))]
const SEND_FLAGS: libc::c_int = 0;

/// Sets `FD_CLOEXEC` and `O_NONBLOCK` on `fd`, for platforms without `SOCK_*` flags.
#[allow(dead_code)] // unused on Linux, where socket() and accept4() take the flags
pub(crate) fn set_cloexec_nonblock(fd: RawFd) -> io::Result<()> {
    // SAFETY: fcntl on an fd we own with integer arguments only.
    unsafe {
        cvt(libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC))?;
        let flags = cvt(libc::fcntl(fd, libc::F_GETFL))?;
        cvt(libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK))?;
    }
    Ok(())
}

/// Sets an integer socket option.
fn setsockopt_int(
    fd: RawFd,
    level: libc::c_int,
    name: libc::c_int,
    value: libc::c_int,
) -> io::Result<()> {
    // SAFETY: passes a pointer to a live c_int and its exact size.
    cvt(unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            (&value as *const libc::c_int).cast(),
            size_of::<libc::c_int>() as libc::socklen_t,
        )
    })?;
    Ok(())
}

/// Reads an integer socket option.
fn getsockopt_int(fd: RawFd, level: libc::c_int, name: libc::c_int) -> io::Result<libc::c_int> {
    let mut value: libc::c_int = 0;
    let mut len = size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `value` and `len` are live and describe a c_int-sized buffer.
    cvt(unsafe {
        libc::getsockopt(
            fd,
            level,
            name,
            (&mut value as *mut libc::c_int).cast(),
            &mut len,
        )
    })?;
    Ok(value)
}

/// A new non-blocking, close-on-exec TCP socket for `addr`'s family.
pub(crate) fn tcp_socket(addr: &SocketAddr) -> io::Result<OwnedFd> {
    let domain = match addr {
        SocketAddr::V4(_) => libc::AF_INET,
        SocketAddr::V6(_) => libc::AF_INET6,
    };
    stream_socket(domain)
}

/// A new non-blocking, close-on-exec stream socket of `domain` that never raises SIGPIPE.
pub(crate) fn stream_socket(domain: libc::c_int) -> io::Result<OwnedFd> {
    #[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
    let fd = {
        let ty = libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;
        // SAFETY: socket takes no pointers.
        let fd = cvt(unsafe { libc::socket(domain, ty, 0) })?;
        // SAFETY: `fd` was just returned by the kernel and nothing else owns it.
        unsafe { OwnedFd::from_raw_fd(fd) }
    };
    #[cfg(not(any(target_os = "linux", target_os = "android", target_os = "freebsd")))]
    let fd = {
        // SAFETY: socket takes no pointers.
        let fd = cvt(unsafe { libc::socket(domain, libc::SOCK_STREAM, 0) })?;
        // SAFETY: `fd` was just returned by the kernel and nothing else owns it.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        set_cloexec_nonblock(std::os::fd::AsRawFd::as_raw_fd(&fd))?;
        set_nosigpipe(std::os::fd::AsRawFd::as_raw_fd(&fd))?;
        fd
    };
    Ok(fd)
}

/// Where `send` has no `MSG_NOSIGNAL` (Apple), asks the socket itself not to raise
/// SIGPIPE; elsewhere nothing to do.
pub(crate) fn set_nosigpipe(fd: RawFd) -> io::Result<()> {
    #[cfg(not(any(target_os = "linux", target_os = "android", target_os = "freebsd")))]
    setsockopt_int(fd, libc::SOL_SOCKET, libc::SO_NOSIGPIPE, 1)?;
    let _ = fd;
    Ok(())
}

/// Sets `SO_REUSEPORT`: several sockets may bind the same address, and (on Linux) the
/// kernel spreads incoming connections among the listening ones.
pub(crate) fn set_reuseport(fd: RawFd) -> io::Result<()> {
    setsockopt_int(fd, libc::SOL_SOCKET, libc::SO_REUSEPORT, 1)
}

/// Binds and listens: `SO_REUSEADDR` first, so a restarted server can rebind at once.
pub(crate) fn bind_listen(fd: RawFd, addr: &SocketAddr, backlog: libc::c_int) -> io::Result<()> {
    setsockopt_int(fd, libc::SOL_SOCKET, libc::SO_REUSEADDR, 1)?;
    let (storage, len) = sockaddr_from(addr);
    // SAFETY: `storage` holds a valid sockaddr of `len` bytes.
    cvt(unsafe { libc::bind(fd, (&storage as *const libc::sockaddr_storage).cast(), len) })?;
    // SAFETY: listen takes no pointers.
    cvt(unsafe { libc::listen(fd, backlog) })?;
    Ok(())
}

/// Starts a non-blocking connect; `EINPROGRESS` comes back as `Ok(false)`, and so does
/// `EINTR`: an interrupted connect goes on in the background (POSIX), so it is waited
/// for like one in progress.
pub(crate) fn connect(fd: RawFd, addr: &SocketAddr) -> io::Result<bool> {
    let (storage, len) = sockaddr_from(addr);
    // SAFETY: `storage` holds a valid sockaddr of `len` bytes.
    match cvt(unsafe { libc::connect(fd, (&storage as *const libc::sockaddr_storage).cast(), len) })
    {
        Ok(_) => Ok(true),
        Err(e) if matches!(e.raw_os_error(), Some(libc::EINPROGRESS | libc::EINTR)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Accepts one connection as a non-blocking, close-on-exec socket.
pub(crate) fn accept(fd: RawFd) -> io::Result<(OwnedFd, SocketAddr)> {
    let mut storage = MaybeUninit::<libc::sockaddr_storage>::zeroed();
    let mut len = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    #[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
    // SAFETY: `storage`/`len` describe a writable sockaddr_storage.
    let new = cvt(unsafe {
        libc::accept4(
            fd,
            storage.as_mut_ptr().cast(),
            &mut len,
            libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
        )
    })?;
    #[cfg(not(any(target_os = "linux", target_os = "android", target_os = "freebsd")))]
    // SAFETY: `storage`/`len` describe a writable sockaddr_storage.
    let new = cvt(unsafe { libc::accept(fd, storage.as_mut_ptr().cast(), &mut len) })?;
    // SAFETY: `new` was just returned by the kernel and nothing else owns it.
    let new = unsafe { OwnedFd::from_raw_fd(new) };
    #[cfg(not(any(target_os = "linux", target_os = "android", target_os = "freebsd")))]
    {
        set_cloexec_nonblock(std::os::fd::AsRawFd::as_raw_fd(&new))?;
        set_nosigpipe(std::os::fd::AsRawFd::as_raw_fd(&new))?;
    }
    // SAFETY: accept initialised the address (zeroed before, so any tail is zero).
    let addr = sockaddr_to(unsafe { &storage.assume_init() })?;
    Ok((new, addr))
}

/// `recv` into `buf`.
pub(crate) fn recv(fd: RawFd, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: the kernel writes at most `buf.len()` bytes into `buf`.
    cvt_ssize(unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), 0) })
}

/// `send` from `buf`, without SIGPIPE.
pub(crate) fn send(fd: RawFd, buf: &[u8]) -> io::Result<usize> {
    // SAFETY: the kernel reads at most `buf.len()` bytes from `buf`.
    cvt_ssize(unsafe { libc::send(fd, buf.as_ptr().cast(), buf.len(), SEND_FLAGS) })
}

/// The most buffers one `sendmsg` takes: `UIO_MAXIOV` on Linux, `IOV_MAX` on the BSDs
/// and macOS, 1024 on each.
const MAX_IOVECS: usize = 1024;

/// `sendmsg` of several buffers in one call, with `send`'s flags. At most [`MAX_IOVECS`]
/// buffers go per call (the caller sees a short write and sends the rest next time).
pub(crate) fn send_vectored(fd: RawFd, bufs: &[std::io::IoSlice<'_>]) -> io::Result<usize> {
    // SAFETY: an all-zero msghdr is valid: no name, no control data, no flags.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    // `IoSlice` is guaranteed ABI-compatible with `iovec` on Unix; the kernel only reads
    // the buffers (the `*mut` is the C type's, not a licence to write).
    msg.msg_iov = bufs.as_ptr().cast_mut().cast();
    msg.msg_iovlen = bufs.len().min(MAX_IOVECS) as _;
    // SAFETY: `msg` points at `msg_iovlen` valid iovecs that outlive the call, each
    // describing a live buffer the kernel reads at most its length of.
    cvt_ssize(unsafe { libc::sendmsg(fd, &msg, SEND_FLAGS) })
}

/// `shutdown` one or both halves.
pub(crate) fn shutdown(fd: RawFd, how: Shutdown) -> io::Result<()> {
    let how = match how {
        Shutdown::Read => libc::SHUT_RD,
        Shutdown::Write => libc::SHUT_WR,
        Shutdown::Both => libc::SHUT_RDWR,
    };
    // SAFETY: shutdown takes no pointers.
    cvt(unsafe { libc::shutdown(fd, how) })?;
    Ok(())
}

/// Takes and clears the socket's pending error (`SO_ERROR`), as after a connect.
pub(crate) fn take_error(fd: RawFd) -> io::Result<Option<io::Error>> {
    let err = getsockopt_int(fd, libc::SOL_SOCKET, libc::SO_ERROR)?;
    Ok((err != 0).then(|| io::Error::from_raw_os_error(err)))
}

/// Sets or clears `TCP_NODELAY`.
pub(crate) fn set_nodelay(fd: RawFd, on: bool) -> io::Result<()> {
    setsockopt_int(fd, libc::IPPROTO_TCP, libc::TCP_NODELAY, on as libc::c_int)
}

/// Reads `TCP_NODELAY`.
pub(crate) fn nodelay(fd: RawFd) -> io::Result<bool> {
    Ok(getsockopt_int(fd, libc::IPPROTO_TCP, libc::TCP_NODELAY)? != 0)
}

/// The local address (`getsockname`).
pub(crate) fn local_addr(fd: RawFd) -> io::Result<SocketAddr> {
    sockname(fd, libc::getsockname)
}

/// The peer's address (`getpeername`); `ENOTCONN` if not connected.
pub(crate) fn peer_addr(fd: RawFd) -> io::Result<SocketAddr> {
    sockname(fd, libc::getpeername)
}

/// Whether `fd` has a peer, for any address family: `getpeername` succeeds; `ENOTCONN`
/// is `false`.
pub(crate) fn is_connected(fd: RawFd) -> io::Result<bool> {
    let mut storage = MaybeUninit::<libc::sockaddr_storage>::zeroed();
    let mut len = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    // SAFETY: `storage`/`len` describe a writable sockaddr_storage; getpeername writes at
    // most `len` bytes. The address itself is not read.
    match cvt(unsafe { libc::getpeername(fd, storage.as_mut_ptr().cast(), &mut len) }) {
        Ok(_) => Ok(true),
        Err(e) if e.raw_os_error() == Some(libc::ENOTCONN) => Ok(false),
        Err(e) => Err(e),
    }
}

type NameFn =
    unsafe extern "C" fn(libc::c_int, *mut libc::sockaddr, *mut libc::socklen_t) -> libc::c_int;

fn sockname(fd: RawFd, f: NameFn) -> io::Result<SocketAddr> {
    let mut storage = MaybeUninit::<libc::sockaddr_storage>::zeroed();
    let mut len = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    // SAFETY: `storage`/`len` describe a writable sockaddr_storage; `f` is getsockname
    // or getpeername, which write at most `len` bytes.
    cvt(unsafe { f(fd, storage.as_mut_ptr().cast(), &mut len) })?;
    // SAFETY: zero-initialised, then (partly) filled by the kernel.
    sockaddr_to(unsafe { &storage.assume_init() })
}

/// std address to libc sockaddr, field by field.
fn sockaddr_from(addr: &SocketAddr) -> (libc::sockaddr_storage, libc::socklen_t) {
    // SAFETY: an all-zero sockaddr_storage is a valid value.
    let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let len = match addr {
        SocketAddr::V4(a) => {
            // SAFETY: sockaddr_storage is larger than and aligned for sockaddr_in.
            let sin = unsafe {
                &mut *(&mut storage as *mut libc::sockaddr_storage).cast::<libc::sockaddr_in>()
            };
            sin.sin_family = libc::AF_INET as libc::sa_family_t;
            sin.sin_port = a.port().to_be();
            sin.sin_addr = libc::in_addr {
                s_addr: u32::from_ne_bytes(a.ip().octets()),
            };
            size_of::<libc::sockaddr_in>()
        }
        SocketAddr::V6(a) => {
            // SAFETY: sockaddr_storage is larger than and aligned for sockaddr_in6.
            let sin6 = unsafe {
                &mut *(&mut storage as *mut libc::sockaddr_storage).cast::<libc::sockaddr_in6>()
            };
            sin6.sin6_family = libc::AF_INET6 as libc::sa_family_t;
            sin6.sin6_port = a.port().to_be();
            sin6.sin6_flowinfo = a.flowinfo();
            sin6.sin6_addr = libc::in6_addr {
                s6_addr: a.ip().octets(),
            };
            sin6.sin6_scope_id = a.scope_id();
            size_of::<libc::sockaddr_in6>()
        }
    };
    (storage, len as libc::socklen_t)
}

/// libc sockaddr to std address, field by field.
fn sockaddr_to(storage: &libc::sockaddr_storage) -> io::Result<SocketAddr> {
    match storage.ss_family as libc::c_int {
        libc::AF_INET => {
            // SAFETY: the family says the storage holds a sockaddr_in.
            let sin =
                unsafe { &*(storage as *const libc::sockaddr_storage).cast::<libc::sockaddr_in>() };
            let ip = Ipv4Addr::from(sin.sin_addr.s_addr.to_ne_bytes());
            Ok(SocketAddr::V4(SocketAddrV4::new(
                ip,
                u16::from_be(sin.sin_port),
            )))
        }
        libc::AF_INET6 => {
            // SAFETY: the family says the storage holds a sockaddr_in6.
            let sin6 = unsafe {
                &*(storage as *const libc::sockaddr_storage).cast::<libc::sockaddr_in6>()
            };
            let ip = Ipv6Addr::from(sin6.sin6_addr.s6_addr);
            Ok(SocketAddr::V6(SocketAddrV6::new(
                ip,
                u16::from_be(sin6.sin6_port),
                sin6.sin6_flowinfo,
                sin6.sin6_scope_id,
            )))
        }
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "socket address of an unknown family",
        )),
    }
}
