//! The `counts` suite: system calls and user-space instructions per echo request, counts
//! that do not drift with machine load.
//!
//! corio's row is `examples/echo` as a user runs it (`cargo run --release --example echo`),
//! not a server written for the bench; the others are `corio-bench serve NAME`.
//!
//! - syscalls: the server runs under `strace -f -c`; total calls / requests served.
//! - instructions: the server runs under `valgrind --tool=callgrind` twice, for a short and
//!   a long load; (Ir_long - Ir_short) / (requests_long - requests_short) cancels start-up.

use std::io;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;

use crate::loadgen;
use crate::peers::{raise_fd_limit, start};
use crate::{proc_stats, report};

const SERVERS: &[&str] = &["corio", "tokio", "smol", "raw-epoll"];

/// The program and arguments that start `server` (the address is appended by `start`):
/// corio's is the echo example, built here if it is missing; `corio-bench` names the
/// bench's own minimal corio server (`corio-bench serve corio`), to compare with it.
fn server_command(me: &Path, server: &str) -> io::Result<(PathBuf, Vec<String>)> {
    if server != "corio" {
        let name = if server == "corio-bench" {
            "corio"
        } else {
            server
        };
        let args = vec!["serve".to_string(), name.to_string()];
        return Ok((me.to_path_buf(), args));
    }
    let dir = me
        .parent()
        .ok_or_else(|| io::Error::other("the bench binary has no directory"))?;
    let echo = dir.join("examples").join("echo");
    if !echo.exists() {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "--release", "-p", "corio", "--example", "echo"])
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
            .status()?;
        if !status.success() || !echo.exists() {
            return Err(io::Error::other(
                "examples/echo is not built: run cargo build --release --example echo",
            ));
        }
    }
    Ok((echo, Vec::new()))
}

/// Ends a traced server with SIGTERM (SIGINT may be ignored when the bench itself runs in
/// the background) and waits for the tool to write its summary. Under strace the server is
/// the tool's child; under valgrind it is the tool's own process.
pub fn terminate(child: &mut Child, server_is_child_of_tool: bool) {
    let pid = child.id();
    let targets: Vec<u32> = if server_is_child_of_tool {
        std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
            .unwrap_or_default()
            .split_whitespace()
            .filter_map(|p| p.parse().ok())
            .collect()
    } else {
        vec![pid]
    };
    for target in targets {
        // SAFETY: sends SIGTERM to a process this suite started.
        unsafe { libc::kill(target as libc::pid_t, libc::SIGTERM) };
    }
    let _ = child.wait();
}

/// Syscalls per request for `server` at `conns` connections.
fn syscalls(
    me: &Path,
    server: &str,
    conns: usize,
    window: Duration,
    out: &Path,
) -> io::Result<(f64, String)> {
    let out_s = out.to_string_lossy().into_owned();
    let (program, server_args) = server_command(me, server)?;
    let mut args = vec!["-f".to_string(), "-c".into(), "-o".into(), out_s];
    args.push(program.to_string_lossy().into_owned());
    args.extend(server_args);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (mut child, addr) = start(Path::new("strace"), &args)?;
    let result = loadgen::run(addr, conns, 64, Duration::ZERO, window);
    terminate(&mut child, true);
    let result = result?;
    let text = std::fs::read_to_string(out)?;
    // The "total" line: "100.00  0.1  1  12345  67  total" — calls is the 4th column.
    let total: u64 = text
        .lines()
        .find(|l| l.trim_end().ends_with("total"))
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| io::Error::other(format!("no total in strace output:\n{text}")))?;
    // The busiest calls, for the report.
    let top: Vec<String> = text
        .lines()
        .filter(|l| {
            l.split_whitespace().count() >= 5 && !l.contains("total") && !l.contains("calls")
        })
        .take(4)
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let calls: f64 = f.get(3)?.parse().ok()?;
            Some(format!(
                "{} {:.2}",
                f.last()?,
                calls / result.total_requests.max(1) as f64
            ))
        })
        .collect();
    Ok((
        total as f64 / result.total_requests.max(1) as f64,
        top.join(", "),
    ))
}

/// Instructions (Ir) and requests for one callgrind run.
fn callgrind_run(
    me: &Path,
    server: &str,
    conns: usize,
    window: Duration,
    out: &Path,
) -> io::Result<(u64, u64)> {
    let out_arg = format!("--callgrind-out-file={}", out.display());
    let (program, server_args) = server_command(me, server)?;
    let mut args = vec!["--tool=callgrind".to_string(), "-q".into(), out_arg];
    args.push(program.to_string_lossy().into_owned());
    args.extend(server_args);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (mut child, addr) = start(Path::new("valgrind"), &args)?;
    let result = loadgen::run(addr, conns, 64, Duration::ZERO, window);
    terminate(&mut child, false);
    let result = result?;
    let text = std::fs::read_to_string(out)?;
    let ir = text
        .lines()
        .find_map(|l| {
            l.strip_prefix("summary:")
                .or_else(|| l.strip_prefix("totals:"))
        })
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| io::Error::other("no summary line in callgrind output"))?;
    Ok((ir, result.total_requests))
}

fn tool_missing(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().is_err()
}

/// Runs both counts for every server (or those of `only`) at 10 and 100 connections; the
/// results file is written only for the full set.
pub fn run(quick: bool, only: &[String]) -> io::Result<()> {
    for tool in ["strace", "valgrind"] {
        if tool_missing(tool) {
            return Err(io::Error::other(format!(
                "{tool} is not installed (apt-get install {tool})"
            )));
        }
    }
    raise_fd_limit();
    let me = std::env::current_exe()?;
    let tmp = std::env::temp_dir();
    let (short, long) = if quick {
        (Duration::from_millis(500), Duration::from_millis(1500))
    } else {
        (Duration::from_secs(1), Duration::from_secs(4))
    };
    let mut md = format!(
        "# corio-bench counts\n\n{} — {}\n\nPer 64-byte echo request; corio is `examples/echo` as shipped, the others `corio-bench serve NAME`. Syscalls: `strace -f -c` on the server over a {} ms load (start-up and accepts included, amortised). Instructions: user-space Ir from `valgrind --tool=callgrind`, (Ir over a {} ms load - Ir over a {} ms load) / (difference in requests), which cancels start-up.\n\n| server | conns | syscalls / request | busiest calls / request | instructions / request |\n|---|---:|---:|---|---:|\n",
        proc_stats::date(),
        proc_stats::machine(),
        long.as_millis(),
        long.as_millis(),
        short.as_millis(),
    );
    for conns in [10usize, 100] {
        let servers: Vec<&str> = if only.is_empty() {
            SERVERS.to_vec()
        } else {
            only.iter().map(String::as_str).collect()
        };
        for server in servers {
            eprint!("\r{server:>10} at {conns:>3} connections: strace    ");
            let (sys, top) = syscalls(
                &me,
                server,
                conns,
                long,
                &tmp.join(format!("corio-bench-strace-{server}")),
            )?;
            eprint!("\r{server:>10} at {conns:>3} connections: callgrind ");
            let out = tmp.join(format!("corio-bench-callgrind-{server}"));
            let (ir_a, req_a) = callgrind_run(&me, server, conns, short, &out)?;
            let (ir_b, req_b) = callgrind_run(&me, server, conns, long, &out)?;
            let per = if req_b > req_a {
                (ir_b.saturating_sub(ir_a)) as f64 / (req_b - req_a) as f64
            } else {
                f64::NAN
            };
            md.push_str(&format!(
                "| {server} | {conns} | {sys:.2} | {top} | {per:.0} |\n"
            ));
        }
    }
    eprintln!();
    println!("{md}");
    if only.is_empty() {
        let path = report::results_dir().join("counts.md");
        std::fs::write(&path, &md)?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}
