//! A wake storm (a million wakes) on a parked task costs one poll per batch: the task is
//! queued once, whichever thread wakes it, and nothing overflows or crashes.

mod common_exec;

use std::cell::Cell;
use std::future::poll_fn;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::thread;
use std::time::Duration;

use common_exec::{with_watchdog, yield_until, Signal};

const WATCHDOG: Duration = Duration::from_secs(30);
/// Under Miri a thousand wakes: the same batching, interpreted in seconds.
const STORM: usize = if cfg!(miri) { 1_000 } else { 1_000_000 };

/// A task that parks forever (until `stop`), publishing its latest waker and counting polls.
struct Parked {
    waker: Arc<Mutex<Option<Waker>>>,
    polls: Rc<Cell<usize>>,
    stop: Rc<Cell<bool>>,
    handle: corio::JoinHandle<()>,
}

impl Parked {
    fn spawn() -> Parked {
        let waker: Arc<Mutex<Option<Waker>>> = Arc::default();
        let polls = Rc::new(Cell::new(0));
        let stop = Rc::new(Cell::new(false));
        let (w, p, s) = (waker.clone(), polls.clone(), stop.clone());
        let handle = corio::spawn(poll_fn(move |cx| {
            p.set(p.get() + 1);
            if s.get() {
                return Poll::Ready(());
            }
            *w.lock().unwrap() = Some(cx.waker().clone());
            Poll::Pending
        }));
        Parked {
            waker,
            polls,
            stop,
            handle,
        }
    }

    fn waker(&self) -> Waker {
        self.waker.lock().unwrap().clone().expect("parked")
    }

    async fn finish(self) {
        self.stop.set(true);
        self.waker().wake();
        self.handle.await.unwrap();
    }
}

/// Lets the executor run everything queued, local and remote: parks the main future until
/// a thread wakes it, so the run queue drains and the remote queue is collected.
async fn settle() {
    let signal = Signal::new();
    let s = signal.clone();
    // The thread sets the flag only once main is parked on it: set earlier, `wait` would be
    // ready at its first poll, main would never give way, and the remote queue (collected
    // when the local one runs dry) would stay uncollected through the yields below.
    let t = thread::spawn(move || {
        while s.parked_waker().is_none() {
            thread::yield_now();
        }
        s.set()
    });
    signal.wait().await;
    t.join().unwrap();
    for _ in 0..5 {
        corio::task::yield_now().await;
    }
}

#[test]
fn a_million_local_wakes_cost_one_poll() {
    with_watchdog(WATCHDOG, || {
        corio::block_on(async {
            let task = Parked::spawn();
            assert!(yield_until(|| task.polls.get() == 1, 100).await);
            let waker = task.waker();
            for _ in 0..STORM {
                waker.wake_by_ref();
            }
            settle().await;
            assert_eq!(task.polls.get(), 2, "one batch of wakes, one poll");
            // A second batch, by value this time, costs one more.
            for _ in 0..STORM / 10 {
                task.waker().wake();
            }
            settle().await;
            assert_eq!(task.polls.get(), 3);
            task.finish().await;
        })
    });
}

#[test]
fn a_million_remote_wakes_cost_one_poll() {
    with_watchdog(WATCHDOG, || {
        corio::block_on(async {
            let task = Parked::spawn();
            assert!(yield_until(|| task.polls.get() == 1, 100).await);
            // The runtime thread is blocked in join() during the storm, so no poll can
            // interleave: the whole storm is one batch.
            let waker = task.waker();
            thread::spawn(move || {
                for _ in 0..STORM {
                    waker.wake_by_ref();
                }
            })
            .join()
            .unwrap();
            settle().await;
            assert_eq!(task.polls.get(), 2, "one batch of remote wakes, one poll");
            task.finish().await;
        })
    });
}

#[test]
fn local_and_remote_storms_together_cost_one_poll() {
    with_watchdog(WATCHDOG, || {
        corio::block_on(async {
            let task = Parked::spawn();
            assert!(yield_until(|| task.polls.get() == 1, 100).await);
            let remote = task.waker();
            let storm = thread::spawn(move || {
                for _ in 0..STORM {
                    remote.wake_by_ref();
                }
            });
            let local = task.waker();
            for _ in 0..STORM {
                local.wake_by_ref();
            }
            storm.join().unwrap();
            settle().await;
            assert_eq!(task.polls.get(), 2);
            task.finish().await;
        })
    });
}

#[test]
fn storm_while_the_task_keeps_running_leaves_its_waker_working() {
    with_watchdog(WATCHDOG, || {
        corio::block_on(async {
            let task = Parked::spawn();
            assert!(yield_until(|| task.polls.get() == 1, 100).await);
            // This time the runtime keeps polling while the storm goes on: every poll
            // re-parks the task, and the wakes race with the clearing of its queued flag.
            let storm_done = Signal::new();
            let (waker, done) = (task.waker(), storm_done.clone());
            let storm = thread::spawn(move || {
                for _ in 0..STORM {
                    waker.wake_by_ref();
                }
                done.set();
            });
            storm_done.wait().await;
            storm.join().unwrap();
            let during = task.polls.get();
            assert!(
                (2..=STORM + 1).contains(&during),
                "{during} polls for {STORM} wakes"
            );
            // The storm's last wake was queued before main's, so it has been served; the
            // queued flag must not be stuck: one more wake, exactly one more poll.
            settle().await;
            let before = task.polls.get();
            task.waker().wake_by_ref();
            settle().await;
            assert_eq!(task.polls.get(), before + 1);
            task.finish().await;
        })
    });
}
