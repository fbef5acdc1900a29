//! A spawned task is one heap allocation, shared by the executor's table, its `JoinHandle`,
//! `AbortHandle`s and wakers; the last of them to go frees it, on whatever thread, without
//! running any of the task's code there.

#[path = "util/counting_alloc.rs"]
mod counting_alloc;

use std::cell::{Cell, RefCell};
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::mpsc;
use std::task::{Context, Poll, Waker};

use corio::task::{yield_now, JoinSet};
use corio::{JoinHandle, Runtime};
use counting_alloc::allocations;

#[cfg(not(miri))]
const TASKS: u64 = 1_000;
#[cfg(miri)]
const TASKS: u64 = 20;

/// Spawns `TASKS` tasks and joins them; the sum of their outputs.
async fn spawn_and_join_all(handles: &mut Vec<JoinHandle<u64>>) -> u64 {
    for i in 0..TASKS {
        handles.push(corio::spawn(async move { i * 2 }));
    }
    let mut sum = 0;
    for handle in handles.drain(..) {
        sum += handle.await.unwrap();
    }
    sum
}

#[test]
fn a_spawned_task_costs_exactly_one_allocation() {
    let expected_sum = TASKS * (TASKS - 1);
    corio::block_on(async {
        let mut handles = Vec::with_capacity(TASKS as usize);
        // The first round grows the table and the run queue to size.
        assert_eq!(spawn_and_join_all(&mut handles).await, expected_sum);
        let before = allocations();
        assert_eq!(spawn_and_join_all(&mut handles).await, expected_sum);
        assert_eq!(
            allocations() - before,
            TASKS as usize,
            "allocations per spawn"
        );
    });
}

#[test]
fn a_join_set_member_costs_two_allocations_its_task_and_its_waker() {
    corio::block_on(async {
        let mut set = JoinSet::new();
        for round in 0..2 {
            let before = allocations();
            for i in 0..TASKS {
                set.spawn(async move { i });
            }
            let mut sum = 0;
            while let Some(outcome) = set.join_next().await {
                sum += outcome.unwrap();
            }
            assert_eq!(sum, TASKS * (TASKS - 1) / 2);
            if round == 1 {
                // The first round grew the set's slab and ready list to size.
                assert_eq!(allocations() - before, 2 * TASKS as usize);
            }
        }
    });
}

#[test]
fn waking_and_polling_a_task_allocates_nothing() {
    corio::block_on(async {
        let handle = corio::spawn(async {
            let before = allocations();
            for _ in 0..TASKS {
                yield_now().await;
            }
            allocations() - before
        });
        assert_eq!(handle.await.unwrap(), 0);
    });
}

/// Sets its flag when dropped, and says on which thread that was.
struct Dropped(Rc<Cell<bool>>);

impl Drop for Dropped {
    fn drop(&mut self) {
        self.0.set(true);
    }
}

#[test]
fn the_last_reference_may_be_a_waker_dropped_on_another_thread() {
    let (to_thread, from_main) = mpsc::channel::<Waker>();
    let thread = std::thread::spawn(move || {
        let waker = from_main.recv().unwrap();
        waker.wake_by_ref(); // the runtime is gone: nothing happens
        drop(waker); // the last reference: the cell is freed here
    });
    let output_dropped = Rc::new(Cell::new(false));
    {
        let runtime = Runtime::new().unwrap();
        let flag = output_dropped.clone();
        let waker = runtime.block_on(async move {
            let handle = corio::spawn(async move {
                let waker = poll_fn(|cx| Poll::Ready(cx.waker().clone())).await;
                (waker, Dropped(flag))
            });
            handle.await.unwrap().0
        });
        assert!(
            output_dropped.get(),
            "the output went with the handle, here"
        );
        drop(runtime);
        to_thread.send(waker).unwrap();
    }
    thread.join().unwrap();
}

#[test]
fn a_pending_task_woken_from_another_thread_after_its_runtime_dropped_is_freed_there() {
    let (to_thread, from_main) = mpsc::channel::<Waker>();
    let thread = std::thread::spawn(move || {
        let waker = from_main.recv().unwrap();
        waker.wake(); // the runtime is gone: nothing queued; the last reference goes
    });
    let future_dropped = Rc::new(Cell::new(false));
    let runtime = Runtime::new().unwrap();
    let flag = future_dropped.clone();
    let (waker, handle) = runtime.block_on(async move {
        let slot: Rc<RefCell<Option<Waker>>> = Rc::default();
        let keep = slot.clone();
        let guard = Dropped(flag);
        let handle = corio::spawn(poll_fn(move |cx| {
            let _guard = &guard;
            *keep.borrow_mut() = Some(cx.waker().clone());
            Poll::<()>::Pending
        }));
        yield_now().await; // the task runs once and parks
        let waker = slot.borrow_mut().take().expect("the task ran");
        (waker, handle)
    });
    assert!(!future_dropped.get());
    drop(runtime); // drops the parked task's future here, on its thread
    assert!(future_dropped.get());
    let err = corio::block_on(handle).unwrap_err();
    assert!(err.is_cancelled());
    to_thread.send(waker).unwrap();
    thread.join().unwrap();
}

/// A future that keeps its own task's `JoinHandle` and uses it from inside its poll.
struct HoldsItsOwnHandle {
    handle: Rc<RefCell<Option<JoinHandle<u32>>>>,
    polls: Rc<Cell<u32>>,
    _dropped: Dropped,
}

impl Future for HoldsItsOwnHandle {
    type Output = u32;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
        self.polls.set(self.polls.get() + 1);
        let slot = self.handle.clone();
        let mut slot = slot.borrow_mut();
        let handle = slot.as_mut().expect("the spawner put the handle in");
        assert!(!handle.is_finished());
        // Its own outcome is not there while it runs.
        assert!(Pin::new(&mut *handle).poll(cx).is_pending());
        if self.polls.get() == 2 {
            handle.abort(); // the next poll is replaced by the future's drop
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

#[test]
fn a_task_that_polls_aborts_and_drops_its_own_handle_is_cancelled_once() {
    let dropped = Rc::new(Cell::new(false));
    let polls = Rc::new(Cell::new(0));
    corio::block_on(async {
        let slot = Rc::new(RefCell::new(None));
        let handle = corio::spawn(HoldsItsOwnHandle {
            handle: slot.clone(),
            polls: polls.clone(),
            _dropped: Dropped(dropped.clone()),
        });
        let abort = handle.abort_handle();
        *slot.borrow_mut() = Some(handle);
        drop(slot); // only the future holds its handle now: its drop drops the handle
        while !abort.is_finished() {
            yield_now().await;
        }
    });
    assert!(dropped.get());
    assert_eq!(
        polls.get(),
        2,
        "aborted in its second poll, dropped instead of a third"
    );
}
