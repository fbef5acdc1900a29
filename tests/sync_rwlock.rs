//! `corio::sync::RwLock`: readers share, a writer excludes, FIFO order so a stream of
//! readers cannot starve a writer, `downgrade` and `map`, cancellation of a queued write,
//! `with_max_readers`, and threads each running their own runtime.

mod common_exec;
mod util;

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use common_exec::{assert_send, assert_send_val, assert_sync, counting_waker, n, poll};
use common_exec::{with_watchdog, yield_until};
use corio::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard, TryLockError};
use util::within;

const WATCHDOG: Duration = Duration::from_secs(20);
const LIMIT: Duration = Duration::from_secs(10);

type Read<'a, T> = Pin<Box<dyn Future<Output = RwLockReadGuard<'a, T>> + 'a>>;
type Write<'a, T> = Pin<Box<dyn Future<Output = RwLockWriteGuard<'a, T>> + 'a>>;

#[test]
fn locks_and_guards_are_send_and_sync_as_their_data_allows() {
    assert_send::<RwLock<Vec<u8>>>();
    assert_sync::<RwLock<Vec<u8>>>();
    assert_send::<RwLock<Cell<u8>>>(); // movable, but not shareable: readers would share it
    assert_send::<RwLockReadGuard<'static, Vec<u8>>>();
    assert_sync::<RwLockReadGuard<'static, Vec<u8>>>();
    assert_send::<RwLockWriteGuard<'static, Vec<u8>>>();
    assert_sync::<RwLockWriteGuard<'static, Vec<u8>>>();
    let lock = RwLock::new(1u8);
    assert_send_val(&lock.read());
    assert_send_val(&lock.write());
}

/// Ten reader tasks all hold the lock at the same time.
#[test]
fn many_readers_hold_the_lock_at_once() {
    const READERS: usize = 10;
    corio::block_on(async {
        let lock = Rc::new(RwLock::new(7));
        let inside = Rc::new(Cell::new(0));
        let tasks: Vec<_> = (0..READERS)
            .map(|_| {
                let (lock, inside) = (lock.clone(), inside.clone());
                corio::spawn(async move {
                    let guard = lock.read().await;
                    inside.set(inside.get() + 1);
                    // Hold the guard until every reader is in.
                    assert!(yield_until(|| inside.get() == READERS, 100).await);
                    *guard
                })
            })
            .collect();
        for task in tasks {
            assert_eq!(within(LIMIT, "reader", task).await.unwrap(), 7);
        }
    });
}

#[test]
fn a_writer_excludes_readers_and_writers() {
    let lock = RwLock::new(vec![1]);
    let mut guard = lock.try_write().unwrap();
    let err: TryLockError = lock.try_read().unwrap_err();
    assert_eq!(err, lock.try_write().unwrap_err());
    let (waker, wakes) = counting_waker();
    let mut read: Read<'_, Vec<i32>> = Box::pin(lock.read());
    let mut write: Write<'_, Vec<i32>> = Box::pin(lock.write());
    assert!(poll(&mut read, &waker).is_pending());
    assert!(poll(&mut write, &waker).is_pending());
    guard.push(2);
    drop(guard);
    assert_eq!(n(&wakes), 1, "only the reader, first in line");
    let Poll::Ready(r) = poll(&mut read, &waker) else {
        panic!("reader not ready")
    };
    assert_eq!(*r, [1, 2]);
    assert!(
        poll(&mut write, &waker).is_pending(),
        "the writer waits for the reader"
    );
    drop(r);
    assert_eq!(n(&wakes), 2);
    let Poll::Ready(mut w) = poll(&mut write, &waker) else {
        panic!("writer not ready")
    };
    w.push(3);
    assert!(lock.try_read().is_err());
    drop(w);
    drop((read, write));
    assert_eq!(*lock.try_read().unwrap(), [1, 2, 3]);
}

/// A writer queued behind a reader is served before readers that came after it, even
/// though the lock is only read-held: the readers queue behind the writer.
#[test]
fn a_writer_is_not_starved_by_later_readers() {
    let lock = RwLock::new(0);
    let first = lock.try_read().unwrap();
    let (waker, _) = counting_waker();
    let mut writer: Write<'_, i32> = Box::pin(lock.write());
    assert!(poll(&mut writer, &waker).is_pending());
    assert!(
        lock.try_read().is_err(),
        "a writer is waiting: no reader may overtake it"
    );
    let mut later: Vec<Read<'_, i32>> = (0..3).map(|_| Box::pin(lock.read()) as _).collect();
    for r in &mut later {
        assert!(poll(r, &waker).is_pending());
    }
    drop(first);
    let Poll::Ready(mut w) = poll(&mut writer, &waker) else {
        panic!("writer not first")
    };
    for r in &mut later {
        assert!(poll(r, &waker).is_pending(), "readers wait for the writer");
    }
    *w = 1;
    drop(w);
    for r in &mut later {
        let Poll::Ready(g) = poll(r, &waker) else {
            panic!("reader not served")
        };
        assert_eq!(*g, 1);
    }
}

/// The same with tasks: three readers take turns so that the lock is never free of
/// readers; a writer that asks is still let in, and every read after it sees its write.
#[test]
fn a_stream_of_overlapping_readers_lets_a_queued_writer_in() {
    const READERS: usize = 3;
    corio::block_on(async {
        let lock = Rc::new(RwLock::new(0u32));
        let reads = Rc::new(Cell::new(0u32));
        // For each reader: the read count when it first saw the write.
        let saw_write = Rc::new(std::cell::RefCell::new(Vec::new()));
        let readers: Vec<_> = (0..READERS)
            .map(|i| {
                let (lock, reads, saw_write) = (lock.clone(), reads.clone(), saw_write.clone());
                corio::spawn(async move {
                    for _ in 0..i {
                        corio::task::yield_now().await; // staggered: the holds overlap
                    }
                    for _ in 0..10_000 {
                        let guard = lock.read().await;
                        reads.set(reads.get() + 1);
                        if *guard == 1 {
                            saw_write.borrow_mut().push(reads.get());
                            return;
                        }
                        for _ in 0..READERS {
                            corio::task::yield_now().await;
                        }
                    }
                })
            })
            .collect();
        assert!(yield_until(|| reads.get() >= 10, 100).await);
        assert!(lock.try_write().is_err(), "the readers keep the lock held");
        let asked_at = reads.get();
        *within(LIMIT, "write", lock.write()).await = 1;
        for reader in readers {
            within(LIMIT, "reader", reader).await.unwrap();
        }
        // No read was granted between the writer's request and its write.
        let expected: Vec<u32> = (1..=READERS as u32).map(|k| asked_at + k).collect();
        let mut saw = saw_write.borrow().clone();
        saw.sort_unstable();
        assert_eq!(saw, expected);
    });
}

#[test]
fn downgrade_keeps_reading_and_lets_queued_readers_in() {
    let lock = RwLock::new(String::from("a"));
    let mut w = lock.try_write().unwrap();
    w.push('b');
    let (waker, wakes) = counting_waker();
    let mut reader: Read<'_, String> = Box::pin(lock.read());
    assert!(poll(&mut reader, &waker).is_pending());
    let r = w.downgrade();
    assert_eq!(n(&wakes), 1);
    let Poll::Ready(other) = poll(&mut reader, &waker) else {
        panic!("reader not let in")
    };
    assert_eq!((r.as_str(), other.as_str()), ("ab", "ab"));
    assert!(lock.try_write().is_err(), "still read-held");
    drop((r, other));
    assert!(lock.try_write().is_ok());
}

#[test]
fn guards_map_to_a_part_of_the_data() {
    let lock = RwLock::new((1, vec![2, 3]));
    {
        let w = lock.try_write().unwrap();
        let mut part = RwLockWriteGuard::map(w, |(_, v)| v);
        part.push(4);
        assert!(
            lock.try_read().is_err(),
            "a mapped guard still holds the lock"
        );
    }
    let r = lock.try_read().unwrap();
    let first = RwLockReadGuard::map(r, |(a, _)| a);
    assert_eq!(*first, 1);
    let r = lock.try_read().unwrap();
    let missing = RwLockReadGuard::try_map(r, |(_, v)| v.get(10)).unwrap_err();
    assert_eq!(missing.1, [2, 3, 4]);
    drop((first, missing));
    let w = lock.try_write().unwrap();
    let w = RwLockWriteGuard::try_map(w, |(_, v)| v.get_mut(10)).unwrap_err();
    assert_eq!(w.0, 1, "try_map gives the whole guard back");
}

/// A queued writer that is cancelled gives back the permits it had collected: readers
/// queued behind it get in.
#[test]
fn a_cancelled_write_lets_the_readers_behind_it_in() {
    let lock = RwLock::new(0);
    let first = lock.try_read().unwrap();
    let (waker, wakes) = counting_waker();
    let mut writer: Write<'_, i32> = Box::pin(lock.write());
    assert!(poll(&mut writer, &waker).is_pending());
    let mut reader: Read<'_, i32> = Box::pin(lock.read());
    assert!(poll(&mut reader, &waker).is_pending());
    drop(writer);
    assert_eq!(n(&wakes), 1, "the reader behind the writer is woken");
    assert!(poll(&mut reader, &waker).is_ready());
    drop(first);
}

#[test]
fn with_max_readers_bounds_the_readers() {
    let lock = RwLock::with_max_readers(5, 2);
    let a = lock.try_read().unwrap();
    let b = lock.try_read().unwrap();
    assert!(lock.try_read().is_err());
    drop(a);
    assert!(lock.try_read().is_ok());
    drop(b);
    let zero = RwLock::with_max_readers((), 0); // counts as 1
    let only = zero.try_read().unwrap();
    assert!(zero.try_read().is_err());
    drop(only);
    assert!(std::panic::catch_unwind(|| RwLock::with_max_readers((), u32::MAX)).is_err());
}

#[test]
fn into_inner_get_mut_default_and_debug() {
    let mut lock = RwLock::from(vec![1]);
    lock.get_mut().push(2);
    assert_eq!(
        format!("{lock:?}"),
        "RwLock { data: [1, 2], max_readers: 536870911 }"
    );
    let held = lock.try_write().unwrap();
    assert!(format!("{lock:?}").contains("<locked>"));
    drop(held);
    assert_eq!(lock.into_inner(), [1, 2]);
    static GLOBAL: RwLock<u8> = RwLock::const_new(3);
    assert_eq!(*GLOBAL.try_read().unwrap(), 3);
    assert_eq!(RwLock::<u8>::default().into_inner(), 0);
}

/// Threads with their own runtimes: writers bump two counters apart (with an await in
/// between), readers check they are never seen apart.
#[test]
#[cfg_attr(miri, ignore)]
fn threads_with_their_own_runtimes_share_one_rwlock() {
    const THREADS: usize = 4;
    const ROUNDS: usize = 300;
    with_watchdog(WATCHDOG, || {
        let lock = Arc::new(RwLock::new((0usize, 0usize)));
        let torn = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..THREADS)
            .map(|_| {
                let (lock, torn) = (lock.clone(), torn.clone());
                std::thread::spawn(move || {
                    corio::block_on(async move {
                        for _ in 0..ROUNDS {
                            let mut w = lock.write().await;
                            w.0 += 1;
                            corio::task::yield_now().await;
                            w.1 += 1;
                            drop(w);
                            let r = lock.read().await;
                            if r.0 != r.1 {
                                torn.fetch_add(1, Ordering::SeqCst);
                            }
                        }
                    })
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        assert_eq!(torn.load(Ordering::SeqCst), 0);
        let total = Arc::try_unwrap(lock).unwrap().into_inner();
        assert_eq!(total, (THREADS * ROUNDS, THREADS * ROUNDS));
    });
}
