//! The operations on a [`Blocking`]: read, write, flush, seek, an exclusive job, and
//! taking the object back.

use std::future::poll_fn;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::task::{ready, Context, Poll};

use super::{lost, oneshot, Blocking, Inner, Op, State};

impl<T: Send + 'static> Blocking<T> {
    /// Hands out read-ahead bytes if there are any, else reads up to
    /// `min(dst.len(), max_buf)` bytes on the pool; `Ok(0)` at end of stream.
    pub(crate) fn poll_read(
        &mut self,
        cx: &mut Context<'_>,
        dst: &mut [u8],
    ) -> Poll<io::Result<usize>>
    where
        T: Read,
    {
        loop {
            match ready!(self.poll_done(cx))? {
                Some(Op::Read(result)) => {
                    result?;
                    return Poll::Ready(Ok(self.idle_mut()?.copy_to(dst)));
                }
                Some(op) => {
                    if let Some(e) = op.into_left_error() {
                        return Poll::Ready(Err(e));
                    }
                }
                None => {
                    let inner = self.idle_mut()?;
                    if inner.unread() > 0 || dst.is_empty() {
                        return Poll::Ready(Ok(inner.copy_to(dst)));
                    }
                    let want = dst.len().min(self.max_buf);
                    self.start(move |inner| Op::Read(fill(inner, want)))?;
                }
            }
        }
    }

    /// Waits for the operation in flight (reporting a write's error), then accepts up to
    /// `max_buf` bytes and starts the job that writes them: `Ready(Ok(n))` before they
    /// are written.
    pub(crate) fn poll_write(&mut self, cx: &mut Context<'_>, src: &[u8]) -> Poll<io::Result<usize>>
    where
        T: Write,
    {
        ready!(self.poll_idle(cx))?;
        if src.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let n = src.len().min(self.max_buf);
        let inner = self.idle_mut()?;
        inner.write.clear();
        inner.write.extend_from_slice(&src[..n]);
        let rewind = self.rewind;
        self.start(move |inner| {
            let result = inner
                .undo_read_ahead(rewind)
                .and_then(|()| inner.io.write_all(&inner.write));
            inner.write.clear();
            Op::Write(result)
        })?;
        self.needs_flush = true;
        Poll::Ready(Ok(n))
    }

    /// Waits for the accepted writes, then runs the object's own `flush` if it has one
    /// worth running; the first error any of them met.
    pub(crate) fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>>
    where
        T: Write,
    {
        loop {
            ready!(self.poll_idle(cx))?;
            if !(self.needs_flush && self.flush_std) {
                return Poll::Ready(Ok(()));
            }
            self.start(|inner| Op::Flush(inner.io.flush()))?;
            self.needs_flush = false;
        }
    }

    /// Starts a seek; an error if an operation is in flight (call `poll_complete` first).
    /// `Current` counts from the position the caller has seen, read-ahead excluded.
    pub(crate) fn start_seek(&mut self, pos: SeekFrom) -> io::Result<()>
    where
        T: Seek,
    {
        let inner = self.idle_mut().map_err(|_| {
            io::Error::other(
                "corio: an I/O operation is in flight: await poll_complete before start_seek",
            )
        })?;
        let pos = match pos {
            SeekFrom::Current(by) => i64::try_from(inner.unread())
                .ok()
                .and_then(|unread| by.checked_sub(unread))
                .map(SeekFrom::Current)
                .ok_or_else(|| io::Error::from(io::ErrorKind::InvalidInput))?,
            other => other,
        };
        self.start(move |inner| {
            inner.discard_read();
            Op::Seek(inner.io.seek(pos))
        })
    }

    /// Waits for the operation in flight; a seek's new position, or else the last one.
    pub(crate) fn poll_complete(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        while let Some(op) = ready!(self.poll_done(cx))? {
            match op {
                Op::Seek(result) => return Poll::Ready(result),
                op => {
                    if let Some(e) = op.into_left_error() {
                        return Poll::Ready(Err(e));
                    }
                }
            }
        }
        Poll::Ready(Ok(self.last_seek))
    }

    /// Runs `f` on the object on the pool, after every earlier operation, with the
    /// read-ahead undone first. Dropping the future leaves the job running; the next
    /// operation waits for it.
    pub(crate) async fn run<R: Send + 'static>(
        &mut self,
        f: impl FnOnce(&mut T) -> io::Result<R> + Send + 'static,
    ) -> io::Result<R> {
        poll_fn(|cx| self.poll_idle(cx)).await?;
        let (tx, mut rx) = oneshot::channel();
        let rewind = self.rewind;
        self.start(move |inner| {
            let result = inner
                .undo_read_ahead(rewind)
                .and_then(|()| f(&mut inner.io));
            let _ = tx.send(result);
            Op::Run
        })?;
        match poll_fn(|cx| self.poll_done(cx)).await? {
            Some(Op::Run) => rx.try_recv().map_err(|_| lost())?,
            Some(op) => Err(op.into_left_error().unwrap_or_else(lost)),
            None => Err(lost()),
        }
    }

    /// The object back, once the operation in flight (whose error is dropped) ends, with
    /// the read-ahead undone; `Err` only if the object was lost.
    pub(crate) async fn into_inner(mut self) -> io::Result<T> {
        while poll_fn(|cx| self.poll_done(cx)).await?.is_some() {}
        self.try_into_inner().map_err(|_| lost())
    }

    /// The object back if no operation is in flight, with the read-ahead undone (one
    /// `lseek` on this thread, which does not wait for the disk); `Err(self)` otherwise.
    pub(crate) fn try_into_inner(mut self) -> Result<T, Blocking<T>> {
        match std::mem::replace(&mut self.state, State::Lost) {
            State::Idle(mut inner) => {
                // A failed rewind (an unseekable file) leaves the position after the
                // read-ahead, as if those bytes had been read: nothing else can be done.
                let _ = inner.undo_read_ahead(self.rewind);
                Ok(inner.io)
            }
            state => {
                self.state = state;
                Err(self)
            }
        }
    }
}

/// A read job: fills the read buffer with up to `want` bytes, retrying on `EINTR`.
fn fill<T: Read>(inner: &mut Inner<T>, want: usize) -> io::Result<()> {
    if inner.read.len() < want {
        inner.read.resize(want, 0);
    }
    inner.discard_read();
    loop {
        match inner.io.read(&mut inner.read[..want]) {
            Ok(n) => {
                inner.end = n.min(want);
                return Ok(());
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
}
