//! Loom models of `spawn_on`'s abort:
//! `RUSTFLAGS="--cfg loom" cargo test --release --lib loom_remote`.
//!
//! The two ends are the runtime's own (`link`, `TaskEnd::run`, `RemoteJoinHandle`), with
//! their channel and abort lock from loom (`std_or_loom.rs`). A loom thread stands for
//! the owner worker and polls the task with `block_on`, which parks until the task's
//! waker is woken: a lost wake is a thread parked for good, which loom reports as a
//! deadlock.

use std::future::{pending, Future};
use std::pin::pin;
use std::task::{Context, Poll, Wake, Waker};

use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use loom::sync::{Arc, Condvar, Mutex};
use loom::thread;

use super::link;
use crate::sync::oneshot;

/// A waker that unparks [`block_on`]: a flag and a condition variable, both loom's.
#[derive(Default)]
struct Unparker {
    woken: Mutex<bool>,
    changed: Condvar,
}

impl Wake for Unparker {
    fn wake(self: std::sync::Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        *self.woken.lock().unwrap() = true;
        self.changed.notify_one();
    }
}

/// Polls `future` to completion on this thread, parking between polls until its waker
/// is woken (a wake during the poll counts).
fn block_on<F: Future>(future: F) -> F::Output {
    let unparker = std::sync::Arc::new(Unparker::default());
    let waker = Waker::from(unparker.clone());
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut Context::from_waker(&waker)) {
            return output;
        }
        let mut woken = unparker.woken.lock().unwrap();
        while !*woken {
            woken = unparker.changed.wait(woken).unwrap();
        }
        *woken = false;
    }
}

/// A task's output that counts its drops.
struct Output(Arc<AtomicUsize>);

impl Drop for Output {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::AcqRel);
    }
}

/// Runs `task` on a new thread, the owner worker.
fn on_worker(task: impl Future<Output = ()> + Send + 'static) -> thread::JoinHandle<()> {
    thread::spawn(move || block_on(task))
}

/// The task finishes (its input arrives) while the handle aborts it: the handle gets
/// exactly one outcome, the output if the task's future completed and `cancelled` if it
/// was dropped unfinished, and the output is dropped exactly once, wherever it ended up
/// (with the handle's caller, or unsent, back with the sender).
#[test]
fn loom_remote_abort_races_completion() {
    loom::model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let completed = Arc::new(AtomicBool::new(false));
        let (input, input_rx) = oneshot::channel::<Output>();
        let (task_end, handle) = link();
        let worker = on_worker(task_end.run({
            let completed = completed.clone();
            async move {
                let output = input_rx.await.expect("the input is always sent");
                completed.store(true, Ordering::Release);
                output
            }
        }));
        if let Err(unsent) = input.send(Output(drops.clone())) {
            drop(unsent); // the task was cancelled first: its input goes nowhere
        }
        handle.abort();
        let outcome = block_on(handle);
        worker.join().unwrap();
        let completed = completed.load(Ordering::Acquire);
        match outcome {
            Ok(output) => {
                assert!(completed, "an output from a future that did not complete");
                drop(output);
            }
            Err(error) => {
                assert!(error.is_cancelled());
                assert!(!completed, "cancelled, although the future completed");
            }
        }
        assert_eq!(
            drops.load(Ordering::Acquire),
            1,
            "the output was not dropped once"
        );
    });
}

/// An abort of a task parked on its own (a future that never completes): the abort's
/// wake reaches the worker whenever it lands, before, during or after the poll that
/// registers the task's waker, and the handle gets `cancelled`.
#[test]
fn loom_remote_abort_wakes_a_parked_task() {
    loom::model(|| {
        let (task_end, handle) = link();
        let worker = on_worker(task_end.run(pending::<()>()));
        handle.abort();
        let outcome = block_on(handle);
        assert!(outcome.is_err_and(|error| error.is_cancelled()));
        worker.join().unwrap();
    });
}
