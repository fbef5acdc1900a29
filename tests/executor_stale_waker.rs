//! Wakers that outlive what they point at: the task finished, its slot holds a new task,
//! the runtime is gone, or another runtime runs on the thread. Each wake is a no-op that
//! never polls the wrong task, never panics, on this thread or another.

// `waker.clone().wake()` is deliberate: it exercises the by-value wake path.
#![allow(clippy::waker_clone_wake)]

mod common_exec;

use std::cell::RefCell;
use std::future::poll_fn;
use std::rc::Rc;
use std::task::{Poll, Waker};
use std::thread;
use std::time::Duration;

use common_exec::{counted, poll_once, with_watchdog, yield_until, DropCounter, Signal};
use corio::Runtime;

const WATCHDOG: Duration = Duration::from_secs(20);

/// Spawns a task that records its own waker and completes at once; returns that waker
/// once the task has finished.
async fn waker_of_a_finished_task() -> Waker {
    let slot: Rc<RefCell<Option<Waker>>> = Rc::default();
    let record = slot.clone();
    let handle = corio::spawn(poll_fn(move |cx| {
        *record.borrow_mut() = Some(cx.waker().clone());
        Poll::Ready(1)
    }));
    assert_eq!(handle.await.unwrap(), 1);
    let waker = slot.borrow_mut().take().unwrap();
    waker
}

/// Spawns a task that parks on `gate` and waits until it has been polled once.
async fn parked_task(gate: &Signal) -> (corio::JoinHandle<()>, Rc<std::cell::Cell<usize>>) {
    let (task, polls) = counted(gate.wait());
    let handle = corio::spawn(task);
    assert!(yield_until(|| polls.get() == 1, 100).await);
    (handle, polls)
}

#[test]
fn local_wake_of_a_finished_task_never_polls_the_new_occupant_of_its_slot() {
    with_watchdog(WATCHDOG, || {
        corio::block_on(async {
            let stale = waker_of_a_finished_task().await;
            // Queued before the slot is reused: the id is still in the run queue when the
            // new task takes the slab key.
            stale.wake_by_ref();
            let gate = Signal::new();
            let (handle, polls) = parked_task(&gate).await;
            for _ in 0..1000 {
                stale.wake_by_ref();
            }
            stale.clone().wake();
            for _ in 0..200 {
                corio::task::yield_now().await;
            }
            assert_eq!(polls.get(), 1, "a stale wake polled the slot's new task");
            gate.set();
            handle.await.unwrap();
            assert_eq!(polls.get(), 2);
        })
    });
}

#[test]
fn remote_wake_of_a_finished_task_never_polls_the_new_occupant_of_its_slot() {
    with_watchdog(WATCHDOG, || {
        corio::block_on(async {
            let stale = waker_of_a_finished_task().await;
            let gate = Signal::new();
            let (handle, polls) = parked_task(&gate).await;
            // The thread's stale wakes go through the remote queue ahead of the wake of
            // the main future, so by the time main runs again they have been handled.
            let main_resumed = Signal::new();
            let resume = main_resumed.clone();
            let waker_thread = thread::spawn(move || {
                for _ in 0..1000 {
                    stale.wake_by_ref();
                }
                stale.wake();
                resume.set();
            });
            main_resumed.wait().await;
            waker_thread.join().unwrap();
            assert_eq!(
                polls.get(),
                1,
                "a stale remote wake polled the slot's new task"
            );
            gate.set();
            handle.await.unwrap();
            assert_eq!(polls.get(), 2);
        })
    });
}

#[test]
fn wakes_after_the_runtime_was_dropped_are_noops_on_any_thread() {
    with_watchdog(WATCHDOG, || {
        let rt = Runtime::new().unwrap();
        let drops = DropCounter::new();
        let guard = drops.guard();
        let (task_waker, main_waker, mut handle) = rt.block_on(async move {
            let gate = Signal::new();
            let wait = gate.wait();
            let (task, polls) = counted(async move {
                let _guard = guard;
                wait.await;
            });
            let handle = corio::spawn(task);
            assert!(yield_until(|| polls.get() == 1, 100).await);
            let main_waker = poll_fn(|cx| Poll::Ready(cx.waker().clone())).await;
            (gate.parked_waker().unwrap(), main_waker, handle)
        });
        assert_eq!(drops.count(), 0);
        drop(rt);
        assert_eq!(
            drops.count(),
            1,
            "the pending task was not dropped with its runtime"
        );

        task_waker.wake_by_ref();
        main_waker.wake_by_ref();
        task_waker.clone().wake();
        let (t, m) = (task_waker.clone(), main_waker.clone());
        thread::spawn(move || {
            for _ in 0..1000 {
                t.wake_by_ref();
                m.wake_by_ref();
            }
            t.wake();
            m.wake();
        })
        .join()
        .unwrap();
        // Also while another runtime is running on this thread.
        corio::block_on(async {
            let gate = Signal::new();
            let (other, polls) = parked_task(&gate).await;
            task_waker.wake_by_ref();
            main_waker.wake_by_ref();
            for _ in 0..200 {
                corio::task::yield_now().await;
            }
            assert_eq!(polls.get(), 1);
            gate.set();
            other.await.unwrap();
        });
        drop((task_waker, main_waker));
        assert_eq!(drops.count(), 1);
        match poll_once(&mut handle) {
            Poll::Ready(Err(e)) => assert!(e.is_cancelled(), "{e:?}"),
            Poll::Ready(Ok(())) => panic!("a task of a dropped runtime reported success"),
            Poll::Pending => panic!("a task of a dropped runtime is still pending"),
        }
    });
}

#[test]
fn wake_for_another_runtime_on_this_thread_goes_to_that_runtime() {
    with_watchdog(WATCHDOG, || {
        let rt_a = Runtime::new().unwrap();
        let rt_b = Runtime::new().unwrap();
        let (a_waker, a_handle, a_polls) = rt_a.block_on(async {
            let mut first = true;
            let (task, polls) = counted(poll_fn(move |_cx| {
                if first {
                    first = false;
                    Poll::Pending
                } else {
                    Poll::Ready("a done")
                }
            }));
            let record: Rc<RefCell<Option<Waker>>> = Rc::default();
            let slot = record.clone();
            // Capture the task's waker from inside it.
            let (recording, _) = counted(async move {
                let waker = poll_fn(|cx| Poll::Ready(cx.waker().clone())).await;
                *slot.borrow_mut() = Some(waker);
                task.await
            });
            let handle = corio::spawn(recording);
            assert!(yield_until(|| polls.get() == 1, 100).await);
            let waker = record.borrow_mut().take().unwrap();
            (waker, handle, polls)
        });
        // On runtime B (same thread), B's own task sits at the same slab key A's task has.
        rt_b.block_on(async {
            let gate = Signal::new();
            let (b_task, b_polls) = parked_task(&gate).await;
            a_waker.wake_by_ref();
            for _ in 0..200 {
                corio::task::yield_now().await;
            }
            assert_eq!(b_polls.get(), 1, "A's wake polled B's task");
            assert_eq!(a_polls.get(), 1, "A's task ran on runtime B");
            gate.set();
            b_task.await.unwrap();
        });
        assert_eq!(rt_a.block_on(a_handle).unwrap(), "a done");
        assert_eq!(a_polls.get(), 2);
    });
}
