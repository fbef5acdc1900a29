//! Helpers shared by the integration tests.
//!
//! - `server`: example servers as child processes ([`Server`], [`example_path`]) and
//!   what to do with a child (limit its fds, collect its stderr).
//! - `echo`: the echo protocol's data: [`upper`], [`pattern`], [`echo_round_trip`].
//! - `socket`: socket options, `poll(2)` waits, resets, urgent data, and the kernel's
//!   view of a TCP socket (`/proc/net/tcp`).
//! - `process`: limits and `/proc` readings for processes and threads, and [`wait_for`].
//! - `future`: [`timeout`], [`within`], [`join2`], [`poll_once`] for async tests.
//! - `temp`: [`TempDir`], a unique directory for socket paths.
//! - `pipe`: [`pipe`], a non-blocking pipe.
//! - `probe`: [`Probe`], a future that logs its polls; [`DropFlag`].
//!
//! Everything is re-exported here: use it as `util::NAME`.
#![allow(dead_code)]

mod echo;
mod future;
mod pipe;
mod probe;
mod process;
mod server;
mod socket;
mod temp;

// Each test binary uses only some of these.
#[allow(unused_imports)]
pub use self::{
    echo::{echo_round_trip, pattern, upper},
    future::{join2, poll_once, timeout, within, Elapsed},
    pipe::pipe,
    probe::{DropFlag, Probe},
    process::{fd_count, process_state, raise_fd_limit, thread_cpu_time, wait_for},
    server::{collect_lines, example_path, limit_child_fds, Server},
    socket::{
        reset, send_urgent, set_linger_zero, set_socket_option, tcp_rx_queue, tcp_socket_exists,
        unread_bytes, wait_hangup, wait_writable, write_until_stalled,
    },
    temp::TempDir,
};
