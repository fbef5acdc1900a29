//! tokio-compatible odds and ends of `corio::sync` and `corio::time`: guards that display
//! as their value, `oneshot::Sender::closed` / `Receiver::close` / `blocking_recv`,
//! `mpsc` `recv_many`, and the `time::error::Elapsed` path.

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use corio::sync::oneshot::{self, TryRecvError};
use corio::sync::{mpsc, Mutex, RwLock, RwLockWriteGuard};

/// Counts the wakes it gets.
struct Counter(AtomicUsize);

impl Wake for Counter {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn counting_waker() -> (Arc<Counter>, Waker) {
    let counter = Arc::new(Counter(AtomicUsize::new(0)));
    (counter.clone(), Waker::from(counter))
}

fn wakes(counter: &Counter) -> usize {
    counter.0.load(Ordering::SeqCst)
}

#[test]
fn every_guard_displays_and_debugs_as_its_value_with_the_format_spec() {
    corio::block_on(async {
        let mutex = Arc::new(Mutex::new(42));
        {
            let guard = mutex.lock().await;
            assert_eq!(format!("[{guard:>4}] {guard:?}"), "[  42] 42");
        }
        let owned = mutex.clone().lock_owned().await;
        assert_eq!(format!("[{owned:<4}] {owned:?}"), "[42  ] 42");
        drop(owned);

        let lock = RwLock::new(String::from("cfg"));
        {
            let read = lock.read().await;
            assert_eq!(format!("{read} {read:?}"), "cfg \"cfg\"");
        }
        let write = lock.write().await;
        assert_eq!(format!("{write:^5}|{write:?}"), " cfg |\"cfg\"");
        let mapped = RwLockWriteGuard::map(write, |s| s.as_mut_str());
        assert_eq!(format!("{mapped:.2}|{mapped:?}"), "cf|\"cfg\"");
    });
}

#[test]
fn sender_poll_closed_is_woken_once_by_the_receiver_drop() {
    let (mut tx, rx) = oneshot::channel::<u8>();
    let (counter, waker) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    assert!(!tx.is_closed());
    assert_eq!(tx.poll_closed(&mut cx), Poll::Pending);
    assert_eq!(wakes(&counter), 0);
    drop(rx);
    assert_eq!(wakes(&counter), 1);
    assert!(tx.is_closed());
    assert_eq!(tx.poll_closed(&mut cx), Poll::Ready(()));
    assert_eq!(tx.send(3), Err(3));
}

#[test]
fn receiver_close_wakes_the_sender_and_refuses_later_sends() {
    let (mut tx, mut rx) = oneshot::channel::<u8>();
    let (counter, waker) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    assert_eq!(tx.poll_closed(&mut cx), Poll::Pending);
    rx.close();
    assert_eq!(wakes(&counter), 1);
    assert!(tx.is_closed());
    assert_eq!(tx.poll_closed(&mut cx), Poll::Ready(()));
    assert_eq!(tx.send(9), Err(9));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    assert!(corio::block_on(rx).is_err());
}

#[test]
fn a_value_sent_before_close_is_still_received() {
    let (tx, mut rx) = oneshot::channel();
    tx.send(5u8).unwrap();
    rx.close();
    assert_eq!(rx.try_recv(), Ok(5));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
}

#[test]
fn a_closed_receiver_without_a_value_fails_at_once_while_the_sender_lives() {
    let (tx, mut rx) = oneshot::channel::<u8>();
    rx.close();
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    let got = corio::block_on(rx);
    assert!(got.is_err());
    drop(tx);
}

#[test]
#[cfg_attr(miri, ignore)]
fn closed_completes_in_a_task_when_another_thread_drops_the_receiver() {
    let (mut tx, rx) = oneshot::channel::<u8>();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let dropper = std::thread::spawn(move || {
        ready_rx.recv().unwrap(); // the task has polled closed() once
        drop(rx);
    });
    corio::block_on(async {
        let mut closed = pin!(tx.closed());
        let first = std::future::poll_fn(|cx| Poll::Ready(closed.as_mut().poll(cx))).await;
        assert!(first.is_pending());
        ready_tx.send(()).unwrap();
        closed.await;
    });
    dropper.join().unwrap();
    assert!(tx.is_closed());
}

#[test]
#[cfg_attr(miri, ignore)]
fn blocking_recv_waits_for_a_value_from_a_task() {
    let (tx, rx) = oneshot::channel();
    let waiter = std::thread::spawn(move || rx.blocking_recv());
    corio::block_on(async move {
        corio::time::sleep(Duration::from_millis(10)).await;
        tx.send(String::from("from a task")).unwrap();
    });
    assert_eq!(waiter.join().unwrap().as_deref(), Ok("from a task"));
}

#[test]
#[cfg_attr(miri, ignore)]
fn blocking_recv_fails_when_the_sender_is_dropped() {
    let (tx, rx) = oneshot::channel::<u8>();
    let waiter = std::thread::spawn(move || rx.blocking_recv());
    drop(tx);
    let err = waiter.join().unwrap().unwrap_err();
    assert_eq!(
        err.to_string(),
        "the sender was dropped without sending a value"
    );
}

#[test]
#[should_panic(expected = "was called on a runtime thread; await the future instead")]
fn blocking_recv_on_a_runtime_thread_panics() {
    let (tx, rx) = oneshot::channel::<u8>();
    tx.send(1).unwrap();
    corio::block_on(async move {
        let _ = rx.blocking_recv();
    });
}

#[test]
fn recv_many_takes_what_is_queued_up_to_the_limit_and_appends() {
    corio::block_on(async {
        let (tx, mut rx) = mpsc::channel(8);
        for i in 0..5u32 {
            tx.send(i).await.unwrap();
        }
        assert_eq!(tx.capacity(), 3);
        let mut buffer = vec![100];
        assert_eq!(rx.recv_many(&mut buffer, 3).await, 3);
        assert_eq!(buffer, [100, 0, 1, 2]);
        assert_eq!(
            tx.capacity(),
            6,
            "slots of taken messages go back to senders"
        );
        // Bounded by a timeout so that a wait (the bug this checks for) fails, not hangs.
        let none = corio::time::timeout(Duration::from_secs(5), rx.recv_many(&mut buffer, 0));
        assert_eq!(none.await, Ok(0), "limit 0 returns at once");
        assert_eq!(rx.len(), 2, "limit 0 takes nothing");
        assert_eq!(rx.recv_many(&mut buffer, 10).await, 2);
        assert_eq!(buffer, [100, 0, 1, 2, 3, 4]);
        assert_eq!(tx.capacity(), 8);
        tx.send(5).await.unwrap();
        drop(tx);
        assert_eq!(rx.recv_many(&mut buffer, 10).await, 1);
        assert_eq!(rx.recv_many(&mut buffer, 10).await, 0, "closed and empty");
        assert_eq!(buffer, [100, 0, 1, 2, 3, 4, 5]);
    });
}

#[test]
fn recv_many_waits_for_the_first_message_only() {
    corio::block_on(async {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let producer = corio::spawn(async move {
            tx.send('a').unwrap();
            tx.send('b').unwrap();
            corio::task::yield_now().await;
            tx.send('c').unwrap();
        });
        let mut buffer = Vec::new();
        assert_eq!(rx.recv_many(&mut buffer, 10).await, 2);
        assert_eq!(buffer, ['a', 'b']);
        assert_eq!(rx.recv_many(&mut buffer, 10).await, 1);
        assert_eq!(rx.recv_many(&mut buffer, 10).await, 0);
        assert_eq!(buffer, ['a', 'b', 'c']);
        producer.await.unwrap();
    });
}

#[test]
fn recv_many_after_close_drains_then_returns_zero() {
    corio::block_on(async {
        let (tx, mut rx) = mpsc::unbounded_channel();
        tx.send(1u8).unwrap();
        tx.send(2).unwrap();
        rx.close();
        assert!(tx.send(3).is_err());
        let mut buffer = Vec::new();
        assert_eq!(rx.recv_many(&mut buffer, 1).await, 1);
        assert_eq!(rx.recv_many(&mut buffer, 1).await, 1);
        assert_eq!(rx.recv_many(&mut buffer, 1).await, 0);
        assert_eq!(buffer, [1, 2]);
    });
}

#[test]
fn a_cancelled_recv_many_loses_nothing_and_leaves_no_waker() {
    let (tx, mut rx) = mpsc::channel(4);
    let (counter, waker) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    let mut buffer = Vec::new();
    {
        let mut many = pin!(rx.recv_many(&mut buffer, 4));
        assert_eq!(many.as_mut().poll(&mut cx), Poll::Pending);
    }
    tx.try_send(7u8).unwrap();
    assert_eq!(wakes(&counter), 0, "the dropped future's waker was kept");
    assert!(buffer.is_empty());
    assert_eq!(rx.poll_recv_many(&mut cx, &mut buffer, 4), Poll::Ready(1));
    assert_eq!(buffer, [7]);
    assert_eq!(rx.poll_recv_many(&mut cx, &mut buffer, 0), Poll::Ready(0));
}

#[test]
fn timeout_errors_are_at_tokios_path() {
    let err: corio::time::error::Elapsed = corio::block_on(corio::time::timeout(
        Duration::from_millis(1),
        std::future::pending::<()>(),
    ))
    .unwrap_err();
    let _same_type: corio::time::Elapsed = err;
}
