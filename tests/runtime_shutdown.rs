//! Runtime shutdown: dropping a runtime waits for the blocking-pool jobs spawned from it
//! (a `fs::File` write not flushed still reaches the file), `shutdown_timeout` bounds the
//! wait, `shutdown_background` skips it; `Runtime::spawn`; `Builder::new_multi_thread`.

mod util;

use std::cell::Cell;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use corio::fs::File;
use corio::io::AsyncWriteExt;
use corio::runtime::{Builder, Runtime};
use corio::task::spawn_blocking;
use util::TempDir;

/// Bytes that differ from their neighbours, so a lost chunk shows.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

#[test]
#[cfg_attr(miri, ignore)] // pool threads and files
fn unflushed_file_write_reaches_the_file_when_block_on_returns() {
    let dir = TempDir::new("shutdown-main");
    let data = pattern(256 * 1024);
    for run in 0..20 {
        let path = dir.path().join(format!("main-{run}"));
        let (path2, data2) = (path.clone(), data.clone());
        // `#[corio::main]`'s shape: write, return without `flush`; the File is dropped
        // with its write in flight.
        corio::block_on(async move {
            let mut file = File::create(&path2).await.unwrap();
            file.write_all(&data2).await.unwrap();
        });
        let back = std::fs::read(&path).unwrap();
        assert_eq!(back.len(), data.len(), "run {run}");
        assert!(back == data, "run {run}: bytes differ");
    }
}

#[test]
#[cfg_attr(miri, ignore)] // pool threads and files
fn file_held_by_a_pending_task_is_written_when_the_runtime_drops() {
    let dir = TempDir::new("shutdown-task");
    let data = pattern(256 * 1024);
    for run in 0..20 {
        let path = dir.path().join(format!("task-{run}"));
        let rt = Runtime::new().unwrap();
        let (path2, data2) = (path.clone(), data.clone());
        rt.block_on(async move {
            let (written, wait) = corio::sync::oneshot::channel();
            // Detached: this task still holds the File (and its write in flight) when
            // block_on returns; the runtime's drop drops it.
            drop(corio::spawn(async move {
                let mut file = File::create(&path2).await.unwrap();
                file.write_all(&data2).await.unwrap();
                written.send(()).unwrap();
                std::future::pending::<()>().await;
                drop(file);
            }));
            wait.await.unwrap();
        });
        drop(rt);
        let back = std::fs::read(&path).unwrap();
        assert_eq!(back.len(), data.len(), "run {run}");
        assert!(back == data, "run {run}: bytes differ");
    }
}

/// Spawns a detached pool job that sleeps `sleep` and then sets the returned flag.
fn sleeper(rt: &Runtime, sleep: Duration) -> Arc<AtomicBool> {
    let done = Arc::new(AtomicBool::new(false));
    let flag = done.clone();
    rt.block_on(async move {
        drop(spawn_blocking(move || {
            std::thread::sleep(sleep);
            flag.store(true, Ordering::SeqCst);
        }));
    });
    done
}

#[test]
#[cfg_attr(miri, ignore)] // pool threads and timing
fn drop_waits_for_a_running_blocking_job() {
    let rt = Runtime::new().unwrap();
    let done = sleeper(&rt, Duration::from_millis(200));
    assert_eq!(rt.blocking_jobs(), 1);
    drop(rt);
    assert!(
        done.load(Ordering::SeqCst),
        "drop returned before the job ended"
    );
}

#[test]
#[cfg_attr(miri, ignore)] // pool threads and timing
fn finished_jobs_leave_the_count() {
    let rt = Runtime::new().unwrap();
    let out = rt.block_on(async { spawn_blocking(|| 7).await.unwrap() });
    assert_eq!(out, 7);
    // The job's count ends just after it sends its result: wait on the pool side.
    let started = Instant::now();
    while rt.blocking_jobs() != 0 {
        assert!(started.elapsed() < Duration::from_secs(10), "count stuck");
        std::thread::yield_now();
    }
    assert_eq!(rt.blocking_jobs(), 0);
}

#[test]
#[cfg_attr(miri, ignore)] // pool threads and timing
fn shutdown_timeout_stops_waiting_at_its_limit() {
    let rt = Runtime::new().unwrap();
    let done = sleeper(&rt, Duration::from_secs(2));
    let started = Instant::now();
    rt.shutdown_timeout(Duration::from_millis(50));
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(50),
        "waited only {waited:?}"
    );
    assert!(waited < Duration::from_millis(1500), "waited {waited:?}");
    assert!(!done.load(Ordering::SeqCst));
}

#[test]
#[cfg_attr(miri, ignore)] // pool threads and timing
fn shutdown_background_does_not_wait() {
    let rt = Runtime::new().unwrap();
    let done = sleeper(&rt, Duration::from_secs(2));
    let started = Instant::now();
    rt.shutdown_background();
    let waited = started.elapsed();
    assert!(waited < Duration::from_millis(1500), "waited {waited:?}");
    assert!(!done.load(Ordering::SeqCst));
}

#[test]
fn runtime_spawn_runs_a_non_send_task_at_the_next_block_on() {
    let rt = Runtime::new().unwrap();
    let ran = Rc::new(Cell::new(false));
    let flag = ran.clone();
    let task = rt.spawn(async move {
        flag.set(true);
        6 * 7
    });
    assert!(!ran.get(), "ran before block_on");
    assert_eq!(rt.block_on(task).unwrap(), 42);
    assert!(ran.get());
}

#[test]
fn runtime_spawn_inside_block_on() {
    let rt = Runtime::new().unwrap();
    let out = rt.block_on(async { rt.spawn(async { "inside" }).await.unwrap() });
    assert_eq!(out, "inside");
}

#[test]
fn runtime_spawn_task_is_dropped_with_the_runtime() {
    let rt = Runtime::new().unwrap();
    let alive = Rc::new(());
    let held = alive.clone();
    let _task = rt.spawn(async move {
        let _held = held;
        std::future::pending::<()>().await;
    });
    assert_eq!(Rc::strong_count(&alive), 2);
    drop(rt);
    assert_eq!(Rc::strong_count(&alive), 1);
}

#[test]
fn new_multi_thread_accepts_tokios_builder_chain() {
    // The chain compiles; `build()` does not (see `MultiThread`'s compile_fail example).
    let mut builder = Builder::new_multi_thread();
    builder
        .worker_threads(4)
        .enable_all()
        .enable_io()
        .enable_time();
}

/// Set in the child process of `a_pending_stdin_read_does_not_hold_up_the_drop`.
const STDIN_CHILD: &str = "CORIO_SHUTDOWN_STDIN_CHILD";

/// In the child only: a task starts a stdin read (the parent keeps stdin open and
/// silent), then `block_on` returns and the runtime drops.
#[test]
fn stdin_child() {
    if std::env::var_os(STDIN_CHILD).is_none() {
        return;
    }
    let rt = Runtime::new().unwrap();
    rt.block_on(async {
        use corio::io::AsyncReadExt;
        drop(corio::spawn(async {
            let mut byte = [0u8; 1];
            let _ = corio::io::stdin().read(&mut byte).await;
        }));
        // The task's first poll starts the read job.
        corio::task::yield_now().await;
        corio::task::yield_now().await;
    });
    assert_eq!(rt.blocking_jobs(), 0, "a stdin read was counted");
    drop(rt);
}

#[test]
#[cfg_attr(miri, ignore)] // processes
fn a_pending_stdin_read_does_not_hold_up_the_drop() {
    use std::process::{Command, Stdio};
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "stdin_child", "--test-threads=1"])
        .env(STDIN_CHILD, "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let _open_stdin = child.stdin.take();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(20) {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("the child's runtime drop waited for its stdin read");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    assert!(status.success(), "child failed: {status}");
}
