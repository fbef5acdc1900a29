//! Time: sleeps, deadlines and intervals, driven by the reactor itself.
//!
//! There is no timer thread. Each reactor keeps its timers in a millisecond timing wheel
//! (`reactor/timers/`): arming, cancelling and firing a timer are O(1). A turn's wait is
//! bounded by the next deadline (rounded *up* to whole milliseconds, so a sub-millisecond
//! wait never becomes a busy loop) and fires every timer that is due. Timers fire at or
//! after their deadline, within about a millisecond. Only the monotonic clock
//! ([`Instant`]) is used, so wall-clock changes move nothing.
//!
//! Dropping a [`Sleep`], [`Timeout`] or [`Interval`] cancels its timer.
//!
//! [`Sleep`], [`Timeout`] and [`Interval`] are `Send` (see [`Sleep`]): moved to another
//! corio thread, they re-arm there. For tests, [`pause`] freezes the runtime's clock
//! ([`Instant::now`]), [`advance`] moves it, and a paused runtime with nothing to do
//! jumps to its next timer.

pub(crate) mod clock;
mod instant;
mod interval;
mod sleep;
mod timeout;

pub use clock::{advance, pause, resume};
pub use instant::Instant;
pub use interval::{interval, interval_at, Interval, MissedTickBehavior};
pub use sleep::{sleep, sleep_until, Sleep};
/// std's `Duration`, under the path tokio programs use (`corio::time::Duration`).
pub use std::time::Duration;
pub use timeout::{timeout, timeout_at, Elapsed, Timeout};

/// Errors of the time utilities, under tokio's path (`corio::time::error::Elapsed`).
///
/// tokio also has `time::error::Error`, for a timer failing because its runtime shut down
/// or its timer wheel is full. corio has no such failure to report: a timer is armed in
/// the reactor of the thread polling it, which runs for as long as the timer is polled,
/// and the wheel's table grows as needed. (Polled outside any runtime, a [`Sleep`]
/// panics, as tokio's does.) So there is no `Error` type here, and the only error is a
/// [`timeout`] that ran out.
pub mod error {
    pub use super::Elapsed;
}

/// `now + duration`, saturating at a deadline far enough away to mean "never" (about 30
/// years), so `Duration::MAX` neither overflows nor panics.
pub(crate) fn deadline_after(now: Instant, duration: Duration) -> Instant {
    const FAR: Duration = Duration::from_secs(86_400 * 365 * 30);
    now.checked_add(duration.min(FAR)).unwrap_or(now)
}
