//! Zero-copy bodies on Linux: `sendfile(2)` from a cached file straight into the
//! connection's socket, non-blocking, resumed when the socket is writable again.
//!
//! Every call names its offset, so the file's own position — shared by all connections
//! sending the same cached descriptor — is never read or moved. The calls run under the
//! stream's own readiness (`TcpStream::try_io`/`async_io`): a `sendfile` that finds the
//! send buffer full clears write readiness, and the connection parks until the kernel
//! reports room again. Elsewhere [`Socket::new`] gives `None` and `conn.rs` reads the
//! file on the blocking pool and writes it instead.

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::time::Duration;

use corio::io::Interest;
use corio::net::TcpStream;
use corio::time::timeout;

use super::disk::sendfile;
use super::reply::Body;

/// The socket side of `sendfile`: the connection's stream, borrowed for its life.
#[derive(Debug, Clone, Copy)]
pub struct Socket<'a> {
    stream: &'a TcpStream,
}

impl<'a> Socket<'a> {
    /// The `sendfile` sink for `stream` on Linux; `None` elsewhere.
    pub fn new(stream: &'a TcpStream) -> Option<Socket<'a>> {
        cfg!(any(target_os = "linux", target_os = "android")).then_some(Socket { stream })
    }

    /// Sends as much of `head` as the socket takes now, flagged `MSG_MORE` so that the
    /// kernel holds it for the body that follows (head and a small body leave in one
    /// segment). Returns how much was sent; the caller writes the rest the usual way
    /// (which also reports any error).
    pub fn send_head(&self, head: &[u8]) -> usize {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
            let fd = self.stream.as_raw_fd();
            let flags = libc::MSG_MORE | libc::MSG_NOSIGNAL | libc::MSG_DONTWAIT;
            let send = || {
                // SAFETY: `head` is a valid slice for the call; the fd is the open socket.
                let n = unsafe { libc::send(fd, head.as_ptr().cast(), head.len(), flags) };
                usize::try_from(n).map_err(|_| io::Error::last_os_error())
            };
            self.stream.try_io(Interest::WRITABLE, send).unwrap_or(0)
        }
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        {
            let _ = head;
            0
        }
    }

    /// Sends `body` of `file` by `sendfile`, waiting for writability whenever the socket
    /// is full; fails with `TimedOut` when one wait lasts `idle` (a client that stopped
    /// reading), and with an error if the file ends before the body does (it shrank: the
    /// promised length cannot be kept, so the connection must end).
    pub async fn send_file(&self, file: &File, body: Body, idle: Duration) -> io::Result<()> {
        let fd = self.stream.as_raw_fd();
        let (mut offset, end) = (body.offset, body.offset + body.len);
        while offset < end {
            let send = self
                .stream
                .async_io(Interest::WRITABLE, || sendfile(fd, file, &mut offset, end));
            if timeout(idle, send).await?? == 0 {
                return Err(io::Error::other("file shrank while being sent"));
            }
        }
        Ok(())
    }
}
