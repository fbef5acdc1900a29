//! [`Blocking`]: a blocking std `Read`/`Write` (and `Seek`) object used as an
//! [`AsyncRead`](super::AsyncRead)/[`AsyncWrite`](super::AsyncWrite) by moving it, with its
//! buffers, into a job on the blocking pool ([`spawn_blocking`]) and back. It is the one
//! mechanism under [`fs::File`](crate::fs::File) and [`stdin`](super::stdin),
//! [`stdout`](super::stdout), [`stderr`](super::stderr).
//!
//! # One operation in flight
//!
//! The object lives either here (idle) or in exactly one pool job (busy), so operations
//! run one at a time, in the order they were started. tokio's `File` and stdio handles
//! work the same way, with the same consequences:
//!
//! - **A write completes in the background.** `poll_write` copies the bytes (up to
//!   [`MAX_BUF`]) into the object's write buffer, starts the job and returns `Ready(Ok(n))`
//!   at once. The *next* operation waits for that job; if the write failed, the next
//!   operation (a read, a write, a seek, a flush) returns its error. `flush().await` is how
//!   to wait for every accepted write and see its error.
//! - **Dropping the handle with a write in flight** lets the write finish on the pool; its
//!   error, if any, is lost, and the object (for a file: the descriptor) is dropped on the
//!   pool thread when the job ends.
//! - **Reads go through a buffer.** A read job reads up to `min(buf.len(), MAX_BUF)` bytes
//!   into the object's read buffer; later reads are served from it first. For a seekable
//!   object a write, a seek or another exclusive job first moves the OS position back over
//!   the bytes read ahead and not handed out, so the position is always the one the caller
//!   has seen.
//! - **Cancelling** (dropping a read future while its job runs) leaves the job running;
//!   the data it reads stays in the buffer for the next read.
//!
//! A panic in a job never reaches the runtime: it is caught on the pool thread and the
//! operation that waits for that job gets an [`io::Error`] carrying the panic message.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::io::{self, Seek, SeekFrom};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use crate::sync::oneshot;
use crate::task::spawn_blocking;

mod ops;

/// The most bytes one read or write job moves (tokio's default as well): larger reads are
/// cut to this size, larger writes are accepted in parts.
pub(crate) const MAX_BUF: usize = 2 * 1024 * 1024;

/// Moves a seekable object's OS position back by the given count of read-ahead bytes.
type Rewind<T> = fn(&mut T, u64) -> io::Result<()>;

/// A blocking object driven from a task by one pool job at a time (see the module docs).
pub(crate) struct Blocking<T> {
    state: State<T>,
    /// `Some` for seekable objects, whose reads and writes share one OS position.
    rewind: Option<Rewind<T>>,
    /// Whether `poll_flush` calls the object's own `flush` (std's stdout buffers lines;
    /// a file's `flush` does nothing, so files skip the pool round trip).
    flush_std: bool,
    /// A write was accepted since the object's own `flush` last ran.
    needs_flush: bool,
    max_buf: usize,
    /// The result of the last seek: what `poll_complete` reports when no seek is in
    /// flight (tokio's `File` does the same).
    last_seek: u64,
}

// Nothing is ever pinned through a `Blocking`: the object moves to the pool and back.
impl<T> Unpin for Blocking<T> {}

enum State<T> {
    /// Boxed, so that a handle stays small and a job moves one pointer.
    Idle(Box<Inner<T>>),
    Busy(oneshot::Receiver<Done<T>>),
    /// The job holding the object ended without sending it back. `Job`'s drop guard sends
    /// it back even when the pool drops the job unrun, so only a leaked job gets here.
    Lost,
}

/// The object and its buffers: what travels to the pool and back.
struct Inner<T> {
    io: T,
    /// `read[start..end]` was read from the OS and not yet handed out; bytes past `end`
    /// are initialised scratch space, kept so that reads need not zero it again.
    read: Vec<u8>,
    start: usize,
    end: usize,
    /// Bytes accepted by `poll_write`, written by the next job.
    write: Vec<u8>,
}

/// What a job sends back: the object and the outcome of its operation.
struct Done<T> {
    inner: Box<Inner<T>>,
    op: Op,
}

/// The outcome of one job.
enum Op {
    Read(io::Result<()>),
    Write(io::Result<()>),
    Flush(io::Result<()>),
    Seek(io::Result<u64>),
    /// A job started by [`Blocking::run`]; its result travels on the caller's channel.
    Run,
    Panicked(String),
    /// The pool dropped the job without running it (it could not start a thread).
    NotRun,
}

impl Op {
    /// The error this outcome leaves for whatever operation waits for it next: a write's
    /// or flush's (already reported as accepted, so no one else will see it), a panic, a
    /// job never run. A read's, seek's or `run`'s error belongs to the future that started
    /// it; if that future was dropped, so is the error.
    fn into_left_error(self) -> Option<io::Error> {
        match self {
            Op::Write(Err(e)) | Op::Flush(Err(e)) => Some(e),
            Op::Panicked(message) => Some(job_panicked(&message)),
            Op::NotRun => Some(job_not_run()),
            _ => None,
        }
    }
}

impl<T> Inner<T> {
    fn unread(&self) -> usize {
        self.end - self.start
    }

    fn discard_read(&mut self) {
        self.start = 0;
        self.end = 0;
    }

    /// Hands out buffered bytes; how many were copied.
    fn copy_to(&mut self, dst: &mut [u8]) -> usize {
        let n = self.unread().min(dst.len());
        dst[..n].copy_from_slice(&self.read[self.start..self.start + n]);
        self.start += n;
        n
    }

    /// Moves the OS position back over the read-ahead (seekable objects only) and forgets
    /// it. A non-seekable object's read-ahead stays: its reads and writes are separate
    /// streams.
    fn undo_read_ahead(&mut self, rewind: Option<Rewind<T>>) -> io::Result<()> {
        let Some(rewind) = rewind else {
            return Ok(());
        };
        let unread = self.unread() as u64;
        self.discard_read();
        if unread == 0 {
            return Ok(());
        }
        rewind(&mut self.io, unread)
    }
}

/// Moves the object to the pool and, however the job ends, back: a drop guard sends it
/// back when the pool drops the job without running it.
struct Job<T> {
    inner: Option<Box<Inner<T>>>,
    tx: Option<oneshot::Sender<Done<T>>>,
}

impl<T> Job<T> {
    fn run(mut self, work: impl FnOnce(&mut Inner<T>) -> Op) {
        let Some(mut inner) = self.inner.take() else {
            return;
        };
        let op = match catch_unwind(AssertUnwindSafe(|| work(&mut inner))) {
            Ok(op) => op,
            Err(payload) => {
                inner.discard_read();
                inner.write.clear();
                Op::Panicked(panic_message(&*payload))
            }
        };
        self.send(inner, op);
    }

    fn send(&mut self, inner: Box<Inner<T>>, op: Op) {
        if let Some(tx) = self.tx.take() {
            // A dropped receiver (its handle is gone) drops the object here, on this thread.
            let _ = tx.send(Done { inner, op });
        }
    }
}

impl<T> Drop for Job<T> {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            self.send(inner, Op::NotRun);
        }
    }
}

/// The message of a caught panic, as `panic!` formatted it.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with a non-string payload".to_owned()
    }
}

/// The error a task sees for a pool job that panicked.
pub(crate) fn job_panicked(message: &str) -> io::Error {
    io::Error::other(format!("corio: a blocking I/O job panicked: {message}"))
}

/// The error a task sees for a pool job the pool dropped unrun (no thread could start).
pub(crate) fn job_not_run() -> io::Error {
    io::Error::other("corio: the blocking pool could not start a thread for this I/O")
}

/// Hands `f` to the blocking pool, detached; an error instead of a panic outside a
/// runtime (a corio future polled by some other executor).
pub(crate) fn spawn_job(f: impl FnOnce() + Send + 'static) -> io::Result<()> {
    runtime_here()?;
    drop(spawn_blocking(f)); // detached: the result comes back over the job's own channel
    Ok(())
}

/// `Ok` inside a corio runtime, which `spawn_blocking` needs.
fn runtime_here() -> io::Result<()> {
    if crate::executor::is_running_here() {
        return Ok(());
    }
    Err(io::Error::other(
        "corio: blocking I/O needs a corio runtime on this thread: run it inside corio::block_on",
    ))
}

fn lost() -> io::Error {
    io::Error::other("corio: a blocking I/O job lost its object")
}

impl<T: Send + 'static> Blocking<T> {
    /// A non-seekable stream (stdin, stdout, stderr) whose `flush` matters.
    pub(crate) fn stream(io: T) -> Blocking<T> {
        Blocking::with(io, None, true)
    }

    /// A seekable object whose `flush` does nothing (a file).
    pub(crate) fn file(io: T) -> Blocking<T>
    where
        T: Seek,
    {
        let rewind: Rewind<T> = |io, unread| {
            let back = i64::try_from(unread).map_err(|_| io::ErrorKind::InvalidInput)?;
            io.seek(SeekFrom::Current(-back)).map(drop)
        };
        Blocking::with(io, Some(rewind), false)
    }

    fn with(io: T, rewind: Option<Rewind<T>>, flush_std: bool) -> Blocking<T> {
        let inner = Box::new(Inner {
            io,
            read: Vec::new(),
            start: 0,
            end: 0,
            write: Vec::new(),
        });
        Blocking {
            state: State::Idle(inner),
            rewind,
            flush_std,
            needs_flush: false,
            max_buf: MAX_BUF,
            last_seek: 0,
        }
    }

    pub(crate) fn max_buf(&self) -> usize {
        self.max_buf
    }

    /// At least one byte, so a read never mistakes a zero-byte job for end of file.
    pub(crate) fn set_max_buf(&mut self, max: usize) {
        self.max_buf = max.max(1);
    }

    /// Starts `work` on the pool with the object, which must be idle.
    fn start(&mut self, work: impl FnOnce(&mut Inner<T>) -> Op + Send + 'static) -> io::Result<()> {
        runtime_here()?; // before the object leaves: without a runtime it stays idle here
        let inner = match std::mem::replace(&mut self.state, State::Lost) {
            State::Idle(inner) => inner,
            other => {
                self.state = other;
                return Err(io::Error::other(
                    "corio: another I/O operation is in flight",
                ));
            }
        };
        let (tx, rx) = oneshot::channel();
        let job = Job {
            inner: Some(inner),
            tx: Some(tx),
        };
        self.state = State::Busy(rx);
        spawn_job(move || job.run(work))
    }

    /// Waits for the job in flight, if any; `Some(outcome)` when one finished.
    fn poll_done(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Option<Op>>> {
        let done = match &mut self.state {
            State::Idle(_) => return Poll::Ready(Ok(None)),
            State::Lost => return Poll::Ready(Err(lost())),
            State::Busy(rx) => ready!(Pin::new(rx).poll(cx)),
        };
        match done {
            Ok(Done { inner, op }) => {
                self.state = State::Idle(inner);
                if let Op::Seek(Ok(pos)) = op {
                    self.last_seek = pos;
                }
                Poll::Ready(Ok(Some(op)))
            }
            Err(_) => {
                self.state = State::Lost;
                Poll::Ready(Err(lost()))
            }
        }
    }

    /// Waits until the object is idle, returning any error the finished job left.
    fn poll_idle(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some(op) = ready!(self.poll_done(cx))? {
            if let Some(e) = op.into_left_error() {
                return Poll::Ready(Err(e));
            }
        }
        Poll::Ready(Ok(()))
    }

    fn idle_mut(&mut self) -> io::Result<&mut Inner<T>> {
        match &mut self.state {
            State::Idle(inner) => Ok(inner),
            _ => Err(io::Error::other(
                "corio: another I/O operation is in flight",
            )),
        }
    }
}

impl<T> fmt::Debug for Blocking<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::Idle(inner) => format!("idle, {} bytes read ahead", inner.unread()),
            State::Busy(_) => "busy".to_owned(),
            State::Lost => "lost".to_owned(),
        };
        f.debug_struct("Blocking")
            .field("state", &state)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
