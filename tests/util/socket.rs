//! Socket-level helpers for the adversarial TCP and echo tests: options (`SO_LINGER`,
//! `SOL_SOCKET` integers), abortive close, unread bytes, `poll(2)` waits for writability
//! or hang-up, filling the pipeline to a server, urgent data, and the kernel's view of a
//! TCP socket (`/proc/net/tcp`).

use std::io::{ErrorKind, Write};
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

/// Sets `SO_LINGER` to "on, 0 seconds": closing the socket then sends RST, not FIN.
pub fn set_linger_zero(socket: &impl AsRawFd) {
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: passes a pointer to a live `linger` and its exact size.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    assert_eq!(
        rc,
        0,
        "setsockopt(SO_LINGER): {}",
        std::io::Error::last_os_error()
    );
}

/// Closes `stream` abortively: the peer gets RST.
pub fn reset(stream: std::net::TcpStream) {
    set_linger_zero(&stream);
    drop(stream);
}

/// Sets an integer `SOL_SOCKET` option (e.g. `SO_RCVBUF`).
pub fn set_socket_option(socket: &impl AsRawFd, name: libc::c_int, value: libc::c_int) {
    // SAFETY: passes a pointer to a live c_int and its exact size.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            name,
            (&value as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    assert_eq!(rc, 0, "setsockopt: {}", std::io::Error::last_os_error());
}

/// How many received bytes wait unread in `socket`'s receive queue (`FIONREAD`).
pub fn unread_bytes(socket: &impl AsRawFd) -> usize {
    let mut n: libc::c_int = 0;
    // SAFETY: FIONREAD writes one c_int through the pointer, which is live.
    let rc = unsafe { libc::ioctl(socket.as_raw_fd(), libc::FIONREAD, &mut n) };
    assert_eq!(
        rc,
        0,
        "ioctl(FIONREAD): {}",
        std::io::Error::last_os_error()
    );
    n as usize
}

/// Waits up to `timeout` for `socket` to be writable (`poll(2)`); true if it is.
pub fn wait_writable(socket: &impl AsRawFd, timeout: Duration) -> bool {
    let mut pfd = libc::pollfd {
        fd: socket.as_raw_fd(),
        events: libc::POLLOUT,
        revents: 0,
    };
    // SAFETY: `pfd` is one live pollfd; the count says so.
    let rc = unsafe { libc::poll(&mut pfd, 1, timeout.as_millis() as libc::c_int) };
    assert!(rc >= 0, "poll: {}", std::io::Error::last_os_error());
    rc == 1
}

/// Writes `data` (cycled) to `stream` without ever reading from it, until the pipeline
/// to the server is full: writes would block, no buffer space frees up for `quiet`, and
/// bytes the server sent back sit unread in our receive queue. At that point an echo
/// server is parked in a write to us. Returns how many bytes were written. Leaves the
/// stream non-blocking. Panics if that state is not reached within 64 MiB or 20 s.
pub fn write_until_stalled(stream: &mut std::net::TcpStream, quiet: Duration) -> usize {
    const MAX: usize = 64 << 20;
    stream.set_nonblocking(true).unwrap();
    let chunk = vec![b'q'; 64 * 1024];
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut written = 0;
    while written < MAX && Instant::now() < deadline {
        match stream.write(&chunk) {
            Ok(n) => written += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                if !wait_writable(stream, quiet) && unread_bytes(stream) > 0 {
                    return written;
                }
            }
            Err(e) => panic!("writing to the server failed: {e}"),
        }
    }
    panic!("the server never stopped draining ({written} bytes written)");
}

/// The `/proc/net/tcp` line of the TCP socket with this local and remote address, split
/// into fields (IPv4 only), if the kernel has one.
fn proc_net_tcp_entry(local: SocketAddr, remote: SocketAddr) -> Option<Vec<String>> {
    fn hex(addr: SocketAddr) -> String {
        match addr {
            SocketAddr::V4(a) => format!(
                "{:08X}:{:04X}",
                u32::from_ne_bytes(a.ip().octets()),
                a.port()
            ),
            SocketAddr::V6(_) => panic!("IPv4 only"),
        }
    }
    let (local, remote) = (hex(local), hex(remote));
    let table = std::fs::read_to_string("/proc/net/tcp").expect("read /proc/net/tcp");
    table.lines().skip(1).find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        (fields.len() > 4 && fields[1] == local && fields[2] == remote)
            .then(|| fields.iter().map(|f| f.to_string()).collect())
    })
}

/// Whether the kernel still has a TCP socket with this local and remote address
/// (`/proc/net/tcp`, IPv4 only): a way to wait for an RST to have been processed.
pub fn tcp_socket_exists(local: SocketAddr, remote: SocketAddr) -> bool {
    proc_net_tcp_entry(local, remote).is_some()
}

/// How many received bytes the kernel holds unread for the TCP socket with this local
/// and remote address, in any process (`/proc/net/tcp`'s rx_queue, IPv4 only).
pub fn tcp_rx_queue(local: SocketAddr, remote: SocketAddr) -> Option<usize> {
    let entry = proc_net_tcp_entry(local, remote)?;
    let (_tx, rx) = entry[4].split_once(':')?;
    usize::from_str_radix(rx, 16).ok()
}

/// Sends one byte as TCP urgent data (`MSG_OOB`).
pub fn send_urgent(socket: &impl AsRawFd, byte: u8) {
    // SAFETY: sends one byte from a live local; MSG_NOSIGNAL keeps a reset from killing us.
    let n = unsafe {
        libc::send(
            socket.as_raw_fd(),
            (&byte as *const u8).cast(),
            1,
            libc::MSG_OOB | libc::MSG_NOSIGNAL,
        )
    };
    assert_eq!(n, 1, "send(MSG_OOB): {}", std::io::Error::last_os_error());
}

/// Waits up to `timeout` for `socket` to report hang-up or error (`POLLHUP`/`POLLERR`,
/// which poll(2) reports without being asked), as when the peer's RST has arrived.
pub fn wait_hangup(socket: &impl AsRawFd, timeout: Duration) -> bool {
    let mut pfd = libc::pollfd {
        fd: socket.as_raw_fd(),
        events: 0,
        revents: 0,
    };
    // SAFETY: `pfd` is one live pollfd; the count says so.
    let rc = unsafe { libc::poll(&mut pfd, 1, timeout.as_millis() as libc::c_int) };
    assert!(rc >= 0, "poll: {}", std::io::Error::last_os_error());
    rc == 1 && pfd.revents & (libc::POLLHUP | libc::POLLERR) != 0
}
