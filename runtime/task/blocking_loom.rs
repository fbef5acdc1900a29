//! Loom model of the blocking pool's hand-off:
//! `RUSTFLAGS="--cfg loom" cargo test --release --lib loom_blocking`.
//!
//! The pool, its lock, its condition variable and its threads are the runtime's own
//! (`Pool::execute`, `Pool::work_loop`), built outside the process-wide `POOL` static,
//! where loom types cannot live. Time is modelled by `TimedCondvar::expire`
//! (`std_or_loom.rs`), run on a thread of its own so that loom tries the idle timeout at
//! every point of the hand-off.

use loom::sync::{Arc, Condvar, Mutex};
use loom::thread;

use super::{Job, Pool};

/// How often each job ran, and a condition variable to wait for them.
#[derive(Default)]
struct Runs {
    counts: Mutex<[usize; 2]>,
    changed: Condvar,
}

/// A job that records one run of job `index` in `runs`.
fn job(runs: &Arc<Runs>, index: usize) -> Job {
    let runs = runs.clone();
    Box::new(move || {
        runs.counts.lock().unwrap()[index] += 1;
        runs.changed.notify_all();
    })
}

impl Runs {
    /// Blocks until both jobs have run; a job that is never run leaves this wait for
    /// good, which loom reports as a deadlock. Returns the counts then.
    fn wait_for_both(&self) -> [usize; 2] {
        let mut counts = self.counts.lock().unwrap();
        while counts.contains(&0) {
            counts = self.changed.wait(counts).unwrap();
        }
        *counts
    }
}

/// A job handed to the pool's one thread just as that thread's idle wait times out runs
/// exactly once, whichever side wins: the thread sees the job before it leaves, or it
/// has left (no longer counted as idle) and `execute` starts another thread.
#[test]
fn loom_blocking_job_handed_to_an_idle_thread_as_it_times_out_runs_once() {
    // Four threads: unbounded, loom runs for more than ten minutes. Three preemptions
    // take about 15 s and reach the race (a thread leaving on a timeout with a job
    // queued for it is caught with two).
    let mut model = loom::model::Builder::new();
    model.preemption_bound = Some(3);
    model.check(|| {
        // Leaked: `execute` hands `&'static Pool` to the threads it starts.
        let pool: &'static Pool = Box::leak(Box::new(Pool::new()));
        let runs = Arc::new(Runs::default());
        pool.execute(job(&runs, 0)); // starts the thread, which goes idle after the job
        let clock = thread::spawn(move || pool.work.expire(&pool.state));
        pool.execute(job(&runs, 1));
        assert_eq!(runs.wait_for_both(), [1, 1]);
        clock.join().unwrap();
        // Every thread leaves once idle past the timeout; loom waits for them and would
        // report one that never leaves as a deadlock.
    });
}
