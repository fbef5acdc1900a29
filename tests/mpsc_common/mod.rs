//! Helpers for the `sync_mpsc*` tests: polling a future by hand with a given waker, and a
//! bounded `send` parked on a full channel. Needs `common_exec` beside it at the crate root.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use corio::sync::mpsc::{SendError, Sender};

use crate::common_exec::counting_waker;

pub fn poll<F: Future + ?Sized>(future: Pin<&mut F>, waker: &Waker) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(waker))
}

pub type SendFut<'a, T> = Pin<Box<dyn Future<Output = Result<(), SendError<T>>> + 'a>>;

/// `tx.send(value)`, polled once (must wait) with its own counting waker.
pub fn waiting_send<T: 'static>(
    tx: &Sender<T>,
    value: T,
) -> (SendFut<'_, T>, Waker, Arc<AtomicUsize>) {
    let mut fut: SendFut<'_, T> = Box::pin(tx.send(value));
    let (waker, count) = counting_waker();
    assert!(poll(fut.as_mut(), &waker).is_pending(), "send should wait");
    (fut, waker, count)
}
