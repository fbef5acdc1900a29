//! `corio::signal`: deliveries reach every stream, on every runtime, with nothing lost.
//! Each test uses its own signal: tests run in parallel in one process.

mod util;

use std::io::ErrorKind;
use std::time::Duration;

use corio::signal::{signal, SignalKind};
use util::{poll_once, within};

const LIMIT: Duration = Duration::from_secs(20);

fn raise(signum: libc::c_int) {
    // SAFETY: kill takes no pointers; our own pid; the handler is installed first.
    assert_eq!(unsafe { libc::kill(libc::getpid(), signum) }, 0);
}

#[test]
fn every_stream_in_every_task_sees_a_delivery() {
    corio::block_on(within(LIMIT, "two streams", async {
        let mut a = signal(SignalKind::user_defined1()).unwrap();
        let mut b = signal(SignalKind::user_defined1()).unwrap();
        let other = corio::spawn(async move { b.recv().await });
        corio::task::yield_now().await; // the other task is parked on its stream
        raise(libc::SIGUSR1);
        assert_eq!(a.recv().await, Some(()));
        assert_eq!(other.await.unwrap(), Some(()));
    }));
}

#[test]
fn deliveries_before_the_stream_existed_are_not_seen_and_bursts_coalesce() {
    corio::block_on(within(LIMIT, "coalesce", async {
        let mut first = signal(SignalKind::user_defined2()).unwrap();
        raise(libc::SIGUSR2);
        first.recv().await.unwrap();
        let mut late = signal(SignalKind::user_defined2()).unwrap();
        let mut recv = Box::pin(late.recv());
        assert!(
            poll_once(&mut recv).await.is_pending(),
            "saw an old delivery"
        );
        drop(recv);
        raise(libc::SIGUSR2);
        raise(libc::SIGUSR2);
        late.recv().await.unwrap();
        // Both deliveries may have landed before the wake: at most one more is pending.
        let mut again = Box::pin(late.recv());
        let _ = poll_once(&mut again).await;
    }));
}

#[test]
fn runtimes_on_two_threads_each_see_the_signal() {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let other = std::thread::spawn(move || {
        corio::block_on(within(LIMIT, "other runtime", async move {
            let mut s = signal(SignalKind::window_change()).unwrap();
            ready_tx.send(()).unwrap();
            s.recv().await
        }))
    });
    corio::block_on(within(LIMIT, "this runtime", async {
        let mut s = signal(SignalKind::window_change()).unwrap();
        ready_rx.recv().unwrap();
        raise(libc::SIGWINCH);
        assert_eq!(s.recv().await, Some(()));
    }));
    assert_eq!(other.join().unwrap(), Some(()));
}

#[test]
fn uncatchable_and_out_of_range_signals_are_refused() {
    corio::block_on(async {
        for signum in [libc::SIGKILL, libc::SIGSTOP, libc::SIGSEGV, 0, -1, 1000] {
            let err = signal(SignalKind::from_raw(signum)).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "signal {signum}");
        }
    });
}

#[test]
fn outside_a_runtime_is_an_error_not_a_panic() {
    assert!(signal(SignalKind::hangup()).is_err());
}

#[test]
fn a_stream_that_outlives_its_runtime_ends() {
    let mut s = corio::block_on(async { signal(SignalKind::alarm()).unwrap() });
    corio::block_on(async {
        assert_eq!(s.recv().await, None);
    });
}

#[test]
fn a_second_live_runtime_on_the_same_thread_gets_its_own_driver() {
    let first = corio::Runtime::new().unwrap();
    let _kept = first.block_on(async { signal(SignalKind::from_raw(libc::SIGVTALRM)).unwrap() });
    let second = corio::Runtime::new().unwrap();
    second.block_on(within(LIMIT, "second runtime", async {
        let mut s = signal(SignalKind::from_raw(libc::SIGVTALRM)).unwrap();
        raise(libc::SIGVTALRM);
        assert_eq!(s.recv().await, Some(()));
    }));
}
