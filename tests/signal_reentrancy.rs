//! A signal stream's stored waker runs user code when it is dropped: dropping the stream
//! (which frees its slot in the runtime's signal hub) may thereby drop another stream of
//! the same runtime. Neither may hit the hub's `RefCell` while it is still borrowed.
//!
//! Its own binary: the streams install corio's handler for SIGUSR1 in this process.

mod util;

use std::cell::RefCell;
use std::future::poll_fn;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use corio::signal::{signal, Signal, SignalKind};
use util::within;

const LIMIT: Duration = Duration::from_secs(20);

thread_local! {
    /// The stream that `DropsAStream` drops: wakers are `Send`, streams are not, so the
    /// victim waits here, on the runtime's thread, where the waker is dropped.
    static VICTIM: RefCell<Option<Signal>> = const { RefCell::new(None) };
}

/// Forwards wakes to `inner`; when dropped, drops the stream in `VICTIM`.
struct DropsAStream {
    inner: Waker,
    drops: Arc<AtomicUsize>,
}

impl Wake for DropsAStream {
    fn wake(self: Arc<Self>) {
        self.inner.wake_by_ref();
    }
}

impl Drop for DropsAStream {
    fn drop(&mut self) {
        // Taken out before it is dropped: the victim's own drop must not find this
        // thread-local borrowed either.
        let victim = VICTIM.with(|v| v.borrow_mut().take());
        if victim.is_some() {
            self.drops.fetch_add(1, Ordering::SeqCst);
        }
        drop(victim);
    }
}

fn raise(signum: libc::c_int) {
    // SAFETY: kill takes no pointers; our own pid; the handler is installed first.
    assert_eq!(unsafe { libc::kill(libc::getpid(), signum) }, 0);
}

#[test]
#[cfg_attr(miri, ignore)]
fn dropping_a_stream_whose_waker_drops_another_stream_does_not_panic() {
    corio::block_on(within(LIMIT, "signal hub re-entrancy", async {
        let mut holder = signal(SignalKind::user_defined1()).unwrap();
        VICTIM.with(|v| *v.borrow_mut() = Some(signal(SignalKind::user_defined1()).unwrap()));
        let drops = Arc::new(AtomicUsize::new(0));
        // Park `holder` with the hook waker: the hub now holds its only clone.
        poll_fn(|cx| {
            let hook = Waker::from(Arc::new(DropsAStream {
                inner: cx.waker().clone(),
                drops: drops.clone(),
            }));
            let first = holder.poll_recv(&mut Context::from_waker(&hook));
            assert!(first.is_pending(), "nothing was raised yet");
            Poll::Ready(())
        })
        .await;
        assert_eq!(drops.load(Ordering::SeqCst), 0, "the hub holds the hook");

        // Frees the holder's slot; the hook it held drops the victim, whose slot is freed
        // in turn.
        drop(holder);
        assert_eq!(drops.load(Ordering::SeqCst), 1);
        assert!(VICTIM.with(|v| v.borrow().is_none()));

        // The hub still serves streams: a new one sees the next delivery.
        let mut after = signal(SignalKind::user_defined1()).unwrap();
        raise(libc::SIGUSR1);
        assert_eq!(after.recv().await, Some(()));
    }));
}
