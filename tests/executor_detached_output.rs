//! A task's outcome that nobody will observe — the output or panic of a detached task, a
//! result left in a dropped `JoinHandle`, the panic of an aborted or runtime-dropped
//! future's `Drop` — is dropped by the runtime, and a panic from that drop (or from
//! dropping that panic's payload) stays inside the runtime: every other task runs on and
//! `block_on` returns its value.

mod common_exec;

use std::panic::{catch_unwind, panic_any, AssertUnwindSafe};
use std::rc::Rc;

use common_exec::{bystander, counted, yield_until, DropCounter, DropGuard, PanicsOnDrop};
use corio::Runtime;

/// Counts its drop, then panics with a `PanicsOnDrop` payload: dropping that payload
/// panics again.
struct PanicsWithAPanickyPayload {
    _counted: DropGuard,
    inner: Option<PanicsOnDrop>,
}

impl Drop for PanicsWithAPanickyPayload {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            panic_any(inner);
        }
    }
}

/// Runs `body`; a panic that escapes it fails the test with a plain message. The escaped
/// payload is leaked, not dropped: it may be one that panics on drop, which would take
/// the test harness down instead of failing the test.
fn escaped_panics_fail<T>(body: impl FnOnce() -> T) -> T {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(value) => value,
        Err(payload) => {
            let message = common_exec::panic_message(&*payload);
            std::mem::forget(payload);
            panic!("a panic escaped the runtime: {message:?}");
        }
    }
}

#[test]
fn detached_output_whose_drop_panics_leaves_other_tasks_and_block_on_running() {
    let drops = DropCounter::new();
    let guard = drops.guard();
    let got = escaped_panics_fail(|| {
        Runtime::new().unwrap().block_on(async move {
            drop(corio::spawn(async move {
                PanicsOnDrop {
                    _counted: guard,
                    message: "detached output dropped",
                }
            }));
            let other = corio::spawn(bystander(7));
            other.await.unwrap() + 1
        })
    });
    assert_eq!(got, 8);
    assert_eq!(drops.count(), 1, "the detached output was dropped once");
}

#[test]
fn detached_panic_whose_payload_panics_on_drop_leaves_other_tasks_and_block_on_running() {
    let drops = DropCounter::new();
    let guard = drops.guard();
    let got = escaped_panics_fail(|| {
        Runtime::new().unwrap().block_on(async move {
            drop(corio::spawn(async move {
                corio::task::yield_now().await;
                panic_any(PanicsOnDrop {
                    _counted: guard,
                    message: "detached panic payload dropped",
                });
            }));
            let other = corio::spawn(bystander(11));
            other.await.unwrap()
        })
    });
    assert_eq!(got, 11);
    assert_eq!(drops.count(), 1, "the payload was dropped once");
}

#[test]
fn detached_panic_payload_whose_drop_panics_with_a_panicky_payload_is_contained() {
    let drops = DropCounter::new();
    let (outer, inner) = (drops.guard(), drops.guard());
    let got = escaped_panics_fail(|| {
        Runtime::new().unwrap().block_on(async move {
            drop(corio::spawn(async move {
                panic_any(PanicsWithAPanickyPayload {
                    _counted: outer,
                    inner: Some(PanicsOnDrop {
                        _counted: inner,
                        message: "payload of the payload dropped",
                    }),
                });
            }));
            corio::spawn(bystander(3)).await.unwrap()
        })
    });
    assert_eq!(got, 3);
    assert_eq!(drops.count(), 2, "both payloads were dropped");
}

#[test]
fn handle_dropped_after_the_task_finished_contains_its_outputs_drop_panic() {
    let drops = DropCounter::new();
    let guard = drops.guard();
    let got = escaped_panics_fail(|| {
        Runtime::new().unwrap().block_on(async move {
            let handle = corio::spawn(async move {
                PanicsOnDrop {
                    _counted: guard,
                    message: "output dropped with its handle",
                }
            });
            assert!(yield_until(|| handle.is_finished(), 10).await);
            drop(handle);
            corio::spawn(bystander(5)).await.unwrap()
        })
    });
    assert_eq!(got, 5);
    assert_eq!(drops.count(), 1);
}

#[test]
fn aborted_task_whose_drop_panics_with_a_panicky_payload_reports_cancelled() {
    let drops = DropCounter::new();
    let (outer, inner) = (drops.guard(), drops.guard());
    let got = escaped_panics_fail(|| {
        Runtime::new().unwrap().block_on(async move {
            let (task, polls) = counted(async move {
                let _dropped_on_abort = PanicsWithAPanickyPayload {
                    _counted: outer,
                    inner: Some(PanicsOnDrop {
                        _counted: inner,
                        message: "payload of an aborted task's Drop panic",
                    }),
                };
                std::future::pending::<()>().await;
            });
            let handle = corio::spawn(task);
            assert!(yield_until(|| polls.get() == 1, 10).await);
            handle.abort();
            let err = handle.await.unwrap_err();
            assert!(err.is_cancelled(), "{err:?}");
            corio::spawn(bystander(9)).await.unwrap()
        })
    });
    assert_eq!(got, 9);
    assert_eq!(drops.count(), 2);
}

#[test]
fn runtime_drop_contains_a_pending_tasks_drop_panic_with_a_panicky_payload() {
    let drops = DropCounter::new();
    let (outer, inner, sibling) = (drops.guard(), drops.guard(), drops.guard());
    let rt = Runtime::new().unwrap();
    let polls = escaped_panics_fail(|| {
        rt.block_on(async move {
            let (task, polls) = counted(async move {
                let _dropped_with_runtime = PanicsWithAPanickyPayload {
                    _counted: outer,
                    inner: Some(PanicsOnDrop {
                        _counted: inner,
                        message: "payload of a runtime-dropped task's Drop panic",
                    }),
                };
                std::future::pending::<()>().await;
            });
            drop(corio::spawn(task));
            drop(corio::spawn(async move {
                let _sibling = sibling;
                std::future::pending::<()>().await;
            }));
            assert!(yield_until(|| polls.get() == 1, 10).await);
            polls
        })
    });
    escaped_panics_fail(|| drop(rt));
    assert_eq!(drops.count(), 3, "every pending task was dropped");
    assert_eq!(Rc::strong_count(&polls), 1);
}

/// Counts its drop, then panics with another one of itself: a chain of payloads that
/// panic when dropped, with no end.
struct PanicsWithItself(DropCounter);

impl Drop for PanicsWithItself {
    fn drop(&mut self) {
        drop(self.0.guard());
        panic_any(PanicsWithItself(self.0.clone()));
    }
}

/// The runtime follows the chain a bounded number of links and leaks the rest (so Miri,
/// which reports leaks, skips this one).
#[test]
#[cfg_attr(miri, ignore)]
fn detached_panic_payload_that_panics_with_itself_forever_is_contained() {
    let drops = DropCounter::new();
    let payloads = drops.clone();
    let got = escaped_panics_fail(|| {
        Runtime::new().unwrap().block_on(async move {
            drop(corio::spawn(async move {
                panic_any(PanicsWithItself(payloads));
            }));
            corio::spawn(bystander(4)).await.unwrap()
        })
    });
    assert_eq!(got, 4);
    assert_eq!(
        drops.count(),
        8,
        "eight links were dropped, the ninth leaked"
    );
}
