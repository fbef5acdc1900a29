//! Driving one future on a plain thread by parking it: what `blocking_send` and
//! `blocking_recv` use to let a non-async thread wait on a channel.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake};
use std::thread::{self, Thread};

/// Wakes a parked thread.
struct Unpark(Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

/// Polls `future` on this thread, parking between polls until its waker fires.
/// (A spurious unpark only costs one extra poll.)
///
/// # Panics
/// On a thread running a corio runtime: parking it would stall every task there,
/// including, often, the one that would wake us — a silent deadlock. (tokio panics too.)
#[track_caller]
pub(crate) fn block_on_thread<F: Future>(future: F) -> F::Output {
    assert!(
        !crate::executor::is_running_here(),
        "corio: a blocking wait (blocking_send, blocking_recv, join, block_on_each) was \
         called on a runtime thread; await the future instead"
    );
    let mut future = pin!(future);
    let waker = Arc::new(Unpark(thread::current())).into();
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        thread::park();
    }
}
