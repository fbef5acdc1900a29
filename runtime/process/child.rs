//! [`Child`]: a running child process, its pipes, and its exit.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::process::{ExitStatus, Output};
use std::rc::Weak;
use std::task::{ready, Context, Poll};

use super::pipes::{ChildStderr, ChildStdin, ChildStdout};
use super::reap::{self, Driver, Watch};
use crate::io::{AsyncRead, AsyncReadExt};

/// A child process spawned by [`Command::spawn`](super::Command::spawn).
///
/// Its exit is learnt without a thread: through a pidfd in the reactor on Linux ≥ 5.3,
/// else through `SIGCHLD` (see [the module](super)). [`wait`](Self::wait) collects the
/// exit status; [`kill`](Self::kill) ends the child and collects it.
///
/// # Dropping a `Child`
///
/// Dropping does not stop the child (unless [`kill_on_drop`](super::Command::kill_on_drop)
/// was set: then it gets `SIGKILL`), and never leaves a zombie: a child still running is
/// handed to its runtime, which reaps it when it exits. See [the module](super) for what
/// happens to such children when the runtime itself is dropped.
///
/// Unlike tokio's, this `Child` is `!Send`: its exit watch is registered with the reactor
/// of the runtime that spawned it (corio runs one thread per runtime).
pub struct Child {
    /// The child's stdin, if it was [piped](std::process::Stdio::piped); [`wait`](Self::wait)
    /// closes it first, so a child reading to the end of its input can finish.
    pub stdin: Option<ChildStdin>,
    /// The child's stdout, if it was [piped](std::process::Stdio::piped).
    pub stdout: Option<ChildStdout>,
    /// The child's stderr, if it was [piped](std::process::Stdio::piped).
    pub stderr: Option<ChildStderr>,
    std: std::process::Child,
    /// How the exit is heard of; `None` once it was collected.
    watch: Option<Watch>,
    status: Option<ExitStatus>,
    kill_on_drop: bool,
    driver: Weak<Driver>,
}

impl Child {
    /// Wraps a just-spawned std child: its exit watch, then its pipes (non-blocking and
    /// registered with the reactor). If a pipe cannot be registered the child is killed and
    /// handed to the runtime to reap, and the error returned.
    pub(super) fn new(
        mut std: std::process::Child,
        kill_on_drop: bool,
        driver: Weak<Driver>,
    ) -> io::Result<Child> {
        let watch = match Watch::new(std.id()) {
            Ok(watch) => watch,
            Err(e) => {
                // Nothing can report its exit: end it and collect it here (after SIGKILL
                // the wait is short).
                let _ = std.kill();
                let _ = std.wait();
                return Err(e);
            }
        };
        let (stdin, stdout, stderr) = (std.stdin.take(), std.stdout.take(), std.stderr.take());
        let mut child = Child {
            stdin: None,
            stdout: None,
            stderr: None,
            std,
            watch: Some(watch),
            status: None,
            kill_on_drop,
            driver,
        };
        let pipes = (|| {
            child.stdin = stdin.map(ChildStdin::from_std).transpose()?;
            child.stdout = stdout.map(ChildStdout::from_std).transpose()?;
            child.stderr = stderr.map(ChildStderr::from_std).transpose()?;
            Ok(())
        })();
        match pipes {
            Ok(()) => Ok(child),
            Err(e) => {
                child.kill_on_drop = true;
                Err(e)
            }
        }
    }

    /// The OS process id, or `None` once the exit status was collected (the id may then
    /// belong to another process).
    pub fn id(&self) -> Option<u32> {
        match self.status {
            Some(_) => None,
            None => Some(self.std.id()),
        }
    }

    /// Waits for the child to exit and returns its status; closes [`stdin`](Self::stdin)
    /// first. Cancel-safe: dropping the future leaves the child as it was.
    ///
    /// The child's stdout and stderr are not read: a child that fills a pipe nobody reads
    /// blocks there and never exits. Read them concurrently, or use
    /// [`wait_with_output`](Self::wait_with_output).
    ///
    /// # Errors
    /// The OS's error from `waitpid`; an error if the runtime that watched the child is
    /// gone.
    pub async fn wait(&mut self) -> io::Result<ExitStatus> {
        drop(self.stdin.take());
        poll_fn(|cx| self.poll_wait(cx)).await
    }

    fn poll_wait(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<ExitStatus>> {
        loop {
            if let Some(status) = self.try_wait()? {
                return Poll::Ready(Ok(status));
            }
            match self.watch.as_mut() {
                Some(watch) => ready!(watch.poll_changed(cx))?,
                None => return Poll::Ready(Err(io::Error::other("corio: child not watched"))),
            }
        }
    }

    /// The exit status if the child has exited (collecting it), `None` if it is still
    /// running; never waits.
    ///
    /// # Errors
    /// The OS's error from `waitpid`.
    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        if let Some(status) = self.status {
            return Ok(Some(status));
        }
        let status = self.std.try_wait()?;
        if let Some(status) = status {
            self.status = Some(status);
            self.watch = None; // closes the pidfd, or ends the SIGCHLD stream
        }
        Ok(status)
    }

    /// Sends `SIGKILL` without waiting for the exit; follow with [`wait`](Self::wait).
    ///
    /// # Errors
    /// `InvalidInput` if the exit status was already collected (the pid may have been
    /// reused: no signal is sent); the OS's error from `kill`.
    pub fn start_kill(&mut self) -> io::Result<()> {
        if self.status.is_some() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "invalid argument: can't kill an exited process",
            ));
        }
        self.std.kill()
    }

    /// Sends `SIGKILL` and waits for the exit, collecting it.
    ///
    /// # Errors
    /// As [`start_kill`](Self::start_kill) and [`wait`](Self::wait).
    pub async fn kill(&mut self) -> io::Result<()> {
        self.start_kill()?;
        self.wait().await?;
        Ok(())
    }

    /// Closes stdin, reads stdout and stderr to their ends (those that were piped) while
    /// waiting for the exit, and returns all three.
    ///
    /// # Errors
    /// The first error of the reads or the wait.
    pub async fn wait_with_output(mut self) -> io::Result<Output> {
        drop(self.stdin.take());
        let (stdout, stderr) = (self.stdout.take(), self.stderr.take());
        let reads = crate::future::join(read_all(stdout), read_all(stderr));
        let ((stdout, stderr), status) = crate::future::join(reads, self.wait()).await;
        Ok(Output {
            status: status?,
            stdout: stdout?,
            stderr: stderr?,
        })
    }
}

async fn read_all<R: AsyncRead + Unpin>(pipe: Option<R>) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    if let Some(mut pipe) = pipe {
        pipe.read_to_end(&mut bytes).await?;
    }
    Ok(bytes)
}

/// Kills the child first if [`kill_on_drop`](super::Command::kill_on_drop) was set and
/// it has not exited; a child still running goes to its runtime's reaper.
impl Drop for Child {
    fn drop(&mut self) {
        if self.status.is_some() || matches!(self.std.try_wait(), Ok(Some(_))) {
            return;
        }
        if self.kill_on_drop {
            let _ = self.std.kill();
        }
        let Ok(pid) = libc::pid_t::try_from(self.std.id()) else {
            return;
        };
        match (self.driver.upgrade(), self.watch.take()) {
            (Some(driver), Some(watch)) => driver.adopt(pid, watch),
            _ => reap::leave_over(pid),
        }
    }
}

impl fmt::Debug for Child {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Child")
            .field("pid", &self.std.id())
            .field("status", &self.status)
            .field("stdin", &self.stdin)
            .field("stdout", &self.stdout)
            .field("stderr", &self.stderr)
            .field("kill_on_drop", &self.kill_on_drop)
            .finish_non_exhaustive()
    }
}
