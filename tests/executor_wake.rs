//! Wakeups are never lost: a task woken during its own poll runs again, and a wake from
//! another thread ends a blocking wait in the reactor promptly (the doorbell).

// `waker.clone().wake()` is deliberate: it exercises the by-value wake path.
#![allow(clippy::waker_clone_wake)]

mod common_exec;

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::mpsc;
use std::task::Poll;
use std::thread;
use std::time::{Duration, Instant};

use common_exec::{counted, with_watchdog, yield_until, Signal};

const WATCHDOG: Duration = Duration::from_secs(20);

/// A future that wakes itself `times` times (one wake per poll) and then completes with
/// the number of wakes.
fn self_waking(times: usize, by_value: bool) -> impl Future<Output = usize> {
    let mut woken = 0;
    poll_fn(move |cx| {
        if woken == times {
            return Poll::Ready(woken);
        }
        woken += 1;
        if by_value {
            cx.waker().clone().wake();
        } else {
            cx.waker().wake_by_ref();
        }
        Poll::Pending
    })
}

#[test]
fn spawned_task_that_wakes_itself_three_times_is_polled_exactly_four_times() {
    with_watchdog(WATCHDOG, || {
        corio::block_on(async {
            for by_value in [false, true] {
                let (task, polls) = counted(self_waking(3, by_value));
                let handle = corio::spawn(task);
                assert_eq!(handle.await.unwrap(), 3);
                assert_eq!(polls.get(), 4, "by_value={by_value}");
            }
        })
    });
}

#[test]
fn main_future_that_wakes_itself_three_times_is_polled_exactly_four_times() {
    with_watchdog(WATCHDOG, || {
        let (main, polls) = counted(self_waking(3, false));
        assert_eq!(corio::block_on(main), 3);
        assert_eq!(polls.get(), 4);
    });
}

#[test]
fn two_wakes_during_one_poll_queue_the_task_once() {
    with_watchdog(WATCHDOG, || {
        corio::block_on(async {
            let release = Signal::new();
            let gate = release.clone();
            let mut first = true;
            let mut wait = gate.wait();
            let (task, polls) = counted(poll_fn(move |cx| {
                if first {
                    first = false;
                    cx.waker().wake_by_ref();
                    cx.waker().clone().wake();
                    return Poll::Pending;
                }
                Pin::new(&mut wait).poll(cx)
            }));
            let handle = corio::spawn(task);
            assert!(yield_until(|| polls.get() == 2, 100).await);
            // 300 yields span several reactor turns (one at least every 61 polls): a
            // duplicate queue entry would have produced a third poll by now.
            for _ in 0..300 {
                corio::task::yield_now().await;
            }
            assert_eq!(polls.get(), 2, "two wakes in one poll gave two extra polls");
            release.set();
            handle.await.unwrap();
            assert_eq!(polls.get(), 3);
        })
    });
}

#[test]
fn wake_from_another_thread_during_the_poll_runs_the_task_again() {
    with_watchdog(WATCHDOG, || {
        corio::block_on(async {
            let mut first = true;
            let (task, polls) = counted(poll_fn(move |cx| {
                if !first {
                    return Poll::Ready(7);
                }
                first = false;
                // The wake lands while this very poll is still running (queued flag clear).
                let waker = cx.waker().clone();
                thread::spawn(move || waker.wake()).join().unwrap();
                Poll::Pending
            }));
            assert_eq!(corio::spawn(task).await.unwrap(), 7);
            assert_eq!(polls.get(), 2);
        })
    });
}

/// Parks on `signal`, telling `parked` (once) that it is about to return `Pending`.
fn park_and_report(signal: &Signal, parked: mpsc::Sender<()>) -> impl Future<Output = ()> {
    let mut wait = signal.wait();
    let mut told = false;
    poll_fn(move |cx| {
        let poll = Pin::new(&mut wait).poll(cx);
        if poll.is_pending() && !told {
            told = true;
            parked.send(()).unwrap();
        }
        poll
    })
}

/// A thread that waits for `parked`, lets the runtime fall asleep in its backend wait,
/// then sets `signal`; it returns the instant of the wake.
fn wake_later(signal: Signal, parked: mpsc::Receiver<()>) -> thread::JoinHandle<Instant> {
    thread::spawn(move || {
        parked.recv().unwrap();
        // Not synchronisation: this pause is the scenario under test (the loop has nothing
        // to do and blocks in epoll_wait with no timeout while we wait).
        thread::sleep(Duration::from_millis(50));
        let at = Instant::now();
        signal.set();
        at
    })
}

#[test]
fn wake_of_main_future_from_another_thread_ends_the_blocking_wait() {
    with_watchdog(WATCHDOG, || {
        let signal = Signal::new();
        let (parked_tx, parked_rx) = mpsc::channel();
        let waker_thread = wake_later(signal.clone(), parked_rx);
        let (main, polls) = counted(park_and_report(&signal, parked_tx));
        corio::block_on(main);
        let returned = Instant::now();
        let woke_at = waker_thread.join().unwrap();
        assert!(
            returned.duration_since(woke_at) < Duration::from_secs(2),
            "block_on took {:?} to notice the wake",
            returned.duration_since(woke_at)
        );
        assert_eq!(polls.get(), 2);
    });
}

#[test]
fn wake_of_spawned_task_from_another_thread_ends_the_blocking_wait() {
    with_watchdog(WATCHDOG, || {
        let signal = Signal::new();
        let (parked_tx, parked_rx) = mpsc::channel();
        let waker_thread = wake_later(signal.clone(), parked_rx);
        let (task, polls) = counted(park_and_report(&signal, parked_tx));
        let polls_seen = corio::block_on(async move {
            corio::spawn(task).await.unwrap();
            polls.get()
        });
        let returned = Instant::now();
        let woke_at = waker_thread.join().unwrap();
        assert!(returned.duration_since(woke_at) < Duration::from_secs(2));
        assert_eq!(polls_seen, 2);
    });
}

#[test]
fn many_tasks_woken_from_several_threads_each_run_exactly_twice() {
    const TASKS: usize = if cfg!(miri) { 50 } else { 400 };
    const THREADS: usize = 4;
    with_watchdog(WATCHDOG, || {
        corio::block_on(async {
            let signals: Vec<Signal> = (0..TASKS).map(|_| Signal::new()).collect();
            let mut handles = Vec::new();
            let mut counters = Vec::new();
            for (i, signal) in signals.iter().enumerate() {
                let (task, polls) = counted({
                    let wait = signal.wait();
                    async move {
                        wait.await;
                        i
                    }
                });
                handles.push(corio::spawn(task));
                counters.push(polls);
            }
            assert!(yield_until(|| counters.iter().all(|p| p.get() == 1), 10).await);
            let threads: Vec<_> = (0..THREADS)
                .map(|t| {
                    let mine: Vec<Signal> =
                        signals.iter().skip(t).step_by(THREADS).cloned().collect();
                    thread::spawn(move || mine.iter().for_each(Signal::set))
                })
                .collect();
            for (i, handle) in handles.into_iter().enumerate() {
                assert_eq!(handle.await.unwrap(), i);
            }
            for thread in threads {
                thread.join().unwrap();
            }
            for (i, polls) in counters.iter().enumerate() {
                assert_eq!(polls.get(), 2, "task {i}");
            }
        })
    });
}
