//! `corio::sync::Semaphore`'s state word (free permits and flags in one atomic, with a
//! lock-free path for the uncontended case): the count saturates at `MAX_PERMITS` without
//! spilling into the flags, `close` refuses every waiter even if permits come back while
//! it is waking them, and threads mixing the lock-free and the queued paths never hold
//! more permits than exist and leave nothing queued.

mod common_exec;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Wake, Waker};
use std::time::Duration;

use common_exec::{counting_waker, n, poll, with_watchdog};
use corio::sync::{Semaphore, TryAcquireError};

const WATCHDOG: Duration = Duration::from_secs(20);

#[test]
fn the_count_saturates_at_max_permits_and_leaves_the_flags_alone() {
    let sem = Semaphore::new(Semaphore::MAX_PERMITS);
    let out = sem.try_acquire_many(10).unwrap();
    sem.add_permits(10);
    assert_eq!(sem.available_permits(), Semaphore::MAX_PERMITS);
    drop(out); // 10 beyond MAX_PERMITS: dropped, not carried into the flag bits
    assert_eq!(sem.available_permits(), Semaphore::MAX_PERMITS);
    assert!(!sem.is_closed());
    let all = sem.try_acquire_many(Semaphore::MAX_PERMITS).unwrap();
    assert_eq!(sem.available_permits(), 0);
    // Nobody is queued: a request that must wait queues, and the lock-free path stops.
    let (waker, count) = counting_waker();
    let mut one = sem.acquire();
    assert!(poll(&mut one, &waker).is_pending());
    assert_eq!(
        sem.try_acquire_many(0).unwrap_err(),
        TryAcquireError::NoPermits
    );
    drop(all);
    assert_eq!(n(&count), 1);
    let Poll::Ready(Ok(permit)) = poll(&mut one, &waker) else {
        panic!("the waiter was not served");
    };
    assert_eq!(sem.available_permits(), Semaphore::MAX_PERMITS - 1);
    drop(permit);
    assert_eq!(sem.available_permits(), Semaphore::MAX_PERMITS);
    assert!(!sem.is_closed());
}

/// Gives `permits` back to the semaphore from inside its wake, once: the wake runs
/// between two of `close`'s batches, with some waiters still queued.
struct GiveBackOnWake {
    semaphore: Arc<Semaphore>,
    permits: usize,
    woken: AtomicUsize,
}

impl Wake for GiveBackOnWake {
    fn wake(self: Arc<Self>) {
        if self.woken.fetch_add(1, Ordering::SeqCst) == 0 {
            self.semaphore.add_permits(self.permits);
        }
    }
}

#[test]
fn permits_given_back_while_close_wakes_do_not_serve_the_waiters_it_refuses() {
    const WAITERS: usize = 40; // more than one of close's wake batches
    let sem = Arc::new(Semaphore::new(0));
    let first = Arc::new(GiveBackOnWake {
        semaphore: sem.clone(),
        permits: WAITERS,
        woken: AtomicUsize::new(0),
    });
    let first_waker = Waker::from(first.clone());
    let mut waiters = vec![(sem.acquire(), first_waker)];
    for _ in 1..WAITERS {
        waiters.push((sem.acquire(), counting_waker().0));
    }
    for (fut, waker) in &mut waiters {
        assert!(poll(fut, waker).is_pending());
    }
    sem.close();
    assert_eq!(first.woken.load(Ordering::SeqCst), 1);
    for (i, (fut, waker)) in waiters.iter_mut().enumerate() {
        match poll(fut, waker) {
            Poll::Ready(Err(_)) => {}
            Poll::Ready(Ok(_)) => panic!("waiter {i} was served by a closed semaphore"),
            Poll::Pending => panic!("waiter {i} is still queued after close"),
        }
    }
    drop(waiters);
    assert_eq!(
        sem.available_permits(),
        WAITERS,
        "the given-back permits stay free"
    );
    assert_eq!(sem.try_acquire().unwrap_err(), TryAcquireError::Closed);
}

#[test]
#[cfg_attr(miri, ignore)]
fn threads_mixing_try_acquire_and_waits_for_several_permits_share_exactly() {
    const THREADS: usize = 4;
    const LIMIT: usize = 4;
    const ROUNDS: usize = if cfg!(miri) { 20 } else { 2000 };
    with_watchdog(WATCHDOG, || {
        let sem = Arc::new(Semaphore::new(LIMIT));
        let held = Arc::new(AtomicUsize::new(0));
        let over = Arc::new(Mutex::new(Vec::new()));
        let threads: Vec<_> = (0..THREADS)
            .map(|t| {
                let (sem, held, over) = (sem.clone(), held.clone(), over.clone());
                std::thread::spawn(move || {
                    corio::block_on(async move {
                        let mut served = 0;
                        for round in 0..ROUNDS {
                            let k = 1 + (t + round) % LIMIT; // up to all of them
                            let permit = match sem.try_acquire_many(k) {
                                Ok(permit) => permit,
                                Err(_) => sem.acquire_many(k).await.unwrap(),
                            };
                            let now = held.fetch_add(k, Ordering::SeqCst) + k;
                            if now > LIMIT {
                                over.lock().unwrap().push(now);
                            }
                            corio::task::yield_now().await;
                            held.fetch_sub(k, Ordering::SeqCst);
                            drop(permit);
                            served += 1;
                        }
                        served
                    })
                })
            })
            .collect();
        let served: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
        assert_eq!(served, THREADS * ROUNDS);
        assert_eq!(
            *over.lock().unwrap(),
            Vec::<usize>::new(),
            "more held than exist"
        );
        assert_eq!(sem.available_permits(), LIMIT);
        assert!(
            sem.try_acquire_many(LIMIT).is_ok(),
            "a waiter was left queued"
        );
    });
}
