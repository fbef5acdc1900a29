//! Time: futures that complete at a deadline, driven by the reactor's timer store.
//!
//! There is no timer thread: the reactor's wait is bounded by the nearest deadline, and
//! each turn fires the timers that are due. Only the monotonic clock is used.

mod sleep;

pub use sleep::{sleep, sleep_until, Sleep};
pub use std::time::Instant;

use std::time::Duration;

/// `now + duration`, saturating at a deadline far enough away to mean "never" (about 30
/// years), so `Duration::MAX` neither overflows nor panics.
pub(crate) fn deadline_after(now: Instant, duration: Duration) -> Instant {
    const FAR: Duration = Duration::from_secs(86_400 * 365 * 30);
    now.checked_add(duration.min(FAR)).unwrap_or(now)
}
