//! `corio::select!`, branch by branch: which branch wins, in which order branches are
//! polled, preconditions, patterns that do not match, `else`, the panic without `else`,
//! dropping the losers, control flow out of handlers, and a channel-and-timer loop.

mod util;

use std::cell::{Cell, RefCell};
use std::future::{pending, ready};
use std::rc::Rc;
use std::time::Duration;

use corio::sync::{mpsc, oneshot};
use util::{DropFlag, Probe};

#[test]
fn the_ready_branch_wins() {
    corio::block_on(async {
        for _ in 0..50 {
            let got = corio::select! {
                a = pending::<u32>() => a,
                b = ready(7u32) => b + 1,
                c = pending::<u32>() => c,
            };
            assert_eq!(got, 8);
        }
    });
}

#[test]
fn biased_polls_the_branches_in_the_order_written() {
    corio::block_on(async {
        let log = Rc::new(RefCell::new(Vec::new()));
        let got = corio::select! {
            biased;
            a = Probe::new(0, &log, 0) => a,
            b = Probe::new(1, &log, 0) => b,
            c = Probe::new(2, &log, 3) => c,
        };
        assert_eq!(got, 2);
        assert_eq!(*log.borrow(), [0, 1, 2, 0, 1, 2, 0, 1, 2]);

        // Both ready: the first written always wins.
        for _ in 0..200 {
            let got = corio::select! {
                biased;
                a = ready(1) => a,
                b = ready(2) => b,
            };
            assert_eq!(got, 1);
        }
    });
}

#[test]
fn without_biased_each_poll_starts_at_a_random_branch() {
    corio::block_on(async {
        let mut wins = [0u32; 2];
        for _ in 0..1_000 {
            let winner = corio::select! {
                a = ready(0usize) => a,
                b = ready(1usize) => b,
            };
            wins[winner] += 1;
        }
        assert!(wins[0] >= 100 && wins[1] >= 100, "wins: {wins:?}");

        // Every branch is polled once per poll, whatever the start.
        let log = Rc::new(RefCell::new(Vec::new()));
        let got = corio::select! {
            a = Probe::new(0, &log, 0) => a,
            b = Probe::new(1, &log, 0) => b,
            c = Probe::new(2, &log, 0) => c,
            d = ready(9) => d,
        };
        assert_eq!(got, 9);
        let mut polled = log.borrow().clone();
        polled.sort_unstable();
        assert!(polled.len() <= 3, "{polled:?}");
        assert!(
            polled.windows(2).all(|w| w[0] != w[1]),
            "polled twice: {polled:?}"
        );
    });
}

#[test]
fn a_false_precondition_makes_the_future_but_never_polls_it() {
    corio::block_on(async {
        let evaluated = Cell::new(0);
        let polled = Cell::new(0);
        let make = |value: u32| {
            evaluated.set(evaluated.get() + 1);
            let polled = &polled;
            std::future::poll_fn(move |_| {
                polled.set(polled.get() + 1);
                std::task::Poll::Ready(value)
            })
        };
        let got = corio::select! {
            a = make(1), if false => a,
            b = make(2), if 1 + 1 == 2 => b,
        };
        assert_eq!(got, 2);
        assert_eq!(
            evaluated.get(),
            2,
            "as on tokio, every branch's future is made"
        );
        assert_eq!(
            polled.get(),
            1,
            "only the enabled branch's future is polled"
        );
    });
}

#[test]
fn a_pattern_that_does_not_match_disables_its_branch() {
    corio::block_on(async {
        let (tx, mut rx) = mpsc::channel::<u32>(1);
        drop(tx);
        let got = corio::select! {
            Some(x) = rx.recv() => x,
            else => 100,
        };
        assert_eq!(got, 100);

        // With another branch still pending, select! goes on waiting for it, and the
        // mismatched future is not polled again.
        let log = Rc::new(RefCell::new(Vec::new()));
        let got = corio::select! {
            biased;
            Some(x) = async { Probe::new(0, &log, 1).await; None::<u8> } => x,
            y = Probe::new(1, &log, 3) => y + 10,
        };
        assert_eq!(got, 11);
        assert_eq!(*log.borrow(), [0, 1, 1, 1]);
    });
}

#[test]
fn else_runs_when_every_branch_is_disabled() {
    corio::block_on(async {
        let polled = Rc::new(RefCell::new(Vec::new()));
        let got = corio::select! {
            a = Probe::new(0, &polled, 1), if false => a as i32,
            b = Probe::new(1, &polled, 1), if false => b as i32,
            else => -5,
        };
        assert_eq!(got, -5);
        assert!(polled.borrow().is_empty());
    });
}

#[test]
#[should_panic(expected = "all branches are disabled and there is no else branch")]
fn every_branch_disabled_without_else_panics() {
    corio::block_on(async {
        let (tx, mut rx) = mpsc::channel::<u32>(1);
        drop(tx);
        let flag = false;
        corio::select! {
            Some(_) = rx.recv() => {}
            _ = pending::<()>(), if flag => {}
        }
    });
}

#[test]
fn the_losers_are_dropped_before_the_handler_runs() {
    corio::block_on(async {
        let dropped = Rc::new(Cell::new(false));
        let flag = DropFlag(dropped.clone());
        let (tx, rx) = oneshot::channel::<u8>();
        let seen_in_handler = corio::select! {
            _ = async move {
                let _flag = flag;
                rx.await
            } => unreachable!("nobody sends"),
            v = ready(3) => (v, dropped.get()),
        };
        assert_eq!(seen_in_handler, (3, true));
        assert!(tx.is_closed(), "the loser's receiver is gone");
    });
}

#[test]
fn handlers_return_break_continue_and_question_mark_in_the_enclosing_fn() {
    async fn returns(early: bool) -> &'static str {
        corio::select! {
            _ = ready(()), if early => return "returned",
            else => {}
        }
        "fell through"
    }

    async fn question(input: Result<u8, String>) -> Result<u8, String> {
        let v = corio::select! {
            r = ready(input) => r?,
        };
        Ok(v * 2)
    }

    async fn loops() -> Vec<u32> {
        let mut seen = Vec::new();
        let mut n = 0;
        loop {
            n += 1;
            corio::select! {
                v = ready(n) => {
                    if v == 2 {
                        continue;
                    }
                    if v == 5 {
                        break;
                    }
                    seen.push(v);
                }
            }
        }
        seen
    }

    corio::block_on(async {
        assert_eq!(returns(true).await, "returned");
        assert_eq!(returns(false).await, "fell through");
        assert_eq!(question(Ok(4)).await, Ok(8));
        assert_eq!(question(Err("bad".into())).await, Err(String::from("bad")));
        assert_eq!(loops().await, [1, 3, 4]);
    });
}

#[test]
#[cfg_attr(miri, ignore)]
fn a_loop_over_a_channel_and_a_timer() {
    corio::block_on(async {
        let (tx, mut rx) = mpsc::channel::<u32>(4);
        let (tick_tx, mut tick_rx) = mpsc::unbounded_channel::<u32>();
        // The producer sends message k once the consumer's timer has fired k times.
        let producer = corio::spawn(async move {
            while let Some(k) = tick_rx.recv().await {
                tx.send(k * 10).await.unwrap();
                if k == 3 {
                    break;
                }
            }
        });
        let mut got = Vec::new();
        let mut ticks = 0;
        let mut expecting_tick = true;
        loop {
            corio::select! {
                msg = rx.recv() => match msg {
                    Some(v) => {
                        got.push(v);
                        expecting_tick = true;
                    }
                    None => break,
                },
                _ = corio::time::sleep(Duration::from_millis(1)), if expecting_tick => {
                    ticks += 1;
                    expecting_tick = false;
                    tick_tx.send(ticks).unwrap();
                }
            }
        }
        producer.await.unwrap();
        assert_eq!(got, [10, 20, 30]);
        // The producer dropped its sender in the same poll that sent 30: the next
        // select! sees the channel closed before a fresh 1 ms timer can fire.
        assert_eq!(ticks, 3);
    });
}
