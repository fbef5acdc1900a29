//! `corio::sync::mpsc`: FIFO order, bounded back-pressure with senders served in order,
//! close and drop from either side (never a lost or doubled message), cancellation of a
//! waiting `send`/`recv`, producers on plain threads, and the cooperative budget.

mod common_exec;
mod util;

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::AtomicUsize;
use std::sync::{mpsc as std_mpsc, Arc};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use common_exec::{
    assert_send, assert_send_val, assert_sync, counting_waker, n, with_watchdog, DropCounter,
    DropGuard,
};
use corio::sync::mpsc::{
    self, Receiver, SendError, Sender, TryRecvError, TrySendError, UnboundedReceiver,
    UnboundedSender,
};
use util::within;

const WATCHDOG: Duration = Duration::from_secs(30);
const LIMIT: Duration = Duration::from_secs(10);

fn poll<F: Future + ?Sized>(future: Pin<&mut F>, waker: &Waker) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(waker))
}

type SendFut<'a, T> = Pin<Box<dyn Future<Output = Result<(), SendError<T>>> + 'a>>;

/// `tx.send(value)`, polled once (must wait) with its own counting waker.
fn waiting_send<T: 'static>(tx: &Sender<T>, value: T) -> (SendFut<'_, T>, Waker, Arc<AtomicUsize>) {
    let mut fut: SendFut<'_, T> = Box::pin(tx.send(value));
    let (waker, count) = counting_waker();
    assert!(poll(fut.as_mut(), &waker).is_pending(), "send should wait");
    (fut, waker, count)
}

#[test]
fn channel_ends_and_their_futures_are_send_and_sync_when_t_is_send() {
    assert_send::<Sender<String>>();
    assert_sync::<Sender<String>>();
    assert_send::<Receiver<String>>();
    assert_sync::<Receiver<String>>();
    assert_send::<UnboundedSender<String>>();
    assert_sync::<UnboundedSender<String>>();
    assert_send::<UnboundedReceiver<String>>();
    let (tx, mut rx) = mpsc::channel::<String>(1);
    assert_send_val(&tx.send(String::new()));
    assert_send_val(&rx.recv());
    let (utx, mut urx) = mpsc::unbounded_channel::<String>();
    assert_send_val(&urx.recv());
    drop(utx);
    // (No negative check: a channel of `Rc` is simply not Send, and needs not be, since
    // both ends of it may live on one runtime thread.)
}

#[test]
fn messages_arrive_in_send_order_per_sender_and_overall() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let senders: Vec<_> = (0..3).map(|_| tx.clone()).collect();
    drop(tx);
    let mut sent = Vec::new();
    // Unbounded: 10 000 sends with nobody receiving, none of them waits.
    for seq in 0..10_000 {
        let from = (seq * 7) % 3;
        senders[from].send((from, seq)).unwrap();
        sent.push((from, seq));
    }
    drop(senders);
    assert_eq!(rx.len(), 10_000);
    let got: Vec<_> = std::iter::from_fn(|| rx.try_recv().ok()).collect();
    assert_eq!(got, sent);
    assert!(rx.is_empty());
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
}

#[test]
fn a_full_bounded_channel_makes_send_wait_until_recv_frees_a_slot() {
    let (tx, mut rx) = mpsc::channel(3);
    assert_eq!((tx.capacity(), tx.max_capacity()), (3, 3));
    for i in 0..3 {
        tx.try_send(i).unwrap();
        assert_eq!(tx.capacity(), 2 - i);
    }
    assert!(matches!(tx.try_send(3), Err(TrySendError::Full(3))));
    assert_eq!(rx.len(), 3);
    let (mut send, waker, count) = waiting_send(&tx, 99);
    assert!(poll(send.as_mut(), &waker).is_pending());
    assert_eq!(n(&count), 0);
    assert_eq!(rx.try_recv(), Ok(0));
    assert_eq!(n(&count), 1, "the freed slot woke the sender");
    assert_eq!(tx.capacity(), 0, "and is reserved for it");
    assert!(matches!(tx.try_send(7), Err(TrySendError::Full(7))));
    assert!(matches!(poll(send.as_mut(), &waker), Poll::Ready(Ok(()))));
    drop(send);
    let got: Vec<_> = std::iter::from_fn(|| rx.try_recv().ok()).collect();
    assert_eq!(got, [1, 2, 99]);
    assert_eq!(tx.capacity(), 3);
}

#[test]
fn waiting_senders_are_served_in_the_order_they_started_waiting() {
    let (tx, mut rx) = mpsc::channel(1);
    let (tx2, tx3) = (tx.clone(), tx.clone());
    tx.try_send("first").unwrap();
    let mut waiting = [
        waiting_send(&tx2, "a"),
        waiting_send(&tx3, "b"),
        waiting_send(&tx, "c"),
    ];
    let mut got = Vec::new();
    for step in 0..3 {
        got.push(rx.try_recv().unwrap());
        let woke: Vec<usize> = waiting.iter().map(|(_, _, c)| n(c)).collect();
        let expected: Vec<usize> = (0..3).map(|i| usize::from(i <= step)).collect();
        assert_eq!(woke, expected, "step {step}");
        let (fut, waker, _) = &mut waiting[step];
        assert!(matches!(poll(fut.as_mut(), waker), Poll::Ready(Ok(()))));
    }
    got.push(rx.try_recv().unwrap());
    assert_eq!(got, ["first", "a", "b", "c"]);
}

#[test]
fn when_every_sender_is_gone_the_receiver_drains_then_gets_none() {
    let (tx, mut rx) = mpsc::channel(4);
    let tx2 = tx.clone();
    assert!(tx.same_channel(&tx2));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    tx.try_send(1).unwrap();
    tx2.try_send(2).unwrap();
    drop((tx, tx2));
    assert_eq!(rx.try_recv(), Ok(1), "queued messages outlive the senders");
    assert_eq!(corio::block_on(rx.recv()), Some(2));
    assert_eq!(corio::block_on(rx.recv()), None);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));

    // A parked receiver is woken by the last sender leaving, and only by the last.
    let (waker, count) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    let (utx, mut urx) = mpsc::unbounded_channel::<u8>();
    let utx2 = utx.clone();
    assert_eq!(urx.poll_recv(&mut cx), Poll::Pending);
    drop(utx);
    assert_eq!(n(&count), 0);
    drop(utx2);
    assert_eq!(n(&count), 1);
    assert_eq!(urx.poll_recv(&mut cx), Poll::Ready(None));
    assert_eq!(urx.try_recv(), Err(TryRecvError::Disconnected));
}

#[test]
fn dropping_the_receiver_fails_every_send_and_hands_back_the_very_same_value() {
    let (tx, rx) = mpsc::channel::<Box<u32>>(1);
    let (utx, urx) = mpsc::unbounded_channel::<Box<u32>>();
    tx.try_send(Box::new(0)).unwrap();
    let mut waiting = [
        waiting_send(&tx, Box::new(1)),
        waiting_send(&tx, Box::new(2)),
    ];
    assert!(!tx.is_closed() && !utx.is_closed());
    drop((rx, urx));
    assert!(tx.is_closed() && utx.is_closed());
    for (i, (fut, waker, count)) in waiting.iter_mut().enumerate() {
        assert_eq!(n(count), 1, "waiting sender {i} woken once");
        match poll(fut.as_mut(), waker) {
            Poll::Ready(Err(SendError(v))) => assert_eq!(*v as usize, i + 1),
            other => panic!("sender {i}: got {:?}", other.map(|r| r.is_ok())),
        }
    }
    let value = Box::new(7);
    let addr: *const u32 = &*value;
    let SendError(back) = corio::block_on(tx.send(value)).unwrap_err();
    assert!(std::ptr::eq(&*back, addr), "the same allocation came back");
    let Err(TrySendError::Closed(back)) = tx.try_send(back) else {
        panic!("not Closed")
    };
    let SendError(back) = utx.send(back).unwrap_err();
    assert!(std::ptr::eq(&*back, addr));
    let msg = SendError(()).to_string();
    assert_eq!(msg, "the channel's receiver is closed");
}

#[test]
fn close_refuses_new_messages_but_lets_the_receiver_drain_the_queued_ones() {
    let (tx, mut rx) = mpsc::channel(2);
    tx.try_send(1).unwrap();
    tx.try_send(2).unwrap();
    let (mut blocked, waker, count) = waiting_send(&tx, 3);
    rx.close();
    assert!(tx.is_closed());
    assert_eq!(n(&count), 1, "the waiting sender is told at once");
    let refused = poll(blocked.as_mut(), &waker);
    assert!(matches!(refused, Poll::Ready(Err(SendError(3)))));
    assert!(matches!(tx.try_send(4), Err(TrySendError::Closed(4))));
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(corio::block_on(rx.recv()), Some(2));
    let still_closed = tx.try_send(5);
    assert!(matches!(still_closed, Err(TrySendError::Closed(5))));
    assert_eq!(corio::block_on(rx.recv()), None);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));

    let (utx, mut urx) = mpsc::unbounded_channel();
    utx.send('a').unwrap();
    urx.close();
    assert_eq!(utx.send('b'), Err(SendError('b')));
    assert_eq!(urx.try_recv(), Ok('a'));
    assert_eq!(urx.try_recv(), Err(TryRecvError::Disconnected));

    // A sender handed the freed slot just before close gets its value back, and the
    // slot it no longer needs is returned.
    let (tx, mut rx) = mpsc::channel(1);
    tx.try_send(1).unwrap();
    let (mut late, waker, count) = waiting_send(&tx, 2);
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!((n(&count), tx.capacity()), (1, 0));
    rx.close();
    let refused = poll(late.as_mut(), &waker);
    assert!(matches!(refused, Poll::Ready(Err(SendError(2)))));
    assert_eq!(
        tx.capacity(),
        tx.max_capacity(),
        "the unused slot came back"
    );
}

/// Dropping a pending `recv()` takes its waker out of the channel, as the broadcast,
/// semaphore and notify futures do: the next send must not wake a task that no longer
/// waits (regression: the receive future used to be a plain `poll_fn`).
#[test]
fn a_cancelled_recv_leaves_no_waker_behind() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let (waker, count) = counting_waker();
    let mut fut = Box::pin(rx.recv());
    assert_eq!(poll(fut.as_mut(), &waker), Poll::Pending);
    drop(fut);
    tx.send(1).unwrap();
    assert_eq!(n(&count), 0, "the cancelled receive was woken");
    assert_eq!(rx.try_recv(), Ok(1));
}

#[test]
fn every_message_is_dropped_exactly_once_whichever_way_it_goes() {
    let drops = DropCounter::new();
    let (tx, mut rx) = mpsc::channel::<DropGuard>(8);
    for _ in 0..5 {
        tx.try_send(drops.guard()).unwrap();
    }
    assert_eq!(drops.count(), 0, "queued messages are kept");
    drop(rx.try_recv().unwrap()); // received: dropped by whoever holds it
    assert_eq!(drops.count(), 1);
    drop(rx); // the receiver leaves: the 4 still queued go with it
    assert_eq!(drops.count(), 5);
    let back = tx.try_send(drops.guard()).unwrap_err().into_inner();
    assert_eq!(
        drops.count(),
        5,
        "a refused message is handed back, not dropped"
    );
    drop(back);
    drop(tx);
    assert_eq!(drops.count(), 6);

    // Senders gone first: the queue lives on with the receiver, then goes with it.
    let (utx, urx) = mpsc::unbounded_channel::<DropGuard>();
    for _ in 0..3 {
        utx.send(drops.guard()).unwrap();
    }
    drop(utx);
    assert_eq!(drops.count(), 6);
    drop(urx);
    assert_eq!(drops.count(), 9);
}

/// A message whose `Drop` uses the channel it was queued in.
struct Probe {
    tx: mpsc::UnboundedSender<Probe>,
    _counted: DropGuard,
}

impl Drop for Probe {
    fn drop(&mut self) {
        assert!(self.tx.is_closed()); // takes the channel's lock
    }
}

#[test]
fn queued_messages_are_dropped_outside_the_channel_lock() {
    let drops = DropCounter::new();
    let got = drops.clone();
    with_watchdog(WATCHDOG, move || {
        let (tx, rx) = mpsc::unbounded_channel();
        for _ in 0..3 {
            let probe = Probe {
                tx: tx.clone(),
                _counted: drops.guard(),
            };
            tx.send(probe).unwrap();
        }
        drop(rx); // deadlocks if the queue is dropped under the lock
    });
    assert_eq!(got.count(), 3);
}

#[test]
fn a_cancelled_waiting_send_gives_up_its_place_and_its_slot() {
    let drops = DropCounter::new();
    let (tx, mut rx) = mpsc::channel::<(u8, DropGuard)>(1);
    tx.try_send((0, drops.guard())).unwrap();
    let (a, _wa, ca) = waiting_send(&tx, (1, drops.guard()));
    let (mut b, wb, cb) = waiting_send(&tx, (2, drops.guard()));
    drop(a); // cancelled while queued: its value is dropped, nothing is sent
    assert_eq!(drops.count(), 1);
    assert_eq!(rx.try_recv().unwrap().0, 0);
    assert_eq!((n(&ca), n(&cb)), (0, 1), "the slot went to b");
    assert_eq!(tx.capacity(), 0);
    assert!(matches!(poll(b.as_mut(), &wb), Poll::Ready(Ok(()))));
    assert_eq!(rx.try_recv().unwrap().0, 2);
    assert_eq!(tx.capacity(), 1);

    // Handed the slot, then cancelled before its next poll: the slot comes back.
    tx.try_send((3, drops.guard())).unwrap();
    let (c, _wc, cc) = waiting_send(&tx, (4, drops.guard()));
    assert_eq!(rx.try_recv().unwrap().0, 3);
    assert_eq!((n(&cc), tx.capacity()), (1, 0));
    drop(c);
    assert_eq!(tx.capacity(), 1, "the reserved slot is free again");
    assert_eq!(
        rx.try_recv().unwrap_err(),
        TryRecvError::Empty,
        "nothing sent"
    );
    tx.try_send((5, drops.guard())).unwrap();
    assert_eq!(rx.try_recv().unwrap().0, 5);
    drop(b);
    drop((tx, rx));
    assert_eq!(drops.count(), 6, "every value dropped exactly once");
}

#[test]
fn a_cancelled_recv_loses_no_message() {
    let (tx, mut rx) = mpsc::channel(2);
    let (waker, _) = counting_waker();
    let mut first = Box::pin(rx.recv());
    assert_eq!(poll(first.as_mut(), &waker), Poll::Pending);
    drop(first);
    tx.try_send(10).unwrap();
    tx.try_send(11).unwrap();
    assert_eq!(rx.try_recv(), Ok(10));
    corio::block_on(async {
        let res = corio::time::timeout(Duration::from_millis(5), rx.recv()).await;
        assert_eq!(res, Ok(Some(11)));
        let res = corio::time::timeout(Duration::from_millis(5), rx.recv()).await;
        assert!(res.is_err(), "nothing queued: the recv times out");
        tx.send(12).await.unwrap();
        let got = within(LIMIT, "recv after cancel", rx.recv()).await;
        assert_eq!(got, Some(12));
    });
}

/// `PRODUCERS` plain threads each send `EACH` `(producer, seq)` pairs (with
/// `blocking_send` on a bounded channel, or the unbounded `send`) to a task on a runtime.
fn producers_to_a_task(bounded: bool) -> Vec<(usize, usize)> {
    with_watchdog(WATCHDOG, move || {
        let (btx, mut brx) = mpsc::channel(8);
        let (utx, mut urx) = mpsc::unbounded_channel();
        let threads: Vec<_> = (0..PRODUCERS)
            .map(|p| {
                let (btx, utx) = (btx.clone(), utx.clone());
                std::thread::spawn(move || {
                    for seq in 0..EACH {
                        if bounded {
                            btx.blocking_send((p, seq)).unwrap();
                        } else {
                            utx.send((p, seq)).unwrap();
                        }
                    }
                })
            })
            .collect();
        drop((btx, utx));
        let consumer = async move {
            let mut got = Vec::new();
            loop {
                let next = if bounded {
                    brx.recv().await
                } else {
                    urx.recv().await
                };
                let Some(m) = next else { return got };
                got.push(m);
            }
        };
        let got = corio::block_on(async move { corio::spawn(consumer).await.unwrap() });
        threads.into_iter().for_each(|t| t.join().unwrap());
        got
    })
}

const PRODUCERS: usize = 4;
const EACH: usize = 2_000;

#[test]
fn producer_threads_feed_a_task_on_the_runtime_in_order_without_loss() {
    for bounded in [true, false] {
        let got = producers_to_a_task(bounded);
        assert_eq!(got.len(), PRODUCERS * EACH, "bounded={bounded}");
        let mut next = [0; PRODUCERS];
        for (p, seq) in got {
            assert_eq!(seq, next[p], "bounded={bounded}: producer {p} out of order");
            next[p] += 1;
        }
    }
}

#[test]
fn blocking_recv_on_a_plain_thread_gets_everything_a_task_sends_then_none() {
    with_watchdog(WATCHDOG, || {
        let (tx, mut rx) = mpsc::channel::<u32>(2);
        let (utx, mut urx) = mpsc::unbounded_channel::<u32>();
        let (started_tx, started_rx) = std_mpsc::channel();
        let consumer = std::thread::spawn(move || {
            started_tx.send(()).unwrap();
            let mut got = Vec::new();
            while let Some(v) = rx.blocking_recv() {
                got.push(v);
            }
            let ugot: Vec<u32> = std::iter::from_fn(|| urx.blocking_recv()).collect();
            (got, ugot)
        });
        started_rx.recv().unwrap();
        corio::block_on(async move {
            for i in 0..500 {
                tx.send(i).await.unwrap();
                utx.send(i * 2).unwrap();
            }
        });
        let (got, ugot) = consumer.join().unwrap();
        assert_eq!(got, (0..500).collect::<Vec<_>>());
        assert_eq!(ugot, (0..500).map(|i| i * 2).collect::<Vec<_>>());
    });
}

#[test]
fn draining_an_always_ready_channel_still_lets_other_tasks_run() {
    const BACKLOG: usize = 100_000;
    let (received, flag_seen) = corio::block_on(async move {
        let flag = Rc::new(Cell::new(false));
        let (tx, mut rx) = mpsc::unbounded_channel();
        (0..BACKLOG).for_each(|i| tx.send(i).unwrap());
        drop(tx);
        corio::spawn({
            let flag = flag.clone();
            async move { flag.set(true) }
        });
        let (mut received, mut flag_seen) = (0, None);
        while let Some(v) = rx.recv().await {
            assert_eq!(v, received);
            received += 1;
            if flag.get() && flag_seen.is_none() {
                flag_seen = Some(received);
            }
        }
        (received, flag_seen)
    });
    assert_eq!(received, BACKLOG);
    let seen = flag_seen.expect("the other task never ran while the backlog drained");
    // The budget is 128 operations per poll: the other task runs after about that many.
    assert!(
        seen <= 1_000,
        "the other task ran only after {seen} messages"
    );
}
