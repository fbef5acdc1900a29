//! `Sleep`, `Timeout` and `Interval` are `Send`: moved to another corio thread and polled
//! there they complete at their deadline; moved or dropped away from the runtime that
//! armed their timer, that runtime cancels the timer at its next turn.

use std::future::{poll_fn, Future, Ready};
use std::pin::Pin;
use std::task::Poll;

use corio::time::{interval, sleep, timeout, Duration, Instant, Interval, Sleep, Timeout};
use corio::Runtime;

fn assert_send<T: Send>() {}
fn assert_sync<T: Sync>() {}

/// Timers armed now on this thread's runtime (0 outside one).
fn pending_timers() -> usize {
    corio::metrics::current().map_or(0, |m| m.timers_pending)
}

#[test]
fn timers_are_send() {
    assert_send::<Sleep>();
    assert_sync::<Sleep>();
    assert_send::<Interval>();
    assert_send::<Timeout<Ready<()>>>();
    assert_send::<Timeout<Sleep>>();
    assert_send::<Instant>();
}

/// Polls `fut` once with the task's waker.
async fn poll_once<F: Future + ?Sized>(mut fut: Pin<&mut F>) -> Poll<F::Output> {
    poll_fn(|cx| Poll::Ready(fut.as_mut().poll(cx))).await
}

/// Lets `rt` turn its reactor at least once (a short sleep completes only through turns),
/// then returns its pending timer count.
fn pending_after_a_turn(rt: &Runtime) -> usize {
    rt.block_on(async {
        sleep(Duration::from_millis(1)).await;
        pending_timers()
    })
}

/// A sleep armed on runtime A and moved to a thread running runtime B completes there
/// at its deadline; A cancels its stale timer at its next turn, long before the deadline.
#[test]
#[cfg_attr(miri, ignore)]
fn moved_to_another_runtime_completes_there() {
    let a = Runtime::new().unwrap();
    let mut sleep = Box::pin(sleep(Duration::from_millis(300)));
    let deadline = sleep.deadline();
    a.block_on(async {
        assert!(poll_once(sleep.as_mut()).await.is_pending());
        assert_eq!(pending_timers(), 1);
    });
    let (armed_tx, armed_rx) = std::sync::mpsc::channel();
    let b = std::thread::spawn(move || {
        Runtime::new().unwrap().block_on(async {
            assert!(poll_once(sleep.as_mut()).await.is_pending()); // re-armed on B
            armed_tx.send(()).unwrap();
            sleep.await;
            (Instant::now(), pending_timers())
        })
    });
    armed_rx.recv().unwrap();
    assert_eq!(pending_after_a_turn(&a), 0);
    assert!(
        Instant::now() < deadline,
        "the check above must run before the deadline"
    );
    let (finished, b_pending) = b.join().unwrap();
    assert!(finished >= deadline, "{finished:?} < {deadline:?}");
    assert!(finished < deadline + Duration::from_secs(5));
    assert_eq!(b_pending, 0);
}

/// Dropped on another runtime's thread before its deadline, a sleep's timer on A stays
/// until A's next turn, which cancels it.
#[test]
#[cfg_attr(miri, ignore)]
fn dropped_on_another_thread_is_cancelled_at_home() {
    let a = Runtime::new().unwrap();
    let mut sleep = Box::pin(sleep(Duration::from_secs(60)));
    a.block_on(async {
        assert!(poll_once(sleep.as_mut()).await.is_pending());
    });
    std::thread::spawn(move || {
        let b = Runtime::new().unwrap();
        b.block_on(async move { drop(sleep) });
    })
    .join()
    .unwrap();
    // Nothing has turned A's reactor yet: the entry is still there.
    assert_eq!(a.block_on(async { pending_timers() }), 1);
    assert_eq!(pending_after_a_turn(&a), 0);
}

/// Dropped on its own thread but outside its runtime (after `block_on` returned), the
/// cancellation also goes through the inbox.
#[test]
#[cfg_attr(miri, ignore)]
fn dropped_outside_its_runtime_is_cancelled_at_its_next_turn() {
    let a = Runtime::new().unwrap();
    let mut timed = Box::pin(timeout(
        Duration::from_secs(60),
        std::future::pending::<()>(),
    ));
    a.block_on(async {
        assert!(poll_once(timed.as_mut()).await.is_pending());
    });
    drop(timed);
    assert_eq!(pending_after_a_turn(&a), 0);
}

/// A sleep moved to a `corio::workers` worker completes there.
#[test]
#[cfg_attr(miri, ignore)]
fn moved_to_a_worker_completes_there() {
    let a = Runtime::new().unwrap();
    let mut sleep = Box::pin(sleep(Duration::from_millis(20)));
    let deadline = sleep.deadline();
    a.block_on(async {
        assert!(poll_once(sleep.as_mut()).await.is_pending());
    });
    let workers = Runtime::builder().workers(1).build_workers().unwrap();
    let handle = workers
        .spawn_on(0, async move {
            sleep.await;
            Instant::now()
        })
        .unwrap();
    let finished = handle.join().unwrap();
    workers.shutdown();
    assert!(finished >= deadline);
    assert_eq!(pending_after_a_turn(&a), 0);
}

/// An interval moved between runtimes keeps its schedule, and its timer moves with it.
#[test]
#[cfg_attr(miri, ignore)]
fn an_interval_moved_between_threads_keeps_ticking() {
    const PERIOD: Duration = Duration::from_millis(150);
    let a = Runtime::new().unwrap();
    let mut every = interval(PERIOD);
    let first = a.block_on(async {
        let first = every.tick().await;
        // The second tick arms a timer on A before the interval leaves.
        assert!(poll_once(std::pin::pin!(every.tick())).await.is_pending());
        assert_eq!(pending_timers(), 1);
        first
    });
    let (armed_tx, armed_rx) = std::sync::mpsc::channel();
    let b = std::thread::spawn(move || {
        Runtime::new().unwrap().block_on(async {
            assert!(poll_once(std::pin::pin!(every.tick())).await.is_pending());
            armed_tx.send(()).unwrap();
            let second = every.tick().await;
            let third = every.tick().await;
            (second, third)
        })
    });
    armed_rx.recv().unwrap();
    assert_eq!(pending_after_a_turn(&a), 0);
    assert!(
        Instant::now() < first + PERIOD,
        "the check above must run before the tick"
    );
    let (second, third) = b.join().unwrap();
    assert_eq!(second, first + PERIOD);
    assert_eq!(third, first + PERIOD * 2);
}

/// `reset` on another thread than the timer's moves the deadline there: the next poll
/// arms the new deadline on that thread, and the first runtime cancels the old timer.
#[test]
#[cfg_attr(miri, ignore)]
fn reset_on_another_thread_takes_effect_there() {
    let a = Runtime::new().unwrap();
    let mut sleep = Box::pin(sleep(Duration::from_secs(60)));
    a.block_on(async {
        assert!(poll_once(sleep.as_mut()).await.is_pending());
    });
    let (reset_tx, reset_rx) = std::sync::mpsc::channel();
    let b = std::thread::spawn(move || {
        Runtime::new().unwrap().block_on(async {
            let deadline = Instant::now() + Duration::from_millis(200);
            sleep.as_mut().reset(deadline);
            assert!(poll_once(sleep.as_mut()).await.is_pending());
            reset_tx.send(()).unwrap();
            sleep.await;
            (deadline, Instant::now())
        })
    });
    reset_rx.recv().unwrap();
    assert_eq!(pending_after_a_turn(&a), 0);
    let (deadline, finished) = b.join().unwrap();
    assert!(finished >= deadline);
    assert!(finished < deadline + Duration::from_secs(5));
}
