//! `CorioExecutor`: hyper's [`Executor`] as [`corio::spawn`].

use std::future::Future;

use hyper::rt::Executor;

/// Spawns the futures hyper hands over (HTTP/2 streams and connection tasks, a client
/// connection's background work) as corio tasks on the current thread's runtime.
///
/// hyper's trait is `execute(&self, fut: F)` for whatever `F` the caller needs, with no
/// `Send` bound of its own, so this implements it for every `'static` future: the futures
/// of a `!Send` service (holding `Rc`s, corio sockets) are fine, as corio tasks stay on
/// their thread. The task is detached: hyper learns of its end through its own channels.
///
/// ```no_run
/// # async fn f(io: corio_hyper::CorioIo<corio::net::TcpStream>) -> hyper::Result<()> {
/// use corio_hyper::{CorioExecutor, CorioTimer};
/// use hyper::service::service_fn;
///
/// hyper::server::conn::http2::Builder::new(CorioExecutor)
///     .timer(CorioTimer)
///     .serve_connection(io, service_fn(corio_hyper::demo::hello))
///     .await
/// # }
/// ```
///
/// # Panics
/// `execute` panics when called outside a corio runtime (as [`corio::spawn`] does):
/// hyper calls it from inside the connection future, which runs on one.
#[derive(Debug, Clone, Copy, Default)]
pub struct CorioExecutor;

impl<F> Executor<F> for CorioExecutor
where
    F: Future + 'static,
    F::Output: 'static,
{
    fn execute(&self, fut: F) {
        drop(corio::spawn(fut)); // detached; dropping the handle does not cancel
    }
}
