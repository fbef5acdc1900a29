//! `corio::pin!`: a pinned future is resumed, not restarted, when polled by reference
//! across the turns of a loop; both of tokio's forms.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

/// Counts its wakes.
struct CountingWaker(std::sync::atomic::AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

#[test]
fn pinned_future_polled_in_a_loop_by_reference_resumes() {
    let started = Cell::new(0);
    let steps = Cell::new(0);
    let fut = async {
        started.set(started.get() + 1);
        for _ in 0..3 {
            steps.set(steps.get() + 1);
            corio::task::yield_now().await;
        }
        "done"
    };
    corio::pin!(fut);
    let wakes = Arc::new(CountingWaker(0.into()));
    let waker = Waker::from(wakes.clone());
    let mut cx = Context::from_waker(&waker);
    let mut polls = 0;
    let out = loop {
        polls += 1;
        // Poll through `&mut fut`: the same future each turn.
        if let Poll::Ready(out) = Pin::new(&mut fut).poll(&mut cx) {
            break out;
        }
    };
    assert_eq!(out, "done");
    assert_eq!((started.get(), steps.get(), polls), (1, 3, 4));
    // `yield_now` wakes the task once per yield.
    assert_eq!(wakes.0.load(std::sync::atomic::Ordering::SeqCst), 3);
}

#[test]
fn pinned_future_in_a_select_loop() {
    corio::block_on(async {
        let (tx, rx) = corio::sync::oneshot::channel::<u32>();
        let answer = async { rx.await.unwrap() + 1 };
        corio::pin!(answer);
        let mut tx = Some(tx);
        let mut turns = 0;
        let value = loop {
            corio::select! {
                biased;
                v = &mut answer => break v,
                _ = corio::task::yield_now() => {
                    turns += 1;
                    if turns == 5 {
                        tx.take().unwrap().send(41).unwrap();
                    }
                }
            }
        };
        assert_eq!((value, turns), (42, 5));
    });
}

#[test]
fn let_form_pins_new_variables() {
    corio::block_on(async {
        corio::pin! {
            let first = async { 20 };
            let second = async { 22 };
        }
        let a: Pin<&mut _> = first.as_mut();
        assert_eq!(a.await + (&mut second).await, 42);
    });
}

#[test]
fn several_names_at_once() {
    corio::block_on(async {
        let a = async { 1 };
        let b = async { 2 };
        corio::pin!(a, b,);
        assert_eq!((&mut a).await + b.await, 3);
    });
}
