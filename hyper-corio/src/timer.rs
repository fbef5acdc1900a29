//! `CorioTimer` and `CorioSleep`: hyper's [`Timer`] over corio's reactor timers.
//!
//! Why a ticket rather than the corio `Sleep` itself: see [`CorioSleep`]. The inbox is an
//! `AtomicBool` and a `Mutex<Vec<usize>>`; the flag keeps the common case (nothing
//! posted) to one relaxed load per registration.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use hyper::rt::{Sleep, Timer};
use slab::Slab;

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

/// A sleep on corio's timers that is `Send + Sync`, as [`hyper::rt::Sleep`] requires,
/// without any `unsafe`.
///
/// hyper stores sleeps as `Pin<Box<dyn hyper::rt::Sleep>>`, and that trait requires
/// `Send + Sync`. corio's [`corio::time::Sleep`] is neither: once polled it holds an `Rc`
/// of its thread's reactor, whose timers (a timing wheel) sit in a `RefCell`. Declaring a
/// wrapper `Send` would be a promise the compiler cannot check: a sleep dropped on another
/// thread would touch that `Rc` and that wheel from two threads at once.
///
/// So a `CorioSleep` never holds the corio `Sleep`. It holds its deadline and, once
/// polled, a *ticket*: a key into a thread-local slab that owns the corio `Sleep`, and a
/// handle (`Arc`) on that thread's inbox. Every field is `Send + Sync` in plain safe
/// Rust; there is no `unsafe impl`.
///
/// - Polled on the thread that registered it (hyper's case: a connection is one corio
///   task, which never leaves its thread), it polls the corio `Sleep` in the slab: one
///   thread-local access and one `RefCell` borrow more than a bare corio `Sleep`.
/// - Polled on another thread, it posts its key to the first thread's inbox and
///   registers afresh with the current thread's runtime: the deadline is all it carries.
/// - Dropped on another thread, it posts its key; the owning thread drops the corio
///   `Sleep` (cancelling its timer) the next time it registers a sleep. Until then the
///   stale timer may fire once and wake a task spuriously, which wakers allow.
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
    deadline: Instant,
    /// Where the corio `Sleep` lives, once the first poll registered it.
    ticket: Option<Ticket>,
}

/// A corio `Sleep` in some thread's [`Registry`]: its slab key and that thread's inbox.
#[derive(Debug)]
struct Ticket {
    key: usize,
    home: Arc<Inbox>,
}

/// Keys of sleeps dropped or moved away from their thread, for that thread to release.
#[derive(Debug, Default)]
struct Inbox {
    posted: AtomicBool,
    keys: Mutex<Vec<usize>>,
}

impl Inbox {
    fn post(&self, key: usize) {
        let mut keys = self.keys.lock().unwrap_or_else(PoisonError::into_inner);
        keys.push(key);
        self.posted.store(true, Ordering::Relaxed); // under the lock: `take` sees both
    }

    fn take(&self) -> Vec<usize> {
        if !self.posted.load(Ordering::Relaxed) {
            return Vec::new();
        }
        let mut keys = self.keys.lock().unwrap_or_else(PoisonError::into_inner);
        self.posted.store(false, Ordering::Relaxed);
        std::mem::take(&mut *keys)
    }
}

/// One per thread: the corio sleeps registered from this thread, and its inbox.
struct Registry {
    sleeps: RefCell<Slab<corio::time::Sleep>>,
    inbox: Arc<Inbox>,
}

thread_local! {
    static REGISTRY: Registry = Registry {
        sleeps: RefCell::new(Slab::new()),
        inbox: Arc::new(Inbox::default()),
    };
}

impl Registry {
    /// Whether `ticket` was issued by this thread (the inbox `Arc` it holds keeps the
    /// address from being reused, so pointer identity is thread identity).
    fn owns(&self, ticket: &Ticket) -> bool {
        Arc::ptr_eq(&ticket.home, &self.inbox)
    }

    /// Drops the sleeps whose keys were posted to this thread's inbox.
    fn release_posted(&self) {
        let keys = self.inbox.take();
        if keys.is_empty() {
            return;
        }
        let released: Vec<_> = {
            let mut sleeps = self.sleeps.borrow_mut();
            keys.into_iter()
                .filter_map(|k| sleeps.try_remove(k))
                .collect()
        };
        drop(released); // outside the borrow: dropping cancels timers and wakers
    }
}

impl CorioSleep {
    /// A sleep of `duration` from now.
    pub fn new(duration: Duration) -> CorioSleep {
        // `corio::time::sleep` computes the deadline without touching any reactor.
        CorioSleep::until(corio::time::sleep(duration).deadline())
    }

    /// A sleep until `deadline`. Nothing is registered until the first poll.
    pub fn until(deadline: Instant) -> CorioSleep {
        CorioSleep {
            deadline,
            ticket: None,
        }
    }

    /// The instant this sleep completes at.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Moves the deadline. On the registering thread the corio timer moves in place, so
    /// a task waiting on this sleep is woken at the new deadline without being polled;
    /// elsewhere the move takes effect at the next poll.
    pub fn reset(&mut self, deadline: Instant) {
        self.deadline = deadline;
        let Some(ticket) = &self.ticket else {
            return;
        };
        let moved = REGISTRY
            .try_with(|reg| {
                if !reg.owns(ticket) {
                    return false;
                }
                let Ok(mut sleeps) = reg.sleeps.try_borrow_mut() else {
                    return false;
                };
                match sleeps.get_mut(ticket.key) {
                    Some(sleep) => {
                        sleep.reset(deadline);
                        true
                    }
                    None => false,
                }
            })
            .unwrap_or(false);
        if !moved {
            self.release(); // registers afresh at the next poll
        }
    }

    /// Gives the ticket back: drops the corio `Sleep` now when this is its thread and
    /// its slab is free, otherwise posts the key to its thread's inbox.
    fn release(&mut self) {
        let Some(ticket) = self.ticket.take() else {
            return;
        };
        let removed = REGISTRY
            .try_with(|reg| {
                if !reg.owns(&ticket) {
                    return None;
                }
                // Busy only if a waker dropped under our own borrow drops a sleep.
                let mut sleeps = reg.sleeps.try_borrow_mut().ok()?;
                sleeps.try_remove(ticket.key)
            })
            .ok()
            .flatten();
        match removed {
            Some(sleep) => drop(sleep), // outside the borrow: cancels its timer
            None => ticket.home.post(ticket.key),
        }
    }
}

impl Future for CorioSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        if Instant::now() >= this.deadline {
            this.release();
            return Poll::Ready(());
        }
        REGISTRY.with(|reg| {
            if let Some(ticket) = &this.ticket {
                if reg.owns(ticket) {
                    let mut sleeps = reg.sleeps.borrow_mut();
                    let sleep = sleeps.get_mut(ticket.key).expect("a live ticket's sleep");
                    return Pin::new(sleep).poll(cx);
                }
                this.release(); // moved to this thread: leave the old one, register here
            }
            reg.release_posted();
            let mut sleep = corio::time::sleep_until(this.deadline);
            let poll = Pin::new(&mut sleep).poll(cx); // registers with this runtime
            if poll.is_pending() {
                let key = reg.sleeps.borrow_mut().insert(sleep);
                let home = reg.inbox.clone();
                this.ticket = Some(Ticket { key, home });
            }
            poll
        })
    }
}

impl Sleep for CorioSleep {}

impl Drop for CorioSleep {
    fn drop(&mut self) {
        self.release();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn is_send_and_sync_without_unsafe() {
        assert_send_sync::<CorioSleep>();
        assert_send_sync::<CorioTimer>();
    }

    #[test]
    fn elapses_and_releases_its_slot() {
        corio::block_on(async {
            let start = Instant::now();
            CorioSleep::new(Duration::from_millis(20)).await;
            assert!(start.elapsed() >= Duration::from_millis(20));
            REGISTRY.with(|reg| assert!(reg.sleeps.borrow().is_empty()));
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
    fn dropped_on_another_thread_is_released_by_its_own() {
        corio::block_on(async {
            let mut sleep = Box::pin(CorioSleep::new(Duration::from_secs(30)));
            assert!(futures_poll_once(sleep.as_mut()).await.is_pending());
            REGISTRY.with(|reg| assert_eq!(reg.sleeps.borrow().len(), 1));
            std::thread::spawn(move || drop(sleep)).join().unwrap();
            // Still parked here; the next registration on this thread releases it.
            REGISTRY.with(|reg| assert_eq!(reg.sleeps.borrow().len(), 1));
            CorioSleep::new(Duration::from_millis(1)).await;
            REGISTRY.with(|reg| assert!(reg.sleeps.borrow().is_empty()));
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
