//! Dropping a runtime drops each pending task's future in place. The future may borrow its
//! own fields (an `async` block parked in `rx.recv()` holds `&mut rx`), so nothing may
//! retag the pinned future between its last poll and its drop: Miri's Stacked Borrows and
//! Tree Borrows check this (`cargo +nightly miri test --test executor_drop_pinned_task`),
//! and a normal run checks what the drop must do.

mod common_exec;

use common_exec::{poll_once, DropCounter};
use corio::sync::broadcast;
use corio::Runtime;

/// A task parked in `broadcast::Receiver::recv` (holding `&mut rx` in its own state) is
/// dropped with the runtime: its `Recv` unlinks its waiter through that self-borrow, the
/// receiver and everything else the task owns are dropped exactly once, and the handle
/// reports the task cancelled.
#[test]
fn runtime_drop_drops_a_task_that_borrows_its_own_state() {
    let dropped = DropCounter::new();
    let (tx, rx) = broadcast::channel::<u32>(4);
    let rt = Runtime::new().unwrap();
    let guard = dropped.guard();
    let (mut handle, receivers_while_parked) = rt.block_on(async {
        let handle = corio::spawn(async move {
            let _guard = guard;
            let mut rx = rx;
            rx.recv().await
        });
        // Let the task run once, so it parks inside `recv()` with its self-borrow live.
        corio::task::yield_now().await;
        (handle, tx.receiver_count())
    });
    assert_eq!(
        receivers_while_parked, 1,
        "the parked task owns the receiver"
    );
    assert_eq!(dropped.count(), 0);
    drop(rt);
    assert_eq!(
        dropped.count(),
        1,
        "the task's state was dropped exactly once"
    );
    assert_eq!(tx.receiver_count(), 0, "the receiver went with the task");
    assert!(tx.send(7).is_err(), "no receiver is left to get a message");
    let outcome = match poll_once(&mut handle) {
        std::task::Poll::Ready(outcome) => outcome,
        std::task::Poll::Pending => panic!("the handle of a dropped task must be ready"),
    };
    assert!(outcome.unwrap_err().is_cancelled());
}
