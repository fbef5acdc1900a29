//! The `http` suite: `wrk` against the http example (`examples/http`, on corio) and the
//! same server on tokio current_thread (`tokio_server.rs`), each in its own process,
//! serving a 1 KiB and a 64 KiB file over kept-alive connections.
//!
//! Both servers share the example's protocol code (parser, routing, response heads,
//! files), included below by `#[path]`, so they differ only in the runtime under the
//! connection loop: its I/O, timers and `spawn_blocking` pool.

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
use crate::{loadgen, proc_stats};

/// The files served: name and size.
const FILES: [(&str, usize); 2] = [("index.html", 1024), ("large.bin", 64 * 1024)];
/// Concurrent kept-alive connections, one wrk thread.
const CONNS: [usize; 2] = [10, 100];
/// The CPU the load generator is pinned to (the servers take CPU 0, as in `peers`).
const LOAD_CPU: usize = 1;

/// One wrk run, as parsed from its report.
#[derive(Debug, Clone, Copy)]
struct Wrk {
    rps: f64,
    requests: u64,
    p50_us: f64,
    p99_us: f64,
    mib_per_s: f64,
    /// Socket errors plus non-2xx responses: must be 0.
    errors: u64,
}

/// Runs the suite and writes bench/results/http.md; skips (with the reason) without wrk.
pub fn run(quick: bool) -> io::Result<()> {
    if !have_wrk() {
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
    let load_before = load_average();
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
    let load = format!("{load_before} before, {} after", load_average());
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
        wrk(addr, file, conns, 1)?;
        let cpu_before = proc_stats::cpu_secs(child.id());
        let result = wrk(addr, file, conns, secs)?;
        Ok((result, proc_stats::cpu_secs(child.id()) - cpu_before))
    })();
    proc_stats::stop(&mut child);
    result
}

/// The 1-minute load average (`/proc/loadavg`), to tell a quiet machine from a busy one.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
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

/// Runs `wrk` for `secs` seconds and parses its report.
fn wrk(addr: SocketAddr, file: &str, conns: usize, secs: u64) -> io::Result<Wrk> {
    let output = Command::new("wrk")
        .args([
            "-t1",
            &format!("-c{conns}"),
            &format!("-d{secs}s"),
            "--latency",
        ])
        .arg(format!("http://{addr}/{file}"))
        .output()?;
    let text = String::from_utf8_lossy(&output.stdout);
    parse_wrk(&text).ok_or_else(|| io::Error::other(format!("unexpected wrk output:\n{text}")))
}

/// The figures of a `wrk --latency` report.
fn parse_wrk(text: &str) -> Option<Wrk> {
    let field = |prefix: &str| {
        text.lines()
            .map(str::trim)
            .find_map(|l| l.strip_prefix(prefix))
            .map(str::trim)
    };
    let socket_errors: u64 = field("Socket errors:").map_or(0, |v| {
        v.split(',')
            .filter_map(|p| p.split_whitespace().nth(1)?.parse::<u64>().ok())
            .sum()
    });
    let non_2xx: u64 = field("Non-2xx or 3xx responses:").map_or(Some(0), |v| v.parse().ok())?;
    let requests = text
        .lines()
        .find(|l| l.contains(" requests in "))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    Some(Wrk {
        rps: field("Requests/sec:")?.parse().ok()?,
        requests,
        p50_us: micros(field("50%")?)?,
        p99_us: micros(field("99%")?)?,
        mib_per_s: mebibytes(field("Transfer/sec:")?)?,
        errors: socket_errors + non_2xx,
    })
}

/// A wrk duration (`812.00us`, `1.20ms`, `2.00s`, `1.00m`) in microseconds.
fn micros(v: &str) -> Option<f64> {
    let split = v.find(|c: char| c.is_ascii_alphabetic())?;
    let (n, unit) = v.split_at(split);
    let scale = match unit {
        "us" => 1.0,
        "ms" => 1e3,
        "s" => 1e6,
        "m" => 60e6,
        _ => return None,
    };
    Some(n.parse::<f64>().ok()? * scale)
}

/// A wrk byte rate (`512.00KB`, `61.50MB`, `1.20GB`; binary units) in MiB.
fn mebibytes(v: &str) -> Option<f64> {
    let split = v.find(|c: char| c.is_ascii_alphabetic())?;
    let (n, unit) = v.split_at(split);
    let scale = match unit {
        "B" => 1.0 / 1024.0 / 1024.0,
        "KB" => 1.0 / 1024.0,
        "MB" => 1.0,
        "GB" => 1024.0,
        _ => return None,
    };
    Some(n.parse::<f64>().ok()? * scale)
}

/// Whether `wrk` can be run; as root, tries `apt-get install -y wrk` first. Prints why
/// the suite is skipped otherwise.
fn have_wrk() -> bool {
    let found = || Command::new("wrk").arg("--version").output().is_ok();
    if found() {
        return true;
    }
    // SAFETY: geteuid takes no arguments and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        println!("http suite skipped: wrk is not on PATH (install it, e.g. apt-get install wrk)");
        return false;
    }
    eprintln!("wrk is not on PATH; trying apt-get install -y wrk");
    let apt = |args: &[&str]| {
        Command::new("apt-get")
            .args(args)
            .status()
            .is_ok_and(|s| s.success())
    };
    if !apt(&["install", "-y", "wrk"]) {
        let _ = apt(&["update"]); // a fresh machine may have no package lists yet
        let _ = apt(&["install", "-y", "wrk"]);
    }
    if found() {
        return true;
    }
    println!("http suite skipped: wrk is not on PATH and apt-get could not install it");
    false
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
