//! `corio::sync::Semaphore`: exact permit accounting, fair (FIFO, a large request is not
//! overtaken), partial collection given back on cancellation, close, forget, owned
//! permits, and use from several threads.
//!
//! Futures are polled by hand, each with its own counting waker, to see exactly which
//! waiter a release woke and how many permits are free after each step.

mod common_exec;

use std::cell::Cell;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Poll, Waker};
use std::time::Duration;

use common_exec::{
    assert_send, assert_send_val, assert_sync, counting_waker, n, poll, with_watchdog,
};
use corio::sync::{
    Acquire, AcquireError, OwnedSemaphorePermit, Semaphore, SemaphorePermit, TryAcquireError,
};

const WATCHDOG: Duration = Duration::from_secs(20);

/// `acquire_many(k)`, polled once (queued) with a fresh counting waker.
fn queued(sem: &Semaphore, k: usize) -> (Acquire<'_>, Waker, Arc<AtomicUsize>) {
    let mut fut = sem.acquire_many(k);
    let (waker, count) = counting_waker();
    assert!(
        poll(&mut fut, &waker).is_pending(),
        "acquire_many({k}) should wait"
    );
    (fut, waker, count)
}

/// Polls a waiter that must have completed with `k` permits.
fn ready<'a>(fut: &mut Acquire<'a>, waker: &Waker, k: usize) -> SemaphorePermit<'a> {
    match poll(fut, waker) {
        Poll::Ready(Ok(permit)) => {
            assert_eq!(permit.num_permits(), k);
            permit
        }
        Poll::Ready(Err(e)) => panic!("acquire failed: {e}"),
        Poll::Pending => panic!("acquire still pending"),
    }
}

/// Polls a waiter that must have failed because the semaphore is closed.
fn refused(fut: &mut Acquire<'_>, waker: &Waker) -> AcquireError {
    match poll(fut, waker) {
        Poll::Ready(Err(e)) => e,
        Poll::Ready(Ok(p)) => panic!("got {} permits from a closed semaphore", p.num_permits()),
        Poll::Pending => panic!("acquire still pending after close"),
    }
}

#[test]
fn semaphore_permits_and_futures_are_send_and_sync() {
    assert_send::<Semaphore>();
    assert_sync::<Semaphore>();
    assert_send::<SemaphorePermit<'static>>();
    assert_sync::<SemaphorePermit<'static>>();
    assert_send::<OwnedSemaphorePermit>();
    assert_sync::<OwnedSemaphorePermit>();
    assert_send::<Acquire<'static>>();
    let sem = Arc::new(Semaphore::new(1));
    assert_send_val(&sem.acquire());
    assert_send_val(&sem.clone().acquire_owned());
    assert_send_val(&sem.clone().acquire_many_owned(1));
}

#[test]
fn permits_are_counted_exactly_at_every_step() {
    let sem = Semaphore::new(3);
    let (waker, _) = counting_waker();
    let one = ready(&mut sem.acquire(), &waker, 1);
    assert_eq!(sem.available_permits(), 2);
    let two = sem.try_acquire_many(2).unwrap();
    assert_eq!(two.num_permits(), 2);
    assert_eq!(sem.available_permits(), 0);
    assert_eq!(sem.try_acquire().unwrap_err(), TryAcquireError::NoPermits);
    drop(one);
    assert_eq!(sem.available_permits(), 1);
    assert_eq!(
        sem.try_acquire_many(2).unwrap_err(),
        TryAcquireError::NoPermits
    );
    drop(two);
    assert_eq!(sem.available_permits(), 3);
    sem.add_permits(2);
    assert_eq!(sem.available_permits(), 5);
    let five = ready(&mut sem.acquire_many(5), &waker, 5);
    assert_eq!(sem.available_permits(), 0);
    drop(five);
    assert_eq!(sem.available_permits(), 5);
    assert!(!sem.is_closed());
}

#[test]
fn acquire_many_waits_until_enough_permits_came_back() {
    let sem = Semaphore::new(3);
    let held = sem.try_acquire_many(2).unwrap();
    let (mut big, waker, count) = queued(&sem, 3);
    assert_eq!(sem.available_permits(), 0, "the free permit was collected");
    sem.add_permits(1);
    assert_eq!(n(&count), 0, "2 of 3 collected: not woken yet");
    assert_eq!(sem.available_permits(), 0);
    assert!(poll(&mut big, &waker).is_pending());
    drop(held); // 2 come back: 1 completes the request, 1 stays free
    assert_eq!(n(&count), 1);
    assert_eq!(sem.available_permits(), 1);
    let permit = ready(&mut big, &waker, 3);
    drop(permit);
    assert_eq!(sem.available_permits(), 4);
}

#[test]
fn a_large_request_at_the_front_is_not_overtaken_by_small_ones() {
    let sem = Semaphore::new(2);
    let held = sem.try_acquire_many(2).unwrap();
    let (mut big, big_waker, big_count) = queued(&sem, 2);
    let (mut small, small_waker, small_count) = queued(&sem, 1);
    // Give one permit back: it goes to the big request, not to the small one behind it.
    sem.add_permits(1);
    assert_eq!((n(&big_count), n(&small_count)), (0, 0));
    assert_eq!(sem.available_permits(), 0);
    assert_eq!(sem.try_acquire().unwrap_err(), TryAcquireError::NoPermits);
    assert!(poll(&mut small, &small_waker).is_pending());
    drop(held); // 2 more: 1 completes the big one, 1 serves the small one
    assert_eq!((n(&big_count), n(&small_count)), (1, 1));
    let big_permit = ready(&mut big, &big_waker, 2);
    let small_permit = ready(&mut small, &small_waker, 1);
    assert_eq!(sem.available_permits(), 0);
    drop((big_permit, small_permit));
    assert_eq!(sem.available_permits(), 3);
}

#[test]
fn try_acquire_does_not_jump_the_queue_even_with_permits_free() {
    let sem = Semaphore::new(1);
    let (mut big, waker, _) = queued(&sem, 2); // collected the 1 free permit
    sem.add_permits(1);
    // `big` was served: its permits are reserved even though it has not been polled.
    assert_eq!(sem.available_permits(), 0);
    assert_eq!(sem.try_acquire().unwrap_err(), TryAcquireError::NoPermits);
    drop(ready(&mut big, &waker, 2));
    assert_eq!(sem.try_acquire().unwrap().num_permits(), 1);
}

#[test]
fn add_permits_wakes_waiters_in_order_and_only_as_many_as_it_can_serve() {
    let sem = Semaphore::new(0);
    let mut waiters: Vec<_> = [1, 2, 1].iter().map(|&k| queued(&sem, k)).collect();
    let counts = |w: &Vec<(Acquire<'_>, Waker, Arc<AtomicUsize>)>| -> Vec<usize> {
        w.iter().map(|(_, _, c)| n(c)).collect()
    };
    sem.add_permits(1);
    assert_eq!(counts(&waiters), [1, 0, 0]);
    sem.add_permits(1);
    assert_eq!(counts(&waiters), [1, 0, 0], "the second waiter needs 2");
    sem.add_permits(1);
    assert_eq!(counts(&waiters), [1, 1, 0]);
    sem.add_permits(2);
    assert_eq!(counts(&waiters), [1, 1, 1]);
    assert_eq!(sem.available_permits(), 1);
    let permits: Vec<_> = waiters
        .iter_mut()
        .zip([1, 2, 1])
        .map(|((fut, waker, _), k)| ready(fut, waker, k))
        .collect();
    drop(permits);
    assert_eq!(sem.available_permits(), 5);
}

#[test]
fn add_permits_serves_more_waiters_than_one_wake_batch() {
    let sem = Semaphore::new(0);
    let mut waiters: Vec<_> = (0..40).map(|_| queued(&sem, 1)).collect();
    sem.add_permits(39);
    let woken: Vec<usize> = waiters.iter().map(|(_, _, c)| n(c)).collect();
    let mut expected = vec![1; 39];
    expected.push(0);
    assert_eq!(woken, expected, "the first 39, once each; not the 40th");
    assert_eq!(sem.available_permits(), 0);
    sem.add_permits(1);
    assert_eq!(n(&waiters[39].2), 1);
    let permits: Vec<_> = waiters.iter_mut().map(|(f, w, _)| ready(f, w, 1)).collect();
    drop(permits);
    assert_eq!(sem.available_permits(), 40);
}

/// Bug check: a request for zero permits may complete at once (tokio's choice) or queue
/// behind earlier waiters (FIFO), but it must never stay stranded. Here it queues behind
/// a waiter that is then cancelled: `Acquire::drop` of a waiter that had collected
/// nothing calls `release(0)`, which returns before serving the queue, so the now
/// satisfiable zero-permit waiter is never woken (semaphore.rs, `release`'s `n == 0`
/// early return).
#[test]
fn a_zero_permit_request_is_not_stranded_when_the_waiter_ahead_is_cancelled() {
    let sem = Semaphore::new(0);
    let (ahead, _, _) = queued(&sem, 1);
    let (waker, count) = counting_waker();
    let mut zero = sem.acquire_many(0);
    if poll(&mut zero, &waker).is_pending() {
        drop(ahead);
        assert_eq!(n(&count), 1, "nothing is ahead of it and it needs nothing");
    }
    drop(ready(&mut zero, &waker, 0));
    assert_eq!(sem.available_permits(), 0);
}

/// Bug check: `close` promises `AcquireError` to every current waiter, but a queued
/// zero-permit request is popped with `need == 0`, which `Acquire::poll` reads as
/// "served", so it completes with `Ok` on a closed semaphore.
#[test]
fn close_refuses_a_queued_zero_permit_request_too() {
    let sem = Semaphore::new(0);
    let (mut ahead, wa, _) = queued(&sem, 1);
    let (waker, count) = counting_waker();
    let mut zero = sem.acquire_many(0);
    let queued_zero = poll(&mut zero, &waker).is_pending();
    sem.close();
    refused(&mut ahead, &wa);
    if queued_zero {
        assert_eq!(n(&count), 1);
        refused(&mut zero, &waker);
    }
    refused(&mut sem.acquire_many(0), &waker); // after close, like any other request
}

#[test]
fn a_waiter_moved_to_another_task_is_woken_through_its_latest_waker() {
    let sem = Semaphore::new(0);
    let (mut fut, _, old_count) = queued(&sem, 1);
    let (new_waker, new_count) = counting_waker();
    assert!(poll(&mut fut, &new_waker).is_pending()); // polled again, by another task
    sem.add_permits(1);
    assert_eq!((n(&old_count), n(&new_count)), (0, 1));
    drop(ready(&mut fut, &new_waker, 1));
}

#[test]
fn cancelling_a_partly_served_request_gives_its_permits_to_the_next_waiter() {
    let sem = Semaphore::new(3);
    let two = sem.try_acquire_many(2).unwrap();
    let one = sem.try_acquire().unwrap();
    let (big, _big_waker, big_count) = queued(&sem, 3);
    let (mut small, small_waker, small_count) = queued(&sem, 1);
    drop(two); // the big request collects these 2 and keeps waiting
    assert_eq!(sem.available_permits(), 0);
    assert_eq!((n(&big_count), n(&small_count)), (0, 0));
    drop(big); // cancelled: its 2 go back, 1 to the small waiter, 1 stays free
    assert_eq!(n(&small_count), 1);
    assert_eq!(sem.available_permits(), 1);
    let small_permit = ready(&mut small, &small_waker, 1);
    drop(small_permit);
    drop(one);
    assert_eq!(sem.available_permits(), 3);
    assert_eq!(sem.try_acquire_many(3).unwrap().num_permits(), 3);
}

#[test]
fn a_waiter_served_but_cancelled_before_its_next_poll_passes_the_permit_on() {
    let sem = Semaphore::new(1);
    let held = sem.try_acquire().unwrap();
    let (a, _wa, a_count) = queued(&sem, 1);
    let (mut b, wb, b_count) = queued(&sem, 1);
    let (mut c, wc, c_count) = queued(&sem, 1);
    drop(held);
    assert_eq!((n(&a_count), n(&b_count), n(&c_count)), (1, 0, 0));
    drop(a);
    assert_eq!((n(&a_count), n(&b_count), n(&c_count)), (1, 1, 0));
    assert_eq!(sem.available_permits(), 0);
    assert!(poll(&mut c, &wc).is_pending());
    drop(ready(&mut b, &wb, 1));
    assert_eq!(n(&c_count), 1);
    drop(ready(&mut c, &wc, 1));
    assert_eq!(sem.available_permits(), 1);
}

#[test]
fn close_fails_every_waiter_and_later_acquires_but_keeps_held_permits_valid() {
    let sem = Semaphore::new(2);
    let held = sem.try_acquire().unwrap();
    let mut waiters: Vec<_> = (0..40).map(|_| queued(&sem, 2)).collect(); // > one wake batch
    assert_eq!(
        sem.available_permits(),
        0,
        "the first waiter collected the free one"
    );
    sem.close();
    assert!(sem.is_closed());
    for (i, (fut, waker, count)) in waiters.iter_mut().enumerate() {
        assert_eq!(n(count), 1, "waiter {i} woken once");
        refused(fut, waker);
    }
    drop(waiters);
    assert_eq!(
        sem.available_permits(),
        1,
        "the partial collection was given back"
    );
    assert_eq!(sem.try_acquire().unwrap_err(), TryAcquireError::Closed);
    let (waker, count) = counting_waker();
    let err = refused(&mut sem.acquire_many(1), &waker);
    assert_eq!(err.to_string(), "the semaphore is closed");
    assert_eq!(n(&count), 0);
    drop(held); // a permit taken before close still goes back
    assert_eq!(sem.available_permits(), 2);
}

#[test]
fn forget_keeps_permits_out_for_good() {
    let sem = Arc::new(Semaphore::new(3));
    sem.try_acquire().unwrap().forget();
    assert_eq!(sem.available_permits(), 2);
    corio::block_on(async {
        let owned = sem.clone().acquire_many_owned(2).await.unwrap();
        assert_eq!(owned.num_permits(), 2);
        assert!(Arc::ptr_eq(owned.semaphore(), &sem));
        assert_eq!(sem.available_permits(), 0);
        owned.forget();
    });
    assert_eq!(sem.available_permits(), 0);
    sem.add_permits(1);
    assert_eq!(sem.available_permits(), 1);
}

#[test]
fn owned_permits_limit_concurrency_across_spawned_tasks() {
    const LIMIT: usize = 3;
    const TASKS: usize = 12;
    let sem = Arc::new(Semaphore::new(LIMIT));
    let (running, peak, finished) = corio::block_on(async {
        let running = Rc::new(Cell::new(0usize));
        let peak = Rc::new(Cell::new(0usize));
        let finished = Rc::new(Cell::new(0usize));
        let mut handles = Vec::new();
        for _ in 0..TASKS {
            let permit = sem.clone().acquire_owned().await.unwrap();
            let (running, peak, finished) = (running.clone(), peak.clone(), finished.clone());
            handles.push(corio::spawn(async move {
                running.set(running.get() + 1);
                peak.set(peak.get().max(running.get()));
                for _ in 0..3 {
                    corio::task::yield_now().await;
                }
                running.set(running.get() - 1);
                finished.set(finished.get() + 1);
                drop(permit);
            }));
        }
        for handle in handles {
            handle.await.unwrap();
        }
        (running.get(), peak.get(), finished.get())
    });
    assert_eq!((running, peak, finished), (0, LIMIT, TASKS));
    assert_eq!(sem.available_permits(), LIMIT);
}

#[test]
fn an_acquire_cancelled_by_a_timeout_leaves_no_waiter_behind() {
    corio::block_on(async {
        let sem = Semaphore::new(1);
        let held = sem.try_acquire().unwrap();
        let res = corio::time::timeout(Duration::from_millis(5), sem.acquire()).await;
        assert!(res.is_err(), "acquire should have timed out");
        drop(held);
        // try_acquire refuses while anyone is queued: it succeeding proves the queue is empty.
        let permit = sem
            .try_acquire()
            .expect("the cancelled waiter must be gone");
        assert_eq!(sem.available_permits(), 0);
        drop(permit);
        assert_eq!(sem.available_permits(), 1);
    });
}

#[test]
fn threads_with_their_own_runtimes_share_one_semaphore() {
    const THREADS: usize = 4;
    const ROUNDS: usize = if cfg!(miri) { 30 } else { 300 };
    const LIMIT: usize = 2;
    with_watchdog(WATCHDOG, || {
        let sem = Arc::new(Semaphore::new(LIMIT));
        let inside = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let total = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..THREADS)
            .map(|_| {
                let (sem, inside, peak, total) =
                    (sem.clone(), inside.clone(), peak.clone(), total.clone());
                std::thread::spawn(move || {
                    corio::block_on(async move {
                        for _ in 0..ROUNDS {
                            let permit = sem.acquire().await.unwrap();
                            let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                            peak.fetch_max(now, Ordering::SeqCst);
                            corio::task::yield_now().await;
                            total.fetch_add(1, Ordering::SeqCst);
                            inside.fetch_sub(1, Ordering::SeqCst);
                            drop(permit);
                        }
                    })
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        assert!(peak.load(Ordering::SeqCst) <= LIMIT);
        assert_eq!(total.load(Ordering::SeqCst), THREADS * ROUNDS);
        assert_eq!(sem.available_permits(), LIMIT);
        assert!(sem.try_acquire_many(LIMIT).is_ok(), "no waiter left queued");
    });
}
