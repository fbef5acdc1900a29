//! `spawn_blocking`: results, panics, parallelism beside the event loop, and idle threads
//! retiring.

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use corio::task::{blocking_threads, spawn_blocking, KEEP_ALIVE};

#[test]
fn the_result_comes_back_to_the_awaiting_task() {
    let out = corio::block_on(async { spawn_blocking(|| "from a pool thread".to_string()).await });
    assert_eq!(out.unwrap(), "from a pool thread");
}

#[test]
fn a_panic_in_the_job_reaches_the_handle_and_nothing_else_stops() {
    corio::block_on(async {
        let bad = spawn_blocking(|| -> u32 { panic!("disk on fire") });
        let good = spawn_blocking(|| 7u32);
        let err = bad.await.unwrap_err();
        assert!(err.is_panic());
        assert_eq!(err.to_string(), "task panicked: disk on fire");
        assert_eq!(good.await.unwrap(), 7);
    });
}

#[test]
fn blocking_jobs_run_in_parallel_while_the_loop_keeps_serving() {
    // Four jobs that can only finish together (a barrier of 4) prove they run on four
    // threads at once; meanwhile a timer task on the event loop still ticks.
    let barrier = Arc::new(Barrier::new(4));
    let (ticks, results) = corio::block_on(async {
        let mut jobs = Vec::new();
        for i in 0..4u32 {
            let barrier = barrier.clone();
            jobs.push(spawn_blocking(move || {
                barrier.wait();
                std::thread::sleep(Duration::from_millis(100));
                i * 10
            }));
        }
        let ticker = corio::spawn(async {
            let mut ticks = 0;
            let start = Instant::now();
            while start.elapsed() < Duration::from_millis(80) {
                corio::time::sleep(Duration::from_millis(5)).await;
                ticks += 1;
            }
            ticks
        });
        let mut results = Vec::new();
        for job in jobs {
            results.push(job.await.unwrap());
        }
        (ticker.await.unwrap(), results)
    });
    assert_eq!(results, vec![0, 10, 20, 30]);
    assert!(
        ticks >= 5,
        "the event loop stalled while jobs blocked: {ticks} ticks"
    );
}

#[test]
fn dropping_the_handle_detaches_the_job() {
    let (tx, rx) = std::sync::mpsc::channel();
    corio::block_on(async {
        drop(spawn_blocking(move || tx.send(99).unwrap()));
    });
    assert_eq!(rx.recv_timeout(Duration::from_secs(10)).unwrap(), 99);
}

#[test]
fn idle_threads_retire_after_the_keep_alive() {
    corio::block_on(async {
        spawn_blocking(|| ()).await.unwrap();
    });
    assert!(blocking_threads() >= 1);
    // Other tests in this binary may start jobs too; wait (bounded) for all to go idle
    // and retire: KEEP_ALIVE plus slack, polled, never a blind sleep of a fixed length.
    let deadline = Instant::now() + KEEP_ALIVE * 5 + Duration::from_secs(5);
    while blocking_threads() > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(blocking_threads(), 0, "idle threads did not retire");
}
