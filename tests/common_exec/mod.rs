//! Helpers for the executor and reactor tests: drop counters, poll counters, wakers that
//! count or run hooks, a cross-thread signal, and a watchdog that turns a hang into a
//! failure.
#![allow(dead_code)]

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

/// Counts how many [`DropGuard`]s made from it were dropped. `Send`, so a guard can also
/// live in a thread or a waker.
#[derive(Clone, Debug, Default)]
pub struct DropCounter(Arc<AtomicUsize>);

impl DropCounter {
    /// A counter at zero.
    pub fn new() -> DropCounter {
        DropCounter::default()
    }

    /// A guard that bumps this counter once, when dropped.
    pub fn guard(&self) -> DropGuard {
        DropGuard(self.0.clone())
    }

    /// How many guards were dropped so far.
    pub fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// Bumps its [`DropCounter`] when dropped.
#[derive(Debug)]
pub struct DropGuard(Arc<AtomicUsize>);

impl Drop for DropGuard {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A future that counts its polls (the inner future is boxed, so this one is `Unpin`).
pub struct Counted<F> {
    inner: Pin<Box<F>>,
    polls: Rc<Cell<usize>>,
}

/// Wraps `future` so every poll of it is counted; returns the wrapper and the counter.
pub fn counted<F: Future>(future: F) -> (Counted<F>, Rc<Cell<usize>>) {
    let polls = Rc::new(Cell::new(0));
    (
        Counted {
            inner: Box::pin(future),
            polls: polls.clone(),
        },
        polls,
    )
}

impl<F: Future> Future for Counted<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.polls.set(self.polls.get() + 1);
        self.inner.as_mut().poll(cx)
    }
}

/// Shared state of a [`Signal`].
#[derive(Default)]
struct SignalState {
    set: bool,
    waker: Option<Waker>,
}

/// A flag that one side sets (from any thread) and the other awaits: the way tests wait for
/// each other without sleeping.
#[derive(Clone, Default)]
pub struct Signal(Arc<Mutex<SignalState>>);

impl Signal {
    /// An unset signal.
    pub fn new() -> Signal {
        Signal::default()
    }

    /// Sets the flag and wakes the waiter, if any (outside the lock).
    pub fn set(&self) {
        let waker = {
            let mut state = self.0.lock().unwrap();
            state.set = true;
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Whether the flag is set.
    pub fn is_set(&self) -> bool {
        self.0.lock().unwrap().set
    }

    /// A clone of the waker the waiter parked with, if it is parked.
    pub fn parked_waker(&self) -> Option<Waker> {
        self.0.lock().unwrap().waker.clone()
    }

    /// Completes once the flag is set.
    pub fn wait(&self) -> SignalWait {
        SignalWait(self.clone())
    }
}

/// Future of [`Signal::wait`].
pub struct SignalWait(Signal);

impl Future for SignalWait {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = (self.0).0.lock().unwrap();
        if state.set {
            return Poll::Ready(());
        }
        state.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

/// Yields up to `max` times until `cond` holds; returns whether it did.
pub async fn yield_until(mut cond: impl FnMut() -> bool, max: usize) -> bool {
    for _ in 0..max {
        if cond() {
            return true;
        }
        corio::task::yield_now().await;
    }
    cond()
}

/// A waker that does nothing.
pub fn noop_waker() -> Waker {
    struct Noop;
    impl Wake for Noop {
        fn wake(self: Arc<Self>) {}
    }
    Waker::from(Arc::new(Noop))
}

/// A waker that only counts its wakes.
pub fn counting_waker() -> (Waker, Arc<AtomicUsize>) {
    struct Counting(Arc<AtomicUsize>);
    impl Wake for Counting {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let count = Arc::new(AtomicUsize::new(0));
    (Waker::from(Arc::new(Counting(count.clone()))), count)
}

/// Polls `future` once with a no-op waker.
pub fn poll_once<F: Future + Unpin>(future: &mut F) -> Poll<F::Output> {
    let waker = noop_waker();
    Pin::new(future).poll(&mut Context::from_waker(&waker))
}

/// Runs `body` on its own thread and fails the test if it has not finished within
/// `limit` (a hang fails instead of blocking the suite); a panic in `body` is re-raised.
pub fn with_watchdog<T: Send + 'static>(
    limit: Duration,
    body: impl FnOnce() -> T + Send + 'static,
) -> T {
    let limit = watchdog_limit(limit);
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let worker = std::thread::Builder::new()
        .name("watched-test-body".into())
        .spawn(move || {
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(body));
            let _ = done_tx.send(());
            result
        })
        .expect("spawn the test body");
    match done_rx.recv_timeout(limit) {
        Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => match worker.join() {
            Ok(Ok(value)) => value,
            Ok(Err(payload)) | Err(payload) => std::panic::resume_unwind(payload),
        },
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("watchdog: the test body was still running after {limit:?} (a hang)")
        }
    }
}

/// The hang limit in force: `limit`, or ten times it under Miri, whose clock advances with
/// every interpreted step, so a healthy body there uses far more clock time than natively.
fn watchdog_limit(limit: Duration) -> Duration {
    if cfg!(miri) {
        limit * 10
    } else {
        limit
    }
}

/// How many descriptors this process has open (`/proc/self/fd`, minus the one the listing
/// itself uses).
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("list /proc/self/fd")
        .count()
        .saturating_sub(1)
}

/// Raises the soft `RLIMIT_NOFILE` towards `want` (capped by the hard limit); returns the
/// soft limit in force afterwards.
pub fn raise_fd_limit(want: u64) -> u64 {
    // SAFETY: an all-zero rlimit is a valid value for getrlimit to overwrite.
    let mut lim: libc::rlimit = unsafe { std::mem::zeroed() };
    // SAFETY: `lim` is a live, writable rlimit.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return 0;
    }
    let target = want.min(lim.rlim_max as u64);
    if (lim.rlim_cur as u64) < target {
        lim.rlim_cur = target as libc::rlim_t;
        // SAFETY: `lim` is a live rlimit with soft <= hard.
        unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) };
    }
    // SAFETY: as above.
    unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) };
    lim.rlim_cur as u64
}

/// The panic message of a payload, if it is a string.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> Option<String> {
    payload
        .downcast_ref::<&'static str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
}

/// Polls `future` once with `waker` (so a test sees exactly which waker a wake used).
pub fn poll<F: Future + Unpin>(future: &mut F, waker: &Waker) -> Poll<F::Output> {
    Pin::new(future).poll(&mut Context::from_waker(waker))
}

/// The current value of a [`counting_waker`]'s count.
pub fn n(count: &Arc<AtomicUsize>) -> usize {
    count.load(Ordering::SeqCst)
}

/// Compile-time checks: `T` is `Send` / `Sync`; `value`'s type is `Send`.
pub fn assert_send<T: Send>() {}
pub fn assert_sync<T: Sync>() {}
pub fn assert_send_val<T: Send>(_: &T) {}

/// Counts its drop, then panics with `message`: a task output or panic payload whose `Drop`
/// panics.
pub struct PanicsOnDrop {
    pub _counted: DropGuard,
    pub message: &'static str,
}

impl Drop for PanicsOnDrop {
    fn drop(&mut self) {
        panic!("{}", self.message);
    }
}

/// A task that yields a few times and returns `value`, to show the runtime (or worker) it
/// ran on kept going.
pub async fn bystander(value: u32) -> u32 {
    for _ in 0..5 {
        corio::task::yield_now().await;
    }
    value
}
