//! Panics on a worker stay with the task they belong to. A detached task's output or panic
//! payload whose `Drop` panics does not end the worker thread (later `spawn_on` calls
//! still run), and a `spawn_on` task that panics in its future's `Drop` reports exactly
//! what a local `JoinHandle` reports in the same situation.

mod common_exec;

use std::future::Future;
use std::panic::panic_any;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use common_exec::{bystander, panic_message, with_watchdog, DropCounter, PanicsOnDrop};
use corio::workers::Workers;
use corio::JoinError;

const WATCHDOG: Duration = Duration::from_secs(20);

fn one_worker() -> Workers {
    corio::Runtime::builder()
        .workers(1)
        .build_workers()
        .unwrap()
}

#[test]
fn detached_output_whose_drop_panics_does_not_stop_its_worker() {
    with_watchdog(WATCHDOG, || {
        let workers = one_worker();
        let drops = DropCounter::new();
        let guard = drops.guard();
        let first = workers.spawn_on(0, async move {
            drop(corio::spawn(async move {
                PanicsOnDrop {
                    _counted: guard,
                    message: "detached output dropped on a worker",
                }
            }));
            bystander(1).await
        });
        assert_eq!(first.unwrap().join().unwrap(), 1);
        let later = workers.spawn_on(0, bystander(2));
        assert_eq!(later.unwrap().join().unwrap(), 2);
        assert_eq!(drops.count(), 1);
    });
}

#[test]
fn detached_panic_whose_payload_panics_on_drop_does_not_stop_its_worker() {
    with_watchdog(WATCHDOG, || {
        let workers = one_worker();
        let drops = DropCounter::new();
        let guard = drops.guard();
        let first = workers.spawn_on(0, async move {
            drop(corio::spawn(async move {
                panic_any(PanicsOnDrop {
                    _counted: guard,
                    message: "detached panic payload dropped on a worker",
                });
            }));
            bystander(1).await
        });
        assert_eq!(first.unwrap().join().unwrap(), 1);
        let later = workers.spawn_on(0, bystander(2));
        assert_eq!(later.unwrap().join().unwrap(), 2);
        assert_eq!(drops.count(), 1);
    });
}

/// Returns `output` at its first poll, or panics there with `poll_panic` if given; panics
/// with `drop_panic` when dropped.
struct PanicsInDrop {
    output: u32,
    poll_panic: Option<&'static str>,
    drop_panic: &'static str,
}

impl Future for PanicsInDrop {
    type Output = u32;

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<u32> {
        if let Some(message) = self.poll_panic {
            panic!("{message}");
        }
        Poll::Ready(self.output)
    }
}

impl Drop for PanicsInDrop {
    fn drop(&mut self) {
        panic!("{}", self.drop_panic);
    }
}

/// The panic message a `JoinError` carries; fails the test if it is not a panic.
fn panic_of(outcome: Result<u32, JoinError>) -> String {
    let err = outcome.expect_err("the task should have panicked");
    assert!(err.is_panic(), "expected a panic, got {err:?}");
    let payload = err.try_into_panic().unwrap();
    panic_message(&*payload).expect("a string payload")
}

/// What a local `JoinHandle` and a `RemoteJoinHandle` report for the same future.
fn local_and_remote(make: fn() -> PanicsInDrop) -> (String, String) {
    let local = corio::block_on(async move { corio::spawn(make()).await });
    let workers = one_worker();
    let remote = workers.spawn_on(0, make()).unwrap().join();
    (panic_of(local), panic_of(remote))
}

#[test]
fn remote_task_that_completes_then_panics_in_drop_reports_that_panic_like_a_local_one() {
    with_watchdog(WATCHDOG, || {
        let (local, remote) = local_and_remote(|| PanicsInDrop {
            output: 5,
            poll_panic: None,
            drop_panic: "dropped after completing",
        });
        assert_eq!(local, "dropped after completing");
        assert_eq!(remote, local);
    });
}

#[test]
fn remote_task_that_panics_in_poll_and_again_in_drop_reports_the_poll_panic_like_a_local_one() {
    with_watchdog(WATCHDOG, || {
        let (local, remote) = local_and_remote(|| PanicsInDrop {
            output: 5,
            poll_panic: Some("panicked in poll"),
            drop_panic: "panicked again in drop",
        });
        assert_eq!(local, "panicked in poll");
        assert_eq!(remote, local);
    });
}
