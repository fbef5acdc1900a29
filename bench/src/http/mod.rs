//! The `http` suite: `wrk` against three servers of the same files, each in its own
//! process, over kept-alive connections: the http example (`examples/http`, on corio),
//! the same server on tokio current_thread (`tokio_server.rs`), and nginx when it is
//! installed (`nginx.rs`; skipped, visibly, when it is not). Results: `summary.rs`.
//!
//! The corio and tokio servers share the example's protocol code (parser, routing,
//! response heads, files, and the disk half of a file response), included below by
//! `#[path]`, so they differ only in the runtime under the connection loop: its I/O,
//! timers and `spawn_blocking` pool. nginx is the bar a user compares both against.

#[path = "../../../examples/http/cache.rs"]
mod cache;
#[path = "../../../examples/http/disk.rs"]
mod disk;
#[allow(dead_code)]
#[path = "../../../examples/http/files.rs"]
mod files;
mod nginx;
#[path = "../../../examples/http/reply.rs"]
mod reply;
#[allow(dead_code)]
#[path = "../../../examples/http/request.rs"]
mod request;
#[allow(dead_code)]
#[path = "../../../examples/http/response.rs"]
mod response;
mod summary;
mod tokio_server;

pub use tokio_server::serve as serve_tokio;

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;

use crate::peers::{cores, raise_fd_limit, start};
use crate::report::results_dir;
use crate::{loadgen, proc_stats};
use summary::{Point, Sample};

/// The files served: name and size.
const FILES: [(&str, usize); 2] = [("index.html", 1024), ("large.bin", 64 * 1024)];
/// Concurrent kept-alive connections, one wrk thread.
const CONNS: [usize; 2] = [10, 100];
/// The CPU the servers are pinned to, and the one the load generator takes (as in `peers`).
const SERVER_CPU: usize = 0;
const LOAD_CPU: usize = 1;

/// A server under test: its name in the tables and how to start a fresh one.
struct Contender<'a> {
    name: &'static str,
    start: Box<dyn Fn() -> io::Result<(Child, SocketAddr)> + 'a>,
}

/// Runs the suite and writes bench/results/http.md and http.svg; skips (with the reason)
/// without wrk, and leaves nginx out without nginx (saying why above and in the table).
pub fn run(quick: bool) -> io::Result<()> {
    if !crate::wrk::available("http") {
        return Ok(());
    }
    let example = build_example()?;
    let root = make_root()?;
    let result = run_in(quick, &example, &root);
    let _ = std::fs::remove_dir_all(&root);
    result
}

/// The suite over the files in `root`, with `example` as the corio server.
fn run_in(quick: bool, example: &Path, root: &Path) -> io::Result<()> {
    let (rounds, secs) = if quick { (1, 2) } else { (5, 4) };
    raise_fd_limit();
    let reference = prepare_nginx(root);
    let nginx_line = match &reference {
        Ok(n) => format!("nginx: {}, configured as above.", n.version()),
        Err(why) => format!("**nginx: {why}**"),
    };
    eprintln!("{nginx_line}");
    let root_arg = root.to_string_lossy().into_owned();
    let me = std::env::current_exe()?;
    let mut servers = vec![
        Contender {
            name: "corio",
            start: Box::new(|| start(example, &["--root", &root_arg])),
        },
        Contender {
            name: "tokio",
            start: Box::new(|| start(&me, &["serve-http", &root_arg])),
        },
    ];
    if let Ok(n) = &reference {
        servers.push(Contender {
            name: "nginx",
            start: Box::new(|| n.start()),
        });
    }
    if cores() >= 2 {
        loadgen::pin_to_cpu(LOAD_CPU); // wrk, our child, inherits it
    }
    let load_before = crate::wrk::load_average();
    let mut points = Vec::new();
    let mut failures = String::new();
    for (file, size) in FILES {
        for conns in CONNS {
            let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); servers.len()];
            for round in 0..rounds {
                for k in 0..servers.len() {
                    let i = (k + round) % servers.len(); // take turns, rotating the order
                    let name = servers[i].name;
                    eprint!(
                        "\r{name:>6} {file:>10} {conns:>4} conns  round {}/{rounds}   ",
                        round + 1
                    );
                    match measure(&servers[i], file, size, conns, secs) {
                        Ok((wrk, cpu_secs)) => samples[i].push(Sample {
                            round,
                            wrk,
                            cpu_secs,
                        }),
                        Err(e) => {
                            let line = format!(
                                "- {name}, {file}, {conns} conns, round {}: {e}\n",
                                round + 1
                            );
                            eprint!("\n{line}");
                            failures.push_str(&line);
                        }
                    }
                }
            }
            for (i, samples) in samples.into_iter().enumerate() {
                points.push(Point {
                    server: servers[i].name,
                    size,
                    conns,
                    samples,
                });
            }
        }
    }
    eprintln!();
    let load = format!("{load_before} before, {} after", crate::wrk::load_average());
    let ratios = if reference.is_ok() {
        format!(
            "## corio / nginx\n\nRatio of the medians above; \"per round\": the range of the \
             ratios within a round (both servers measured seconds apart). \
             Issue 22's bar: 1 KiB at least as fast at no more CPU per request; 64 KiB \
             within 0.9x on both.\n\n{}",
            summary::ratios(&points, "corio", "nginx")
        )
    } else {
        format!("No corio / nginx ratios: {nginx_line}\n")
    };
    let failures = if failures.is_empty() {
        String::new()
    } else {
        format!("\nRuns that failed (left out of the medians):\n\n{failures}")
    };
    let mut table = summary::table(&points);
    let mut title = "corio-bench http: GET of a static file, wrk -t1".to_string();
    if let Err(why) = &reference {
        table.push_str(&format!(
            "| nginx | all | all | {why} |{}\n",
            " |".repeat(8)
        ));
        title.push_str(&format!("; nginx {why}"));
    }
    let md = format!(
        "# corio-bench http\n\n{} — {}\n\n\
         `wrk -t1 -cN -d{secs}s --latency` against three servers of the same root (a 1 KiB \
         `index.html`, a 64 KiB `large.bin`), GET of one file over kept-alive connections: \
         **corio**, the http example (`examples/http`); **tokio**, the same server on tokio \
         current_thread (`bench/src/http/tokio_server.rs`: the example's parser, routing \
         and file code, tokio under the connection loop); **nginx** with `worker_processes 1; \
         master_process off; daemon off; sendfile on; tcp_nopush on; open_file_cache \
         max=1000 inactive=20s; open_file_cache_valid 1s; access_log off;` and its defaults \
         otherwise (`bench/src/http/nginx.rs`; one process, so its CPU is that process's). \
         A fresh server per run, first checked to answer `200` with the file's exact \
         length, pinned to CPU 0 (all its threads), wrk on CPU 1; {rounds} round(s) per \
         point, the servers taking turns in an order that rotates each round, each run \
         after a 1 s wrk warm-up. Each figure is the median over rounds; spread = (max - \
         min) / median. CPU µs / req: the server's user + system time (all threads, \
         /proc/PID/stat, 10 ms ticks) over the measured run, divided by its requests. \
         errors = socket errors + non-2xx.\n\n\
         {nginx_line}\n\n\
         Load average (1 min): {load}. Above ~2 (the server and wrk) means other work \
         shared the machine and widened the spread.\n\n{}{failures}\n{ratios}\n\
         Run: `cargo run --release -p corio-bench -- http` (`--quick`: one 2 s round).\n",
        proc_stats::date(),
        proc_stats::machine(),
        table,
    );
    let dir = results_dir();
    std::fs::write(dir.join("http.md"), &md)?;
    std::fs::write(dir.join("http.svg"), summary::svg(&points, &title))?;
    println!("{md}");
    eprintln!("wrote {}", dir.join("http.md").display());
    Ok(())
}

/// nginx, configured to serve `root` and checked to serve every file once; or why the
/// suite runs without it.
fn prepare_nginx(root: &Path) -> Result<nginx::Nginx, String> {
    let binary = nginx::find()?;
    let cpu = (cores() >= 2).then_some(SERVER_CPU);
    let check = || {
        let n = nginx::Nginx::new(binary.clone(), root, cpu)?;
        let (mut child, addr) = n.start()?;
        let served = FILES
            .iter()
            .try_for_each(|&(file, size)| check_serves(addr, file, size));
        proc_stats::stop(&mut child);
        served.map(|()| n)
    };
    check().map_err(|e| format!("skipped ({} failed: {e})", binary.display()))
}

/// One measurement: a fresh server, a check that it serves the file, a warm-up, the
/// measured run; returns wrk's figures and the server's CPU seconds during the run.
fn measure(
    server: &Contender,
    file: &str,
    size: usize,
    conns: usize,
    secs: u64,
) -> io::Result<(crate::wrk::Wrk, f64)> {
    let (mut child, addr) = (server.start)()?;
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
