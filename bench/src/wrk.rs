//! Driving `wrk` (the HTTP load generator) for the `http` and `hyper` suites: finding or
//! installing it, running it, and reading its report.

use std::io;
use std::net::SocketAddr;
use std::process::Command;

/// The figures of one `wrk --latency` run.
#[derive(Debug, Clone, Copy)]
pub struct Wrk {
    pub rps: f64,
    pub requests: u64,
    pub p50_us: f64,
    pub p99_us: f64,
    pub mib_per_s: f64,
    /// Socket errors plus non-2xx responses: must be 0.
    pub errors: u64,
}

/// Runs `wrk -t1` with `conns` connections for `secs` seconds against `http://addr/path`.
pub fn run(addr: SocketAddr, path: &str, conns: usize, secs: u64) -> io::Result<Wrk> {
    let output = Command::new("wrk")
        .args([
            "-t1",
            &format!("-c{conns}"),
            &format!("-d{secs}s"),
            "--latency",
        ])
        .arg(format!("http://{addr}/{path}"))
        .output()?;
    let text = String::from_utf8_lossy(&output.stdout);
    parse(&text).ok_or_else(|| io::Error::other(format!("unexpected wrk output:\n{text}")))
}

/// The figures of a `wrk --latency` report.
fn parse(text: &str) -> Option<Wrk> {
    let field = |prefix: &str| {
        text.lines()
            .map(str::trim)
            .find_map(|l| l.strip_prefix(prefix))
            .map(str::trim)
    };
    // "Socket errors: connect 0, read 0, write 0, timeout 0"
    let socket_errors: u64 = field("Socket errors:").map_or(0, |v| {
        v.split(',')
            .filter_map(|p| p.split_whitespace().nth(1)?.parse::<u64>().ok())
            .sum()
    });
    let non_2xx: u64 = field("Non-2xx or 3xx responses:").map_or(Some(0), |v| v.parse().ok())?;
    // "  123456 requests in 2.00s, 12.34MB read"
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
/// `suite` is skipped otherwise.
pub fn available(suite: &str) -> bool {
    let found = || Command::new("wrk").arg("--version").output().is_ok();
    if found() {
        return true;
    }
    // SAFETY: geteuid takes no arguments and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        println!(
            "{suite} suite skipped: wrk is not on PATH (install it, e.g. apt-get install wrk)"
        );
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
    println!("{suite} suite skipped: wrk is not on PATH and apt-get could not install it");
    false
}

/// The 1-minute load average (`/proc/loadavg`), to tell a quiet machine from a busy one.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}
