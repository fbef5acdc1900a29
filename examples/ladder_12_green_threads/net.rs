//! Blocking-looking sockets: gevent's monkey patch, made explicit.
//!
//! `gevent.monkey.patch_all()` swaps Python's `socket` module for one whose `recv`,
//! `send` and `accept` try the non-blocking call and, on `EWOULDBLOCK`, park the greenlet
//! in the hub until the socket is ready. Rust has no module to swap at run time, so these
//! are separate types, but they make the same promise: code calls `read`, `write_all`,
//! `accept` as if they blocked, and only the calling green thread waits.
//!
//! Every socket is non-blocking and registered with the scheduler's selector once; it is
//! deregistered before it is closed. Writes go through std's `TcpStream::write`, which
//! sends with `MSG_NOSIGNAL`: a reset peer is an `EPIPE` error, never a SIGPIPE.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsRawFd, RawFd};

use corio::sys::Interest;

use crate::sched;

/// A listening socket whose `accept` parks the calling green thread.
pub struct GreenListener {
    inner: TcpListener,
}

impl GreenListener {
    /// Binds `addr` and registers the listener with the scheduler.
    pub fn bind(addr: &str) -> io::Result<GreenListener> {
        let inner = TcpListener::bind(addr)?;
        inner.set_nonblocking(true)?;
        sched::register(inner.as_raw_fd())?;
        Ok(GreenListener { inner })
    }

    /// The bound address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// Waits (parking this green thread) for a connection. Handshakes the client gave up
    /// on are skipped; other errors (out of descriptors, say) are returned.
    pub fn accept(&self) -> io::Result<GreenStream> {
        loop {
            match self.inner.accept() {
                Ok((stream, _peer)) => return GreenStream::new(stream),
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    sched::wait(self.inner.as_raw_fd(), Interest::READABLE)?
                }
                Err(e) if aborted(&e) => continue,
                Err(e) => return Err(e),
            }
        }
    }
}

/// Errors that only mean this one pending connection died before we took it.
fn aborted(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::ConnectionAborted | ErrorKind::Interrupted
    ) || matches!(e.raw_os_error(), Some(libc::EPROTO | libc::ECONNRESET))
}

impl Drop for GreenListener {
    fn drop(&mut self) {
        sched::deregister(self.inner.as_raw_fd());
    }
}

/// A connected socket whose reads and writes park the calling green thread.
pub struct GreenStream {
    inner: TcpStream,
}

impl GreenStream {
    fn new(inner: TcpStream) -> io::Result<GreenStream> {
        inner.set_nonblocking(true)?;
        sched::register(inner.as_raw_fd())?;
        Ok(GreenStream { inner })
    }

    /// Runs `op` until it does not say `WouldBlock`, parking between tries.
    fn park_until<T>(
        &mut self,
        interest: Interest,
        mut op: impl FnMut(&mut TcpStream) -> io::Result<T>,
    ) -> io::Result<T> {
        let fd: RawFd = self.inner.as_raw_fd();
        loop {
            match op(&mut self.inner) {
                Err(e) if e.kind() == ErrorKind::WouldBlock => sched::wait(fd, interest)?,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                result => {
                    sched::spend();
                    return result;
                }
            }
        }
    }
}

impl Read for GreenStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.park_until(Interest::READABLE, |s| s.read(buf))
    }
}

impl Write for GreenStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.park_until(Interest::WRITABLE, |s| s.write(buf))
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(()) // nothing is buffered here
    }
}

impl Drop for GreenStream {
    fn drop(&mut self) {
        // Deregister first, then the field drops and the fd closes (FIN, as nothing
        // unread remains after a clean EOF).
        sched::deregister(self.inner.as_raw_fd());
    }
}
