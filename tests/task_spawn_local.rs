//! `task::spawn_local` and `task::LocalSet`: tokio's names for `!Send` tasks, which on
//! corio are plain tasks of the thread's runtime.

use std::cell::RefCell;
use std::rc::Rc;

use corio::task::{self, LocalSet};

#[test]
fn spawn_local_runs_a_non_send_task_inside_block_on() {
    let log = corio::block_on(async {
        let log = Rc::new(RefCell::new(Vec::new()));
        let task = task::spawn_local({
            let log = log.clone();
            async move {
                task::yield_now().await;
                log.borrow_mut().push("spawned");
                7
            }
        });
        log.borrow_mut().push("spawner");
        assert_eq!(task.await.unwrap(), 7);
        Rc::try_unwrap(log).unwrap().into_inner()
    });
    assert_eq!(log, ["spawner", "spawned"]);
}

#[test]
fn a_local_set_runs_its_tasks_as_tokio_programs_write_it() {
    let rt = corio::Runtime::new().unwrap();
    let local = LocalSet::new();
    let total = local.block_on(&rt, async {
        let shared = Rc::new(RefCell::new(0));
        let tasks: Vec<_> = (1..=4)
            .map(|i| {
                let shared = shared.clone();
                task::spawn_local(async move { *shared.borrow_mut() += i })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        let value = *shared.borrow();
        value
    });
    assert_eq!(total, 10);

    let out = rt.block_on(async {
        let local = LocalSet::new();
        local
            .run_until(async {
                let task = local.spawn_local(async { Rc::new(5) });
                *task.await.unwrap() * 2
            })
            .await
    });
    assert_eq!(out, 10);
}

#[test]
#[should_panic(expected = "corio::spawn called outside a runtime")]
fn spawn_local_outside_a_runtime_panics_as_spawn_does() {
    drop(task::spawn_local(async {}));
}
