//! A panicking task gives its `JoinHandle` an error carrying the message, and nothing else
//! stops: other tasks run on, panics in a future's `Drop` are contained (on completion, on
//! abort, on runtime drop), and a panic that escapes `block_on` leaves the thread clean.

mod common_exec;

use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::time::Duration;

use common_exec::{counted, panic_message, with_watchdog, yield_until, DropCounter};
use corio::Runtime;

const WATCHDOG: Duration = Duration::from_secs(20);

/// Panics when dropped.
struct PanicOnDrop(&'static str);

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        panic!("{}", self.0);
    }
}

#[test]
fn panic_reaches_the_handle_with_its_message_and_others_complete() {
    with_watchdog(WATCHDOG, || {
        corio::block_on(async {
            let progress = Rc::new(Cell::new(0u32));
            let p = progress.clone();
            let (bad, bad_polls) = counted(async move {
                corio::task::yield_now().await;
                let n = p.get();
                if n < 1000 {
                    panic!("task exploded after {n} steps");
                }
                n
            });
            let bad = corio::spawn(bad);
            let workers: Vec<_> = (0..3u32)
                .map(|i| {
                    let p = progress.clone();
                    corio::spawn(async move {
                        for _ in 0..10 {
                            p.set(p.get() + 1);
                            corio::task::yield_now().await;
                        }
                        i * 10
                    })
                })
                .collect();
            let err = bad.await.unwrap_err();
            assert!(err.is_panic() && !err.is_cancelled());
            assert_eq!(bad_polls.get(), 2);
            let shown = err.to_string();
            assert!(
                shown.starts_with("task panicked: task exploded after "),
                "{shown}"
            );
            let payload = err.try_into_panic().unwrap();
            let message = panic_message(&*payload).unwrap();
            assert!(message.starts_with("task exploded after "), "{message}");
            for (i, worker) in workers.into_iter().enumerate() {
                assert_eq!(worker.await.unwrap(), i as u32 * 10);
            }
            assert_eq!(progress.get(), 30);
        })
    });
}

#[test]
fn static_str_payload_and_non_string_payload() {
    with_watchdog(WATCHDOG, || {
        corio::block_on(async {
            let err = corio::spawn(async { panic!("plain") }).await.unwrap_err();
            assert_eq!(err.to_string(), "task panicked: plain");
            assert_eq!(format!("{err:?}"), "JoinError::Panic(\"plain\")");
            let err = corio::spawn(async { std::panic::panic_any(42u8) })
                .await
                .unwrap_err();
            assert!(err.is_panic());
            assert_eq!(err.to_string(), "task panicked");
            assert_eq!(*err.try_into_panic().unwrap().downcast::<u8>().unwrap(), 42);
        })
    });
}

#[test]
fn panic_in_drop_of_a_completed_future_is_the_tasks_panic() {
    with_watchdog(WATCHDOG, || {
        corio::block_on(async {
            let handle = corio::spawn(async {
                let _bomb = PanicOnDrop("drop after completion");
                corio::task::yield_now().await;
                5
            });
            let after = corio::spawn(async { "still running" });
            let err = handle.await.unwrap_err();
            assert!(err.is_panic());
            assert_eq!(err.to_string(), "task panicked: drop after completion");
            assert_eq!(after.await.unwrap(), "still running");
        })
    });
}

/// Panics when polled, and again when dropped. A hand-written future: an `async` block
/// would drop its locals while unwinding from the first panic, and a second panic during
/// unwinding aborts the process (Rust's rule, not the runtime's).
struct PanicsTwice {
    _bomb: PanicOnDrop,
    _guard: common_exec::DropGuard,
}

impl std::future::Future for PanicsTwice {
    type Output = ();
    fn poll(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        panic!("first, in poll");
    }
}

#[test]
fn panic_in_poll_and_then_in_drop_reports_the_first_panic() {
    with_watchdog(WATCHDOG, || {
        corio::block_on(async {
            let drops = DropCounter::new();
            let handle = corio::spawn(PanicsTwice {
                _bomb: PanicOnDrop("second, in drop"),
                _guard: drops.guard(),
            });
            let err = handle.await.unwrap_err();
            assert_eq!(err.to_string(), "task panicked: first, in poll");
            assert_eq!(drops.count(), 1);
            assert_eq!(corio::spawn(async { 2 }).await.unwrap(), 2);
        })
    });
}

#[test]
fn panic_in_drop_of_an_aborted_future_is_contained() {
    with_watchdog(WATCHDOG, || {
        corio::block_on(async {
            let drops = DropCounter::new();
            let guard = drops.guard();
            let (task, polls) = counted(async move {
                let _guard = guard;
                let _bomb = PanicOnDrop("drop on abort");
                std::future::pending::<()>().await
            });
            let handle = corio::spawn(task);
            assert!(yield_until(|| polls.get() == 1, 100).await);
            handle.abort();
            let err = handle.await.unwrap_err();
            assert!(err.is_cancelled(), "{err:?}");
            assert_eq!(drops.count(), 1);
            assert_eq!(polls.get(), 1);
            assert_eq!(corio::spawn(async { 1 }).await.unwrap(), 1);
        })
    });
}

#[test]
fn panic_in_drop_while_the_runtime_drops_does_not_stop_the_other_drops() {
    with_watchdog(WATCHDOG, || {
        let drops = DropCounter::new();
        let rt = Runtime::new().unwrap();
        let handles = rt.block_on(async {
            let mut handles = Vec::new();
            for i in 0..9 {
                let guard = drops.guard();
                handles.push(corio::spawn(async move {
                    let _guard = guard;
                    let _bomb = (i % 3 == 1).then(|| PanicOnDrop("drop on runtime drop"));
                    std::future::pending::<()>().await
                }));
            }
            corio::task::yield_now().await;
            handles
        });
        assert_eq!(rt.alive_tasks(), 9);
        drop(rt);
        assert_eq!(drops.count(), 9, "a panicking drop stopped the others");
        corio::block_on(async {
            for handle in handles {
                assert!(handle.await.unwrap_err().is_cancelled());
            }
        });
    });
}

#[test]
fn many_tasks_panicking_at_once_leave_the_rest_running() {
    const EACH: usize = if cfg!(miri) { 20 } else { 200 }; // unwinding is slow in Miri
    with_watchdog(WATCHDOG, || {
        corio::block_on(async {
            let mut bad = Vec::new();
            let mut good = Vec::new();
            for i in 0..EACH {
                bad.push(corio::spawn(async move {
                    corio::task::yield_now().await;
                    if i < EACH {
                        panic!("bad {i}");
                    }
                    i
                }));
                good.push(corio::spawn(async move {
                    corio::task::yield_now().await;
                    corio::task::yield_now().await;
                    i
                }));
            }
            for (i, handle) in bad.into_iter().enumerate() {
                let err = handle.await.unwrap_err();
                assert_eq!(err.to_string(), format!("task panicked: bad {i}"));
            }
            for (i, handle) in good.into_iter().enumerate() {
                assert_eq!(handle.await.unwrap(), i);
            }
        })
    });
}

#[test]
#[cfg_attr(miri, ignore)]
fn panic_escaping_block_on_drops_the_tasks_and_leaves_the_thread_clean() {
    with_watchdog(WATCHDOG, || {
        let drops = DropCounter::new();
        let guard = drops.guard();
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            corio::block_on(async move {
                drop(corio::spawn(async move {
                    let _guard = guard;
                    std::future::pending::<()>().await
                }));
                corio::task::yield_now().await;
                panic!("main future failed");
            })
        }));
        let payload = outcome.unwrap_err();
        assert_eq!(
            panic_message(&*payload).as_deref(),
            Some("main future failed")
        );
        assert_eq!(drops.count(), 1);
        // No runtime is left current on this thread...
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let err = corio::net::TcpListener::from_std(std_listener).unwrap_err();
        assert!(err.to_string().contains("runtime"), "{err}");
        // ...and a new one works.
        assert_eq!(
            corio::block_on(async { corio::spawn(async { 3 }).await }).unwrap(),
            3
        );
    });
}

#[test]
fn runtime_is_reusable_after_a_panic_escaped_its_block_on() {
    with_watchdog(WATCHDOG, || {
        let rt = Runtime::new().unwrap();
        let handle: Rc<std::cell::RefCell<Option<corio::JoinHandle<u32>>>> = Rc::default();
        let slot = handle.clone();
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            rt.block_on(async move {
                *slot.borrow_mut() = Some(corio::spawn(async {
                    for _ in 0..5 {
                        corio::task::yield_now().await;
                    }
                    5
                }));
                corio::task::yield_now().await;
                panic!("main future failed");
            })
        }));
        assert!(outcome.is_err());
        // The task spawned before the panic is still there and runs in the next call.
        assert_eq!(rt.alive_tasks(), 1);
        let handle = handle.borrow_mut().take().unwrap();
        assert_eq!(rt.block_on(handle).unwrap(), 5);
        assert_eq!(rt.alive_tasks(), 0);
    });
}
