//! The `rate` suite: server CPU per request at a fixed offered load.
//!
//! Every server gets the same open-loop schedule (`gen.rs`: R requests/s in total over C
//! connections, 64-byte messages checked against their uppercase echo), so each does the
//! same work per second and the CPU it spends on it compares directly — unlike a closed loop,
//! where a faster server is also given more requests. The server is pinned to CPU 0, the
//! generator to CPU 1; servers take turns within each round, a fresh process each time.
//! Server CPU per request = run time of the server's threads over the window (from /proc)
//! / requests completed in the window. System calls per request come from separate runs
//! under `strace -f -c` (`strace.rs`).

mod gen;
mod strace;
mod table;

use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::peers::{cores, raise_fd_limit, start};
use crate::{loadgen, proc_stats, report};
use gen::Offer;
use table::{Point, Round};

/// What `corio-bench rate` was asked for; empty lists and `None` take the defaults.
pub struct Options {
    pub quick: bool,
    pub servers: Vec<String>,
    pub conns: Vec<usize>,
    pub rate: Option<u64>,
    pub rounds: Option<usize>,
}

const DEFAULT_SERVERS: &[&str] = &["ladder_07_epoll", "ladder_09_io_uring", "corio", "tokio"];
const DEFAULT_CONNS: &[usize] = &[1, 10, 100, 1_000];
/// Offered load, in requests/s over all connections, unless `--rate` is given: every
/// default server sustains it from 10 to 1,000 connections on one core of the 2-core
/// development machine (see bench/results/rate.md).
const DEFAULT_RATE: u64 = 20_000;
/// The default load per connection is capped at this many requests/s: one connection
/// carries one request at a time, and a 64-byte round trip over loopback takes 60-80 µs
/// here when the machine is quiet (about 14,000/s at most), so 1 connection is offered
/// 5,000/s by default.
const DEFAULT_PER_CONN_CAP: u64 = 5_000;
/// The server the others' CPU is compared with.
pub const BASELINE: &str = "ladder_07_epoll";
/// The load generator's CPU (the servers get CPU 0, through `peers::start`).
const LOAD_CPU: usize = 1;
const MSG_LEN: usize = 64;

/// A server under test: its name and how to start it, or why it cannot be.
struct Server {
    name: String,
    command: Result<(PathBuf, Vec<String>), String>,
}

/// `examples/NAME` of the corio package beside this binary, built in release mode if
/// missing (one that is there is used as it is: rebuild the examples before a full run).
fn example(me: &Path, name: &str) -> Result<PathBuf, String> {
    let release = me.parent().ok_or("the bench binary has no directory")?;
    let path = release.join("examples").join(name);
    if path.exists() {
        return Ok(path);
    }
    let target = release
        .parent()
        .ok_or("the bench binary has no target dir")?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    eprintln!("building examples/{name} (release)...");
    let status = Command::new(cargo)
        .args(["build", "--release", "-p", "corio", "--example", name])
        .env("CARGO_TARGET_DIR", target)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() || !path.exists() {
        return Err(format!("examples/{name} did not build"));
    }
    Ok(path)
}

/// How to start `name`: `ladder_*` and `corio` (`examples/echo`) are examples of the corio
/// package, the rest `corio-bench serve NAME`.
fn server(me: &Path, name: &str) -> Server {
    let command = if name.starts_with("ladder_") || name == "corio" {
        let example_name = if name == "corio" { "echo" } else { name };
        example(me, example_name).map(|path| (path, Vec::new()))
    } else if crate::servers::SERVERS.contains(&name) {
        Ok((
            me.to_path_buf(),
            vec!["serve".to_string(), name.to_string()],
        ))
    } else {
        Err(format!("unknown server {name:?}"))
    };
    Server {
        name: name.to_string(),
        command,
    }
}

/// Why `program` would not start: runs it once more with its stderr kept and, if it exits
/// within 3 s, returns its first line of stderr and its status.
fn refusal(program: &Path, args: &[String]) -> Option<String> {
    let mut child = Command::new(program)
        .args(args)
        .arg("127.0.0.1:0")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            let mut text = String::new();
            if let Some(mut err) = child.stderr.take() {
                let _ = io::Read::read_to_string(&mut err, &mut text);
            }
            let line = text.lines().next().unwrap_or("no message");
            return Some(format!("{line} ({status})"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    proc_stats::stop(&mut child);
    None
}

/// Why a run gave no figures.
enum Failure {
    /// The server did not start (it is not tried again).
    Refused(String),
    /// It started, but the run failed.
    Failed(String),
}

/// One measured run: a fresh server process, the schedule, its CPU.
fn measure(program: &Path, args: &[String], offer: Offer) -> Result<Round, Failure> {
    let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let (mut child, addr) = start(program, &arg_refs)
        .map_err(|e| Failure::Refused(refusal(program, args).unwrap_or_else(|| e.to_string())))?;
    let outcome = gen::run(addr, offer, Some(child.id()));
    proc_stats::stop(&mut child);
    let outcome = outcome.map_err(|e| Failure::Failed(e.to_string()))?;
    let cpu = outcome
        .cpu
        .ok_or_else(|| Failure::Failed("no CPU figures for the server".into()))?;
    let requests = outcome.load.requests.max(1) as f64;
    Ok(Round {
        achieved: outcome.load.rps(),
        offered: outcome.offered,
        exact_us: cpu.exact_secs.map(|s| s * 1e6 / requests),
        tick_us: cpu.tick_secs * 1e6 / requests,
        p50_us: outcome.load.quantile(0.5),
        p99_us: outcome.load.quantile(0.99),
        corrupt: outcome.load.corrupt,
        generator_busy: outcome.generator_busy,
    })
}

/// Runs the suite and writes bench/results/rate.md.
pub fn run(options: &Options) -> io::Result<()> {
    let names: Vec<String> = if options.servers.is_empty() {
        DEFAULT_SERVERS.iter().map(|s| s.to_string()).collect()
    } else {
        options.servers.clone()
    };
    let conns = if options.conns.is_empty() {
        DEFAULT_CONNS.to_vec()
    } else {
        options.conns.clone()
    };
    let rate_at = |conns: usize| match options.rate {
        Some(rate) => rate.max(1),
        None => DEFAULT_RATE.min(DEFAULT_PER_CONN_CAP.saturating_mul(conns as u64)),
    };
    let rounds = options
        .rounds
        .unwrap_or(if options.quick { 1 } else { 5 })
        .max(1);
    let (warmup, window, strace_short, strace_long) = if options.quick {
        (ms(500), ms(2_000), ms(500), ms(1_500))
    } else {
        (ms(1_000), ms(5_000), ms(1_000), ms(3_000))
    };
    let me = std::env::current_exe()?;
    let servers: Vec<Server> = names.iter().map(|n| server(&me, n)).collect();
    raise_fd_limit();
    if cores() >= 2 {
        loadgen::pin_to_cpu(LOAD_CPU);
    }
    gen::tighten_timer_slack();
    let can_strace = strace::available();
    // A server that refused to start once is not started again.
    let mut refused: Vec<Option<String>> = servers
        .iter()
        .map(|s| s.command.as_ref().err().cloned())
        .collect();
    let load_before = crate::wrk::load_average();
    let mut points = Vec::new();
    for &c in &conns {
        let offer = Offer {
            conns: c,
            rate: rate_at(c),
            msg_len: MSG_LEN,
            warmup,
            window,
        };
        let mut per_server: Vec<Vec<Round>> = vec![Vec::new(); servers.len()];
        let mut failed: Vec<Option<String>> = vec![None; servers.len()];
        for round in 0..rounds {
            // Rotate the order each round so no server always runs first or last.
            for k in 0..servers.len() {
                let i = (k + round) % servers.len();
                let Ok((program, args)) = &servers[i].command else {
                    continue;
                };
                if refused[i].is_some() {
                    continue;
                }
                eprint!(
                    "\r{:>20} {c:>5} conns round {}/{rounds}   ",
                    servers[i].name,
                    round + 1
                );
                match measure(program, args, offer) {
                    Ok(r) => {
                        eprintln!(
                            "{:.0} req/s, CPU {:.2} µs/req (ticks {:.2}), p50 {} p99 {} µs, generator {:.0}%",
                            r.achieved,
                            r.exact_us.unwrap_or(f64::NAN),
                            r.tick_us,
                            r.p50_us,
                            r.p99_us,
                            100.0 * r.generator_busy
                        );
                        per_server[i].push(r);
                    }
                    Err(Failure::Refused(e)) => {
                        eprintln!("did not start: {e}");
                        refused[i] = Some(e);
                    }
                    Err(Failure::Failed(e)) => {
                        eprintln!("run failed: {e}");
                        failed[i] = Some(e);
                    }
                }
            }
        }
        let mut syscalls = Vec::new();
        for (i, s) in servers.iter().enumerate() {
            let counted = match (&s.command, &refused[i]) {
                (_, Some(why)) => Err(why.clone()),
                (Err(why), _) => Err(why.clone()),
                (Ok(_), None) if !can_strace => Err("strace is not installed".to_string()),
                (Ok((program, args)), None) => {
                    eprint!("\r{:>20} {c:>5} conns strace   ", s.name);
                    let out = std::env::temp_dir().join(format!("corio-bench-rate-{}", s.name));
                    strace::count(program, args, offer, strace_short, strace_long, &out)
                        .map_err(|e| format!("strace run failed: {e}"))
                }
            };
            syscalls.push(counted);
        }
        eprintln!();
        points.push(Point {
            conns: c,
            rate: offer.rate,
            servers: names.clone(),
            why_not: refused
                .iter()
                .zip(&failed)
                .map(|(r, f)| r.clone().or_else(|| f.clone()))
                .collect(),
            rounds: per_server,
            syscalls,
        });
    }
    let command = std::iter::once("corio-bench".to_string())
        .chain(std::env::args().skip(1))
        .collect::<Vec<_>>()
        .join(" ");
    let header = table::Header {
        date: proc_stats::date(),
        machine: proc_stats::machine(),
        load: (load_before, crate::wrk::load_average()),
        command,
        explicit_rate: options.rate.is_some(),
        rounds,
        warmup,
        window,
        strace_short,
        strace_long,
    };
    let md = table::markdown(&header, &points);
    let path = report::results_dir().join("rate.md");
    std::fs::write(&path, &md)?;
    println!("{md}");
    eprintln!("wrote {}", path.display());
    Ok(())
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}
