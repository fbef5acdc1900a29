//! `corio::sync::Barrier`: ten tasks over three generations (one leader each, nobody
//! through before all arrived), the degenerate sizes, and threads with their own runtimes.

mod common_exec;
mod util;

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common_exec::with_watchdog;
use common_exec::{assert_send, assert_send_val, assert_sync, counting_waker, n, poll};
use corio::sync::{Barrier, BarrierWaitResult};
use util::within;

const WATCHDOG: Duration = Duration::from_secs(20);
const LIMIT: Duration = Duration::from_secs(10);

type Wait<'a> = Pin<Box<dyn Future<Output = BarrierWaitResult> + 'a>>;

#[test]
fn the_barrier_and_its_wait_are_send_and_sync() {
    assert_send::<Barrier>();
    assert_sync::<Barrier>();
    let barrier = Barrier::new(2);
    assert_send_val(&barrier.wait());
}

/// Ten tasks meet three times (the barrier is reused twice). In each generation exactly
/// one is the leader, and nobody gets through before all ten arrived.
#[test]
fn ten_tasks_three_generations_one_leader_each() {
    const TASKS: usize = 10;
    const ROUNDS: usize = 3;
    let leaders = corio::block_on(async {
        let barrier = Rc::new(Barrier::new(TASKS));
        let arrived = Rc::new(RefCell::new([0usize; ROUNDS]));
        let leaders = Rc::new(RefCell::new([0usize; ROUNDS]));
        let tasks: Vec<_> = (0..TASKS)
            .map(|i| {
                let (barrier, arrived, leaders) =
                    (barrier.clone(), arrived.clone(), leaders.clone());
                corio::spawn(async move {
                    for round in 0..ROUNDS {
                        for _ in 0..(i * 7 + round) % 5 {
                            corio::task::yield_now().await; // arrive in a mixed order
                        }
                        arrived.borrow_mut()[round] += 1;
                        let result = barrier.wait().await;
                        assert_eq!(arrived.borrow()[round], TASKS, "through before all arrived");
                        if result.is_leader() {
                            leaders.borrow_mut()[round] += 1;
                        }
                    }
                })
            })
            .collect();
        for task in tasks {
            within(LIMIT, "barrier task", task).await.unwrap();
        }
        let leaders = *leaders.borrow();
        leaders
    });
    assert_eq!(leaders, [1; ROUNDS]);
}

#[test]
fn waiters_are_released_together_by_the_last_arrival() {
    let barrier = Barrier::new(3);
    let wakers: Vec<_> = (0..2).map(|_| counting_waker()).collect();
    let mut waits: Vec<Wait<'_>> = (0..2).map(|_| Box::pin(barrier.wait()) as _).collect();
    for (wait, (waker, _)) in waits.iter_mut().zip(&wakers) {
        assert!(poll(wait, waker).is_pending());
    }
    assert!(
        poll(&mut waits[0], &wakers[0].0).is_pending(),
        "a second poll still waits"
    );
    let last = corio::block_on(barrier.wait());
    assert!(last.is_leader(), "the last arrival leads");
    for (wait, (waker, count)) in waits.iter_mut().zip(&wakers) {
        assert_eq!(n(count), 1);
        let std::task::Poll::Ready(result) = poll(wait, waker) else {
            panic!("not released")
        };
        assert!(!result.is_leader());
    }
    assert!(format!("{barrier:?}").contains("generation: 1"));
}

#[test]
fn a_barrier_of_zero_or_one_never_waits() {
    corio::block_on(async {
        for size in [0, 1] {
            let barrier = Barrier::new(size);
            for _ in 0..3 {
                let result = within(LIMIT, "wait", barrier.wait()).await;
                assert!(result.is_leader());
            }
        }
    });
}

#[test]
#[cfg_attr(miri, ignore)]
fn threads_with_their_own_runtimes_meet_at_one_barrier() {
    const THREADS: usize = 4;
    const ROUNDS: usize = 50;
    with_watchdog(WATCHDOG, || {
        let barrier = Arc::new(Barrier::new(THREADS));
        let leaders: Arc<Vec<AtomicUsize>> =
            Arc::new((0..ROUNDS).map(|_| AtomicUsize::new(0)).collect());
        let arrived: Arc<Vec<AtomicUsize>> =
            Arc::new((0..ROUNDS).map(|_| AtomicUsize::new(0)).collect());
        let threads: Vec<_> = (0..THREADS)
            .map(|_| {
                let (barrier, leaders, arrived) =
                    (barrier.clone(), leaders.clone(), arrived.clone());
                std::thread::spawn(move || {
                    corio::block_on(async move {
                        let early = Cell::new(0);
                        for round in 0..ROUNDS {
                            arrived[round].fetch_add(1, Ordering::SeqCst);
                            if barrier.wait().await.is_leader() {
                                leaders[round].fetch_add(1, Ordering::SeqCst);
                            }
                            if arrived[round].load(Ordering::SeqCst) != THREADS {
                                early.set(early.get() + 1);
                            }
                        }
                        early.get()
                    })
                })
            })
            .collect();
        for thread in threads {
            assert_eq!(thread.join().unwrap(), 0, "a thread got through early");
        }
        for (round, count) in leaders.iter().enumerate() {
            assert_eq!(count.load(Ordering::SeqCst), 1, "round {round}");
        }
    });
}
