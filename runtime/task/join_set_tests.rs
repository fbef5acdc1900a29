//! The cost of `JoinSet`: handle polls per finished task, counted inside the set.

use super::JoinSet;
use crate::sync::oneshot;

/// 1,000 members finish one at a time: each `join_next` polls exactly one handle, the
/// finished one; the set never walks its running members.
#[test]
fn each_finished_task_costs_one_handle_poll_whatever_the_set_size() {
    const TASKS: usize = if cfg!(miri) { 40 } else { 1000 };
    crate::block_on(async {
        let mut set = JoinSet::new();
        let mut gates = Vec::with_capacity(TASKS);
        for i in 0..TASKS {
            let (tx, rx) = oneshot::channel::<()>();
            gates.push(tx);
            set.spawn(async move {
                rx.await.unwrap();
                i
            });
        }
        // One registration poll per member at spawn, nothing more.
        assert_eq!(set.handle_polls, TASKS as u64);
        for expected in (0..TASKS).rev() {
            let before = set.handle_polls;
            gates.pop().unwrap().send(()).unwrap();
            assert_eq!(set.join_next().await.unwrap().unwrap(), expected);
            assert_eq!(
                set.handle_polls - before,
                1,
                "completion of task {expected}"
            );
        }
        assert!(set.join_next().await.is_none());
        assert_eq!(set.handle_polls, 2 * TASKS as u64);
    });
}
