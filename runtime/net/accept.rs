//! The accept loop every listener shares: skip connections that died in the queue, and
//! after fd exhaustion pause before the next try instead of spinning or exiting.

use std::cell::Cell;
use std::io;
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use crate::io::source::Source;
use crate::reactor::Direction;

/// The first pause after running out of descriptors; it doubles up to `MAX_BACKOFF`.
const MIN_BACKOFF: Duration = Duration::from_millis(10);
const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// Errors that concern one aborted connection, not the listener: skip and accept the next.
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::ECONNABORTED) | Some(libc::EPROTO) | Some(libc::ECONNRESET)
    )
}

/// Errors that mean "out of descriptors or memory": retrying at once would spin.
fn is_resource_error(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EMFILE) | Some(libc::ENFILE) | Some(libc::ENOBUFS) | Some(libc::ENOMEM)
    )
}

/// A listener's memory of fd exhaustion: when to try again, and the pause used last.
#[derive(Debug, Default)]
pub(super) struct AcceptBackoff(Cell<Option<(Instant, Duration)>>);

impl AcceptBackoff {
    /// Accepts one connection with `syscall` (retried on `WouldBlock` as readiness
    /// allows) and wraps it with `finish`, under the listener policy: aborted connections
    /// are skipped; a resource error is returned and makes the *next* call pause first
    /// (10 ms, doubling up to 1 s while the condition lasts).
    pub(super) async fn accept<T: AsRawFd, S, R>(
        &self,
        listener: &Source<T>,
        mut syscall: impl FnMut(&T) -> io::Result<S>,
        finish: impl Fn(S) -> io::Result<R>,
    ) -> io::Result<R> {
        if let Some((resume_at, _)) = self.0.get() {
            crate::time::sleep_until(resume_at.into()).await;
        }
        loop {
            let accepted = listener.io(Direction::Read, &mut syscall).await;
            match accepted.and_then(&finish) {
                Ok(accepted) => {
                    self.0.set(None);
                    return Ok(accepted);
                }
                Err(e) if is_connection_error(&e) => continue,
                Err(e) => {
                    if is_resource_error(&e) {
                        let pause = match self.0.get() {
                            Some((_, last)) => (last * 2).min(MAX_BACKOFF),
                            None => MIN_BACKOFF,
                        };
                        self.0.set(Some((Instant::now() + pause, pause)));
                    }
                    return Err(e);
                }
            }
        }
    }
}
