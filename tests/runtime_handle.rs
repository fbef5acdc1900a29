//! `runtime::Handle`: spawning onto a runtime from inside it, from other threads, before
//! it runs and after it is gone; `try_current` and `current` outside a runtime.

mod common_exec;

use std::thread;
use std::time::Duration;

use common_exec::{assert_send, assert_sync, with_watchdog, DropCounter};
use corio::runtime::{Handle, Runtime};
use corio::sync::oneshot;

const WATCHDOG: Duration = Duration::from_secs(30);

#[test]
fn a_handle_is_send_and_sync() {
    assert_send::<Handle>();
    assert_sync::<Handle>();
}

#[test]
fn try_current_outside_a_runtime_is_err_and_current_panics() {
    let err = Handle::try_current().unwrap_err();
    assert!(err.is_missing_context() && !err.is_thread_local_destroyed());
    assert_eq!(
        err.to_string(),
        "there is no reactor running, must be called from the context of a corio runtime"
    );
    let panic = std::panic::catch_unwind(Handle::current).unwrap_err();
    assert_eq!(
        panic.downcast_ref::<String>().map(String::as_str),
        Some("there is no reactor running, must be called from the context of a corio runtime")
    );
    // Not after a runtime has run here either: only while one runs.
    corio::block_on(async { assert!(Handle::try_current().is_ok()) });
    assert!(Handle::try_current().is_err());
}

#[test]
fn handle_current_inside_block_on_spawns_on_this_runtime() {
    let here = thread::current().id();
    let (ran_on, value) = corio::block_on(async {
        let handle = Handle::current();
        let task = handle.spawn(async { (thread::current().id(), 6 * 7) });
        task.await.unwrap()
    });
    assert_eq!((ran_on, value), (here, 42));
}

#[test]
fn a_handle_sent_to_another_thread_spawns_onto_the_runtime_s_thread() {
    with_watchdog(WATCHDOG, || {
        let rt = Runtime::new().unwrap();
        let runtime_thread = thread::current().id();
        let outcome = rt.block_on(async {
            let handle = Handle::current();
            let (tx, rx) = oneshot::channel();
            let helper = thread::spawn(move || {
                let helper_thread = thread::current().id();
                let task = handle.spawn(async move { (helper_thread, thread::current().id()) });
                tx.send(task).unwrap();
                helper_thread
            });
            let task = rx.await.unwrap();
            let (spawner, ran_on) = task.await.unwrap();
            assert_eq!(spawner, helper.join().unwrap());
            ran_on
        });
        assert_eq!(outcome, runtime_thread);
    });
}

#[test]
fn spawn_before_block_on_runs_at_the_next_block_on() {
    with_watchdog(WATCHDOG, spawn_before_block_on);
}

fn spawn_before_block_on() {
    let rt = Runtime::new().unwrap();
    let handle = rt.handle();
    let from_thread = thread::spawn({
        let handle = handle.clone();
        move || handle.spawn(async { "from a thread" })
    })
    .join()
    .unwrap();
    let from_here = handle.spawn(async { "from this thread" });
    let got = rt.block_on(async { (from_thread.await.unwrap(), from_here.await.unwrap()) });
    assert_eq!(got, ("from a thread", "from this thread"));
}

#[test]
fn spawn_after_the_runtime_is_dropped_is_cancelled_and_drops_the_future() {
    with_watchdog(WATCHDOG, spawn_after_drop);
}

fn spawn_after_drop() {
    let rt = Runtime::new().unwrap();
    let handle = rt.handle();
    let drops = DropCounter::new();
    // Queued, never run: the runtime goes before its next block_on.
    let guard = drops.guard();
    let queued = handle.spawn(async move {
        let _guard = guard;
        1
    });
    // Running and pending when the runtime goes (returned from block_on unawaited).
    let guard = drops.guard();
    let pending = rt.block_on(async {
        let task = Handle::current().spawn(async move {
            let _guard = guard;
            std::future::pending::<u8>().await
        });
        corio::task::yield_now().await;
        Some(task)
    });
    let pending = pending.unwrap();
    drop(rt);
    assert_eq!(drops.count(), 2);
    assert!(queued.join().unwrap_err().is_cancelled());
    assert!(pending.join().unwrap_err().is_cancelled());
    // After the drop: the future is dropped at once, here.
    let guard = drops.guard();
    let late = handle.spawn(async move {
        let _guard = guard;
        3
    });
    assert_eq!(drops.count(), 3);
    assert!(late.join().unwrap_err().is_cancelled());
}

#[test]
fn handle_block_on_from_another_thread_waits_for_a_spawned_task() {
    with_watchdog(WATCHDOG, || {
        let rt = Runtime::new().unwrap();
        let handle = rt.handle();
        let (done_tx, done_rx) = oneshot::channel();
        let helper = thread::spawn(move || {
            let out = handle.block_on(async {
                let task = handle.spawn(async { 20 + 1 });
                task.await.unwrap() * 2
            });
            done_tx.send(()).unwrap();
            out
        });
        rt.block_on(async { done_rx.await.unwrap() });
        assert_eq!(helper.join().unwrap(), 42);
    });
}

#[test]
#[should_panic(expected = "Handle::block_on called on its runtime's own thread")]
fn handle_block_on_on_the_runtime_s_own_thread_panics() {
    let rt = Runtime::new().unwrap();
    rt.handle().block_on(async {});
}

#[test]
#[cfg_attr(miri, ignore)] // the blocking pool's threads outlive the test
fn handle_spawn_blocking_runs_on_the_pool_and_reports_panics() {
    with_watchdog(WATCHDOG, || {
        let rt = Runtime::new().unwrap();
        let handle = rt.handle();
        let (sum, panicked) = rt.block_on(async {
            let runtime_thread = thread::current().id();
            let sum = handle.spawn_blocking(move || {
                assert_ne!(thread::current().id(), runtime_thread);
                (1..=100u64).sum::<u64>()
            });
            let panicked = handle.spawn_blocking(|| -> u8 { panic!("blocking job failed") });
            (sum.await.unwrap(), panicked.await.unwrap_err())
        });
        assert_eq!(sum, 5050);
        assert!(panicked.is_panic());
        assert_eq!(panicked.to_string(), "task panicked: blocking job failed");
    });
}

#[test]
fn a_task_spawned_through_a_handle_can_be_aborted_from_another_thread() {
    with_watchdog(WATCHDOG, || {
        let rt = Runtime::new().unwrap();
        let drops = DropCounter::new();
        let guard = drops.guard();
        let err = rt.block_on(async {
            let task = Handle::current().spawn(async move {
                let _guard = guard;
                std::future::pending::<()>().await
            });
            corio::task::yield_now().await;
            let task = thread::spawn(move || {
                task.abort();
                task
            })
            .join()
            .unwrap();
            task.await.unwrap_err()
        });
        assert!(err.is_cancelled());
        assert_eq!(drops.count(), 1);
    });
}

#[test]
fn handle_current_on_a_worker_spawns_on_that_worker() {
    with_watchdog(WATCHDOG, || {
        let workers = Runtime::builder().workers(2).build_workers().unwrap();
        let outcomes = workers.block_on_each(|index| async move {
            let task = Handle::current().spawn(async { corio::workers::current_index() });
            (index, task.await.unwrap())
        });
        let got: Vec<_> = outcomes.into_iter().map(Result::unwrap).collect();
        assert_eq!(got, [(0, Some(0)), (1, Some(1))]);
        workers.shutdown();
    });
}
