//! `JoinHandle::abort` drops the task's future exactly once, on the owner thread, before
//! it is polled again, and the handle reports cancellation; abort after completion is a
//! no-op; dropping a handle detaches the task.

mod common_exec;

use std::cell::{Cell, RefCell};
use std::future::{pending, poll_fn};
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::thread::ThreadId;
use std::time::Duration;

use common_exec::{counted, with_watchdog, yield_until, DropCounter, Signal};

const WATCHDOG: Duration = Duration::from_secs(20);

#[test]
fn abort_of_a_pending_task_drops_it_once_before_any_further_poll() {
    with_watchdog(WATCHDOG, || {
        corio::block_on(async {
            let drops = DropCounter::new();
            let guard = drops.guard();
            let gate = Signal::new();
            let wait = gate.wait();
            let (task, polls) = counted(async move {
                let _guard = guard;
                wait.await;
                "ran to the end"
            });
            let handle = corio::spawn(task);
            assert!(yield_until(|| polls.get() == 1, 100).await);
            // Make it ready to run, then abort before it gets the chance.
            gate.set();
            handle.abort();
            assert!(!handle.is_finished());
            assert!(yield_until(|| drops.count() == 1, 100).await);
            assert!(handle.is_finished());
            handle.abort(); // a second abort changes nothing
            let err = handle.await.unwrap_err();
            assert!(err.is_cancelled() && !err.is_panic(), "{err:?}");
            assert_eq!(err.to_string(), "task was cancelled");
            assert_eq!(polls.get(), 1, "the aborted future was polled again");
            for _ in 0..100 {
                corio::task::yield_now().await;
            }
            assert_eq!(drops.count(), 1);
        })
    });
}

#[test]
fn abort_before_the_first_poll_never_polls() {
    with_watchdog(WATCHDOG, || {
        corio::block_on(async {
            let drops = DropCounter::new();
            let guard = drops.guard();
            let (task, polls) = counted(async move {
                let _guard = guard;
            });
            let handle = corio::spawn(task);
            handle.abort();
            assert!(handle.await.unwrap_err().is_cancelled());
            assert_eq!(polls.get(), 0);
            assert_eq!(drops.count(), 1);
        })
    });
}

#[test]
#[cfg_attr(miri, ignore)]
fn abort_of_a_task_parked_on_io_and_timer() {
    with_watchdog(WATCHDOG, || {
        let rt = corio::Runtime::new().unwrap();
        rt.block_on(async {
            let listener = corio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let drops = DropCounter::new();
            let (accept_guard, sleep_guard) = (drops.guard(), drops.guard());
            let (accepting, accept_polls) = counted(async move {
                let _guard = accept_guard;
                listener.accept().await.map(|_| ())
            });
            let (sleeping, sleep_polls) = counted(async move {
                let _guard = sleep_guard;
                corio::time::sleep(Duration::from_secs(3600)).await
            });
            let accept = corio::spawn(accepting);
            let sleep = corio::spawn(sleeping);
            assert!(yield_until(|| accept_polls.get() == 1 && sleep_polls.get() == 1, 100).await);
            assert_eq!(rt.registered_sources(), 1);
            accept.abort();
            sleep.abort();
            assert!(accept.await.unwrap_err().is_cancelled());
            assert!(sleep.await.unwrap_err().is_cancelled());
            assert_eq!(drops.count(), 2);
            assert_eq!(rt.registered_sources(), 0, "the aborted accept kept its fd");
            assert_eq!((accept_polls.get(), sleep_polls.get()), (1, 1));
            assert_eq!(rt.alive_tasks(), 0);
        })
    });
}

#[test]
fn abort_after_completion_is_a_noop() {
    with_watchdog(WATCHDOG, || {
        corio::block_on(async {
            let drops = DropCounter::new();
            let guard = drops.guard();
            let handle = corio::spawn(async move {
                let _guard = guard;
                99
            });
            assert!(yield_until(|| handle.is_finished(), 100).await);
            assert_eq!(drops.count(), 1);
            handle.abort();
            handle.abort();
            assert_eq!(handle.await.unwrap(), 99);
            assert_eq!(drops.count(), 1);
        })
    });
}

#[test]
fn task_aborting_itself_stops_at_its_next_await() {
    with_watchdog(WATCHDOG, || {
        corio::block_on(async {
            let own: Rc<RefCell<Option<corio::JoinHandle<&'static str>>>> = Rc::default();
            let drops = DropCounter::new();
            let guard = drops.guard();
            let reached = Rc::new(Cell::new(0));
            let (mine, r) = (own.clone(), reached.clone());
            let (task, polls) = counted(async move {
                let _guard = guard;
                // Wait until the spawner has handed us our own handle.
                poll_fn(|cx| {
                    if mine.borrow().is_some() {
                        Poll::Ready(())
                    } else {
                        cx.waker().wake_by_ref();
                        Poll::Pending
                    }
                })
                .await;
                mine.borrow().as_ref().unwrap().abort();
                r.set(1);
                corio::task::yield_now().await;
                r.set(2);
                "not cancelled"
            });
            *own.borrow_mut() = Some(corio::spawn(task));
            assert!(yield_until(|| drops.count() == 1, 100).await);
            assert_eq!(reached.get(), 1, "code after the self-abort's await ran");
            assert_eq!(polls.get(), 1);
            let handle = own.borrow_mut().take().unwrap();
            assert!(handle.await.unwrap_err().is_cancelled());
        })
    });
}

#[test]
fn task_aborting_itself_and_finishing_in_the_same_poll_keeps_its_output() {
    with_watchdog(WATCHDOG, || {
        corio::block_on(async {
            let own: Rc<RefCell<Option<corio::JoinHandle<u8>>>> = Rc::default();
            let mine = own.clone();
            let handle = corio::spawn(async move {
                corio::task::yield_now().await;
                mine.borrow().as_ref().unwrap().abort();
                7
            });
            *own.borrow_mut() = Some(handle);
            let handle = loop {
                corio::task::yield_now().await;
                if own.borrow().as_ref().unwrap().is_finished() {
                    break own.borrow_mut().take().unwrap();
                }
            };
            // The abort came after the last await: nothing was left to cancel.
            assert_eq!(handle.await.unwrap(), 7);
        })
    });
}

#[test]
fn abort_from_another_task() {
    with_watchdog(WATCHDOG, || {
        corio::block_on(async {
            let drops = DropCounter::new();
            let guard = drops.guard();
            let victim = corio::spawn(async move {
                let _guard = guard;
                pending::<()>().await
            });
            let killer = corio::spawn(async move {
                corio::task::yield_now().await;
                victim.abort();
                victim.await
            });
            assert!(killer.await.unwrap().unwrap_err().is_cancelled());
            assert_eq!(drops.count(), 1);
        })
    });
}

#[test]
fn dropping_the_handle_detaches_the_task() {
    with_watchdog(WATCHDOG, || {
        corio::block_on(async {
            let steps = Rc::new(Cell::new(0));
            let drops = DropCounter::new();
            let guard = drops.guard();
            let s = steps.clone();
            drop(corio::spawn(async move {
                let _guard = guard;
                for _ in 0..20 {
                    s.set(s.get() + 1);
                    corio::task::yield_now().await;
                }
            }));
            assert!(yield_until(|| drops.count() == 1, 1000).await);
            assert_eq!(steps.get(), 20);
        })
    });
}

/// Records the thread it is dropped on.
struct DropThread(Arc<Mutex<Option<ThreadId>>>);

impl Drop for DropThread {
    fn drop(&mut self) {
        *self.0.lock().unwrap() = Some(std::thread::current().id());
    }
}

#[test]
fn a_handle_moved_to_another_thread_aborts_and_joins_there_while_the_future_drops_here() {
    // Compile-time: the handles are `Send + Sync`, as tokio's (for `Send` outputs).
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<corio::JoinHandle<u8>>();
    assert_send_sync::<corio::task::AbortHandle>();
    // RUSTSEC-2021-0072: an abort from another thread must not drop a `!Send` future
    // there. This one holds an `Rc`, and records where it is dropped.
    let dropped_on = Arc::new(Mutex::new(None));
    let record = DropThread(dropped_on.clone());
    let runtime_thread = with_watchdog(WATCHDOG, move || {
        corio::block_on(async {
            let handle = corio::spawn(async move {
                let _not_send = Rc::new(record);
                pending::<u8>().await
            });
            corio::task::yield_now().await; // it runs once and parks
            let (tx, rx) = corio::sync::oneshot::channel();
            let other = std::thread::spawn(move || {
                handle.abort();
                // Awaited on another runtime, on another thread.
                let outcome = corio::block_on(handle);
                let _ = tx.send(outcome.map_err(|e| e.is_cancelled()));
            });
            assert_eq!(rx.await.unwrap(), Err(true), "cancelled");
            other.join().unwrap();
        });
        std::thread::current().id()
    });
    assert_eq!(*dropped_on.lock().unwrap(), Some(runtime_thread));
}
