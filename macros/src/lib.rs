//! The attribute macros behind `#[corio::main]` and `#[corio::test]`.
//!
//! Use them through the `corio` crate (its `macros` feature, on by default), which
//! re-exports them; this crate is its implementation detail. It depends on nothing but the
//! compiler's `proc_macro`: the attributes accept only
//! `#[attrs] [pub] async fn name() [-> Type] { body }`, so the few tokens they need
//! (attributes, visibility, name, parameters, return type, body) are read by hand
//! (`parse.rs`, `args.rs`) and the output is built token by token (`tokens.rs`,
//! `expand.rs`).
//!
//! # Misuse is a compile error
//!
//! Each misuse below fails to compile with a message spanned on the offending token. These
//! examples are the crate's compile-fail tests.
//!
//! A function that is not `async` (the error points at `fn`):
//! ```compile_fail
//! #[corio::main]
//! fn main() {}
//! ```
//!
//! `main` with parameters (the error points at the parameter list):
//! ```compile_fail
//! #[corio::main]
//! async fn main(args: Vec<String>) {}
//! ```
//!
//! The multi-threaded flavor, which corio does not have (the error points at the string):
//! ```compile_fail
//! #[corio::main(flavor = "multi_thread")]
//! async fn main() {}
//! ```
//!
//! `worker_threads`, for the same reason:
//! ```compile_fail
//! #[corio::main(worker_threads = 4)]
//! async fn main() {}
//! ```
//!
//! An argument neither attribute knows:
//! ```compile_fail
//! #[corio::test(threads = 2)]
//! async fn answers() {}
//! # fn main() {}
//! ```
//!
//! `start_paused` with anything but `true` or `false`:
//! ```compile_fail
//! #[corio::test(start_paused = "yes")]
//! async fn paused() {}
//! # fn main() {}
//! ```
//!
//! An item that is not a function:
//! ```compile_fail
//! #[corio::main]
//! struct Server;
//! # fn main() {}
//! ```
//!
//! A generic function:
//! ```compile_fail
//! #[corio::test]
//! async fn generic<T: Default>() {}
//! # fn main() {}
//! ```

#![warn(missing_docs)]

mod args;
mod expand;
mod parse;
mod tokens;

use proc_macro::TokenStream;

use parse::Kind;

/// Runs an `async fn main` on a corio runtime: the attribute turns it into a plain `fn`
/// that creates a runtime and blocks on the body until it finishes.
///
/// ```
/// #[corio::main]
/// async fn main() {
///     let answer = corio::spawn(async { 6 * 7 }).await.unwrap();
///     assert_eq!(answer, 42);
/// }
/// ```
///
/// The return type is kept, so `main` may return a `Result` and use `?`:
///
/// ```no_run
/// use corio::io::AsyncWriteExt;
/// use corio::net::TcpStream;
///
/// #[corio::main(flavor = "current_thread")]
/// async fn main() -> std::io::Result<()> {
///     let mut stream = TcpStream::connect("127.0.0.1:6142").await?;
///     stream.write_all(b"hello\n").await?;
///     Ok(())
/// }
/// ```
///
/// # Expansion
///
/// Attributes (doc comments, `#[allow(..)]`, ...), visibility and return type stay as
/// written; the function need not be named `main`. The example above becomes:
///
/// ```text
/// fn main() -> std::io::Result<()> {
///     let body = async move { /* the body as written */ };
///     ::corio::runtime::Builder::new_current_thread()
///         .enable_all()
///         .build()
///         .expect("#[corio::main]: cannot create the corio runtime")
///         .block_on(body)
/// }
/// ```
///
/// # Arguments
///
/// - `flavor = "current_thread"`: accepted; it is what happens anyway.
/// - `crate = "path"`: the path the expansion names corio by (default `::corio`), for a
///   renamed dependency or a crate that re-exports corio.
/// - `flavor = "multi_thread"` and `worker_threads = N`: compile errors, see below.
/// - `start_paused = true`: the runtime starts with its clock paused
///   (`Builder::start_paused`); time moves by `corio::time::advance` or auto-advance.
///
/// Anything else, a function that is not `async`, one with parameters, generics or a
/// `where` clause, and an item that is not a function are compile errors pointing at the
/// offending token.
///
/// # Differences from tokio
///
/// `#[tokio::main]` starts tokio's multi-threaded runtime unless told otherwise; a corio
/// runtime always runs its tasks on the thread that calls `block_on`, here the thread that
/// calls `main`: tokio's `flavor = "current_thread"`. Spawned futures therefore need not
/// be `Send`, and a task that blocks stalls every other task (move blocking work to
/// `corio::task::spawn_blocking`). There is no work-stealing pool to ask for, so
/// `flavor = "multi_thread"` and `worker_threads` fail to compile with a message that
/// points to `corio::workers`, corio's one-runtime-per-core model.
///
/// # Panics
///
/// The generated function panics if the runtime cannot be created (`CORIO_BACKEND` names
/// a backend this OS lacks, or the OS refuses the backend's descriptors), and passes on a
/// panic of the body.
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(Kind::Main, args, item)
}

/// Runs an `async fn` test on a fresh corio runtime: the attribute turns it into a `#[test]`
/// function that creates a runtime and blocks on the body.
///
/// ```
/// #[corio::test]
/// async fn spawned_task_answers() {
///     let answer = corio::spawn(async { 6 * 7 }).await.unwrap();
///     assert_eq!(answer, 42);
/// }
/// # fn main() {}
/// ```
///
/// Other attributes stay on the test, so `#[should_panic]`, `#[ignore]` and
/// `#[cfg_attr(miri, ignore)]` work as on any test, and a test may return
/// `Result<(), E>`:
///
/// ```
/// #[corio::test]
/// #[should_panic(expected = "boom")]
/// async fn panics() {
///     panic!("boom");
/// }
///
/// #[corio::test]
/// async fn parses() -> Result<(), std::num::ParseIntError> {
///     assert_eq!("42".parse::<u8>()?, 42);
///     Ok(())
/// }
/// # fn main() {}
/// ```
///
/// # Expansion
///
/// ```text
/// #[::core::prelude::v1::test]
/// // the test's other attributes
/// fn spawned_task_answers() {
///     let body = async move { /* the body as written */ };
///     ::corio::runtime::Builder::new_current_thread()
///         .enable_all()
///         .build()
///         .expect("#[corio::test]: cannot create the corio runtime")
///         .block_on(body)
/// }
/// ```
///
/// Each test gets its own runtime, so tasks a test leaves behind are dropped with it.
/// Writing `#[test]` as well is a compile error (it would run the test twice).
///
/// # Arguments and differences from tokio
///
/// As for `#[corio::main]`: `flavor = "current_thread"` (tokio's default for tests too)
/// `crate = "path"` and `start_paused = true` (the runtime's clock starts paused, as with
/// tokio) are accepted; `flavor = "multi_thread"` and `worker_threads` are compile errors,
/// because a corio runtime runs on one thread.
///
/// # Panics
///
/// As for `#[corio::main]`: the test fails if the runtime cannot be created, and with
/// the body's panic.
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(Kind::Test, args, item)
}
