//! `sleep` and `sleep_until`.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::reactor::{self, Reactor};

/// Waits until `duration` has elapsed. A zero duration completes at the first poll.
///
/// ```
/// corio::block_on(async {
///     let start = std::time::Instant::now();
///     corio::time::sleep(std::time::Duration::from_millis(5)).await;
///     assert!(start.elapsed() >= std::time::Duration::from_millis(5));
/// });
/// ```
pub fn sleep(duration: Duration) -> Sleep {
    sleep_until(super::deadline_after(Instant::now(), duration))
}

/// Waits until `deadline`. A deadline in the past completes at the first poll.
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep {
        deadline,
        entry: None,
    }
}

/// Future of [`sleep`] and [`sleep_until`]. Dropping it cancels the timer.
///
/// # Panics
/// If polled outside a corio runtime (there is no reactor to wake it).
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct Sleep {
    deadline: Instant,
    /// The timer's id and reactor, once registered.
    entry: Option<(reactor::TimerId, Rc<Reactor>)>,
}

impl Sleep {
    /// The instant this sleep completes at.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Whether the deadline has passed.
    pub fn is_elapsed(&self) -> bool {
        Instant::now() >= self.deadline
    }

    /// Moves the deadline (earlier or later, the past included) without a new future.
    /// A task already waiting on this sleep is woken at the new deadline (at once, for a
    /// deadline in the past) without being polled first.
    pub fn reset(&mut self, deadline: Instant) {
        let waiting = self.entry.take().and_then(|(id, reactor)| {
            let waker = reactor.remove_timer(id)?;
            Some((waker, reactor))
        });
        self.deadline = deadline;
        if let Some((waker, reactor)) = waiting {
            let id = reactor.add_timer(Instant::now(), deadline, waker);
            self.entry = Some((id, reactor));
        }
    }

    fn cancel(&mut self) {
        if let Some((id, reactor)) = self.entry.take() {
            // Dropped outside the borrow: a waker's drop may run arbitrary code.
            drop(reactor.remove_timer(id));
        }
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let now = Instant::now();
        if now >= self.deadline {
            self.cancel();
            return Poll::Ready(());
        }
        let deadline = self.deadline;
        match &self.entry {
            Some((id, reactor)) => {
                if !reactor.update_timer(*id, cx.waker()) {
                    // Fired already; our `now` above was read just before the deadline.
                    let id = *id;
                    let reactor = reactor.clone();
                    let new_id = reactor.add_timer(now, deadline, cx.waker().clone());
                    debug_assert_ne!(id, new_id);
                    self.entry = Some((new_id, reactor));
                }
            }
            None => {
                let reactor = match reactor::current() {
                    Ok(r) => r,
                    Err(e) => panic!("corio::time::Sleep polled outside a runtime: {e}"),
                };
                let id = reactor.add_timer(now, deadline, cx.waker().clone());
                self.entry = Some((id, reactor));
            }
        }
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        self.cancel();
    }
}
