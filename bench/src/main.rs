//! corio-bench: corio against tokio, smol, a raw epoll loop and threads.
//!
//! ```text
//! cargo run --release -p corio-bench -- peers  [--quick] [--servers corio,tokio] [--conns 100,1000] [--rounds 5]
//! cargo run --release -p corio-bench -- ladder [--quick]   # every ladder rung
//! cargo run --release -p corio-bench -- micro  [--quick] [--rounds n] [--only spawn,JoinSet]  # executor, timers, tokio-compatible APIs; each run its own process
//! cargo run --release -p corio-bench -- counts [--quick] [--servers corio,corio-bench,tokio]  # syscalls and instructions per request
//! cargo run --release -p corio-bench -- rate   [--quick] [--servers ladder_07_epoll,corio] [--conns 1,100] [--rate 20000] [--rounds 5]  # server CPU per request at a fixed offered load
//! cargo run --release -p corio-bench -- scaling [--quick]  # 1 and 2 event loops on 1 and 2 cores
//! cargo run --release -p corio-bench -- http   [--quick]   # wrk: the http example vs its tokio port
//! cargo run --release -p corio-bench -- hyper  [--quick]   # wrk: hyper on corio vs hyper on tokio
//! corio-bench serve corio 127.0.0.1:7000 & corio-bench load 127.0.0.1:7000 100 [SECS] [MSG]
//! ```
//!
//! Each suite writes `bench/results/<suite>.md` (and `.svg` where there is a chart).

mod counts;
mod http;
mod hyper_bench;
mod loadgen;
mod micro;
mod peers;
mod proc_stats;
mod rate;
mod raw_epoll;
mod report;
mod rx_stamp;
mod servers;
mod wrk;

use std::process::ExitCode;

/// The comma-separated values after `flag`, if given.
fn list(args: &[String], flag: &str) -> Vec<String> {
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1))
        .map(|v| v.split(',').map(str::to_string).collect())
        .unwrap_or_default()
}

/// Like [`list`], parsed as numbers (unparsable values are ignored).
fn numbers(args: &[String], flag: &str) -> Vec<usize> {
    list(args, flag)
        .iter()
        .filter_map(|v| v.parse().ok())
        .collect()
}

/// `load ADDR CONNS [SECS] [MSG]`: the load generator alone, against a server started by
/// hand (`corio-bench serve NAME ADDR`), for profiling one server.
fn load(args: &[String]) -> std::io::Result<()> {
    let parse = |i: usize, default: usize| {
        args.get(i)
            .map_or(Ok(default), |v| v.parse().map_err(std::io::Error::other))
    };
    let addr = args[0].parse().map_err(std::io::Error::other)?;
    let (conns, secs, msg) = (parse(1, 100)?, parse(2, 5)?, parse(3, 64)?);
    peers::raise_fd_limit();
    let r = loadgen::run(
        addr,
        conns,
        msg,
        std::time::Duration::from_millis(500),
        std::time::Duration::from_secs(secs as u64),
    )?;
    println!(
        "{:.0} req/s; µs: p50 {} p90 {} p99 {} p99.9 {} max {}; reply in socket: p50 {} p99 {} \
         p99.9 {} ({} unstamped); corrupt {}",
        r.rps(),
        r.quantile(0.5),
        r.quantile(0.9),
        r.quantile(0.99),
        r.quantile(0.999),
        r.quantile(1.0),
        r.reply_quantile(0.5),
        r.reply_quantile(0.99),
        r.reply_quantile(0.999),
        r.unstamped,
        r.corrupt
    );
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    let result = match args.first().map(String::as_str) {
        Some("serve") if args.len() >= 3 => servers::serve(&args[1], &args[2]),
        Some("serve-http") if args.len() >= 3 => http::serve_tokio(&args[1], &args[2]),
        Some("peers") => peers::peers(
            quick,
            &list(&args, "--servers"),
            &numbers(&args, "--conns"),
            numbers(&args, "--rounds").first().copied(),
        ),
        Some("load") if args.len() >= 3 => load(&args[1..]),
        Some("ladder") => peers::ladder(quick),
        Some("scaling") => peers::scaling(quick),
        Some("micro") => micro::run(&micro::Options {
            quick,
            rounds: numbers(&args, "--rounds").first().copied(),
            only: list(&args, "--only"),
        }),
        Some("micro-one") => micro::run_one(&args[1..]),
        Some("counts") => counts::run(quick, &list(&args, "--servers")),
        Some("rate") => rate::run(&rate::Options {
            quick,
            servers: list(&args, "--servers"),
            conns: numbers(&args, "--conns"),
            rate: numbers(&args, "--rate").first().map(|&r| r as u64),
            rounds: numbers(&args, "--rounds").first().copied(),
        }),
        Some("http") => http::run(quick),
        Some("hyper") => hyper_bench::main(&args[1..]),
        _ => {
            eprintln!(
                "usage: corio-bench peers|ladder|micro|counts|rate|scaling|http|hyper [--quick] \
                 [--servers a,b] [--conns n,m] [--rounds n] (the last three for peers, rate)\n\
                 rate: server CPU per request at a fixed offered load [--rate N]\n\
                 http: wrk against the http example (corio) and its tokio port\n\
                 hyper: wrk against hyper on corio and on tokio"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("corio-bench: {e}");
            ExitCode::FAILURE
        }
    }
}
