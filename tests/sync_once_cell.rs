//! `corio::sync::OnceCell`: ten concurrent `get_or_init` run one initialiser, a cancelled
//! or failed initialiser lets the next caller initialise, `set`'s two errors, the
//! constructors and accessors, and threads with their own runtimes racing to initialise.

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
use common_exec::{with_watchdog, yield_until, Signal};
use corio::sync::{OnceCell, SetError};
use util::within;

const WATCHDOG: Duration = Duration::from_secs(20);
const LIMIT: Duration = Duration::from_secs(10);

type Init<'a> = Pin<Box<dyn Future<Output = &'a u32> + 'a>>;

#[test]
fn the_cell_and_its_futures_are_send_and_sync() {
    assert_send::<OnceCell<String>>();
    assert_sync::<OnceCell<String>>();
    let cell = OnceCell::<u32>::new();
    assert_send_val(&cell.get_or_init(|| async { 1 }));
    assert_send_val(&cell.get_or_try_init(|| async { Ok::<u32, ()>(1) }));
}

#[test]
fn ten_concurrent_get_or_init_run_the_initialiser_once() {
    corio::block_on(async {
        let cell = Rc::new(OnceCell::new());
        let inits = Rc::new(Cell::new(0));
        let tasks: Vec<_> = (0..10)
            .map(|i| {
                let (cell, inits) = (cell.clone(), inits.clone());
                corio::spawn(async move {
                    let value = cell
                        .get_or_init(|| async move {
                            inits.set(inits.get() + 1);
                            for _ in 0..5 {
                                corio::task::yield_now().await; // the others queue meanwhile
                            }
                            100 + i
                        })
                        .await;
                    *value
                })
            })
            .collect();
        let mut values = Vec::new();
        for task in tasks {
            values.push(within(LIMIT, "get_or_init", task).await.unwrap());
        }
        assert_eq!(inits.get(), 1);
        assert_eq!(values, [100; 10], "the first task's initialiser won");
        assert_eq!(cell.get(), Some(&100));
    });
}

/// The initialising future is dropped half-way: a caller already waiting runs its own
/// initialiser, and the dropped one's never completes.
#[test]
fn a_cancelled_initialiser_lets_the_next_caller_initialise() {
    let cell = OnceCell::new();
    let gate = Signal::new();
    let (waker, _) = counting_waker();
    let mut first: Init<'_> = Box::pin(cell.get_or_init(|| async {
        gate.wait().await; // never set: this initialiser stalls
        1
    }));
    assert!(poll(&mut first, &waker).is_pending());
    assert!(!cell.initialized());
    let (second_waker, second_wakes) = counting_waker();
    let mut second: Init<'_> = Box::pin(cell.get_or_init(|| async { 2 }));
    assert!(
        poll(&mut second, &second_waker).is_pending(),
        "waits for the first"
    );
    assert_eq!(cell.set(9), Err(SetError::InitializingError(9)));
    drop(first);
    assert_eq!(n(&second_wakes), 1, "the cancellation hands the turn on");
    assert_eq!(poll(&mut second, &second_waker), Poll::Ready(&2));
    drop(second);
    assert_eq!(cell.get(), Some(&2));
    assert_eq!(cell.set(3), Err(SetError::AlreadyInitializedError(3)));
}

#[test]
fn a_failed_initialiser_leaves_the_cell_empty_for_the_next() {
    corio::block_on(async {
        let cell = OnceCell::new();
        let err = cell
            .get_or_try_init(|| async { Err::<u32, &str>("no") })
            .await;
        assert_eq!(err, Err("no"));
        assert!(!cell.initialized());
        let retry = cell.get_or_try_init(|| async { Ok::<u32, &str>(5) });
        assert_eq!(within(LIMIT, "the next initialiser", retry).await, Ok(&5));
        let again = cell
            .get_or_try_init(|| async { Err::<u32, &str>("unused") })
            .await;
        assert_eq!(again, Ok(&5), "set: the initialiser does not run");
    });
}

#[test]
fn waiters_queued_behind_a_successful_initialiser_read_its_value() {
    corio::block_on(async {
        let cell = Rc::new(OnceCell::new());
        let started = Rc::new(Cell::new(false));
        let gate = Signal::new();
        let first = corio::spawn({
            let (cell, started, gate) = (cell.clone(), started.clone(), gate.clone());
            async move {
                *cell
                    .get_or_init(|| async move {
                        started.set(true);
                        gate.wait().await;
                        7
                    })
                    .await
            }
        });
        assert!(yield_until(|| started.get(), 10).await);
        let waiters: Vec<_> = (0..3)
            .map(|_| {
                let cell = cell.clone();
                corio::spawn(async move { *cell.get_or_init(|| async { 0 }).await })
            })
            .collect();
        corio::task::yield_now().await; // the waiters queue
        gate.set();
        assert_eq!(within(LIMIT, "first", first).await.unwrap(), 7);
        for waiter in waiters {
            assert_eq!(within(LIMIT, "waiter", waiter).await.unwrap(), 7);
        }
    });
}

#[test]
fn set_constructors_and_accessors() {
    let cell = OnceCell::new();
    assert_eq!(cell.get(), None);
    assert_eq!(cell.set(String::from("a")), Ok(()));
    let err = cell.set(String::from("b")).unwrap_err();
    assert!(err.is_already_init_err() && !err.is_initializing_err());
    assert_eq!(err.to_string(), "the cell is already set");
    assert_eq!(err.into_inner(), "b");
    let mut cell = cell;
    cell.get_mut().unwrap().push('!');
    assert_eq!(cell.clone().into_inner().as_deref(), Some("a!"));
    assert_eq!(cell.take().as_deref(), Some("a!"));
    assert!(!cell.initialized());
    assert_eq!(
        cell.set(String::from("c")),
        Ok(()),
        "take leaves it ready for a new value"
    );
    assert_eq!(format!("{cell:?}"), "OnceCell { value: Some(\"c\") }");

    assert_eq!(OnceCell::new_with(Some(4)).get(), Some(&4));
    assert_eq!(OnceCell::<u8>::new_with(None).get(), None);
    assert_eq!(OnceCell::from(6), OnceCell::new_with(Some(6)));
    static GLOBAL: OnceCell<u8> = OnceCell::const_new();
    assert_eq!(GLOBAL.set(1), Ok(()));
    assert_eq!(GLOBAL.get(), Some(&1));
}

#[test]
#[cfg_attr(miri, ignore)]
fn threads_with_their_own_runtimes_race_to_initialise() {
    const THREADS: usize = 8;
    with_watchdog(WATCHDOG, || {
        let cell = Arc::new(OnceCell::new());
        let inits = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..THREADS)
            .map(|i| {
                let (cell, inits) = (cell.clone(), inits.clone());
                std::thread::spawn(move || {
                    corio::block_on(async move {
                        *cell
                            .get_or_init(|| async move {
                                inits.fetch_add(1, Ordering::SeqCst);
                                corio::task::yield_now().await;
                                i
                            })
                            .await
                    })
                })
            })
            .collect();
        let values: Vec<usize> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        assert_eq!(inits.load(Ordering::SeqCst), 1);
        let winner = *cell.get().unwrap();
        assert_eq!(values, [winner; THREADS]);
    });
}
