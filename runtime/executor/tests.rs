//! Task ids against slab-key reuse: a waker kept while its key is reused any number of
//! times never polls a later occupant of that key. Spawning 2^32 tasks takes too long for
//! a test, so `Core::pretend_spawned_and_finished` advances the bookkeeping as if a given
//! number of tasks had taken the key and finished.

use std::cell::{Cell, RefCell};
use std::future::{poll_fn, Future};
use std::rc::Rc;
use std::task::{Poll, Waker};

use super::{spawn, Core, CURRENT};
use crate::task::yield_now;

fn current_core() -> Rc<Core> {
    CURRENT
        .with(|c| c.borrow().clone())
        .expect("inside block_on")
}

/// Spawns a task that records its own waker and completes at once; returns that waker
/// once the task has finished.
async fn waker_of_a_finished_task() -> Waker {
    let slot: Rc<RefCell<Option<Waker>>> = Rc::default();
    let record = slot.clone();
    let handle = spawn(poll_fn(move |cx| {
        *record.borrow_mut() = Some(cx.waker().clone());
        Poll::Ready(())
    }));
    handle.await.unwrap();
    let waker = slot.borrow_mut().take().unwrap();
    waker
}

/// A task that never finishes and counts its polls.
fn parked(polls: Rc<Cell<usize>>) -> impl Future<Output = ()> {
    poll_fn(move |_| {
        polls.set(polls.get() + 1);
        Poll::<()>::Pending
    })
}

#[test]
fn a_waker_kept_while_its_key_is_reused_2_pow_32_times_never_polls_the_new_occupant() {
    crate::block_on(async {
        let core = current_core();
        let stale = waker_of_a_finished_task().await; // slab key 0, the only task so far
                                                      // Every task a 32-bit generation can tell apart from the first, less one, took
                                                      // key 0 and finished: with a generation that wraps, the next task there would get
                                                      // the first one's id.
        core.pretend_spawned_and_finished(0, (1 << 32) - 1);
        let polls = Rc::new(Cell::new(0));
        let handle = spawn(parked(polls.clone()));
        yield_now().await;
        assert_eq!(polls.get(), 1);
        stale.wake_by_ref();
        for _ in 0..3 {
            yield_now().await;
        }
        assert_eq!(
            polls.get(),
            1,
            "a stale waker polled its key's new occupant"
        );
        handle.abort();
        assert!(handle.await.unwrap_err().is_cancelled());
        assert_eq!(core.alive(), 0, "a retired key is not a live task");
        assert_eq!(core.metrics().tasks_alive, 0);
    });
}
