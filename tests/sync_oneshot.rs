//! `corio::sync::oneshot`: delivery across threads, close from either side, no value lost.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use corio::sync::oneshot::{self, TryRecvError};

#[test]
fn a_value_sent_from_another_thread_wakes_the_parked_task() {
    let got = corio::block_on(async {
        let (tx, rx) = oneshot::channel();
        let sender = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20)); // let the task park first
            tx.send(vec![1, 2, 3]).unwrap();
        });
        let got = rx.await;
        sender.join().unwrap();
        got
    });
    assert_eq!(got, Ok(vec![1, 2, 3]));
}

#[test]
fn dropping_the_sender_is_a_recv_error_not_a_hang() {
    corio::block_on(async {
        let (tx, rx) = oneshot::channel::<u8>();
        std::thread::spawn(move || drop(tx));
        let err = rx.await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "the sender was dropped without sending a value"
        );
    });
}

#[test]
fn sending_to_a_dropped_receiver_hands_the_value_back() {
    let (tx, rx) = oneshot::channel();
    assert!(!tx.is_closed());
    drop(rx);
    assert!(tx.is_closed());
    assert_eq!(tx.send("kept"), Err("kept"));
}

#[test]
fn try_recv_reports_empty_then_the_value_then_closed() {
    let (tx, mut rx) = oneshot::channel();
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    tx.send(5).unwrap();
    assert_eq!(rx.try_recv(), Ok(5));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
}

#[test]
fn a_value_nobody_receives_is_dropped_exactly_once() {
    struct Counted(Arc<AtomicUsize>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = oneshot::channel();
    tx.send(Counted(drops.clone())).map_err(|_| ()).unwrap();
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    drop(rx);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn a_cancelled_receive_leaves_nothing_behind() {
    // A receive cancelled by a timeout drops its waker; a later send still succeeds
    // into the (now idle) channel and the receiver can still take it.
    corio::block_on(async {
        let (tx, mut rx) = oneshot::channel();
        let timed_out = corio::time::timeout(Duration::from_millis(10), &mut rx).await;
        assert!(timed_out.is_err());
        tx.send(1u8).unwrap();
        assert_eq!(rx.await, Ok(1));
    });
}
