//! `CorioTimer` and `CorioSleep`: hyper's [`Timer`] over corio's reactor timers.
//!
//! corio's [`corio::time::Sleep`] is `Send + Sync`, as [`hyper::rt::Sleep`] requires, so
//! `CorioSleep` is that sleep with hyper's trait on it: no registry or ticket of its own.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use hyper::rt::{Sleep, Timer};

/// hyper's [`Timer`] on corio: sleeps are corio reactor timers (see [`CorioSleep`]).
///
/// Give it to `http1::Builder::timer` or `http2::Builder::timer`. With it, hyper's
/// HTTP/1 server closes a connection whose request head has not arrived within
/// `header_read_timeout` (30 s unless set); without a timer hyper has no timeouts at all
/// (and panics if one is configured). HTTP/2 uses it for keep-alive pings.
///
/// # Panics
/// The sleeps it makes panic if polled outside a corio runtime (no reactor to wake
/// them), as [`corio::time::Sleep`] does.
#[derive(Debug, Clone, Copy, Default)]
pub struct CorioTimer;

impl Timer for CorioTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Sleep>> {
        Box::pin(CorioSleep::new(duration))
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn Sleep>> {
        Box::pin(CorioSleep::until(deadline))
    }

    /// Moves the deadline in place when `sleep` is a [`CorioSleep`] (no new box, and a
    /// task already waiting is woken at the new deadline); otherwise replaces it.
    fn reset(&self, sleep: &mut Pin<Box<dyn Sleep>>, new_deadline: Instant) {
        match sleep.as_mut().downcast_mut_pin::<CorioSleep>() {
            Some(corio_sleep) => corio_sleep.get_mut().reset(new_deadline),
            None => *sleep = self.sleep_until(new_deadline),
        }
    }
}

/// A sleep on corio's timers, for hyper: a [`corio::time::Sleep`] with hyper's
/// [`Sleep`] trait (which requires `Send + Sync`; corio's sleep is both).
///
/// Polled on the thread whose runtime armed it (hyper's case: a connection is one corio
/// task, which never leaves its thread), it costs what a corio `Sleep` costs. Moved to
/// another corio thread and polled there, it re-arms on that thread's runtime; dropped
/// elsewhere, its first runtime cancels its timer at its next turn (see
/// [`corio::time::Sleep`]).
///
/// ```
/// use std::time::{Duration, Instant};
/// corio::block_on(async {
///     let start = Instant::now();
///     corio_hyper::CorioSleep::new(Duration::from_millis(5)).await;
///     assert!(start.elapsed() >= Duration::from_millis(5));
/// });
/// ```
///
/// # Panics
/// If polled outside a corio runtime, as [`corio::time::Sleep`] does.
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct CorioSleep {
    sleep: corio::time::Sleep,
}

impl CorioSleep {
    /// A sleep of `duration` from now (on the runtime's clock).
    pub fn new(duration: Duration) -> CorioSleep {
        CorioSleep {
            sleep: corio::time::sleep(duration),
        }
    }

    /// A sleep until `deadline`. Nothing is registered until the first poll.
    pub fn until(deadline: Instant) -> CorioSleep {
        CorioSleep {
            sleep: corio::time::sleep_until(deadline.into()),
        }
    }

    /// The instant this sleep completes at.
    pub fn deadline(&self) -> Instant {
        self.sleep.deadline().into_std()
    }

    /// Moves the deadline. On the thread that armed the timer it moves in place, so a
    /// task waiting on this sleep is woken at the new deadline without being polled;
    /// elsewhere the move takes effect at the next poll.
    pub fn reset(&mut self, deadline: Instant) {
        self.sleep.reset(deadline.into());
    }
}

impl Future for CorioSleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.sleep).poll(cx)
    }
}

impl Sleep for CorioSleep {}

#[cfg(test)]
mod tests {
    use super::*;

    /// Timers armed now on this thread's runtime (0 outside one).
    fn pending_timers() -> usize {
        corio::metrics::current().map_or(0, |m| m.timers_pending)
    }

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn is_send_and_sync() {
        assert_send_sync::<CorioSleep>();
        assert_send_sync::<CorioTimer>();
    }

    #[test]
    fn elapses_and_releases_its_slot() {
        corio::block_on(async {
            let start = Instant::now();
            CorioSleep::new(Duration::from_millis(20)).await;
            assert!(start.elapsed() >= Duration::from_millis(20));
            assert_eq!(pending_timers(), 0);
        });
    }

    #[test]
    fn reset_moves_a_waiting_sleep_in_place() {
        corio::block_on(async {
            let start = Instant::now();
            let mut sleep: Pin<Box<dyn Sleep>> = CorioTimer.sleep(Duration::from_secs(30));
            // Register it (30 s away), then bring the deadline in while it waits.
            assert!(futures_poll_once(sleep.as_mut()).await.is_pending());
            CorioTimer.reset(&mut sleep, Instant::now() + Duration::from_millis(20));
            sleep.await;
            let took = start.elapsed();
            assert!(took >= Duration::from_millis(20) && took < Duration::from_secs(5));
        });
    }

    #[test]
    fn dropped_on_another_thread_is_cancelled_by_its_own() {
        corio::block_on(async {
            let mut sleep = Box::pin(CorioSleep::new(Duration::from_secs(30)));
            assert!(futures_poll_once(sleep.as_mut()).await.is_pending());
            assert_eq!(pending_timers(), 1);
            std::thread::spawn(move || drop(sleep)).join().unwrap();
            // Still armed here; this runtime's next turn cancels it.
            assert_eq!(pending_timers(), 1);
            CorioSleep::new(Duration::from_millis(1)).await;
            assert_eq!(pending_timers(), 0);
        });
    }

    #[test]
    fn moved_to_another_runtime_thread_still_elapses() {
        let mut sleep = Box::pin(CorioSleep::new(Duration::from_millis(50)));
        corio::block_on(async {
            assert!(futures_poll_once(sleep.as_mut()).await.is_pending());
        });
        std::thread::spawn(move || {
            let start = Instant::now();
            corio::block_on(sleep);
            assert!(start.elapsed() < Duration::from_secs(5));
        })
        .join()
        .unwrap();
    }

    /// Polls `fut` once with the task's waker.
    async fn futures_poll_once<F: Future + ?Sized>(mut fut: Pin<&mut F>) -> Poll<F::Output> {
        std::future::poll_fn(|cx| Poll::Ready(fut.as_mut().poll(cx))).await
    }
}
