//! The `http` suite: `wrk` against the http example (`examples/http`, on corio) and the
//! same server on tokio current_thread (`tokio_server.rs`), each in its own process,
//! serving a 1 KiB and a 64 KiB file over kept-alive connections.
//!
//! Both servers share the example's protocol code (parser, routing, response heads,
//! files, and the disk half of a file response), included below by `#[path]`, so they differ only in the runtime under the
//! connection loop: its I/O, timers and `spawn_blocking` pool.

#[path = "../../../examples/http/disk.rs"]
mod disk;
#[allow(dead_code)]
#[path = "../../../examples/http/files.rs"]
mod files;
#[allow(dead_code)]
#[path = "../../../examples/http/request.rs"]
mod request;
#[allow(dead_code)]
#[path = "../../../examples/http/response.rs"]
mod response;
mod tokio_server;

pub use tokio_server::serve as serve_tokio;

use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::peers::{cores, raise_fd_limit, start};
use crate::report::{median, results_dir, spread};
use crate::wrk::Wrk;
use crate::{loadgen, proc_stats};

/// The files served: name and size.
const FILES: [(&str, usize); 2] = [("index.html", 1024), ("large.bin", 64 * 1024)];
/// Concurrent kept-alive connections, one wrk thread.
const CONNS: [usize; 2] = [10, 100];
/// The CPU the load generator is pinned to (the servers take CPU 0, as in `peers`).
const LOAD_CPU: usize = 1;

/// Runs the suite and writes bench/results/http.md; skips (with the reason) without wrk.
pub fn run(quick: bool) -> io::Result<()> {
    if !crate::wrk::available("http") {
        return Ok(());
    }
    let (rounds, secs) = if quick { (1, 2) } else { (5, 4) };
    let example = build_example()?;
    let root = make_root()?;
    let root_arg = root.to_string_lossy().into_owned();
    let me = std::env::current_exe()?;
    let servers: [(&str, &Path, Vec<&str>); 2] = [
        ("corio", &example, vec!["--root", &root_arg]),
        ("tokio", &me, vec!["serve-http", &root_arg]),
    ];
    raise_fd_limit();
    if cores() >= 2 {
        loadgen::pin_to_cpu(LOAD_CPU); // wrk, our child, inherits it
    }
    let load_before = crate::wrk::load_average();
    let mut table = String::new();
    for (file, size) in FILES {
        for conns in CONNS {
            let mut runs: Vec<Vec<(Wrk, f64)>> = vec![Vec::new(); servers.len()];
            for round in 0..rounds {
                for k in 0..servers.len() {
                    let i = (k + round) % servers.len(); // take turns
                    let (name, program, args) = &servers[i];
                    eprint!(
                        "\r{name:>6} {file:>10} {conns:>4} conns  round {}/{rounds}   ",
                        round + 1
                    );
                    runs[i].push(measure(program, args, file, size, conns, secs)?);
                }
            }
            for (i, runs) in runs.iter().enumerate() {
                row(&mut table, servers[i].0, size, conns, runs);
            }
        }
    }
    eprintln!();
    let load = format!("{load_before} before, {} after", crate::wrk::load_average());
    let _ = std::fs::remove_dir_all(&root);
    let md = format!(
        "# corio-bench http\n\n{} — {}\n\n\
         `wrk -t1 -cN -d{secs}s --latency` against the http example (corio) and the same \
         server on tokio current_thread (`bench/src/http/tokio_server.rs`: the example's \
         parser, routing and file code, tokio under the connection loop). GET of one file, \
         keep-alive, each request's file opened and read on the runtime's blocking pool. \
         A fresh server per run, pinned to CPU 0 (its pool threads too), wrk on CPU 1; \
         {rounds} round(s) per point, servers taking turns, after a 1 s wrk warm-up. \
         Spread = (max - min) / median over rounds; latency and MiB/s from the median \
         round; CPU is the server's user + system time (all threads) per request; \
         errors = socket errors + non-2xx.\n\n\
         Load average (1 min): {load}. Above ~2 (the server and wrk) means other work \
         shared the machine and widened the spread.\n\n\
         | server | file | conns | req/s (median) | spread | p50 µs | p99 µs | MiB/s | CPU µs / req | errors |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n{table}",
        proc_stats::date(),
        proc_stats::machine(),
    );
    let path = results_dir().join("http.md");
    std::fs::write(&path, &md)?;
    println!("{md}");
    eprintln!("wrote {}", path.display());
    Ok(())
}

/// Appends one server's row for a load point, summarised over its rounds.
fn row(table: &mut String, server: &str, size: usize, conns: usize, runs: &[(Wrk, f64)]) {
    let rps: Vec<f64> = runs.iter().map(|(w, _)| w.rps).collect();
    let mut order: Vec<usize> = (0..runs.len()).collect();
    order.sort_by(|&a, &b| rps[a].total_cmp(&rps[b]));
    let (mid, _) = runs[order[order.len() / 2]];
    let requests: u64 = runs.iter().map(|(w, _)| w.requests).sum();
    let cpu: f64 = runs.iter().map(|(_, cpu)| cpu).sum();
    let _ = writeln!(
        table,
        "| {server} | {} KiB | {conns} | {:.0} | {:.0}% | {:.0} | {:.0} | {:.1} | {:.1} | {} |",
        size / 1024,
        median(&rps),
        spread(&rps),
        mid.p50_us,
        mid.p99_us,
        mid.mib_per_s,
        cpu / requests.max(1) as f64 * 1e6,
        runs.iter().map(|(w, _)| w.errors).sum::<u64>(),
    );
}

/// One measurement: a fresh server, a check that it serves the file, a warm-up, the
/// measured run; returns wrk's figures and the server's CPU seconds during the run.
fn measure(
    program: &Path,
    args: &[&str],
    file: &str,
    size: usize,
    conns: usize,
    secs: u64,
) -> io::Result<(Wrk, f64)> {
    let (mut child, addr) = start(program, args)?;
    let result = (|| {
        check_serves(addr, file, size)?;
        crate::wrk::run(addr, file, conns, 1)?;
        let cpu_before = proc_stats::cpu_secs(child.id());
        let result = crate::wrk::run(addr, file, conns, secs)?;
        Ok((result, proc_stats::cpu_secs(child.id()) - cpu_before))
    })();
    proc_stats::stop(&mut child);
    result
}

/// Fetches `file` once and checks the status line and the body's length.
fn check_serves(addr: SocketAddr, file: &str, size: usize) -> io::Result<()> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "GET /{file} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n"
    )?;
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply)?;
    let head_end = reply
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i + 4);
    match head_end {
        Some(end) if reply.starts_with(b"HTTP/1.1 200 OK\r\n") && reply.len() - end == size => {
            Ok(())
        }
        _ => Err(io::Error::other(format!(
            "{addr} did not serve /{file} correctly"
        ))),
    }
}

/// Builds the http example in release mode; returns its path beside this binary.
fn build_example() -> io::Result<PathBuf> {
    eprintln!("building the http example in release mode...");
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(&workspace)
        .args(["build", "--release", "--example", "http", "-p", "corio"])
        .status()?;
    if !status.success() {
        return Err(io::Error::other(
            "cargo build --release --example http failed",
        ));
    }
    let me = std::env::current_exe()?;
    let dir = me.parent().ok_or_else(|| io::Error::other("no exe dir"))?;
    Ok(dir.join("examples").join("http"))
}

/// A fresh temporary root holding the served files.
fn make_root() -> io::Result<PathBuf> {
    let root = std::env::temp_dir().join(format!("corio-bench-http-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root)?;
    for (name, size) in FILES {
        let line = b"<p>corio serves this page from a file, one chunk at a time.</p>\n";
        let body: Vec<u8> = line.iter().copied().cycle().take(size).collect();
        std::fs::write(root.join(name), body)?;
    }
    Ok(root)
}
