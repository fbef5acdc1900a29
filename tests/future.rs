//! `corio::future::{race, join}`: which output wins, what is dropped, and that both
//! sides really run at once.

mod util;

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use corio::future::{join, race};
use corio::sync::oneshot;
use util::{poll_once, within};

/// Sets its flag when dropped.
struct DropFlag(Rc<Cell<bool>>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.set(true);
    }
}

#[test]
fn race_gives_the_first_to_finish_and_drops_the_other() {
    corio::block_on(within(Duration::from_secs(20), "race", async {
        let dropped = Rc::new(Cell::new(false));
        let flag = DropFlag(dropped.clone());
        let (tx, rx) = oneshot::channel::<u8>();
        let loser = async move {
            let _flag = flag;
            rx.await.unwrap_or(0) // never sent while the race runs
        };
        let winner = async {
            corio::time::sleep(Duration::from_millis(5)).await;
            7
        };
        assert_eq!(race(loser, winner).await, 7);
        assert!(dropped.get(), "the loser was not dropped");
        assert!(tx.is_closed(), "the loser's receiver still exists");
    }));
}

#[test]
fn race_is_biased_to_its_first_future_when_both_are_ready() {
    corio::block_on(async {
        assert_eq!(race(async { "first" }, async { "second" }).await, "first");
    });
}

#[test]
fn join_runs_both_at_once_and_returns_both_outputs_in_order() {
    corio::block_on(within(Duration::from_secs(20), "join", async {
        // Each side waits for the other: only concurrent progress can finish this.
        let (to_b, from_a) = oneshot::channel::<u32>();
        let (to_a, from_b) = oneshot::channel::<u32>();
        let a = async move {
            to_b.send(1).unwrap();
            from_b.await.unwrap() + 10
        };
        let b = async move {
            let got = from_a.await.unwrap();
            to_a.send(got + 1).unwrap();
            "b done"
        };
        assert_eq!(join(a, b).await, (12, "b done"));
    }));
}

#[test]
fn join_polls_a_finished_side_no_more() {
    corio::block_on(async {
        let polls = Rc::new(Cell::new(0));
        let counted = {
            let polls = polls.clone();
            std::future::poll_fn(move |_| {
                polls.set(polls.get() + 1);
                std::task::Poll::Ready(())
            })
        };
        let (tx, rx) = oneshot::channel::<()>();
        let mut both = Box::pin(join(counted, rx));
        assert!(poll_once(&mut both).await.is_pending());
        assert!(poll_once(&mut both).await.is_pending());
        tx.send(()).unwrap();
        assert!(poll_once(&mut both).await.is_ready());
        assert_eq!(polls.get(), 1, "the finished side was polled again");
    });
}
