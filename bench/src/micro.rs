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
enum Rt {
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

/// Runs each benchmark on each runtime, `rounds` times in turn; reports medians and ratios.
pub fn run(quick: bool) -> io::Result<()> {
    let scale = if quick { 10 } else { 1 };
    let rounds = if quick { 1 } else { 5 };
    type Bench = (&'static str, usize, fn(Rt, usize) -> Duration);
    let benches: [Bench; 5] = [
        ("spawn + join", 1_000_000 / scale, spawn_join),
        ("yield_now round trips", 1_000_000 / scale, yields),
        ("timers set and fired", 100_000 / scale, timers),
        (
            "timeouts armed and cancelled, 100k pending",
            1_000_000 / scale,
            timeouts,
        ),
        ("wakes from another thread", 100_000 / scale, remote_wakes),
    ];
    let mut md = format!(
        "# corio-bench micro\n\n{} — {}\n\nMedian of {rounds} round(s), runtimes taking turns. Ratio = other runtime's time / corio's time (above 1: corio is faster).\n\n| benchmark | n | corio | tokio current_thread | smol LocalExecutor | tokio / corio | smol / corio |\n|---|---:|---:|---:|---:|---:|---:|\n",
        proc_stats::date(),
        proc_stats::machine()
    );
    for (name, n, f) in benches {
        let mut times: Vec<Vec<f64>> = vec![Vec::new(); RUNTIMES.len()];
        for round in 0..rounds {
            for k in 0..RUNTIMES.len() {
                let i = (k + round) % RUNTIMES.len();
                eprint!(
                    "\r{name:>28}: {:<22} round {}/{rounds}   ",
                    RUNTIMES[i].name(),
                    round + 1
                );
                times[i].push(f(RUNTIMES[i], n).as_secs_f64());
            }
        }
        let m: Vec<f64> = times.iter().map(|t| report::median(t)).collect();
        md.push_str(&format!(
            "| {name} | {n} | {:.1} ms | {:.1} ms | {:.1} ms | {:.2}x | {:.2}x |\n",
            m[0] * 1e3,
            m[1] * 1e3,
            m[2] * 1e3,
            m[1] / m[0],
            m[2] / m[0]
        ));
    }
    md.push_str(&compat::rows(quick, rounds));
    eprintln!();
    let path = report::results_dir().join("micro.md");
    std::fs::write(&path, &md)?;
    println!("{md}");
    eprintln!("wrote {}", path.display());
    Ok(())
}
