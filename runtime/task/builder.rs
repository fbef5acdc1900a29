//! `task::Builder`: spawning with options — for now, a name that reports (the slow-poll
//! detector) show beside the spawn site.

use std::future::Future;
use std::io;

use crate::executor::JoinHandle;

/// Options for spawning one task.
///
/// ```
/// corio::block_on(async {
///     let handle = corio::task::Builder::new()
///         .name("greeter")
///         .spawn(async { "hello" })
///         .expect("inside a runtime");
///     assert_eq!(handle.await.unwrap(), "hello");
/// });
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Builder<'a> {
    name: Option<&'a str>,
}

impl<'a> Builder<'a> {
    /// No options: like [`spawn`](crate::spawn).
    pub fn new() -> Builder<'a> {
        Builder::default()
    }

    /// Names the task (copied at spawn).
    pub fn name(mut self, name: &'a str) -> Builder<'a> {
        self.name = Some(name);
        self
    }

    /// Spawns `future` on this thread's runtime, recording the caller's location.
    ///
    /// # Errors
    /// Outside a runtime (where [`spawn`](crate::spawn) would panic).
    #[track_caller]
    pub fn spawn<F>(self, future: F) -> io::Result<JoinHandle<F::Output>>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        crate::executor::try_spawn(future, self.name)
    }
}
