//! `corio::sync::Mutex`: mutual exclusion held across awaits, FIFO hand-over that wakes
//! exactly the next waiter, `try_lock`, cancellation of a waiting `lock()`, owned guards
//! in spawned tasks, and contention from threads each running their own runtime.

mod common_exec;
mod util;

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Poll, Waker};
use std::time::Duration;

use common_exec::{
    assert_send, assert_send_val, assert_sync, counted, counting_waker, n, poll, with_watchdog,
    yield_until,
};
use corio::sync::{Mutex, MutexGuard, OwnedMutexGuard, TryLockError};
use util::within;

const WATCHDOG: Duration = Duration::from_secs(20);
const LIMIT: Duration = Duration::from_secs(10);

type Lock<'a, T> = Pin<Box<dyn Future<Output = MutexGuard<'a, T>> + 'a>>;

/// A `lock()` future polled once (queued) with its own counting waker.
fn queued<T>(mutex: &Mutex<T>) -> (Lock<'_, T>, Waker, Arc<AtomicUsize>) {
    let mut fut: Lock<'_, T> = Box::pin(mutex.lock());
    let (waker, count) = counting_waker();
    assert!(poll(&mut fut, &waker).is_pending(), "lock() should wait");
    (fut, waker, count)
}

#[test]
fn mutex_guards_and_lock_futures_are_send_and_sync_when_the_data_is() {
    assert_send::<Mutex<Vec<u8>>>();
    assert_sync::<Mutex<Vec<u8>>>();
    // Like std's Mutex, only `T: Send` is needed for sharing: `Cell` is not Sync.
    assert_sync::<Mutex<Cell<u8>>>();
    assert_send::<MutexGuard<'static, Vec<u8>>>();
    assert_sync::<MutexGuard<'static, Vec<u8>>>();
    assert_send::<OwnedMutexGuard<Vec<u8>>>();
    assert_sync::<OwnedMutexGuard<Vec<u8>>>();
    let mutex = Arc::new(Mutex::new(vec![1u8]));
    assert_send_val(&mutex.lock());
    assert_send_val(&mutex.clone().lock_owned());
    // (`Mutex<Rc<_>>` is deliberately neither: Rc is not Send. Not checked here.)
}

#[test]
fn tasks_holding_the_lock_across_awaits_never_overlap() {
    const TASKS: usize = 20;
    const ROUNDS: usize = 10;
    let total = corio::block_on(async {
        let mutex = Rc::new(Mutex::new(0usize));
        let held = Rc::new(AtomicBool::new(false));
        let handles: Vec<_> = (0..TASKS)
            .map(|_| {
                let (mutex, held) = (mutex.clone(), held.clone());
                corio::spawn(async move {
                    for _ in 0..ROUNDS {
                        let mut guard = mutex.lock().await;
                        assert!(!held.swap(true, Ordering::SeqCst), "two holders at once");
                        let before = *guard;
                        corio::task::yield_now().await; // everyone else runs meanwhile
                        *guard = before + 1;
                        held.store(false, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.await.unwrap();
        }
        let total = *mutex.lock().await;
        total
    });
    assert_eq!(total, TASKS * ROUNDS);
}

#[test]
fn the_lock_goes_to_waiters_in_the_order_they_started_waiting() {
    let mutex = Mutex::new(Vec::new());
    let guard = mutex.try_lock().unwrap();
    // Create five lock futures, then start them waiting in a different order.
    let mut futs: Vec<Lock<'_, Vec<usize>>> = (0..5).map(|_| Box::pin(mutex.lock()) as _).collect();
    let wakers: Vec<_> = (0..5).map(|_| counting_waker()).collect();
    let wait_order = [3, 1, 4, 0, 2];
    for &i in &wait_order {
        assert!(poll(&mut futs[i], &wakers[i].0).is_pending());
    }
    drop(guard);
    for (step, &i) in wait_order.iter().enumerate() {
        let woken: Vec<usize> = (0..5).filter(|&j| n(&wakers[j].1) > 0).collect();
        let mut expected = wait_order[..=step].to_vec();
        expected.sort_unstable();
        assert_eq!(
            woken, expected,
            "step {step}: exactly the next waiter was woken"
        );
        let Poll::Ready(mut g) = poll(&mut futs[i], &wakers[i].0) else {
            panic!("waiter {i} was woken but is not ready");
        };
        g.push(i);
        assert_eq!(n(&wakers[i].1), 1, "woken once");
    }
    drop(futs);
    assert_eq!(mutex.into_inner(), wait_order);
}

#[test]
fn try_lock_fails_while_held_or_handed_over_and_succeeds_after() {
    let mutex = Mutex::new(5);
    let guard = mutex.try_lock().unwrap();
    let err: TryLockError = mutex.try_lock().unwrap_err();
    assert_eq!(err, mutex.try_lock().unwrap_err());
    assert_eq!(
        mutex.try_lock().unwrap_err().to_string(),
        "the mutex is locked"
    );
    assert!(format!("{mutex:?}").contains("<locked>"));
    let (mut waiter, waker, count) = queued(&mutex);
    drop(guard);
    assert_eq!(n(&count), 1);
    // Handed to the waiter (not yet polled): nobody may take it in between.
    assert!(mutex.try_lock().is_err());
    let Poll::Ready(mut g) = poll(&mut waiter, &waker) else {
        panic!("not ready")
    };
    *g += 1;
    drop(g);
    drop(waiter);
    let g = mutex.try_lock().expect("free again");
    assert_eq!(*g, 6);
    drop(g);
    assert_eq!(format!("{mutex:?}"), "Mutex { data: 6 }");
}

#[test]
fn a_cancelled_waiting_lock_is_skipped_and_the_next_waiter_gets_the_lock() {
    let mutex = Mutex::new(0);
    let guard = mutex.try_lock().unwrap();
    let (mut a, wa, ca) = queued(&mutex);
    let (b, _wb, cb) = queued(&mutex);
    let (mut c, wc, cc) = queued(&mutex);
    drop(b); // cancelled while queued in the middle
    drop(guard);
    assert_eq!((n(&ca), n(&cb), n(&cc)), (1, 0, 0));
    let Poll::Ready(g) = poll(&mut a, &wa) else {
        panic!("a not ready")
    };
    drop(g);
    assert_eq!((n(&ca), n(&cb), n(&cc)), (1, 0, 1), "b is skipped");
    assert!(matches!(poll(&mut c, &wc), Poll::Ready(_)));
}

#[test]
fn a_waiter_handed_the_lock_but_cancelled_passes_it_to_the_next() {
    let mutex = Mutex::new(0);
    let guard = mutex.try_lock().unwrap();
    let (a, _wa, ca) = queued(&mutex);
    let (mut b, wb, cb) = queued(&mutex);
    let (mut c, wc, cc) = queued(&mutex);
    drop(guard);
    assert_eq!((n(&ca), n(&cb), n(&cc)), (1, 0, 0));
    drop(a); // chosen, but dropped before it could take the guard
    assert_eq!((n(&ca), n(&cb), n(&cc)), (1, 1, 0));
    assert!(poll(&mut c, &wc).is_pending());
    let Poll::Ready(g) = poll(&mut b, &wb) else {
        panic!("b not ready")
    };
    drop(g);
    assert_eq!(n(&cc), 1);
    let Poll::Ready(g) = poll(&mut c, &wc) else {
        panic!("c not ready")
    };
    drop(g);
    drop((b, c));
    assert!(mutex.try_lock().is_ok(), "nothing stuck: the lock is free");
}

#[test]
fn a_lock_cancelled_by_a_timeout_leaves_nothing_behind() {
    corio::block_on(async {
        let mutex = Mutex::new(1);
        let guard = mutex.lock().await;
        let res = corio::time::timeout(Duration::from_millis(5), mutex.lock()).await;
        assert!(res.is_err(), "lock() should have timed out");
        drop(guard);
        // try_lock refuses while anyone waits: succeeding shows the queue is empty.
        let g = mutex
            .try_lock()
            .expect("the cancelled lock() left a waiter behind");
        drop(g);
        assert_eq!(*within(LIMIT, "lock after cancel", mutex.lock()).await, 1);
    });
}

#[test]
fn unlock_wakes_only_the_front_task() {
    corio::block_on(async {
        let mutex = Rc::new(Mutex::new(Vec::new()));
        let guard = mutex.lock().await;
        let mut polls = Vec::new();
        let mut handles = Vec::new();
        for id in 0..3 {
            let (task, count) = counted({
                let mutex = mutex.clone();
                async move { mutex.lock().await.push(id) }
            });
            polls.push(count);
            handles.push(corio::spawn(task));
        }
        assert!(yield_until(|| polls.iter().all(|p| p.get() == 1), 10).await);
        drop(guard);
        for handle in handles {
            within(LIMIT, "waiters", handle).await.unwrap();
        }
        // Each task was polled once to queue and once when handed the lock: no other wakes.
        let counts: Vec<usize> = polls.iter().map(|p| p.get()).collect();
        assert_eq!(counts, [2, 2, 2]);
        assert_eq!(*mutex.lock().await, [0, 1, 2]);
    });
}

#[test]
fn owned_guards_move_into_spawned_tasks() {
    corio::block_on(async {
        let mutex = Arc::new(Mutex::new(Vec::new()));
        let order = Rc::new(RefCell::new(Vec::new()));
        let mut guard = mutex.clone().lock_owned().await;
        assert!(Arc::ptr_eq(guard.mutex(), &mutex));
        guard.push("main");
        let handle = corio::spawn({
            let order = order.clone();
            async move {
                corio::task::yield_now().await;
                guard.push("task");
                order.borrow_mut().push("task unlocks");
                drop(guard);
            }
        });
        let v = mutex.lock().await; // waits for the task's guard
        order.borrow_mut().push("main locked");
        assert_eq!(*v, ["main", "task"]);
        drop(v);
        handle.await.unwrap();
        assert_eq!(*order.borrow(), ["task unlocks", "main locked"]);
        assert_eq!(Arc::strong_count(&mutex), 1, "the guard released its Arc");
    });
}

#[test]
fn threads_with_their_own_runtimes_contend_on_one_mutex() {
    const THREADS: usize = 4;
    const ROUNDS: usize = if cfg!(miri) { 25 } else { 250 };
    with_watchdog(WATCHDOG, || {
        let mutex = Arc::new(Mutex::new(0usize));
        let held = Arc::new(AtomicBool::new(false));
        let threads: Vec<_> = (0..THREADS)
            .map(|_| {
                let (mutex, held) = (mutex.clone(), held.clone());
                std::thread::spawn(move || {
                    corio::block_on(async move {
                        for _ in 0..ROUNDS {
                            let mut guard = mutex.lock().await;
                            assert!(!held.swap(true, Ordering::SeqCst), "two holders at once");
                            let before = *guard;
                            corio::task::yield_now().await;
                            *guard = before + 1;
                            held.store(false, Ordering::SeqCst);
                        }
                    })
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        let mutex = Arc::into_inner(mutex).unwrap();
        assert_eq!(mutex.into_inner(), THREADS * ROUNDS);
    });
}

#[test]
fn get_mut_default_and_from_need_no_locking() {
    let mut mutex: Mutex<Vec<u8>> = Mutex::default();
    mutex.get_mut().push(1);
    let mutex2 = Mutex::from(vec![1u8]);
    assert_eq!(mutex.into_inner(), mutex2.into_inner());
}
