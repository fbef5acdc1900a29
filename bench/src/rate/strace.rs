//! System calls per request at the `rate` suite's offered load: the server runs under
//! `strace -f -c` (as in `counts.rs`) twice, for a short and a long window of the same
//! schedule; the differences in calls and in requests cancel start-up and the connects.
//! `io_uring_enter` counts like any other call.

use std::collections::HashMap;
use std::io;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use super::gen::{self, Offer};
use crate::counts::terminate;
use crate::peers::start;

/// Calls per request, in all and for the busiest calls.
#[derive(Debug, Clone)]
pub struct Syscalls {
    pub per_request: f64,
    /// The two busiest calls, by count per request (those at 0.01 or more).
    pub top: Vec<(String, f64)>,
    /// The rate the server kept under strace in the long run (req/s).
    pub achieved: f64,
}

/// Whether `strace` can be run here.
pub fn available() -> bool {
    Command::new("strace").arg("-V").output().is_ok()
}

/// Counts for `program args..` at `offer` (its windows are replaced by `short`, `long`).
pub fn count(
    program: &Path,
    args: &[String],
    offer: Offer,
    short: Duration,
    long: Duration,
    out: &Path,
) -> io::Result<Syscalls> {
    let (calls_a, req_a, _) = one(program, args, offer, short, out)?;
    let (calls_b, req_b, achieved) = one(program, args, offer, long, out)?;
    if req_b <= req_a {
        return Err(io::Error::other(
            "the long strace run served no more requests than the short one",
        ));
    }
    let requests = (req_b - req_a) as f64;
    let diff = |name: &str| {
        let b = calls_b.get(name).copied().unwrap_or(0);
        let a = calls_a.get(name).copied().unwrap_or(0);
        b.saturating_sub(a) as f64 / requests
    };
    let mut top: Vec<(String, f64)> = calls_b
        .keys()
        .filter(|name| name.as_str() != "total")
        .map(|name| (name.clone(), diff(name)))
        .filter(|(_, per)| *per >= 0.005) // start-up calls cancel to 0
        .collect();
    top.sort_by(|a, b| b.1.total_cmp(&a.1));
    top.truncate(2);
    Ok(Syscalls {
        per_request: diff("total"),
        top,
        achieved,
    })
}

/// One traced run: calls by name (with `total`), requests served, req/s achieved.
fn one(
    program: &Path,
    args: &[String],
    offer: Offer,
    window: Duration,
    out: &Path,
) -> io::Result<(HashMap<String, u64>, u64, f64)> {
    let _ = std::fs::remove_file(out);
    let mut strace_args = vec![
        "-f".to_string(),
        "-c".into(),
        "-o".into(),
        out.to_string_lossy().into_owned(),
        program.to_string_lossy().into_owned(),
    ];
    strace_args.extend(args.iter().cloned());
    let strace_args: Vec<&str> = strace_args.iter().map(String::as_str).collect();
    let (mut child, addr) = start(Path::new("strace"), &strace_args)?;
    let offer = Offer {
        warmup: Duration::ZERO,
        window,
        ..offer
    };
    let result = gen::run(addr, offer, None);
    terminate(&mut child, true);
    let result = result?;
    let text = std::fs::read_to_string(out)?;
    let calls = parse(&text);
    if !calls.contains_key("total") {
        return Err(io::Error::other(format!(
            "no total in strace output:\n{text}"
        )));
    }
    Ok((calls, result.load.total_requests, result.load.rps()))
}

/// `strace -c` rows: `% time  seconds  usecs/call  calls  [errors]  syscall`; the calls
/// are the 4th column, the name the last (the errors column may be empty).
fn parse(text: &str) -> HashMap<String, u64> {
    text.lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 5 {
                return None;
            }
            let calls = f[3].parse().ok()?;
            Some((f.last()?.to_string(), calls))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn parses_strace_summary() {
        let text = "% time     seconds  usecs/call     calls    errors syscall\n\
                    ------ ----------- ----------- --------- --------- ----------------\n \
                    60.00    0.000600           3       200           io_uring_enter\n \
                    40.00    0.000400           2       150         7 accept4\n\
                    ------ ----------- ----------- --------- --------- ----------------\n\
                    100.00    0.001000           2       350         7 total\n";
        let calls = parse(text);
        assert_eq!(calls.get("io_uring_enter"), Some(&200));
        assert_eq!(calls.get("accept4"), Some(&150));
        assert_eq!(calls.get("total"), Some(&350));
        assert_eq!(calls.len(), 3);
    }
}
