//! [`Builder::new_multi_thread`](super::Builder::new_multi_thread): present so that tokio
//! code which asks for a multi-thread runtime fails to compile with an error that says
//! why and what to use instead, rather than with "no function named `new_multi_thread`".

use std::io;
use std::marker::PhantomData;

use super::{Builder, Runtime};

/// What [`Builder::new_multi_thread`] returns: the settings of a runtime corio does not
/// have. Its [`build`](Self::build) does not compile.
///
/// A corio runtime runs its tasks on one thread (that is why futures need not be `Send`).
/// Where tokio code builds a multi-thread runtime:
///
/// - [`Builder::new_current_thread`] gives the same program on one thread, which is what
///   most servers and tools need; spawned futures no longer need to be `Send`.
/// - [`Builder::build_workers`] (see [`workers`](crate::workers)) starts one such runtime
///   per core, and spreads work over them; tasks do not move between them.
///
/// ```compile_fail,E0277
/// let rt = corio::runtime::Builder::new_multi_thread()
///     .worker_threads(4)
///     .enable_all()
///     .build()?; // error: corio has no multi-thread runtime
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct MultiThread<R = ()> {
    /// Names the marker that `build` requires and no type provides.
    unsupported: PhantomData<R>,
}

/// A marker no type implements: [`MultiThread::build`] requires it, so that a call is a
/// compile error carrying the message below.
#[diagnostic::on_unimplemented(
    message = "corio has no multi-thread runtime: each corio runtime runs its tasks on one thread",
    label = "`Builder::new_multi_thread()` cannot build a runtime",
    note = "use `Builder::new_current_thread()` for one runtime on this thread, or `Builder::build_workers()` (corio::workers) for one runtime per core"
)]
pub trait MultiThreadRuntime: sealed::Sealed {}

mod sealed {
    /// Keeps [`MultiThreadRuntime`](super::MultiThreadRuntime) unimplemented outside
    /// this module.
    pub trait Sealed {}
}

impl Builder {
    /// tokio's multi-thread runtime, which corio does not have: the result's
    /// [`build`](MultiThread::build) is a compile error naming the alternatives,
    /// [`new_current_thread`](Self::new_current_thread) and
    /// [`build_workers`](Self::build_workers). See [`MultiThread`].
    pub fn new_multi_thread() -> MultiThread {
        MultiThread::default()
    }
}

impl<R> MultiThread<R> {
    /// Accepted so that tokio's builder chain reaches [`build`](Self::build), whose error
    /// explains.
    pub fn worker_threads(&mut self, _count: usize) -> &mut Self {
        self
    }

    /// Accepted, as [`Builder::enable_all`].
    pub fn enable_all(&mut self) -> &mut Self {
        self
    }

    /// Accepted, as [`Builder::enable_io`].
    pub fn enable_io(&mut self) -> &mut Self {
        self
    }

    /// Accepted, as [`Builder::enable_time`].
    pub fn enable_time(&mut self) -> &mut Self {
        self
    }

    /// Does not compile: no type implements [`MultiThreadRuntime`], so the compiler
    /// reports that corio has no multi-thread runtime and names the alternatives.
    ///
    /// # Errors
    /// Never callable; its body answers `Unsupported` with the same message.
    pub fn build(&self) -> io::Result<Runtime>
    where
        R: MultiThreadRuntime,
    {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "corio runs one thread per runtime: use Builder::new_current_thread(), or \
             Builder::build_workers() for one runtime per core",
        ))
    }
}
