//! bench/results/rate.md: one table per connection count.

use std::fmt::Write as _;
use std::time::Duration;

use super::strace::Syscalls;
use super::BASELINE;
use crate::report::{median, spread};

/// One server's figures for one measured window.
#[derive(Debug, Clone)]
pub struct Round {
    pub achieved: f64,
    /// Requests scheduled inside the window.
    pub offered: u64,
    /// Server CPU µs per request from the threads' run time (schedstat), if exposed.
    pub exact_us: Option<f64>,
    /// The same from utime + stime (clock ticks).
    pub tick_us: f64,
    pub p50_us: u32,
    pub p99_us: u32,
    pub corrupt: u64,
    /// The load generator's CPU over the window / the window.
    pub generator_busy: f64,
}

/// Every server at one connection count.
pub struct Point {
    pub conns: usize,
    /// Offered requests/s at this point.
    pub rate: u64,
    pub servers: Vec<String>,
    pub rounds: Vec<Vec<Round>>,
    /// Why a server has no rounds (did not build, did not start, failed).
    pub why_not: Vec<Option<String>>,
    pub syscalls: Vec<Result<Syscalls, String>>,
}

/// What the header states about the run.
pub struct Header {
    pub date: String,
    pub machine: String,
    /// The 1-minute load average at the start and at the end of the run.
    pub load: (String, String),
    pub command: String,
    /// `--rate` was given (else the default: 20,000/s, at most 5,000/s per connection).
    pub explicit_rate: bool,
    pub rounds: usize,
    pub warmup: Duration,
    pub window: Duration,
    pub strace_short: Duration,
    pub strace_long: Duration,
}

/// The CPU µs per request of each round: from schedstat where every round has it, else
/// from ticks. Returns the figures and the source's name.
fn cpu_us(rounds: &[Round]) -> (Vec<f64>, &'static str) {
    let exact: Option<Vec<f64>> = rounds.iter().map(|r| r.exact_us).collect();
    match exact {
        Some(v) => (v, "schedstat"),
        None => (rounds.iter().map(|r| r.tick_us).collect(), "ticks"),
    }
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// The whole results file.
pub fn markdown(h: &Header, points: &[Point]) -> String {
    let mut md = String::new();
    let _ = write!(
        md,
        "# corio-bench rate\n\n{} — {}; 1-minute load average {} at the start and {} at the end of \
         the run (the run itself adds up to 2: beyond that, other work shared the cores and \
         the figures do not compare with a quiet run)\n\nCommand: `{}`\n\n\
         Offered load (stated above each table): {}; spread evenly over the connections (request k \
         is due at k / rate on connection k mod C), 64-byte messages checked against their \
         uppercase echo. Open loop: send times are fixed in advance; a request that falls due \
         while its connection still waits for the previous reply is queued, never dropped, so \
         every server is given the same work per second. Each server is a fresh process \
         pinned to CPU 0, the load generator is pinned to CPU 1; {} round(s), servers taking \
         turns within each round; {} ms warm-up, {} ms measured.\n\n\
         - **achieved req/s**: requests completed in the window / window (marked * when below \
         95% of the offered rate: the server or the generator did not keep up).\n\
         - **CPU µs/req**: the server's CPU time over the window / requests completed in it; \
         CPU time from the run time of every server thread (`/proc/PID/task/*/schedstat`, ns \
         resolution); median over rounds; **spread** = (max − min) / median.\n\
         - **vs {BASELINE}**: the ratio of those medians.\n\
         - **ticks µs/req**: the same from `utime + stime` in `/proc/PID/stat`, a cross-check \
         with clock-tick (10 ms) resolution.\n\
         - **p50/p99 µs**: from the *scheduled* send time until the whole reply was read (no \
         coordinated omission: a late send counts as latency); median over rounds of each \
         round's quantile.\n\
         - **syscalls/req**: separate runs of the same schedule under `strace -f -c` for {} ms \
         and {} ms; (calls in the long run − calls in the short) / (requests in the long − \
         requests in the short), which cancels start-up and the connects; `io_uring_enter` \
         counts like any call (marked † when the traced server kept below 95% of the offered \
         rate). **busiest**: the two most frequent calls, per request.\n\
         - **bad**: replies that were not the uppercase of the request (must be 0).\n\
         - **gen CPU**: the load generator thread's CPU time over the window / the window \
         (median): near 100% the generator, not the server, limits the achieved rate.\n\n",
        h.date,
        h.machine,
        h.load.0,
        h.load.1,
        h.command,
        if h.explicit_rate {
            "as given by `--rate`"
        } else {
            "20,000 requests/s in total by default, at most 5,000/s per connection (one \
             connection carries one request at a time, and a loopback round trip takes 60-80 µs \
             here even on a quiet machine)"
        },
        h.rounds,
        h.warmup.as_millis(),
        h.window.as_millis(),
        h.strace_short.as_millis(),
        h.strace_long.as_millis(),
    );
    for p in points {
        let _ = write!(
            md,
            "## {} connection{}, {} requests/s offered\n\n| server | achieved req/s | CPU µs/req | spread | vs {BASELINE} | \
             ticks µs/req | p50 µs | p99 µs | syscalls/req | busiest calls/req | bad | gen CPU |\n\
             |---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|\n",
            p.conns,
            if p.conns == 1 { "" } else { "s" },
            p.rate,
        );
        let baseline = p
            .servers
            .iter()
            .position(|s| s == BASELINE)
            .filter(|&i| !p.rounds[i].is_empty())
            .map(|i| median(&cpu_us(&p.rounds[i]).0));
        for (i, name) in p.servers.iter().enumerate() {
            let rounds = &p.rounds[i];
            if rounds.is_empty() {
                let why = p.why_not[i].as_deref().unwrap_or("no rounds");
                let _ = writeln!(
                    md,
                    "| {name} | did not run: {} | — | — | — | — | — | — | — | — | — | — |",
                    cell(why)
                );
                continue;
            }
            let achieved: Vec<f64> = rounds.iter().map(|r| r.achieved).collect();
            let achieved_m = median(&achieved);
            let offered: Vec<f64> = rounds.iter().map(|r| r.offered as f64).collect();
            let short = achieved_m < 0.95 * median(&offered) / h.window.as_secs_f64();
            let (cpu, source) = cpu_us(rounds);
            let cpu_m = median(&cpu);
            let ratio = match baseline {
                Some(b) if b > 0.0 => format!("{:.2}x", cpu_m / b),
                _ => "—".into(),
            };
            let ticks: Vec<f64> = rounds.iter().map(|r| r.tick_us).collect();
            let q = |f: &dyn Fn(&Round) -> u32| {
                median(&rounds.iter().map(|r| f64::from(f(r))).collect::<Vec<_>>())
            };
            let (sys, busiest) = match &p.syscalls[i] {
                Ok(s) => (
                    format!(
                        "{:.2}{}",
                        s.per_request,
                        if s.achieved < 0.95 * p.rate as f64 {
                            "†"
                        } else {
                            ""
                        }
                    ),
                    s.top
                        .iter()
                        .map(|(n, v)| format!("{n} {v:.2}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
                Err(e) => ("—".into(), cell(e)),
            };
            let _ = writeln!(
                md,
                "| {name} | {achieved_m:.0}{} | {cpu_m:.2}{} | {:.0}% | {ratio} | {:.2} | {:.0} | \
                 {:.0} | {sys} | {busiest} | {} | {:.0}% |",
                if short { "*" } else { "" },
                if source == "ticks" { " (ticks)" } else { "" },
                spread(&cpu),
                median(&ticks),
                q(&|r| r.p50_us),
                q(&|r| r.p99_us),
                rounds.iter().map(|r| r.corrupt).sum::<u64>(),
                100.0 * median(&rounds.iter().map(|r| r.generator_busy).collect::<Vec<_>>()),
            );
        }
        md.push('\n');
    }
    md
}
