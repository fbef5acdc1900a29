//! hyper 1.x on corio, through hyper's own runtime traits.
//!
//! hyper does no I/O, spawning or timekeeping of its own: it asks for them through
//! traits in [`hyper::rt`]. This crate implements each over corio:
//!
//! | hyper asks for | corio gives | here |
//! |---|---|---|
//! | [`rt::Read`](hyper::rt::Read), [`rt::Write`](hyper::rt::Write) | any [`corio::io::AsyncRead`] + [`AsyncWrite`](corio::io::AsyncWrite) | [`CorioIo`] |
//! | [`rt::Executor`](hyper::rt::Executor) (HTTP/2 streams, client connections) | [`corio::spawn`] | [`CorioExecutor`] |
//! | [`rt::Timer`](hyper::rt::Timer) (header read timeout, HTTP/2 keep-alive) | [`corio::time::Sleep`] | [`CorioTimer`], [`CorioSleep`] |
//!
//! A server is then hyper's own connection builder, one corio task per connection:
//!
//! ```no_run
//! use corio_hyper::{CorioIo, CorioTimer};
//! use hyper::server::conn::http1;
//! use hyper::service::service_fn;
//!
//! fn main() -> std::io::Result<()> {
//!     corio::block_on(async {
//!         let listener = corio::net::TcpListener::bind("127.0.0.1:8080").await?;
//!         loop {
//!             let (stream, _) = listener.accept().await?;
//!             corio::spawn(async move {
//!                 let conn = http1::Builder::new()
//!                     .timer(CorioTimer) // enables the header read timeout (30 s)
//!                     .serve_connection(CorioIo::new(stream), service_fn(corio_hyper::demo::hello));
//!                 if let Err(e) = conn.await {
//!                     eprintln!("connection: {e}");
//!                 }
//!             });
//!         }
//!     })
//! }
//! ```
//!
//! Everything runs on the thread of the corio runtime that accepted the connection, as
//! every corio task does: neither the service nor its futures need be `Send`. The one
//! place where hyper insists on `Send + Sync` is its timer's sleeps; [`CorioSleep`] is
//! corio's `Send + Sync` [`corio::time::Sleep`] with hyper's trait on it.
//!
//! `examples/hello.rs` is a runnable server (HTTP/1.1, or HTTP/2 with `--http2`);
//! `examples/axum.rs` serves an axum `Router` through hyper-util; `tests/` drive both
//! with hyper's client and with `ureq`.

#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs, missing_debug_implementations)]

pub mod demo;
mod executor;
mod io;
mod timer;

pub use executor::CorioExecutor;
pub use io::CorioIo;
pub use timer::{CorioSleep, CorioTimer};
