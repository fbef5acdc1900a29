//! Loom models of the remote wake: `RUSTFLAGS="--cfg loom" cargo test --lib loom`.
//!
//! They drive the runtime's own [`RemoteQueue`] (the handshake in its doc), `Shared` and
//! a task cell's header and waker (`raw.rs`); only the doorbell's fd is modelled
//! (`std_or_loom::ModelDoorbell`).
//!
//! Limit: loom, like Miri, lets a read-modify-write read the newest store, so it cannot
//! show store-buffering bugs. The two flags of the handshake form such a pair: with
//! `RemoteQueue::acknowledge` clearing `rung` by a plain store these models still pass,
//! although the memory model (and Arm or POWER hardware) loses the wake. That case rests on
//! the litmus argument in `RemoteQueue`'s doc (`sys/remote_queue.rs`).

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use loom::thread;

use super::super::cell;
use super::Shared;
use crate::std_or_loom::AtomicBool;
use crate::sys::RemoteQueue;

fn shared() -> (Arc<RemoteQueue>, Arc<Shared>) {
    let remote = Arc::new(RemoteQueue::new().expect("doorbell"));
    let shared = Arc::new(Shared::new(remote.clone()));
    (remote, shared)
}

/// `Core::block_on`'s loop, cut to the remote wake: the idle check (the local queue was
/// just run empty), the reactor's turn (a blocking wait on the doorbell when idle), its
/// acknowledgement, the drain, then running what it collected. Returns once `expected` ids
/// came in; a lost wake leaves it in the wait, which loom reports as a deadlock.
fn run_until_collected(remote: &RemoteQueue, expected: usize) -> Vec<u64> {
    let mut collected = Vec::new();
    let mut seen = 0;
    while collected.len() < expected {
        let idle = !remote.has_pending();
        if idle {
            remote.wait_for_ring(&mut seen);
            remote.acknowledge(true);
        }
        let mut local = VecDeque::new();
        remote.drain_into(&mut local);
        collected.extend(local); // the tasks run
    }
    collected
}

/// A remote thread wakes two tasks while the runtime decides to go idle: both are
/// collected, so no wake is lost, whichever way the idle check, the rings and the
/// acknowledgements interleave (the second wake may find `rung` still set).
#[test]
fn loom_remote_wake_is_not_lost_when_the_runtime_goes_idle() {
    loom::model(|| {
        let (remote, shared) = shared();
        let waking_thread = {
            let shared = shared.clone();
            thread::spawn(move || {
                shared.schedule(1);
                shared.schedule(2);
            })
        };
        let collected = run_until_collected(&remote, 2);
        assert_eq!(collected, [1, 2]);
        waking_thread.join().unwrap();
    });
}

/// A task polled while another thread makes it ready and wakes it: either the poll sees
/// the data, or the wake queues the task again. The executor clears `queued` before the
/// poll; clearing it after is the classic lost wakeup.
#[test]
fn loom_wake_during_poll_queues_the_task_again() {
    loom::model(|| {
        let (remote, shared) = shared();
        // As spawned: counted as queued, and now taken off the run queue to be polled.
        let task = cell::waker_only(7, shared.clone());
        let ready = Arc::new(AtomicBool::new(false));
        let waking_thread = {
            let (waker, ready) = ((*task.waker_ref()).clone(), ready.clone());
            thread::spawn(move || {
                ready.store(true, Ordering::Release);
                waker.wake_by_ref();
            })
        };
        task.header().clear_queued();
        let poll_saw_ready = ready.load(Ordering::Acquire); // the poll
        waking_thread.join().unwrap();
        let mut queued_again = VecDeque::new();
        remote.drain_into(&mut queued_again);
        assert!(
            poll_saw_ready || queued_again == [7],
            "the poll missed the data and the wake did not queue the task again"
        );
    });
}

/// The last reference to a task cell goes on either thread: a waker woken and dropped
/// elsewhere while the owner drops its own reference. Exactly one of them frees the cell,
/// after the other's last use of it (the release decrement and the acquire fence).
#[test]
fn loom_the_last_reference_frees_the_cell_once_on_either_thread() {
    loom::model(|| {
        let (_remote, shared) = shared();
        let task = cell::waker_only(7, shared.clone());
        let waker = (*task.waker_ref()).clone();
        let waking_thread = thread::spawn(move || waker.wake());
        drop(task);
        waking_thread.join().unwrap();
        // The cell held one `Arc<Shared>`; freeing it (once) gave it back.
        assert_eq!(Arc::strong_count(&shared), 1);
    });
}
