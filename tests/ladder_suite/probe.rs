//! Watching a rung from outside: the CPU it burns while idle, its child processes, its
//! thread count (all read from `/proc`).

use std::net::TcpStream;
use std::time::Duration;

use super::client::{connect, exchange};
use super::launch::start;
use crate::util::Server;

/// Starts example `name` and leaves it idle: one exchange done, one client connected
/// and silent. Keep the returned client alive while measuring.
pub fn start_idle(name: &str) -> (Server, TcpStream) {
    let server = start(name);
    exchange(server.addr, b"warm up", "warm-up exchange");
    let idle_client = connect(server.addr);
    (server, idle_client)
}

/// CPU time (clock ticks, 1/100 s) example `name` uses over `window` while idle (see
/// [`start_idle`]). A server that waits in the kernel scores about 0, even on a busy
/// machine; one that polls in a loop scores up to `window` in ticks, less when it has to
/// share the cores (so assert a low figure with this, and a high one with a bounded wait
/// for the ticks to pile up, as `tests/ladder.rs` does for rung 4).
pub fn idle_cpu_ticks(name: &str, window: Duration) -> u64 {
    let (server, _idle_client) = start_idle(name);
    let before = server.cpu_ticks();
    std::thread::sleep(window); // the measurement window, not a synchronisation
    server.cpu_ticks() - before
}

/// The child processes of `pid`, as `(child pid, state)` with state the one-letter code
/// of `/proc/<pid>/stat` (`R`, `S`, `Z` for a zombie, ...).
pub fn children(pid: u32) -> Vec<(u32, char)> {
    let mut out = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return out;
    };
    for entry in dir.flatten() {
        let Some(child) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        // Processes come and go while we scan: skip any that vanish.
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{child}/stat")) else {
            continue;
        };
        // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
        let Some(rest) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
            continue;
        };
        let mut fields = rest.split_whitespace();
        let state = fields.next().and_then(|s| s.chars().next());
        let ppid = fields.next().and_then(|s| s.parse::<u32>().ok());
        if let (Some(state), Some(ppid)) = (state, ppid) {
            if ppid == pid {
                out.push((child, state));
            }
        }
    }
    out
}

/// How many threads process `pid` has (`Threads:` in `/proc/<pid>/status`).
pub fn thread_count(pid: u32) -> usize {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("Threads: line")
}
