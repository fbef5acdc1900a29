//! The checks every rung of the ladder must pass, shared by all ladder test files.
//!
//! Each rung (`examples/ladder_NN_*.rs`) is the uppercase echo server of `examples/echo.rs`
//! rewritten with one I/O model. Every check here takes the example's name, starts it with
//! [`start`] on `127.0.0.1:0`, drives it over real sockets, and panics with a message if
//! the protocol is broken: every byte comes back ASCII-uppercased (others unchanged), and
//! after the client shuts down its write half the server sends the rest and closes (FIN,
//! not RST). Every socket step has a timeout ([`STEP`]) and every loop a bound, so a stuck
//! server fails a check instead of hanging it.
//!
//! # Using it from a test file
//!
//! The module needs `util` beside it at the test crate's root, and the macro needs
//! `#[macro_use]`:
//!
//! ```ignore
//! mod util;
//! #[macro_use]
//! mod ladder_suite;
//!
//! // n clients at once, each must get its exact reply while all are connected:
//! ladder_suite!(select, "ladder_05_select", clients = 50);
//! // a server that serves one client at a time: n clients one after another instead:
//! ladder_suite!(blocking, "ladder_01_blocking", sequential_clients = 20);
//! ```
//!
//! `ladder_suite!(MODULE, "EXAMPLE", clients = N)` expands to `mod MODULE { ... }` with
//! one `#[test]` per check: `round_trip`, `binary_bytes`, `eight_mib`, `half_close`,
//! `reset_survives` and `many_clients` (which calls [`many_clients`] with `N`, or
//! [`sequential_clients`] for the `sequential_clients = N` form).
//!
//! # What a rung must do to pass
//!
//! - Print `listening on ADDR` (the bound address) as its first stdout line, and flush.
//! - Survive partial writes: [`eight_mib`] stops reading until the pipeline is full.
//! - Close every connection it is done with, resets included: [`reset_survives`] waits
//!   (bounded) for the server's descriptor count to fall back to what it was after one
//!   warm-up exchange, so descriptors opened once (an epoll fd, a ring) are fine.
//! - Never die of SIGPIPE: [`reset_survives`] resets a connection the server has seen
//!   FIN on while it is still answering, which makes its next `send` fail with EPIPE.
//!   Ignore SIGPIPE (Rust does before `main`) or send with `MSG_NOSIGNAL` (std does).
//! - For `clients = N`: answer each of N clients while all N are connected.
//!
//! Rung-specific properties go in plain `#[test]`s beside it, with the helpers it
//! re-exports: [`start`] and [`start_with`], [`idle_cpu_ticks`] and [`start_idle`] (the
//! CPU a server burns doing nothing), [`children`] (its child processes and their states),
//! [`thread_count`], [`assert_still_serving`].
//!
//! Use [`start`] rather than `util::Server::start`: `cargo test` builds every example, but
//! `cargo test --test NAME` builds none, and `util::example_path` only builds one that is
//! missing, so an edited example would be tested stale. [`start`] runs
//! `cargo build --example NAME` once per example per test binary (a no-op when current).
//!
//! # Layout
//!
//! - `launch`: [`start`], [`start_with`], [`build`].
//! - `client`: blocking client sockets with [`STEP`] timeouts, [`exchange`],
//!   [`assert_same`], [`assert_still_serving`] and the TCP-level helpers.
//! - `checks`: the shared checks the macro runs.
//! - `probe`: a running server seen from `/proc`: idle CPU, child processes, threads.

#![allow(dead_code)]

mod checks;
mod client;
mod launch;
mod probe;

use std::time::Duration;

// Each test binary uses only some of these.
#[allow(unused_imports)]
pub use self::{
    checks::{
        binary_bytes, eight_mib, half_close, many_clients, reset_survives, round_trip,
        sequential_clients,
    },
    client::{
        assert_same, assert_still_serving, connect, exchange, read_exact, read_to_eof,
        send_dontwait, tcp_state, try_exchange, TCP_FIN_WAIT2,
    },
    launch::{build, start, start_with},
    probe::{children, idle_cpu_ticks, start_idle, thread_count},
};

/// How long any single socket operation may take before a check fails. Generous: the
/// suite runs on 2 cores beside other test binaries, and rung 4 burns a core by design.
pub const STEP: Duration = Duration::from_secs(20);

/// Expands to a module of `#[test]`s running every shared check against one example.
/// See the [module docs](self).
macro_rules! ladder_suite {
    (@tests $module:ident, $example:literal, $many:block) => {
        mod $module {
            #[test]
            fn round_trip() {
                $crate::ladder_suite::round_trip($example);
            }
            #[test]
            fn binary_bytes() {
                $crate::ladder_suite::binary_bytes($example);
            }
            #[test]
            fn eight_mib() {
                $crate::ladder_suite::eight_mib($example);
            }
            #[test]
            fn half_close() {
                $crate::ladder_suite::half_close($example);
            }
            #[test]
            fn reset_survives() {
                $crate::ladder_suite::reset_survives($example);
            }
            #[test]
            fn many_clients() $many
        }
    };
    ($module:ident, $example:literal, clients = $n:expr $(,)?) => {
        ladder_suite!(@tests $module, $example, {
            $crate::ladder_suite::many_clients($example, $n);
        });
    };
    ($module:ident, $example:literal, sequential_clients = $n:expr $(,)?) => {
        ladder_suite!(@tests $module, $example, {
            $crate::ladder_suite::sequential_clients($example, $n);
        });
    };
}
