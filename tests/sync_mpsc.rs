//! `corio::sync::mpsc`: FIFO order, bounded back-pressure with senders served in order,
//! and close and drop from either side (never a lost or doubled message).

mod common_exec;
mod mpsc_common;

use std::task::{Context, Poll};

use common_exec::{assert_send, assert_send_val, assert_sync, counting_waker, n};
use corio::sync::mpsc::{
    self, Receiver, SendError, Sender, TryRecvError, TrySendError, UnboundedReceiver,
    UnboundedSender,
};
use mpsc_common::{poll, waiting_send};

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
    // Unbounded: 10 000 sends (500 under Miri) with nobody receiving, none of them waits.
    let count = if cfg!(miri) { 500 } else { 10_000 };
    for seq in 0..count {
        let from = (seq * 7) % 3;
        senders[from].send((from, seq)).unwrap();
        sent.push((from, seq));
    }
    drop(senders);
    assert_eq!(rx.len(), count);
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
