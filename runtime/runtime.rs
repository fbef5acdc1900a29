//! `Runtime` and its `Builder`: the one place that ties a backend, a reactor and an
//! executor together.

use std::future::Future;
use std::io;
use std::rc::Rc;

use crate::executor::Core;
use crate::reactor::Reactor;

/// A single-threaded corio runtime: one reactor and one executor on the calling thread.
///
/// Most programs need only [`crate::block_on`]; build a `Runtime` to handle creation errors
/// yourself, to reuse one runtime for several `block_on` calls, or to choose its options.
/// Tasks left pending when `block_on` returns stay on the runtime and run again in the
/// next `block_on`; dropping the runtime drops them (their handles report cancelled).
pub struct Runtime {
    core: Rc<Core>,
}

impl Runtime {
    /// A runtime with default options.
    ///
    /// # Errors
    /// If the OS refuses the backend's descriptors (for example `EMFILE`).
    pub fn new() -> io::Result<Runtime> {
        Builder::new().build()
    }

    /// Options for a runtime.
    pub fn builder() -> Builder {
        Builder::new()
    }

    /// Runs `future` to completion on this thread, with every task it spawns, and returns
    /// its output. Spawned tasks still pending stay on the runtime.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.core.block_on(future)
    }

    /// The name of the OS backend this runtime waits on (`"epoll"`, ...).
    pub fn backend_name(&self) -> &'static str {
        self.core.reactor().backend_name()
    }

    /// How many spawned tasks are alive (not yet finished).
    pub fn alive_tasks(&self) -> usize {
        self.core.alive()
    }

    /// How many sources (sockets) are registered with the reactor.
    pub fn registered_sources(&self) -> usize {
        self.core.reactor().registered()
    }
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("backend", &self.backend_name())
            .finish_non_exhaustive()
    }
}

/// Options for a [`Runtime`].
#[derive(Debug, Default)]
pub struct Builder {
    _private: (),
}

impl Builder {
    /// Default options.
    pub fn new() -> Builder {
        Builder::default()
    }

    /// Creates the runtime.
    ///
    /// # Errors
    /// If the OS refuses the backend's descriptors.
    pub fn build(&self) -> io::Result<Runtime> {
        let selector = crate::sys::default_selector()?;
        let reactor = Rc::new(Reactor::new(selector)?);
        Ok(Runtime {
            core: Rc::new(Core::new(reactor)),
        })
    }
}
