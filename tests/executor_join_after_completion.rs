//! A join handle polled again after it returned `Ready` panics with "JoinHandle polled
//! after completion", as tokio's does, instead of inventing an outcome: the local
//! `JoinHandle` and the workers' `RemoteJoinHandle` alike.

mod common_exec;

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::task::Poll;

use common_exec::poll_once;

/// The message of a panic payload that is a string.
fn message(payload: &Box<dyn Any + Send>) -> &str {
    payload
        .downcast_ref::<&'static str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .expect("a string panic payload")
}

#[test]
fn join_handle_polled_after_completion_panics() {
    let runtime = corio::Runtime::new().unwrap();
    let payload = runtime.block_on(async {
        let mut handle = corio::spawn(async { 7 });
        assert_eq!((&mut handle).await.unwrap(), 7);
        assert!(handle.is_finished());
        catch_unwind(AssertUnwindSafe(|| poll_once(&mut handle)))
            .expect_err("the second poll must panic")
    });
    assert_eq!(message(&payload), "JoinHandle polled after completion");
}

#[test]
fn join_handle_of_a_cancelled_task_polled_again_panics() {
    let runtime = corio::Runtime::new().unwrap();
    let payload = runtime.block_on(async {
        let mut handle = corio::spawn(std::future::pending::<()>());
        handle.abort();
        assert!((&mut handle).await.unwrap_err().is_cancelled());
        catch_unwind(AssertUnwindSafe(|| poll_once(&mut handle)))
            .expect_err("the second poll must panic")
    });
    assert_eq!(message(&payload), "JoinHandle polled after completion");
}

#[test]
#[cfg_attr(miri, ignore)] // worker threads and their doorbells
fn remote_join_handle_polled_after_completion_panics() {
    let workers = corio::Runtime::builder()
        .workers(1)
        .build_workers()
        .unwrap();
    let mut handle = workers.spawn_on(0, async { 7 }).unwrap();
    let first = loop {
        if let Poll::Ready(result) = poll_once(&mut handle) {
            break result;
        }
        std::thread::yield_now();
    };
    assert_eq!(first.unwrap(), 7);
    let payload = catch_unwind(AssertUnwindSafe(|| poll_once(&mut handle)))
        .expect_err("the second poll must panic");
    assert_eq!(
        message(&payload),
        "RemoteJoinHandle polled after completion"
    );
    drop(handle);
    workers.shutdown();
}
