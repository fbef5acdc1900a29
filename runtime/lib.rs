//! corio: an async runtime built from scratch on the OS readiness APIs, written to be read.
//!
//! ```no_run
//! use corio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! fn main() -> std::io::Result<()> {
//!     corio::block_on(async {
//!         let listener = corio::net::TcpListener::bind("127.0.0.1:8080").await?;
//!         loop {
//!             let (mut stream, _) = listener.accept().await?;
//!             corio::spawn(async move {
//!                 let mut buf = [0; 1024];
//!                 while let Ok(n @ 1..) = stream.read(&mut buf).await {
//!                     buf[..n].make_ascii_uppercase();
//!                     if stream.write_all(&buf[..n]).await.is_err() {
//!                         break;
//!                     }
//!                 }
//!             });
//!         }
//!     })
//! }
//! ```
//!
//! # Layout
//!
//! Each layer is a folder under `runtime/` and only looks down:
//!
//! | module | role |
//! |---|---|
//! | [`sys`] | OS backends behind one seam ([`sys::Selector`]), the socket syscalls, the cross-thread doorbell |
//! | `key.rs` | `Key` and `KeyTable`: index + generation ids never issued twice, behind reactor tokens, task ids and timer ids |
//! | `reactor/` | registered sources under keys, readiness, parked wakers, timers, one *turn* |
//! | `executor/` | tasks in a table, the run queue fed by wakers, `block_on`, `JoinHandle` |
//! | [`future`] | `race` and `join`: two futures side by side in one task |
//! | [`fs`] | files and directories on the blocking pool: `read`, `write`, `File`, `read_dir`, ... |
//! | [`io`] | `AsyncRead`/`AsyncWrite`/`AsyncBufRead`, their `Ext` traits, `BufReader`/`BufWriter`, `copy`, `split`, `duplex`, stdio, the readiness helper |
//! | `macros/` | `select!`, `join!`, `try_join!`, `pin!` as `macro_rules!`, exported at the crate root |
//! | [`net`] | `TcpListener`, `TcpStream`, `UdpSocket`, `UnixListener`, `UnixStream` |
//! | [`time`] | `sleep` over the reactor's timers |
//! | [`task`] | `spawn`, `spawn_local`, `spawn_blocking`, `yield_now`, `JoinHandle`, `JoinSet`, `AbortHandle`, `LocalSet` |
//! | [`process`] | `Command`, `Child` and its pipes: child processes, exits seen through a pidfd or `SIGCHLD` |
//! | [`signal`] | `ctrl_c`, `signal(kind)`: Unix signals as streams, through a self-pipe |
//! | [`sync`] | channels (`mpsc`, `broadcast`, `oneshot`), `Mutex`, `Semaphore`, `Notify` |
//! | [`metrics`] | counters: tasks, polls, wakes, reactor waits and events |
//! | [`workers`] | thread-per-core: one runtime per worker thread, `spawn_on` between them |
//! | [`runtime`] (`runtime.rs`) | [`Runtime`] and its [`Builder`]: ties a backend, a reactor and an executor; `Handle` (`handle.rs`) spawns onto it from any thread |
//!
//! The cargo feature `futures-io` (off by default) implements `futures_io::AsyncRead` and
//! `AsyncWrite` for corio's streams (see [`io`]); `hyper-corio/` in the repository runs
//! hyper 1.x on corio.
//!
//! DESIGN.md at the repository root walks a byte from the kernel to an `async fn` and back
//! through these files.

#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs, missing_debug_implementations)]

mod coop;
mod executor;
pub mod fs;
pub mod future;
pub mod io;
mod key;
mod macros;
pub mod metrics;
pub mod net;
/// Child processes: `Command`, `Child`, and the child's pipes as async streams.
pub mod process;
mod reactor;
pub mod runtime;
pub mod signal;
mod std_or_loom;
mod stored_waker;
pub mod sync;
pub mod sys;
pub mod task;
pub mod time;
pub mod workers;

#[doc(hidden)]
pub use macros::support as __private;
pub use runtime::{Builder, Runtime, BACKEND_ENV};
pub use sys::Backend;
pub use task::{spawn, JoinError, JoinHandle};

/// `#[corio::main]`: an `async fn main` on a single-threaded runtime (feature `macros`, on
/// by default). For one runtime per core, see [`workers`].
#[cfg(feature = "macros")]
#[doc(inline)]
pub use corio_macros::main;
/// `#[corio::test]`: an `async fn` test on its own single-threaded runtime (feature
/// `macros`, on by default).
#[cfg(feature = "macros")]
#[doc(inline)]
pub use corio_macros::test;

/// Runs `future` to completion on this thread, with every task it spawns, on a fresh
/// runtime with default options; returns its output.
///
/// ```
/// assert_eq!(corio::block_on(async { 1 + 1 }), 2);
/// ```
///
/// The backend comes from `CORIO_BACKEND` if set, else the OS default (see [`Builder`]).
///
/// # Panics
/// If the runtime cannot be created: `CORIO_BACKEND` names an unknown or unavailable
/// backend, or the OS refuses the backend's descriptors. Use [`Runtime::new`] to handle
/// that as an error instead.
#[track_caller]
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    match Runtime::new() {
        Ok(runtime) => runtime.block_on(future),
        Err(e) => panic!("corio: cannot create a runtime: {e}"),
    }
}
