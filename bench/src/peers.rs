//! The `peers` and `ladder` suites: start each server in its own process, drive it with the
//! load generator, servers taking turns round after round.

use std::io::{self, BufRead, BufReader};
use std::net::SocketAddr;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::loadgen::{self, LoadResult};
use crate::proc_stats;
use crate::report::{self, Row};

/// The CPU the server is pinned to, and the one the load generator takes.
const SERVER_CPU: usize = 0;
const LOAD_CPU: usize = 1;

/// How a suite runs: load points, rounds and window lengths.
struct Plan {
    points: Vec<(usize, usize)>,
    rounds: usize,
    warmup: Duration,
    window: Duration,
}

fn plan(quick: bool, full_points: &[(usize, usize)], quick_points: &[(usize, usize)]) -> Plan {
    if quick {
        Plan {
            points: quick_points.to_vec(),
            rounds: 1,
            warmup: Duration::from_millis(150),
            window: Duration::from_millis(400),
        }
    } else {
        Plan {
            points: full_points.to_vec(),
            rounds: 5,
            warmup: Duration::from_millis(500),
            window: Duration::from_secs(2),
        }
    }
}

/// Starts `program args.. 127.0.0.1:0` pinned to the server CPU; waits for its address.
pub fn start(program: &Path, args: &[&str]) -> io::Result<(Child, SocketAddr)> {
    start_on(program, args, &[SERVER_CPU])
}

/// Like [`start`], allowing the server the CPUs in `cpus` (those the machine has).
pub fn start_on(program: &Path, args: &[&str], cpus: &[usize]) -> io::Result<(Child, SocketAddr)> {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .arg("127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let cpus: Vec<usize> = cpus.iter().copied().filter(|&c| c < cores()).collect();
    if cores() >= 2 && !cpus.is_empty() {
        // SAFETY: pre_exec runs in the forked child before exec; sched_setaffinity is
        // async-signal-safe and touches only the local set (moved into the closure).
        unsafe {
            cmd.pre_exec(move || {
                let mut set: libc::cpu_set_t = std::mem::zeroed();
                for &cpu in &cpus {
                    libc::CPU_SET(cpu, &mut set);
                }
                libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
                Ok(())
            });
        }
    }
    let mut child = cmd.spawn()?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| io::Error::other("no stdout"))?;
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line)?;
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .and_then(|a| a.parse().ok())
        .ok_or_else(|| {
            io::Error::other(format!(
                "{}: unexpected first line {line:?}",
                program.display()
            ))
        })?;
    Ok((child, addr))
}

/// Online CPUs (not this thread's affinity, which pinning narrows to one).
pub fn cores() -> usize {
    // SAFETY: sysconf takes no pointers.
    unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) }.max(1) as usize
}

/// Raises the soft fd limit to the hard limit (10,000 connections need it on both sides).
pub fn raise_fd_limit() {
    // SAFETY: getrlimit/setrlimit with a live struct.
    unsafe {
        let mut lim: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 {
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}

/// A server under test: its report name, how to start it, and the CPUs it may use.
pub struct Contender {
    pub name: String,
    pub program: PathBuf,
    pub args: Vec<String>,
    pub cpus: Vec<usize>,
}

impl Contender {
    /// `corio-bench serve NAME` on as many CPUs (from CPU 0) as it has event-loop threads.
    fn bench_server(me: &Path, name: &str) -> Contender {
        Contender::bench_server_on(me, name, name, (0..crate::servers::threads(name)).collect())
    }

    /// `corio-bench serve SERVER`, reported as `label`, on `cpus`.
    pub fn bench_server_on(me: &Path, label: &str, server: &str, cpus: Vec<usize>) -> Contender {
        Contender {
            name: label.to_string(),
            program: me.to_path_buf(),
            args: vec!["serve".to_string(), server.to_string()],
            cpus,
        }
    }
}

/// One measurement: a fresh server process, one load point.
fn measure(
    who: &Contender,
    conns: usize,
    msg: usize,
    plan: &Plan,
) -> io::Result<(LoadResult, u64, u64, f64)> {
    let args: Vec<&str> = who.args.iter().map(String::as_str).collect();
    let (mut child, addr) = start_on(&who.program, &args, &who.cpus)?;
    let pid = child.id();
    let rss_before = proc_stats::rss_kib(pid);
    let cpu_before = proc_stats::cpu_secs(pid);
    let result = loadgen::run(addr, conns, msg, plan.warmup, plan.window);
    let rss_after = proc_stats::rss_kib(pid);
    let cpu = proc_stats::cpu_secs(pid) - cpu_before;
    proc_stats::stop(&mut child);
    Ok((result?, rss_before, rss_after, cpu))
}

/// Runs `servers` over `plan`, taking turns; returns one row each.
fn sweep(servers: &[Contender], plan: &Plan) -> Vec<Row> {
    raise_fd_limit();
    if cores() >= 2 {
        loadgen::pin_to_cpu(LOAD_CPU);
    }
    let mut rows = Vec::new();
    for &(conns, msg) in &plan.points {
        let mut per_server: Vec<Vec<(LoadResult, u64, u64, f64)>> = vec![Vec::new(); servers.len()];
        for round in 0..plan.rounds {
            // Rotate the order each round so no server always runs first or last.
            for k in 0..servers.len() {
                let i = (k + round) % servers.len();
                let name = &servers[i].name;
                eprint!(
                    "\r{name:>22} {conns:>6} conns {msg:>5} B  round {}/{}   ",
                    round + 1,
                    plan.rounds
                );
                match measure(&servers[i], conns, msg, plan) {
                    Ok(m) => per_server[i].push(m),
                    Err(e) => eprintln!("\n{name} at {conns} connections: {e}"),
                }
            }
        }
        for (i, ms) in per_server.into_iter().enumerate() {
            if ms.is_empty() {
                continue;
            }
            let rps: Vec<f64> = ms.iter().map(|m| m.0.rps()).collect();
            // Memory from the median round (by req/s).
            let mut order: Vec<usize> = (0..ms.len()).collect();
            order.sort_by(|&a, &b| rps[a].total_cmp(&rps[b]));
            let mid = &ms[order[order.len() / 2]];
            // Latency quantiles: the median over rounds of each round's quantile, as for
            // req/s — one round's tail is too noisy to compare on its own.
            let q = |p: f64| {
                let v: Vec<f64> = ms.iter().map(|m| f64::from(m.0.quantile(p))).collect();
                report::median(&v) as u32
            };
            let reply = |p: f64| {
                let v: Vec<f64> = ms
                    .iter()
                    .map(|m| f64::from(m.0.reply_quantile(p)))
                    .collect();
                report::median(&v) as u32
            };
            let p99s: Vec<f64> = ms.iter().map(|m| f64::from(m.0.quantile(0.99))).collect();
            let per_round =
                |f: &dyn Fn(&LoadResult) -> u32| ms.iter().map(|m| f(&m.0)).collect::<Vec<_>>();
            eprintln!(
                "\n{:>22} {conns:>6} conns: p99 per round (µs) {:?}\n{:>22} {conns:>6} conns: reply p99 per round (µs) {:?}",
                servers[i].name,
                per_round(&|r| r.quantile(0.99)),
                servers[i].name,
                per_round(&|r| r.reply_quantile(0.99)),
            );
            let unstamped: u64 = ms.iter().map(|m| m.0.unstamped).sum();
            if unstamped > 0 {
                eprintln!(
                    "{:>22} {conns:>6} conns: {unstamped} replies without a receive stamp, \
                     left out of the reply columns",
                    servers[i].name
                );
            }
            let total: u64 = ms.iter().map(|m| m.0.total_requests).sum();
            let cpu: f64 = ms.iter().map(|m| m.3).sum();
            rows.push(Row {
                server: servers[i].name.clone(),
                conns,
                msg_len: msg,
                rps,
                p50_us: q(0.5),
                p99_us: q(0.99),
                p999_us: q(0.999),
                reply_p50_us: reply(0.5),
                reply_p99_us: reply(0.99),
                p99_spread: report::spread(&p99s),
                rss_kib: mid.2,
                rss_per_conn_bytes: (mid.2.saturating_sub(mid.1)) as f64 * 1024.0 / conns as f64,
                cpu_per_100k: if total > 0 {
                    cpu / total as f64 * 100_000.0
                } else {
                    0.0
                },
                corrupt: ms.iter().map(|m| m.0.corrupt).sum(),
            });
        }
    }
    eprintln!();
    rows
}

/// `scaling`: one and two event-loop threads on one and two cores, with the load
/// generator alone on its core — what a 2-core machine can say about scaling.
pub fn scaling(quick: bool) -> io::Result<()> {
    let full = [(100, 64), (1_000, 64)];
    let plan = plan(quick, &full, &full[..1]);
    let me = std::env::current_exe()?;
    let servers = vec![
        Contender::bench_server_on(&me, "corio 1 worker, 1 core", "corio", vec![SERVER_CPU]),
        Contender::bench_server_on(&me, "corio 2 workers, 1 core", "corio-2w", vec![SERVER_CPU]),
        Contender::bench_server_on(
            &me,
            "corio 2 workers, 2 cores",
            "corio-2w",
            vec![SERVER_CPU, LOAD_CPU],
        ),
        Contender::bench_server_on(
            &me,
            "tokio current_thread, 1 core",
            "tokio",
            vec![SERVER_CPU],
        ),
        Contender::bench_server_on(
            &me,
            "tokio mt 2 threads, 1 core",
            "tokio-mt2",
            vec![SERVER_CPU],
        ),
        Contender::bench_server_on(
            &me,
            "tokio mt 2 threads, 2 cores",
            "tokio-mt2",
            vec![SERVER_CPU, LOAD_CPU],
        ),
    ];
    let rows = sweep(&servers, &plan);
    write("scaling", &rows, &plan, "The load generator (one thread) always has CPU 1. \"1 core\": the server may use CPU 0 only; \"2 cores\": CPUs 0 and 1, so its second thread shares the load generator's core. On a 2-core machine this cannot show two-core scaling — there is no third core for the client — it shows what a second event loop costs or gains when cores are contended, and the per-core cost (CPU s per 100k requests) the model in DESIGN.md §17 starts from.")
}

fn write(suite: &str, rows: &[Row], plan: &Plan, note: &str) -> io::Result<()> {
    let dir = report::results_dir();
    let mut md = format!(
        "# corio-bench {suite}\n\n{} — {}\n\n{} round(s) per point, servers taking turns; {} ms warm-up, {} ms measured; server pinned to CPU {SERVER_CPU}, load generator to CPU {LOAD_CPU} (when the machine has two).\n\n{note}\n\n",
        proc_stats::date(),
        proc_stats::machine(),
        plan.rounds,
        plan.warmup.as_millis(),
        plan.window.as_millis(),
    );
    md.push_str(&report::table(rows));
    std::fs::write(dir.join(format!("{suite}.md")), &md)?;
    std::fs::write(
        dir.join(format!("{suite}.svg")),
        report::svg(rows, 64, &format!("corio-bench {suite}: 64-byte echo")),
    )?;
    println!("{md}");
    eprintln!("wrote {}", dir.join(format!("{suite}.md")).display());
    Ok(())
}

/// `peers`: the echo server on each runtime.
///
/// `only_servers` and `only_conns` (from `--servers a,b` and `--conns 100,1000`) narrow the
/// sweep, e.g. to fit a time limit; empty means everything (a narrowed server list writes
/// `peers-<servers>.md` instead of `peers.md`). `rounds` (`--rounds N`) replaces
/// the default five, for a tighter median where the machine is noisy.
pub fn peers(
    quick: bool,
    only_servers: &[String],
    only_conns: &[usize],
    rounds: Option<usize>,
) -> io::Result<()> {
    let full = [(1, 64), (100, 64), (1_000, 64), (10_000, 64), (100, 4096)];
    let short = [(1, 64), (100, 64), (1_000, 64)];
    let mut plan = plan(quick, &full, &short);
    if let Some(rounds) = rounds {
        plan.rounds = rounds.max(1);
    }
    if !only_conns.is_empty() {
        plan.points.retain(|(conns, _)| only_conns.contains(conns));
    }
    let me = std::env::current_exe()?;
    let servers: Vec<Contender> = crate::servers::SERVERS
        .iter()
        .filter(|s| only_servers.is_empty() || only_servers.iter().any(|o| o == *s))
        .map(|s| Contender::bench_server(&me, s))
        .collect();
    let rows = sweep(&servers, &plan);
    // A narrowed run gets its own file, so it never replaces the full table.
    let suite = if only_servers.is_empty() {
        "peers".to_string()
    } else {
        format!("peers-{}", only_servers.join("-"))
    };
    write(&suite, &rows, &plan, "Servers: corio, tokio current_thread, smol LocalExecutor + async-io, a raw epoll loop, std thread per connection, and two servers on two threads: corio-2w (two corio workers, one SO_REUSEPORT listener each) and tokio-mt2 (tokio multi_thread, 2 worker threads). The one-thread servers are pinned to CPU 0; the two-thread ones may use CPUs 0 and 1, so on a 2-core machine they share CPU 1 with the load generator (see `scaling` for the run that separates them). Spread = (max - min) / median over rounds. Latencies are the median over rounds of each round's quantile (p99 spread: of the rounds' p99s); memory is from the round with the median req/s. Reply p50/p99: from the send until the whole reply was in the load generator's socket (the kernel's receive timestamp), i.e. the server's share of the round trip without the time the reply waited for the load generator to read it; where the one-thread load generator is the slower side (most rounds at 100 connections here), the round-trip tail is mostly that wait.")
}

/// `ladder`: every rung of the ladder that is built, plus the echo example on top.
pub fn ladder(quick: bool) -> io::Result<()> {
    let full = [(1, 64), (10, 64), (100, 64), (1_000, 64)];
    let short = [(1, 64), (10, 64), (100, 64)];
    let plan = plan(quick, &full, &short);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    eprintln!("building the examples in release mode...");
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(&root)
        .args(["build", "--release", "--examples", "-p", "corio"])
        .status()?;
    if !status.success() {
        return Err(io::Error::other("cargo build --release --examples failed"));
    }
    let dir = root.join("target/release/examples");
    let mut servers = Vec::new();
    let mut names: Vec<String> = std::fs::read_dir(&dir)?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("ladder_") && !n.contains('-') && !n.contains('.'))
        .collect();
    names.sort();
    names.push("echo".into());
    for name in names {
        servers.push(Contender {
            program: dir.join(&name),
            name,
            args: Vec::new(),
            cpus: vec![SERVER_CPU],
        });
    }
    let rows = sweep(&servers, &plan);
    write("ladder", &rows, &plan, "Every rung of the ladder (examples/ladder_*) and echo (corio) on top. The blocking rung serves one client at a time, so past one connection only the first client is answered; the select rung refuses descriptors past FD_SETSIZE.")
}
