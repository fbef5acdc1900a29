//! The end of a non-blocking connect, for every stream socket (TCP and Unix).

use std::future::poll_fn;
use std::io;
use std::os::fd::AsRawFd;

use crate::io::source::Source;
use crate::reactor::Direction;
use crate::sys::socket;

/// Waits for a connect in progress on `source` to finish: `Ok` once connected, the
/// socket's own error (`ECONNREFUSED`, `ETIMEDOUT`, ..., read once from `SO_ERROR`) if it
/// failed. A write-readiness wake while the handshake still runs (`getpeername` says
/// `ENOTCONN`) is spurious: readiness is forgotten and the wait goes on.
pub(crate) async fn finish<T: AsRawFd>(source: &Source<T>) -> io::Result<()> {
    loop {
        poll_fn(|cx| source.poll_ready(cx, Direction::Write)).await?;
        if let Some(e) = socket::take_error(source.fd())? {
            return Err(e);
        }
        if socket::is_connected(source.fd())? {
            return Ok(());
        }
        source.clear_readiness(Direction::Write);
    }
}
