//! Loom models of the join protocol (`join_state.rs`): `RUSTFLAGS="--cfg loom" cargo
//! test --lib loom_join`.
//!
//! The executor's thread finishes the task while the handle, on another thread, polls,
//! re-polls with another waker, or is dropped. The stage is modelled by a loom cell, so
//! loom reports any access to it (or to the waker slot) that the protocol leaves
//! unordered; the counters check that an awaiter is woken exactly when it must be and
//! that an outcome nobody takes is dropped exactly once.

use std::sync::atomic::Ordering::SeqCst;
use std::sync::Arc;
use std::task::Waker;

use futures_task::ArcWake;
use loom::thread;

use super::{Finished, JoinState};
use crate::std_or_loom::{AtomicUsize, UnsafeCell};

/// A task's join state and a stand-in for its stage (the outcome, once there).
struct Model {
    join: JoinState,
    stage: UnsafeCell<Option<u32>>,
    /// Outcomes dropped unobserved.
    dropped: AtomicUsize,
}

/// Counts its wakes.
struct CountWakes(AtomicUsize);

impl ArcWake for CountWakes {
    fn wake_by_ref(arc_self: &Arc<Self>) {
        arc_self.0.fetch_add(1, SeqCst);
    }
}

fn counting_waker() -> (Arc<CountWakes>, Waker) {
    let count = Arc::new(CountWakes(AtomicUsize::new(0)));
    (count.clone(), futures_task::waker(count))
}

fn model() -> Arc<Model> {
    Arc::new(Model {
        join: JoinState::new(),
        stage: UnsafeCell::new(None),
        dropped: AtomicUsize::new(0),
    })
}

/// The executor's side: the outcome into the stage, then `finish`, then what it says.
fn finish(model: &Model) {
    // SAFETY: the stage is the executor's until FINISHED (the protocol under test).
    model.stage.with_mut(|stage| unsafe { *stage = Some(7) });
    match model.join.finish() {
        Finished::Stored => {}
        Finished::Wake(waker) => waker.wake(),
        Finished::Detached => {
            // SAFETY: the handle left the stage to us.
            let taken = model.stage.with_mut(|stage| unsafe { (*stage).take() });
            assert_eq!(taken, Some(7));
            model.dropped.fetch_add(1, SeqCst);
        }
    }
}

/// The handle's side of a finished task: read the outcome.
fn take(model: &Model) -> Option<u32> {
    // SAFETY: FINISHED with the handle alive: the stage is the handle's.
    model.stage.with_mut(|stage| unsafe { (*stage).take() })
}

#[test]
fn loom_join_finish_races_a_poll_the_awaiter_reads_or_is_woken_once() {
    loom::model(|| {
        let model = model();
        let executor = {
            let model = model.clone();
            thread::spawn(move || finish(&model))
        };
        let (wakes, waker) = counting_waker();
        let ready = model.join.poll_join(&waker);
        if ready {
            assert_eq!(take(&model), Some(7));
        }
        executor.join().unwrap();
        let woken = wakes.0.load(SeqCst);
        assert!(
            ready != (woken == 1) && woken <= 1,
            "ready {ready}, woken {woken}"
        );
        if !ready {
            assert!(model.join.poll_join(&waker), "woken, so finished");
            assert_eq!(take(&model), Some(7));
        }
    });
}

#[test]
fn loom_join_finish_races_a_handle_drop_the_outcome_is_dropped_once() {
    loom::model(|| {
        let model = model();
        let executor = {
            let model = model.clone();
            thread::spawn(move || finish(&model))
        };
        if model.join.detach() {
            assert_eq!(take(&model), Some(7));
            model.dropped.fetch_add(1, SeqCst);
        }
        executor.join().unwrap();
        assert_eq!(model.dropped.load(SeqCst), 1);
    });
}

#[test]
fn loom_join_a_handle_repolls_with_another_waker_then_drops_while_finishing() {
    loom::model(|| {
        let model = model();
        let executor = {
            let model = model.clone();
            thread::spawn(move || finish(&model))
        };
        let (first_wakes, first) = counting_waker();
        let (second_wakes, second) = counting_waker();
        let mut taken = false;
        if model.join.poll_join(&first) || model.join.poll_join(&second) {
            assert_eq!(take(&model), Some(7));
            taken = true;
        }
        let handle_drops_it = model.join.detach();
        executor.join().unwrap();
        // One wake at most, of whichever waker was registered when the task finished.
        let woken = first_wakes.0.load(SeqCst) + second_wakes.0.load(SeqCst);
        assert!(woken <= 1, "woken {woken} times");
        if handle_drops_it && !taken {
            assert_eq!(take(&model), Some(7));
            model.dropped.fetch_add(1, SeqCst);
        }
        let dropped = model.dropped.load(SeqCst);
        assert_eq!(dropped + usize::from(taken), 1, "taken or dropped, once");
    });
}
