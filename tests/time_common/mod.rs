//! Helpers for the timer tests (`time_*.rs`, `echo_idle_timeout.rs`): a tiny PRNG, a
//! hand poll with a no-op waker, a poll counter, a drop guard, a single-thread gate, a
//! watchdog that turns a hang into a failure, and the runtimes under test.
#![allow(dead_code)]

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::mpsc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use corio::{Backend, Runtime};

/// xorshift64: deterministic, good enough to scatter deadlines, no `rand` crate.
pub struct XorShift(u64);

impl XorShift {
    /// A generator from `seed` (any value; zero is mapped to a fixed non-zero state).
    pub fn new(seed: u64) -> XorShift {
        XorShift(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// The next 64 pseudo-random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A value in `0..bound` (bound > 0); the modulo bias is irrelevant here.
    pub fn below(&mut self, bound: u64) -> u64 {
        self.next_u64() % bound
    }
}

/// Polls `future` once with a no-op waker: what a future does at its very first poll,
/// with nobody to wake. Must run inside a runtime for corio's futures.
pub fn poll_noop<F: Future + Unpin>(future: &mut F) -> Poll<F::Output> {
    let mut cx = Context::from_waker(futures_task::noop_waker_ref());
    Pin::new(future).poll(&mut cx)
}

/// Polls `future` exactly once with the current task's waker (so a `Pending` registers
/// the task), from inside an async block.
pub async fn poll_once<F: Future + Unpin>(future: &mut F) -> Poll<F::Output> {
    std::future::poll_fn(|cx| Poll::Ready(Pin::new(&mut *future).poll(cx))).await
}

/// A future that counts its polls; the inner future is boxed, so this one is `Unpin`.
pub struct Counted<F> {
    inner: Pin<Box<F>>,
    polls: Rc<Cell<usize>>,
}

/// Wraps `future` so that every poll of it is counted; returns the wrapper and the count.
pub fn counted<F: Future>(future: F) -> (Counted<F>, Rc<Cell<usize>>) {
    let polls = Rc::new(Cell::new(0));
    let wrapper = Counted {
        inner: Box::pin(future),
        polls: polls.clone(),
    };
    (wrapper, polls)
}

impl<F: Future> Future for Counted<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.polls.set(self.polls.get() + 1);
        self.inner.as_mut().poll(cx)
    }
}

/// Counts its own drops into a shared counter and holds a clone of the counter's `Rc`,
/// so `Rc::strong_count` also tells whether a guard is still alive somewhere.
pub struct DropGuard(Rc<Cell<usize>>);

impl DropGuard {
    /// A guard on `counter`.
    pub fn new(counter: &Rc<Cell<usize>>) -> DropGuard {
        DropGuard(counter.clone())
    }
}

impl Drop for DropGuard {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

/// A one-shot, single-thread gate: tasks await it; `open` wakes them. The way one task
/// waits for another without sleeping.
#[derive(Clone, Default)]
pub struct Gate(Rc<GateState>);

#[derive(Default)]
struct GateState {
    open: Cell<bool>,
    wakers: RefCell<Vec<Waker>>,
}

impl Gate {
    /// A closed gate.
    pub fn new() -> Gate {
        Gate::default()
    }

    /// Opens the gate and wakes everyone parked on it (with no borrow held).
    pub fn open(&self) {
        self.0.open.set(true);
        let wakers = std::mem::take(&mut *self.0.wakers.borrow_mut());
        for waker in wakers {
            waker.wake();
        }
    }

    /// Whether the gate is open.
    pub fn is_open(&self) -> bool {
        self.0.open.get()
    }

    /// Completes once the gate is open.
    pub async fn wait(&self) {
        std::future::poll_fn(|cx| {
            if self.0.open.get() {
                return Poll::Ready(());
            }
            self.0.wakers.borrow_mut().push(cx.waker().clone());
            Poll::Pending
        })
        .await
    }
}

/// Runs `f` on a fresh thread and fails the test if it does not finish within `limit`
/// (the stuck thread is left behind; the test binary exits when the tests are done).
/// Panics inside `f` are propagated with their message.
pub fn with_watchdog<T: Send + 'static>(
    limit: Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    // Miri's clock advances with every interpreted step: a healthy body uses far more
    // clock time there than natively.
    let limit = if cfg!(miri) { limit * 10 } else { limit };
    let (tx, rx) = mpsc::channel();
    let thread = std::thread::spawn(move || {
        let out = f();
        let _ = tx.send(());
        out
    });
    match rx.recv_timeout(limit) {
        Ok(()) => thread.join().expect("test thread"),
        Err(mpsc::RecvTimeoutError::Disconnected) => match thread.join() {
            Ok(_) => unreachable!("the thread sends before it returns"),
            Err(payload) => std::panic::resume_unwind(payload),
        },
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("watchdog: the test did not finish within {limit:?} (hang)")
        }
    }
}

/// The runtimes every timing test runs on: the default one (`CORIO_BACKEND` or the OS
/// default) and poll(2), by name for the messages. Under Miri the default one only: Miri
/// emulates epoll but not poll(2).
pub fn runtimes() -> Vec<(&'static str, Runtime)> {
    let default = Runtime::new().expect("default runtime");
    if cfg!(miri) {
        return vec![(default.backend_name(), default)];
    }
    let poll = Runtime::builder()
        .backend(Backend::Poll)
        .build()
        .expect("poll runtime");
    vec![(default.backend_name(), default), ("poll", poll)]
}

/// `d` as a test's margin between deadlines: as is natively; a thousand times longer under
/// Miri, whose clock advances with every interpreted step (30 ms there is a few thousand
/// steps) while sleeping with every thread idle costs nothing.
pub fn margin(d: Duration) -> Duration {
    if cfg!(miri) {
        d * 1000
    } else {
        d
    }
}

/// The median of `values` (sorted in place).
pub fn median(values: &mut [Duration]) -> Duration {
    values.sort();
    values[values.len() / 2]
}

/// `d` in milliseconds with a fraction, for printing.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// The descriptors of this process that are TCP sockets in the middle of a connect
/// (kernel state SYN_SENT, read with `getsockopt(TCP_INFO)`). Cheap: it looks only at our
/// own descriptors, never at the machine-wide socket table (which can hold tens of
/// thousands of TIME_WAIT entries when other tests run).
#[cfg(target_os = "linux")]
pub fn connecting_fds() -> Vec<i32> {
    const TCP_SYN_SENT: u8 = 2;
    let mut out = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc/self/fd") else {
        return out;
    };
    for entry in dir.flatten() {
        let Some(fd) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        // `tcpi_state` is the first byte of `struct tcp_info`.
        let mut info = [0u8; 256];
        let mut len = info.len() as libc::socklen_t;
        // SAFETY: `info` is a writable buffer of `len` bytes; a descriptor that is not a
        // TCP socket (or was closed meanwhile) just makes the call fail.
        let rc = unsafe {
            libc::getsockopt(
                fd,
                libc::IPPROTO_TCP,
                libc::TCP_INFO,
                info.as_mut_ptr().cast(),
                &mut len,
            )
        };
        if rc == 0 && len > 0 && info[0] == TCP_SYN_SENT {
            out.push(fd);
        }
    }
    out
}
