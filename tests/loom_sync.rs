//! Loom models of `sync::oneshot`, `sync::Notify`, `sync::Semaphore` and `sync::watch`
//! across threads:
//! `RUSTFLAGS="--cfg loom" cargo test --release --test loom_sync`.
//!
//! Their locks come from loom in this build (`runtime/std_or_loom.rs`), so loom explores
//! every order in which the two sides take them. The futures are polled by hand with a
//! waker that counts its wakes.
#![cfg(loom)]

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use corio::sync::{oneshot, watch, Notify, Semaphore};
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::thread;

/// Counts the wakes it gets.
struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::AcqRel);
    }
}

fn counting_waker() -> (Arc<CountingWaker>, Waker) {
    let counter = Arc::new(CountingWaker(AtomicUsize::new(0)));
    (counter.clone(), Waker::from(counter))
}

fn poll<F: Future + Unpin>(future: &mut F, waker: &Waker) -> Poll<F::Output> {
    Pin::new(future).poll(&mut Context::from_waker(waker))
}

/// A send on another thread races the receiver's first poll: the receiver gets the value,
/// on that poll or, once woken, on the next one.
#[test]
fn loom_oneshot_send_races_the_first_poll() {
    loom::model(|| {
        let (tx, mut rx) = oneshot::channel::<u32>();
        let sender = thread::spawn(move || tx.send(42).unwrap());
        let (woken, waker) = counting_waker();
        let first = poll(&mut rx, &waker);
        sender.join().unwrap();
        match first {
            Poll::Ready(value) => assert_eq!(value, Ok(42)),
            Poll::Pending => {
                assert_eq!(woken.0.load(Ordering::Acquire), 1, "the send did not wake");
                assert_eq!(poll(&mut rx, &waker), Poll::Ready(Ok(42)));
            }
        }
    });
}

/// The sender dropped on another thread while the receiver polls: the receiver ends with
/// `RecvError`, woken if it was already waiting.
#[test]
fn loom_oneshot_sender_drop_races_the_poll() {
    loom::model(|| {
        let (tx, mut rx) = oneshot::channel::<u32>();
        let sender = thread::spawn(move || drop(tx));
        let (woken, waker) = counting_waker();
        let first = poll(&mut rx, &waker);
        sender.join().unwrap();
        if first.is_pending() {
            assert_eq!(woken.0.load(Ordering::Acquire), 1, "the drop did not wake");
        }
        assert!(matches!(poll(&mut rx, &waker), Poll::Ready(Err(_))));
    });
}

/// A send races the receiver's drop: the value is either delivered into the channel
/// (and dropped with the receiver) or handed back to the sender, never both, never lost.
#[test]
fn loom_oneshot_send_races_the_receiver_drop() {
    loom::model(|| {
        let value = Arc::new(());
        let (tx, rx) = oneshot::channel::<Arc<()>>();
        let sender = {
            let value = value.clone();
            thread::spawn(move || tx.send(value).err())
        };
        drop(rx);
        let handed_back = sender.join().unwrap();
        // Two owners if the sender got it back, one (ours) if the receiver's drop took it.
        assert_eq!(
            Arc::strong_count(&value),
            1 + usize::from(handed_back.is_some())
        );
    });
}

/// `notify_one` on another thread races the drop of the waiter it may choose: the
/// notification then passes to the next waiter, so that one completes and no permit is
/// left over (it went to a waiter, not into the void or into a stored permit).
#[test]
fn loom_notify_one_passes_on_from_a_dropped_waiter() {
    loom::model(|| {
        let notify: &'static Notify = Box::leak(Box::new(Notify::new()));
        let (_first_woken, first_waker) = counting_waker();
        let (second_woken, second_waker) = counting_waker();
        let mut first = Box::pin(notify.notified());
        let mut second = Box::pin(notify.notified());
        assert!(first
            .as_mut()
            .poll(&mut Context::from_waker(&first_waker))
            .is_pending());
        assert!(second
            .as_mut()
            .poll(&mut Context::from_waker(&second_waker))
            .is_pending());
        let notifier = thread::spawn(move || notify.notify_one());
        drop(first);
        notifier.join().unwrap();
        assert_eq!(
            second_woken.0.load(Ordering::Acquire),
            1,
            "the second waiter was not woken"
        );
        let mut cx = Context::from_waker(&second_waker);
        assert!(second.as_mut().poll(&mut cx).is_ready());
        // The one notification was used up: a fresh waiter waits.
        let mut third = Box::pin(notify.notified());
        assert!(third.as_mut().poll(&mut cx).is_pending());
    });
}

/// A permit given back on another thread races the drop (cancellation) of the waiter at
/// the front of the queue, which it may be handed to: the permit then passes on to the
/// next waiter, never lost, never counted twice; the dropped waiter is woken at most once
/// and no entry outlives its future (each waker ends with its one owner, ours).
#[test]
fn loom_semaphore_release_passes_on_from_a_dropped_acquire() {
    loom::model(|| {
        let semaphore: &'static Semaphore = Box::leak(Box::new(Semaphore::new(1)));
        let held = semaphore.try_acquire().unwrap();
        let (first_woken, first_waker) = counting_waker();
        let (second_woken, second_waker) = counting_waker();
        let mut first = Box::pin(semaphore.acquire());
        let mut second = Box::pin(semaphore.acquire());
        assert!(poll(&mut first, &first_waker).is_pending());
        assert!(poll(&mut second, &second_waker).is_pending());
        let releaser = thread::spawn(move || drop(held));
        drop(first);
        releaser.join().unwrap();
        assert_eq!(
            second_woken.0.load(Ordering::Acquire),
            1,
            "the permit did not reach the second waiter"
        );
        let Poll::Ready(Ok(permit)) = poll(&mut second, &second_waker) else {
            panic!("the woken waiter has no permit");
        };
        drop(second);
        assert_eq!(semaphore.available_permits(), 0);
        drop(permit);
        assert_eq!(semaphore.available_permits(), 1);
        assert!(first_woken.0.load(Ordering::Acquire) <= 1);
        drop((first_waker, second_waker));
        assert_eq!(Arc::strong_count(&first_woken), 1, "an entry kept a waker");
        assert_eq!(Arc::strong_count(&second_woken), 1, "an entry kept a waker");
    });
}

/// A watch send on another thread races the receiver's `changed()`: either that poll sees
/// the new version, or the send wakes the parked future, whose next poll sees it; either
/// way the receiver then reads the sent value, and a further `changed()` waits.
#[test]
fn loom_watch_send_races_changed() {
    loom::model(|| {
        let (tx, mut rx) = watch::channel(0u32);
        let sender = thread::spawn(move || {
            tx.send(7).unwrap();
            tx // kept alive: the channel stays open
        });
        let (woken, waker) = counting_waker();
        let mut changed = Box::pin(rx.changed());
        let first = poll(&mut changed, &waker);
        let tx = sender.join().unwrap();
        if first.is_pending() {
            assert_eq!(woken.0.load(Ordering::Acquire), 1, "the send did not wake");
            assert_eq!(poll(&mut changed, &waker), Poll::Ready(Ok(())));
        } else {
            assert_eq!(first, Poll::Ready(Ok(())));
        }
        drop(changed);
        assert_eq!(*rx.borrow_and_update(), 7);
        let mut again = Box::pin(rx.changed());
        assert!(
            poll(&mut again, &waker).is_pending(),
            "one send, one change"
        );
        drop(again);
        drop(tx);
    });
}

/// The last sender dropped on another thread races `changed()` with nothing unseen: the
/// receiver ends with `RecvError`, woken if it was already waiting.
#[test]
fn loom_watch_sender_drop_races_changed() {
    loom::model(|| {
        let (tx, mut rx) = watch::channel(0u32);
        let dropper = thread::spawn(move || drop(tx));
        let (woken, waker) = counting_waker();
        let mut changed = Box::pin(rx.changed());
        let first = poll(&mut changed, &waker);
        dropper.join().unwrap();
        let last = match first {
            Poll::Ready(out) => out,
            Poll::Pending => {
                assert_eq!(woken.0.load(Ordering::Acquire), 1, "the drop did not wake");
                match poll(&mut changed, &waker) {
                    Poll::Ready(out) => out,
                    Poll::Pending => panic!("woken but still waiting"),
                }
            }
        };
        assert!(last.is_err(), "nothing was sent: the end");
    });
}
