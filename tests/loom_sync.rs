//! Loom models of `sync::oneshot` (waking either side), `sync::Notify`,
//! `sync::Semaphore` and `sync::watch` across threads:
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

/// The receiver dropped on another thread while the sender waits in `closed()`: the
/// sender sees the close on its first poll or, once woken (exactly once), on the next.
#[test]
fn loom_oneshot_receiver_drop_wakes_the_sender_in_closed() {
    loom::model(|| {
        let (mut tx, rx) = oneshot::channel::<u32>();
        let receiver = thread::spawn(move || drop(rx));
        let (woken, waker) = counting_waker();
        let first = tx.poll_closed(&mut Context::from_waker(&waker));
        receiver.join().unwrap();
        if first.is_pending() {
            assert_eq!(woken.0.load(Ordering::Acquire), 1, "the drop did not wake");
        }
        assert!(tx.is_closed());
        assert_eq!(
            tx.poll_closed(&mut Context::from_waker(&waker)),
            Poll::Ready(())
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

/// The semaphore's fast path: a fresh acquire's first poll (which tries the lock-free
/// take) on another thread races a release while an earlier waiter is queued. The permit
/// goes to the queued waiter, woken exactly once; the newcomer never overtakes it (it
/// waits, and is served when that permit comes back).
#[test]
fn loom_semaphore_fast_acquire_races_a_release_to_a_queued_waiter() {
    loom::model(|| {
        let semaphore: &'static Semaphore = Box::leak(Box::new(Semaphore::new(1)));
        let held = semaphore.try_acquire().unwrap();
        let (queued_woken, queued_waker) = counting_waker();
        let (late_woken, late_waker) = counting_waker();
        let mut queued = Box::pin(semaphore.acquire());
        assert!(poll(&mut queued, &queued_waker).is_pending());
        let racer = {
            let late_waker = late_waker.clone();
            thread::spawn(move || {
                let mut late = Box::pin(semaphore.acquire());
                let overtook = poll(&mut late, &late_waker).is_ready();
                (overtook, late)
            })
        };
        drop(held);
        let (overtook, mut late) = racer.join().unwrap();
        assert!(!overtook, "the newcomer overtook the queued waiter");
        assert_eq!(queued_woken.0.load(Ordering::Acquire), 1, "lost wake-up");
        assert_eq!(late_woken.0.load(Ordering::Acquire), 0);
        let Poll::Ready(Ok(permit)) = poll(&mut queued, &queued_waker) else {
            panic!("the woken waiter has no permit");
        };
        assert_eq!(semaphore.available_permits(), 0);
        drop(permit);
        assert_eq!(late_woken.0.load(Ordering::Acquire), 1);
        let Poll::Ready(Ok(permit)) = poll(&mut late, &late_waker) else {
            panic!("the newcomer was not served next");
        };
        drop(permit);
        assert_eq!(semaphore.available_permits(), 1);
        assert!(semaphore.try_acquire().is_ok(), "a waiter was left queued");
    });
}

/// A release on another thread (through the lock-free path while nobody is queued) races
/// a request for two permits with one free, which collects that one and queues. Either
/// the request sees both at once, or it is queued and then woken once with both: the
/// released permit is never stranded in the free count behind a queued waiter.
#[test]
fn loom_semaphore_release_races_an_enqueue() {
    loom::model(|| {
        let semaphore: &'static Semaphore = Box::leak(Box::new(Semaphore::new(2)));
        let held = semaphore.try_acquire().unwrap();
        let (woken, waker) = counting_waker();
        let releaser = thread::spawn(move || drop(held));
        let mut both = Box::pin(semaphore.acquire_many(2));
        let first = poll(&mut both, &waker);
        releaser.join().unwrap();
        let permit = match first {
            Poll::Ready(result) => result.unwrap(),
            Poll::Pending => {
                assert_eq!(woken.0.load(Ordering::Acquire), 1, "lost wake-up");
                let Poll::Ready(Ok(permit)) = poll(&mut both, &waker) else {
                    panic!("woken without its permits");
                };
                permit
            }
        };
        assert_eq!(permit.num_permits(), 2);
        assert_eq!(semaphore.available_permits(), 0);
        drop(permit);
        assert_eq!(semaphore.available_permits(), 2);
        assert!(
            semaphore.try_acquire_many(2).is_ok(),
            "a waiter was left queued"
        );
    });
}

/// `close` on another thread races a request that finds one of its two permits free and
/// queues with it. Either the request sees the close at once, or it is queued, woken
/// once and refused; either way the permit it collected is back in the free count and
/// every later request is refused.
#[test]
fn loom_semaphore_close_races_acquire() {
    loom::model(|| {
        let semaphore: &'static Semaphore = Box::leak(Box::new(Semaphore::new(1)));
        let (woken, waker) = counting_waker();
        let closer = thread::spawn(move || semaphore.close());
        let mut both = Box::pin(semaphore.acquire_many(2));
        let first = poll(&mut both, &waker);
        closer.join().unwrap();
        let result = match first {
            Poll::Ready(result) => result,
            Poll::Pending => {
                assert_eq!(woken.0.load(Ordering::Acquire), 1, "lost wake-up");
                let Poll::Ready(result) = poll(&mut both, &waker) else {
                    panic!("still pending after close");
                };
                result
            }
        };
        assert!(result.is_err(), "acquired from a closed semaphore");
        drop(both);
        assert!(semaphore.is_closed());
        assert_eq!(
            semaphore.available_permits(),
            1,
            "the collected permit was lost"
        );
        assert_eq!(
            semaphore.try_acquire().unwrap_err(),
            corio::sync::TryAcquireError::Closed
        );
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
