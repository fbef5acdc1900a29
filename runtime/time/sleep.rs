//! `sleep` and `sleep_until`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use super::Instant;
use crate::reactor::{self, Reactor, TimerId};

/// Waits until `duration` has elapsed on the runtime's clock. A zero duration completes
/// at the first poll.
///
/// ```
/// use corio::time::{Duration, Instant};
/// corio::block_on(async {
///     let start = Instant::now();
///     corio::time::sleep(Duration::from_millis(5)).await;
///     assert!(start.elapsed() >= Duration::from_millis(5));
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
/// `Send` and `Sync`, as tokio's is, so it can live in futures that must be `Send`. Its
/// timer is armed in the reactor of the thread that polls it. Moved to another corio
/// thread and polled there, it arms a timer in that thread's reactor and asks the first
/// one to cancel its own; dropped on another thread, it asks the same. The first reactor
/// does so at its next turn (until then its stale timer may wake the task once, which
/// wakers allow). Polled and dropped on its own thread, as a task's sleep is, it costs
/// no atomic operation.
///
/// # Panics
/// If polled outside a corio runtime before its deadline (there is no reactor to wake
/// it), as tokio's does.
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct Sleep {
    deadline: Instant,
    /// The timer, once armed: its id and the id of the reactor that holds it.
    entry: Option<Entry>,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    timer: TimerId,
    home: u64,
}

impl Entry {
    /// Whether the timer lives in `reactor`.
    #[inline]
    fn is_in(self, reactor: &Reactor) -> bool {
        self.home == reactor.home_id()
    }
}

impl Sleep {
    /// The instant this sleep completes at.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Whether the deadline has passed on the runtime's clock.
    pub fn is_elapsed(&self) -> bool {
        Instant::now() >= self.deadline
    }

    /// Moves the deadline (earlier or later, the past included) without a new future.
    /// A task already waiting on this sleep is woken at the new deadline (at once, for a
    /// deadline in the past) without being polled first, when this runs on the thread
    /// that armed the timer; elsewhere the new deadline takes effect at the next poll.
    pub fn reset(&mut self, deadline: Instant) {
        self.deadline = deadline;
        let Some(entry) = self.entry.take() else {
            return;
        };
        self.entry = reactor::with_current(|reactor| match reactor {
            Some(reactor) if entry.is_in(reactor) => {
                let waker = reactor.remove_timer(entry.timer)?;
                let now = reactor.clock().now();
                let timer = reactor.add_timer(now, deadline.into_std(), waker);
                Some(Entry { timer, ..entry })
            }
            _ => {
                reactor::post_timer_cancel(entry.home, entry.timer);
                None
            }
        });
    }

    fn cancel(&mut self) {
        if let Some(entry) = self.entry.take() {
            // Under a borrow of the thread's runtime slot, which is fine: nothing in the
            // closure runs arbitrary code. The waker drops after it.
            let waker = reactor::with_current_ref(|reactor| match reactor {
                Some(reactor) => forget_timer(reactor, entry),
                None => {
                    reactor::post_timer_cancel(entry.home, entry.timer);
                    None
                }
            });
            drop(waker);
        }
    }
}

/// Cancels `entry`'s timer: in `reactor` if it lives there (returning its waker, for the
/// caller to drop outside any borrow: a waker's drop may run arbitrary code), else
/// through its reactor's inbox.
#[inline]
fn forget_timer(reactor: &Reactor, entry: Entry) -> Option<Waker> {
    if entry.is_in(reactor) {
        reactor.remove_timer(entry.timer)
    } else {
        reactor::post_timer_cancel(entry.home, entry.timer);
        None
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        let deadline = this.deadline.into_std();
        let polled = reactor::with_current(|reactor| {
            let reactor = reactor?;
            let now = reactor.clock().now();
            if now >= deadline {
                if let Some(entry) = this.entry.take() {
                    drop(forget_timer(reactor, entry)); // this closure holds an `Rc`, no borrow
                }
                return Some(Poll::Ready(()));
            }
            match this.entry {
                Some(entry) if entry.is_in(reactor) => {
                    if !reactor.update_timer(entry.timer, cx.waker()) {
                        // Fired already; our `now` above was read just before the deadline.
                        let timer = reactor.add_timer(now, deadline, cx.waker().clone());
                        this.entry = Some(Entry { timer, ..entry });
                    }
                }
                moved => {
                    if let Some(away) = moved {
                        // Polled on another thread than its timer's: move the timer here.
                        reactor::post_timer_cancel(away.home, away.timer);
                    }
                    let timer = reactor.add_timer(now, deadline, cx.waker().clone());
                    let home = reactor.home_id();
                    this.entry = Some(Entry { timer, home });
                }
            }
            Some(Poll::Pending)
        });
        match polled {
            Some(poll) => poll,
            // No runtime: only a deadline already passed can complete.
            None if std::time::Instant::now() >= deadline => {
                this.cancel();
                Poll::Ready(())
            }
            None => panic!(
                "corio::time::Sleep polled outside a runtime: no corio runtime on this \
                 thread: call this inside corio::block_on"
            ),
        }
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        self.cancel();
    }
}
