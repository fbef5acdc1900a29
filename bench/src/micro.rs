//! The `micro` suite: executor and timer costs, corio vs tokio current_thread vs smol, and
//! the tokio-compatible APIs (`micro/compat.rs`: select!, JoinSet, watch, RwLock, fs, BufReader).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use crate::{proc_stats, report};

mod compat;

/// A runtime under test: how to run a future and how to spawn from inside it.
#[derive(Clone, Copy)]
pub(crate) enum Rt {
    Corio,
    Tokio,
    Smol,
}

const RUNTIMES: [Rt; 3] = [Rt::Corio, Rt::Tokio, Rt::Smol];

impl Rt {
    fn name(self) -> &'static str {
        match self {
            Rt::Corio => "corio",
            Rt::Tokio => "tokio current_thread",
            Rt::Smol => "smol LocalExecutor",
        }
    }
}

/// Yields once, identically on every runtime (a self-wake then `Pending`).
struct YieldOnce(bool);
impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// A flag another thread sets and wakes.
#[derive(Default)]
struct Signal {
    state: Mutex<(bool, Option<Waker>)>,
}
impl Signal {
    fn set(&self) {
        let waker = {
            let mut s = self.state.lock().unwrap();
            s.0 = true;
            s.1.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
    fn wait(self: &Arc<Self>) -> impl Future<Output = ()> + '_ {
        std::future::poll_fn(move |cx| {
            let mut s = self.state.lock().unwrap();
            if std::mem::take(&mut s.0) {
                Poll::Ready(())
            } else {
                s.1 = Some(cx.waker().clone());
                Poll::Pending
            }
        })
    }
}

macro_rules! on_runtime {
    ($rt:expr, |$spawn:ident, $sleep:ident| $body:expr) => {{
        match $rt {
            Rt::Corio => {
                let rt = corio::Runtime::new().unwrap();
                let start = Instant::now();
                rt.block_on(async {
                    #[allow(unused_macros)]
                    macro_rules! $spawn {
                        ($f:expr) => {
                            corio::spawn($f)
                        };
                    }
                    #[allow(unused_macros)]
                    macro_rules! $sleep {
                        ($d:expr) => {
                            corio::time::sleep($d)
                        };
                    }
                    $body
                });
                start.elapsed()
            }
            Rt::Tokio => {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                let start = Instant::now();
                rt.block_on(async {
                    #[allow(unused_macros)]
                    macro_rules! $spawn {
                        ($f:expr) => {
                            tokio::spawn($f)
                        };
                    }
                    #[allow(unused_macros)]
                    macro_rules! $sleep {
                        ($d:expr) => {
                            tokio::time::sleep($d)
                        };
                    }
                    $body
                });
                start.elapsed()
            }
            Rt::Smol => {
                let ex = smol::LocalExecutor::new();
                let start = Instant::now();
                smol::block_on(ex.run(async {
                    #[allow(unused_macros)]
                    macro_rules! $spawn {
                        ($f:expr) => {
                            ex.spawn($f)
                        };
                    }
                    #[allow(unused_macros)]
                    macro_rules! $sleep {
                        ($d:expr) => {
                            smol::Timer::after($d)
                        };
                    }
                    $body
                }));
                start.elapsed()
            }
        }
    }};
}

fn spawn_join(rt: Rt, n: usize) -> Duration {
    on_runtime!(rt, |spawn, sleep| {
        let mut handles = Vec::with_capacity(n);
        for i in 0..n {
            handles.push(spawn!(async move { i }));
        }
        let mut sum = 0usize;
        for h in handles {
            sum += h.await.unwrap_or_else_sum();
        }
        assert_eq!(sum, n * (n - 1) / 2);
    })
}

/// Unifies the three runtimes' join outputs (`Result<T, E>` for corio and tokio, `T` for
/// smol) for the sum above.
trait JoinOutput {
    fn unwrap_or_else_sum(self) -> usize;
}
impl<E: std::fmt::Debug> JoinOutput for Result<usize, E> {
    fn unwrap_or_else_sum(self) -> usize {
        self.unwrap()
    }
}
impl JoinOutput for usize {
    fn unwrap_or_else_sum(self) -> usize {
        self
    }
}

fn yields(rt: Rt, n: usize) -> Duration {
    on_runtime!(rt, |spawn, sleep| {
        for _ in 0..n {
            YieldOnce(false).await;
        }
    })
}

fn timers(rt: Rt, n: usize) -> Duration {
    on_runtime!(rt, |spawn, sleep| {
        let mut handles = Vec::with_capacity(n);
        for i in 0..n {
            handles.push(spawn!(async move {
                sleep!(Duration::from_micros(((i * 7919) % 10_000) as u64)).await;
                1usize
            }));
        }
        let mut fired = 0usize;
        for h in handles {
            fired += h.await.unwrap_or_else_sum();
        }
        assert_eq!(fired, n);
    })
}

/// Timeouts armed around work that then finishes first: each sleep is polled once (so it
/// registers) and dropped (so it is cancelled), while 100k longer timers stay pending, as
/// read timeouts on 100k idle connections would. Only the arm-and-cancel loop is timed.
fn timeouts(rt: Rt, n: usize) -> Duration {
    let took = std::cell::Cell::new(Duration::ZERO);
    let took_ref = &took;
    on_runtime!(rt, |spawn, sleep| {
        const LIVE: usize = 100_000;
        let registered = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let live = (0..LIVE as u64)
            .map(|i| {
                let registered = registered.clone();
                spawn!(async move {
                    registered.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    sleep!(Duration::from_millis(600_000 + i)).await
                })
            })
            .collect::<Vec<_>>();
        // Every live timer registers at its task's first poll; run them all first.
        while registered.load(std::sync::atomic::Ordering::Relaxed) < LIVE {
            YieldOnce(false).await;
        }
        let start = Instant::now();
        for i in 0..n as u64 {
            let mut timer = std::pin::pin!(sleep!(Duration::from_millis(30_000 + i % 5_000)));
            std::future::poll_fn(|cx| {
                assert!(timer.as_mut().poll(cx).is_pending());
                Poll::Ready(())
            })
            .await;
        }
        took_ref.set(start.elapsed());
        drop(live); // detached; the runtime drops them with itself
    });
    took.get()
}

fn remote_wakes(rt: Rt, n: usize) -> Duration {
    let to_task = Arc::new(Signal::default());
    let a = to_task.clone();
    // The thread blocks (no spinning: on two cores a spinner would measure the OS
    // scheduler, not the runtime) until the task answers over a std channel.
    let (answer, answers) = std::sync::mpsc::channel::<()>();
    let thread = std::thread::spawn(move || {
        for _ in 0..n {
            a.set();
            if answers.recv().is_err() {
                break;
            }
        }
    });
    let took = on_runtime!(rt, |spawn, sleep| {
        for _ in 0..n {
            to_task.wait().await;
            let _ = answer.send(());
        }
    });
    thread.join().unwrap();
    took
}

/// One row of the suite: its name, its size at full scale, and the loop (`None` where a
/// runtime has no such API).
pub(crate) type Bench = (&'static str, usize, fn(Rt, usize) -> Option<Duration>);

/// Every row, in table order: the executor and timer rows here, then `compat.rs`'s.
fn benches() -> Vec<Bench> {
    let mut all: Vec<Bench> = vec![
        ("spawn + join", 1_000_000, |rt, n| Some(spawn_join(rt, n))),
        ("yield_now round trips", 1_000_000, |rt, n| {
            Some(yields(rt, n))
        }),
        ("timers set and fired", 100_000, |rt, n| Some(timers(rt, n))),
        (
            "timeouts armed and cancelled, 100k pending",
            1_000_000,
            |rt, n| Some(timeouts(rt, n)),
        ),
        ("wakes from another thread", 100_000, |rt, n| {
            Some(remote_wakes(rt, n))
        }),
    ];
    all.extend(compat::benches());
    all
}

/// What `micro` was asked: `--quick` (a tenth of each size, one round), `--rounds N`,
/// `--only a,b` (rows whose name contains one of these; the results file is left alone).
pub struct Options {
    pub quick: bool,
    pub rounds: Option<usize>,
    pub only: Vec<String>,
}

/// Runs each row on each runtime, `rounds` times, the runtimes taking turns; every run is
/// a process of its own (`micro-one`), so a row measures its runtime, not the heap and
/// caches the rows before it left behind. Reports medians, ratios and spreads.
pub fn run(options: &Options) -> io::Result<()> {
    let scale = if options.quick { 10 } else { 1 };
    let rounds = options.rounds.unwrap_or(if options.quick { 1 } else { 5 });
    let mut md = format!(
        "# corio-bench micro\n\n{} — {}\n\nMedian of {rounds} round(s), runtimes taking turns, each run a process of its own. Ratio = other runtime's time / corio's time (above 1: corio is faster). Spread = (max - min) / median over the rounds.\n\n| benchmark | n | corio | tokio current_thread | smol LocalExecutor | tokio / corio | smol / corio | spreads |\n|---|---:|---:|---:|---:|---:|---:|---|\n",
        proc_stats::date(),
        proc_stats::machine()
    );
    let exe = std::env::current_exe()?;
    for (row, (name, n, _)) in benches().into_iter().enumerate() {
        if !options.only.is_empty() && !options.only.iter().any(|o| name.contains(o.as_str())) {
            continue;
        }
        let n = (n / scale).max(1);
        let mut times: Vec<Vec<f64>> = vec![Vec::new(); RUNTIMES.len()];
        for round in 0..rounds {
            for k in 0..RUNTIMES.len() {
                let i = (k + round) % RUNTIMES.len();
                eprint!(
                    "\r{name:>28}: {:<22} round {}/{rounds}   ",
                    RUNTIMES[i].name(),
                    round + 1
                );
                if let Some(took) = run_isolated(&exe, row, i, n)? {
                    times[i].push(took);
                }
            }
        }
        md.push_str(&table_row(name, n, &times));
    }
    eprintln!();
    println!("{md}");
    if options.only.is_empty() {
        let path = report::results_dir().join("micro.md");
        std::fs::write(&path, &md)?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

/// One table line: medians, ratios to corio's, and each runtime's spread.
fn table_row(name: &str, n: usize, times: &[Vec<f64>]) -> String {
    let m: Vec<Option<f64>> = times
        .iter()
        .map(|t| (!t.is_empty()).then(|| report::median(t)))
        .collect();
    let ms = |t: Option<f64>| t.map_or("—".to_string(), |t| format!("{:.1} ms", t * 1e3));
    let ratio = |t: Option<f64>| match (t, m[0]) {
        (Some(t), Some(corio)) => format!("{:.2}x", t / corio),
        _ => "—".to_string(),
    };
    let spreads: Vec<String> = times
        .iter()
        .filter(|t| !t.is_empty())
        .map(|t| format!("{:.0}%", report::spread(t)))
        .collect();
    format!(
        "| {name} | {n} | {} | {} | {} | {} | {} | {} |\n",
        ms(m[0]),
        ms(m[1]),
        ms(m[2]),
        ratio(m[1]),
        ratio(m[2]),
        spreads.join(" / ")
    )
}

/// Runs row `row` on runtime `rt` in a child process (`corio-bench micro-one`); its time
/// in seconds, `None` where the runtime has no such API.
fn run_isolated(exe: &std::path::Path, row: usize, rt: usize, n: usize) -> io::Result<Option<f64>> {
    let out = std::process::Command::new(exe)
        .args([
            "micro-one",
            &row.to_string(),
            &rt.to_string(),
            &n.to_string(),
        ])
        .stderr(std::process::Stdio::inherit())
        .output()?;
    if !out.status.success() {
        return Err(io::Error::other(format!(
            "micro-one {row} {rt} {n} failed: {}",
            out.status
        )));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    match text.trim() {
        "none" => Ok(None),
        t => t
            .parse()
            .map(Some)
            .map_err(|_| io::Error::other(format!("micro-one printed {t:?}"))),
    }
}

/// The child's side: runs row `row` once on runtime `rt` with size `n` and prints its
/// time in seconds (or `none`).
pub fn run_one(args: &[String]) -> io::Result<()> {
    let number = |i: usize| -> io::Result<usize> {
        args.get(i)
            .and_then(|a| a.parse().ok())
            .ok_or_else(|| io::Error::other("usage: micro-one ROW RUNTIME N"))
    };
    let (row, rt, n) = (number(0)?, number(1)?, number(2)?);
    let all = benches();
    let (_, _, f) = all
        .get(row)
        .ok_or_else(|| io::Error::other("no such row"))?;
    let rt = *RUNTIMES
        .get(rt)
        .ok_or_else(|| io::Error::other("no such runtime"))?;
    match f(rt, n) {
        Some(took) => println!("{}", took.as_secs_f64()),
        None => println!("none"),
    }
    Ok(())
}
