//! `corio::join!` and `corio::try_join!`: outputs in order, concurrency inside one task,
//! which futures each wake polls and in what order, and `try_join!`'s early error.

mod util;

use std::cell::{Cell, RefCell};
use std::future::{pending, ready};
use std::rc::Rc;
use std::time::Duration;

use corio::sync::oneshot;
use util::{DropFlag, Probe};

#[test]
fn join_gives_every_output_in_order_and_runs_them_concurrently() {
    corio::block_on(async {
        let (tx, rx) = oneshot::channel::<u32>();
        // The first future can only finish once the third has run: all three are
        // polled in the one task.
        let (number, text, list) = corio::join!(
            async { rx.await.unwrap() * 2 },
            async { String::from("two") },
            async {
                tx.send(21).unwrap();
                vec![3u8, 3]
            },
        );
        assert_eq!(number, 42);
        assert_eq!(text, "two");
        assert_eq!(list, [3, 3]);

        let () = corio::join!();
        let (single,) = corio::join!(ready('x'));
        assert_eq!(single, 'x');
    });
}

#[test]
fn join_polls_round_robin() {
    corio::block_on(async {
        let log = Rc::new(RefCell::new(Vec::new()));
        let out = corio::join!(
            Probe::new(0, &log, 3),
            Probe::new(1, &log, 3),
            Probe::new(2, &log, 3),
        );
        assert_eq!(out, (0, 1, 2));
        // Each poll starts one further along: at 0, then 1, then 2.
        assert_eq!(*log.borrow(), [0, 1, 2, 1, 2, 0, 2, 0, 1]);
    });
}

#[test]
fn join_polls_only_unfinished_futures() {
    corio::block_on(async {
        let log = Rc::new(RefCell::new(Vec::new()));
        let out = corio::join!(
            Probe::new(0, &log, 1),
            Probe::new(1, &log, 3),
            Probe::new(2, &log, 2),
        );
        assert_eq!(out, (0, 1, 2));
        // Poll 1 (from 0): 0 finishes. Poll 2 (from 1): 2 finishes. Poll 3 (from 2):
        // only 1 is left, and finishes.
        assert_eq!(*log.borrow(), [0, 1, 2, 1, 2, 1]);
    });
}

#[test]
fn biased_join_polls_in_the_order_written() {
    corio::block_on(async {
        let log = Rc::new(RefCell::new(Vec::new()));
        let out = corio::join!(
            biased;
            Probe::new(0, &log, 3),
            Probe::new(1, &log, 3),
            Probe::new(2, &log, 1),
        );
        assert_eq!(out, (0, 1, 2));
        assert_eq!(*log.borrow(), [0, 1, 2, 0, 1, 0, 1]);
    });
}

#[test]
fn try_join_gives_ok_of_every_value() {
    corio::block_on(async {
        let (tx, rx) = oneshot::channel::<u8>();
        let got: Result<(u8, &str), String> =
            corio::try_join!(async { rx.await.map_err(|e| e.to_string()) }, async {
                tx.send(9).unwrap();
                Ok("sent")
            },);
        assert_eq!(got, Ok((9, "sent")));

        let empty: Result<(), ()> = corio::try_join!();
        assert_eq!(empty, Ok(()));
    });
}

#[test]
fn try_join_returns_the_first_error_at_once_and_drops_the_rest() {
    corio::block_on(async {
        let dropped = Rc::new(Cell::new(false));
        let flag = DropFlag(dropped.clone());
        let log = Rc::new(RefCell::new(Vec::new()));
        let joined = corio::time::timeout(Duration::from_secs(20), async {
            corio::try_join!(
                biased;
                async move {
                    let _flag = flag;
                    pending::<Result<u8, &str>>().await
                },
                async { Ok(Probe::new(1, &log, 5).await) },
                async {
                    Probe::new(2, &log, 2).await;
                    Err("second poll")
                },
            )
        });
        let got: Result<(u8, u8, u8), &str> = joined.await.expect("try_join! did not return");
        assert_eq!(got, Err("second poll"));
        assert!(dropped.get(), "the pending future was not dropped");
        // The error came on the second poll; the other probe was not polled after it.
        assert_eq!(*log.borrow(), [1, 2, 1, 2]);
    });
}

#[test]
fn try_join_works_with_question_mark() {
    async fn both(a: Result<u8, String>, b: Result<u8, String>) -> Result<u16, String> {
        let (a, b) = corio::try_join!(ready(a), ready(b))?;
        Ok(u16::from(a) + u16::from(b))
    }
    corio::block_on(async {
        assert_eq!(both(Ok(1), Ok(2)).await, Ok(3));
        assert_eq!(both(Ok(1), Err("b".into())).await, Err(String::from("b")));
    });
}
