//! The `hyper` suite: `wrk` against hyper 1.x on corio (`hyper-corio/`) and hyper 1.x on
//! tokio current_thread (`hyper-util`'s `TokioIo`/`TokioTimer`), each in its own process.
//!
//! Both servers run the same service (`corio_hyper::demo::hello`: `GET /` answers 25
//! bytes of text) with the same `http1::Builder` settings (a timer, so the default 30 s
//! header read timeout is armed per request; `TCP_NODELAY`; one task per connection), so
//! they differ only in the runtime under hyper: its I/O, timers and task system.
//!
//! ```text
//! corio-bench hyper [--quick]          # the suite; writes bench/results/hyper.md
//! corio-bench hyper serve corio|tokio ADDR   # one server (how the suite starts them)
//! ```

use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use corio_hyper::demo;
use hyper::server::conn::http1;
use hyper::service::service_fn;

use crate::peers::{cores, raise_fd_limit, start};
use crate::report::{median, results_dir, spread};
use crate::wrk::Wrk;
use crate::{loadgen, proc_stats};

/// The servers, in report order.
const SERVERS: [&str; 2] = ["corio", "tokio"];
/// Kept-alive connections per load point; one wrk thread.
const CONNS: [usize; 3] = [10, 100, 1000];
/// The CPU wrk is pinned to (the servers take CPU 0, as in `peers`).
const LOAD_CPU: usize = 1;

/// `corio-bench hyper ARGS`: the suite, or `serve NAME ADDR`.
pub fn main(args: &[String]) -> io::Result<()> {
    match args {
        [serve, name, addr, ..] if serve == "serve" => match name.as_str() {
            "corio" => serve_corio(addr),
            "tokio" => serve_tokio(addr),
            other => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("unknown hyper server {other:?} (corio, tokio)"),
            )),
        },
        _ => run(args.iter().any(|a| a == "--quick")),
    }
}

fn announce(addr: SocketAddr) -> io::Result<()> {
    println!("listening on {addr}");
    io::stdout().flush()
}

/// hyper on corio, as in `hyper-corio/examples/hello.rs`.
fn serve_corio(addr: &str) -> io::Result<()> {
    use corio_hyper::{CorioIo, CorioTimer};
    corio::Runtime::new()?.block_on(async {
        let listener = corio::net::TcpListener::bind(addr).await?;
        announce(listener.local_addr()?)?;
        let mut builder = http1::Builder::new();
        builder.timer(CorioTimer);
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            let conn = builder.serve_connection(CorioIo::new(stream), service_fn(demo::hello));
            corio::spawn(async move {
                let _ = conn.await;
            });
        }
    })
}

/// hyper on tokio current_thread, through hyper-util's adapters.
fn serve_tokio(addr: &str) -> io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        announce(listener.local_addr()?)?;
        let mut builder = http1::Builder::new();
        builder.timer(TokioTimer::new());
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            let conn = builder.serve_connection(TokioIo::new(stream), service_fn(demo::hello));
            tokio::spawn(async move {
                let _ = conn.await;
            });
        }
    })
}

/// Runs the suite and writes bench/results/hyper.md; skips (with the reason) without wrk.
fn run(quick: bool) -> io::Result<()> {
    if !crate::wrk::available("hyper") {
        return Ok(());
    }
    let (rounds, secs) = if quick { (1, 2) } else { (5, 4) };
    let me = std::env::current_exe()?;
    raise_fd_limit();
    if cores() >= 2 {
        loadgen::pin_to_cpu(LOAD_CPU); // wrk, our child, inherits it
    }
    let load_before = crate::wrk::load_average();
    let mut points = Vec::new();
    for conns in CONNS {
        let mut runs: Vec<Vec<Run>> = vec![Vec::new(); SERVERS.len()];
        for round in 0..rounds {
            for k in 0..SERVERS.len() {
                let i = (k + round) % SERVERS.len(); // take turns
                let name = SERVERS[i];
                eprint!(
                    "\r{name:>6} {conns:>5} conns  round {}/{rounds}   ",
                    round + 1
                );
                runs[i].push(measure(&me, name, conns, secs)?);
            }
        }
        points.push((conns, runs));
    }
    eprintln!();
    // Hardware counters are missing in many VMs: then the column is left out.
    let counted = points
        .iter()
        .all(|(_, runs)| runs.iter().flatten().all(|r| r.instructions.is_some()));
    let mut table = String::new();
    let mut ratios = Vec::new();
    for (conns, runs) in &points {
        let medians: Vec<f64> = runs
            .iter()
            .map(|r| median(&r.iter().map(|run| run.wrk.rps).collect::<Vec<_>>()))
            .collect();
        ratios.push(format!("{conns}: {:.2}x", medians[0] / medians[1]));
        for (i, runs) in runs.iter().enumerate() {
            row(&mut table, SERVERS[i], *conns, runs, counted);
        }
    }
    let (instr_head, instr_rule, instr_note) = if counted {
        (
            " user instr. / req |",
            "---:|",
            "user-space instructions per request are counted by `perf stat -e \
             instructions:u` on the server during the measured runs, the figure that drifts \
             least with machine load",
        )
    } else {
        (
            "",
            "",
            "`perf stat` could not count instructions on this machine (no hardware \
             counters), so CPU time is the load-independent-ish figure",
        )
    };
    let md = format!(
        "# corio-bench hyper\n\n{} — {} (load average {load_before} before, {} after: \
         other work on the machine moves req/s far more than CPU per request)\n\n\
         `wrk -t1 -cN -d{secs}s --latency http://ADDR/` against hyper 1.x serving the same \
         service (`corio_hyper::demo::hello`: `GET /` → 25 bytes of text) on corio \
         (`hyper-corio`: `CorioIo`, `CorioTimer`) and on tokio current_thread (hyper-util's \
         `TokioIo`, `TokioTimer`). Same `http1::Builder` settings: a timer (so the default \
         30 s header read timeout is armed for every request), `TCP_NODELAY`, one task per \
         connection, keep-alive. A fresh server process per run, pinned to CPU 0, wrk on \
         CPU 1; {rounds} round(s) per point, servers taking turns, after a 1 s wrk warm-up. \
         Spread = (max - min) / median over rounds; latency from the median round; CPU is \
         the server's user + system time per request; {instr_note}; errors = socket \
         errors + non-2xx.\n\n\
         | server | conns | req/s (median) | spread | p50 µs | p99 µs | CPU µs / req |{instr_head} errors |\n\
         |---|---:|---:|---:|---:|---:|---:|{instr_rule}---:|\n{table}\n\
         corio / tokio, median req/s, by connections: {}.\n",
        proc_stats::date(),
        proc_stats::machine(),
        crate::wrk::load_average(),
        ratios.join(", "),
    );
    let path = results_dir().join("hyper.md");
    std::fs::write(&path, &md)?;
    println!("{md}");
    eprintln!("wrote {}", path.display());
    Ok(())
}

/// One measured run: wrk's figures, the server's CPU seconds and (with `perf`) its
/// user-space instructions during the run.
#[derive(Debug, Clone, Copy)]
struct Run {
    wrk: Wrk,
    cpu_secs: f64,
    instructions: Option<u64>,
}

/// Appends one server's row for a load point, summarised over its rounds.
fn row(table: &mut String, server: &str, conns: usize, runs: &[Run], counted: bool) {
    let rps: Vec<f64> = runs.iter().map(|r| r.wrk.rps).collect();
    let mut order: Vec<usize> = (0..runs.len()).collect();
    order.sort_by(|&a, &b| rps[a].total_cmp(&rps[b]));
    let mid = runs[order[order.len() / 2]].wrk;
    let requests: u64 = runs.iter().map(|r| r.wrk.requests).sum::<u64>().max(1);
    let cpu: f64 = runs.iter().map(|r| r.cpu_secs).sum();
    let instructions = match runs.iter().map(|r| r.instructions).sum::<Option<u64>>() {
        Some(i) if counted => format!(" {:.1}k |", i as f64 / requests as f64 / 1e3),
        _ => String::new(),
    };
    let _ = writeln!(
        table,
        "| hyper on {server} | {conns} | {:.0} | {:.0}% | {:.0} | {:.0} | {:.1} |{instructions} {} |",
        median(&rps),
        spread(&rps),
        mid.p50_us,
        mid.p99_us,
        cpu / requests as f64 * 1e6,
        runs.iter().map(|r| r.wrk.errors).sum::<u64>(),
    );
}

/// One measurement: a fresh server, a check that it answers, a warm-up, the measured
/// run (counted by `perf stat` when it can be).
fn measure(me: &Path, server: &str, conns: usize, secs: u64) -> io::Result<Run> {
    let (mut child, addr) = start(me, &["hyper", "serve", server])?;
    let result = (|| {
        check_serves(addr)?;
        crate::wrk::run(addr, "", conns, 1)?;
        let cpu_before = proc_stats::cpu_secs(child.id());
        let perf = perf_start(child.id());
        let wrk = crate::wrk::run(addr, "", conns, secs)?;
        let cpu_secs = proc_stats::cpu_secs(child.id()) - cpu_before;
        let instructions = perf.and_then(perf_finish);
        Ok(Run {
            wrk,
            cpu_secs,
            instructions,
        })
    })();
    proc_stats::stop(&mut child);
    result
}

/// `perf stat -e instructions:u` attached to `pid`, if perf runs here.
fn perf_start(pid: u32) -> Option<Child> {
    let child = Command::new("perf")
        .args([
            "stat",
            "-x",
            ",",
            "-e",
            "instructions:u",
            "-p",
            &pid.to_string(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    std::thread::sleep(Duration::from_millis(50)); // let it attach
    Some(child)
}

/// Stops `perf stat` (SIGINT makes it print) and reads its count.
fn perf_finish(perf: Child) -> Option<u64> {
    // SAFETY: kill takes no pointers; the pid is our own child, not yet reaped.
    unsafe { libc::kill(perf.id() as libc::pid_t, libc::SIGINT) };
    let output = perf.wait_with_output().ok()?;
    // CSV: "123456,,instructions:u,..."
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .find(|l| l.contains("instructions"))?
        .split(',')
        .next()?
        .trim()
        .parse()
        .ok()
}

/// One `GET /` on a fresh connection: status line and body must be right.
fn check_serves(addr: SocketAddr) -> io::Result<()> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.write_all(b"GET / HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")?;
    let mut reply = String::new();
    stream.read_to_string(&mut reply)?;
    if reply.starts_with("HTTP/1.1 200 OK\r\n") && reply.ends_with(demo::HELLO) {
        Ok(())
    } else {
        Err(io::Error::other(format!("{addr} answered {reply:?}")))
    }
}
