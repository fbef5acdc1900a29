//! Child processes: [`Command`](crate::process::Command) spawns,
//! [`Child`](crate::process::Child) waits, and the child's pipes are corio
//! [`AsyncRead`](crate::io::AsyncRead)/[`AsyncWrite`](crate::io::AsyncWrite) streams.
//!
//! ```
//! use corio::process::Command;
//! use corio::io::{AsyncReadExt, AsyncWriteExt};
//! use std::process::Stdio;
//!
//! corio::block_on(async {
//!     let out = Command::new("sh").args(["-c", "printf hi; exit 3"]).output().await?;
//!     assert_eq!(out.stdout, b"hi");
//!     assert_eq!(out.status.code(), Some(3));
//!
//!     let mut cat = Command::new("cat").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn()?;
//!     let mut stdin = cat.stdin.take().unwrap();
//!     stdin.write_all(b"echo").await?;
//!     drop(stdin); // end of cat's input
//!     let mut echoed = Vec::new();
//!     cat.stdout.take().unwrap().read_to_end(&mut echoed).await?;
//!     assert_eq!(echoed, b"echo");
//!     assert!(cat.wait().await?.success());
//!     Ok::<(), std::io::Error>(())
//! })
//! .unwrap();
//! ```
//!
//! The names and behaviour are tokio's (`tokio::process`). Spawning is std's
//! [`std::process::Command`] (fork/exec, close-on-exec pipes); corio then makes our ends
//! of the pipes non-blocking and registers them with the reactor.
//!
//! # How an exit is noticed
//!
//! On Linux each child gets a pidfd (`pidfd_open`, Linux ≥ 5.3), registered with the
//! reactor like a socket: it turns readable when the child exits, and the status is then
//! collected with `waitpid(pid, WNOHANG)`. Where pidfds are refused (`ENOSYS` on older
//! kernels, `EPERM` under some seccomp policies) and on other systems, each waiting child
//! listens for `SIGCHLD` through [`signal`](crate::signal) and re-checks itself with
//! `waitpid(pid, WNOHANG)` at each one. There is never a thread per child.
//!
//! # Dropped children
//!
//! A [`Child`](crate::process::Child) dropped while its process still runs is killed
//! first if [`Command::kill_on_drop`](crate::process::Command::kill_on_drop) was set, and
//! in every case handed to its runtime: one task per runtime holds all such *orphans*
//! and reaps each when its exit arrives, so dropped children do not stay zombies. When the runtime itself is dropped, each orphan that has
//! exited is reaped at once (`WNOHANG`); those still running are kept in a process-wide
//! list that the next spawn in any corio runtime of this process sweeps with `WNOHANG`.
//! If none comes, they stay zombies after they exit until this process exits, when `init`
//! adopts and reaps them. A runtime that may be dropped with children still running
//! should kill and [`wait`](crate::process::Child::wait) them first.
//!
//! Unlike tokio's, [`Child`](crate::process::Child) and the pipe types are `!Send`
//! (corio runs one thread per runtime; each is registered with the reactor of the runtime
//! that spawned it).

mod child;
mod pipes;
mod reap;

use std::ffi::OsStr;
use std::fmt;
use std::io;
use std::path::Path;
use std::process::{ExitStatus, Output, Stdio};

pub use child::Child;
pub use pipes::{ChildStderr, ChildStdin, ChildStdout};

/// A process builder: std's [`std::process::Command`] with async [`spawn`](Self::spawn),
/// [`output`](Self::output) and [`status`](Self::status), and
/// [`kill_on_drop`](Self::kill_on_drop).
pub struct Command {
    std: std::process::Command,
    kill_on_drop: bool,
}

impl Command {
    /// A command running `program`, looked up in `PATH` if it has no `/`; with no
    /// arguments, the parent's environment and working directory, and inherited stdio
    /// for [`spawn`](Self::spawn) and [`status`](Self::status).
    pub fn new<S: AsRef<OsStr>>(program: S) -> Command {
        Command::from(std::process::Command::new(program))
    }

    /// Appends one argument.
    pub fn arg<S: AsRef<OsStr>>(&mut self, arg: S) -> &mut Command {
        self.std.arg(arg);
        self
    }

    /// Appends several arguments.
    pub fn args<I, S>(&mut self, args: I) -> &mut Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.std.args(args);
        self
    }

    /// Sets one environment variable for the child.
    pub fn env<K: AsRef<OsStr>, V: AsRef<OsStr>>(&mut self, key: K, val: V) -> &mut Command {
        self.std.env(key, val);
        self
    }

    /// Sets several environment variables for the child.
    pub fn envs<I, K, V>(&mut self, vars: I) -> &mut Command
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        self.std.envs(vars);
        self
    }

    /// Removes one environment variable from the child's environment.
    pub fn env_remove<K: AsRef<OsStr>>(&mut self, key: K) -> &mut Command {
        self.std.env_remove(key);
        self
    }

    /// Starts the child with an empty environment (plus what [`env`](Self::env) adds).
    pub fn env_clear(&mut self) -> &mut Command {
        self.std.env_clear();
        self
    }

    /// Sets the child's working directory.
    pub fn current_dir<P: AsRef<Path>>(&mut self, dir: P) -> &mut Command {
        self.std.current_dir(dir);
        self
    }

    /// The child's stdin: [`Stdio::piped`] gives [`Child::stdin`].
    pub fn stdin<T: Into<Stdio>>(&mut self, cfg: T) -> &mut Command {
        self.std.stdin(cfg);
        self
    }

    /// The child's stdout: [`Stdio::piped`] gives [`Child::stdout`].
    pub fn stdout<T: Into<Stdio>>(&mut self, cfg: T) -> &mut Command {
        self.std.stdout(cfg);
        self
    }

    /// The child's stderr: [`Stdio::piped`] gives [`Child::stderr`].
    pub fn stderr<T: Into<Stdio>>(&mut self, cfg: T) -> &mut Command {
        self.std.stderr(cfg);
        self
    }

    /// Whether dropping the [`Child`] (or the future of [`output`](Self::output) or
    /// [`status`](Self::status)) before the process exited sends it `SIGKILL`. Off by
    /// default: a dropped child runs on, and is reaped by the runtime when it exits.
    pub fn kill_on_drop(&mut self, kill_on_drop: bool) -> &mut Command {
        self.kill_on_drop = kill_on_drop;
        self
    }

    /// Whether [`kill_on_drop`](Self::kill_on_drop) is set.
    pub fn get_kill_on_drop(&self) -> bool {
        self.kill_on_drop
    }

    /// The std command inside, to read its settings.
    pub fn as_std(&self) -> &std::process::Command {
        &self.std
    }

    /// The std command inside, for settings this type has no method for
    /// (`std::os::unix::process::CommandExt`: `uid`, `process_group`, ...).
    pub fn as_std_mut(&mut self) -> &mut std::process::Command {
        &mut self.std
    }

    /// Starts the child, registering its pipes and its exit with this thread's runtime.
    ///
    /// # Errors
    /// std's spawn errors (`NotFound` for a missing program, `PermissionDenied`, ...); an
    /// error outside a corio runtime (checked before anything is started).
    pub fn spawn(&mut self) -> io::Result<Child> {
        let driver = reap::Driver::current()?;
        let child = self.std.spawn()?;
        Child::new(child, self.kill_on_drop, driver)
    }

    /// Runs the child to its exit with stdout and stderr captured (stdin as configured,
    /// inherited by default), and returns status and bytes.
    ///
    /// # Errors
    /// As [`spawn`](Self::spawn) and [`Child::wait_with_output`].
    pub async fn output(&mut self) -> io::Result<Output> {
        self.std.stdout(Stdio::piped());
        self.std.stderr(Stdio::piped());
        self.spawn()?.wait_with_output().await
    }

    /// Runs the child to its exit (stdio as configured, inherited by default) and
    /// returns its status; pipes configured as piped are closed at once.
    ///
    /// # Errors
    /// As [`spawn`](Self::spawn) and [`Child::wait`].
    pub async fn status(&mut self) -> io::Result<ExitStatus> {
        let mut child = self.spawn()?;
        drop((child.stdin.take(), child.stdout.take(), child.stderr.take()));
        child.wait().await
    }
}

impl From<std::process::Command> for Command {
    fn from(std: std::process::Command) -> Command {
        Command {
            std,
            kill_on_drop: false,
        }
    }
}

impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Command")
            .field("std", &self.std)
            .field("kill_on_drop", &self.kill_on_drop)
            .finish()
    }
}
