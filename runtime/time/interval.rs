//! `interval`: a tick every period, with a documented policy for missed ticks.

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::{deadline_after, sleep_until, Instant, Sleep};

/// What an [`Interval`] does when ticks were missed (the task was busy past a deadline).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MissedTickBehavior {
    /// Fire the missed ticks back to back until caught up, keeping the original schedule
    /// (`start + n * period`). The default, as in tokio.
    #[default]
    Burst,
    /// Fire once now, and schedule the next tick a full period after *now* (ticks that are
    /// late but not yet a full period late keep the schedule).
    Delay,
    /// Fire once now, and skip to the next multiple of the period on the original schedule.
    Skip,
}

/// Ticks immediately, then every `period`.
///
/// A period too long for an [`Instant`] (`Duration::MAX`) saturates like [`sleep`]'s
/// duration, at about 30 years: the first tick comes, the next one never does.
///
/// [`sleep`]: super::sleep
///
/// # Panics
/// If `period` is zero (an interval that never waits would spin).
pub fn interval(period: Duration) -> Interval {
    interval_at(Instant::now(), period)
}

/// Ticks at `start`, then every `period` (saturating as in [`interval`]).
///
/// # Panics
/// If `period` is zero.
pub fn interval_at(start: Instant, period: Duration) -> Interval {
    assert!(
        !period.is_zero(),
        "corio::time::interval: the period must be non-zero"
    );
    Interval {
        delay: sleep_until(start),
        period,
        missed: MissedTickBehavior::default(),
    }
}

/// Future-producing timer of [`interval`]: `interval.tick().await` in a loop.
#[derive(Debug)]
pub struct Interval {
    delay: Sleep,
    period: Duration,
    missed: MissedTickBehavior,
}

impl Interval {
    /// Waits for the next tick and returns its scheduled instant.
    pub async fn tick(&mut self) -> Instant {
        poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// Polls for the next tick.
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        if Pin::new(&mut self.delay).poll(cx).is_pending() {
            return Poll::Pending;
        }
        let scheduled = self.delay.deadline();
        let now = Instant::now();
        // Every sum saturates like `sleep`'s (DESIGN §9): a period of `Duration::MAX`
        // means "the next tick never comes", not an `Instant` overflow.
        let on_schedule = deadline_after(scheduled, self.period);
        // The policy only applies when a tick was really missed: the next one is already
        // due. An on-time tick keeps the schedule, so wake-up latency never accumulates.
        let next = if now < on_schedule {
            on_schedule
        } else {
            match self.missed {
                MissedTickBehavior::Burst => on_schedule,
                MissedTickBehavior::Delay => deadline_after(now, self.period),
                MissedTickBehavior::Skip => {
                    let behind = now.saturating_duration_since(scheduled).as_nanos();
                    let periods = behind / self.period.as_nanos() + 1;
                    let periods = u32::try_from(periods).unwrap_or(u32::MAX);
                    deadline_after(scheduled, self.period.saturating_mul(periods))
                }
            }
        };
        self.delay.reset(next);
        Poll::Ready(scheduled)
    }

    /// Restarts the schedule: the next tick comes one period from now.
    pub fn reset(&mut self) {
        self.delay
            .reset(deadline_after(Instant::now(), self.period));
    }

    /// The period between ticks.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// The missed-tick policy in force.
    pub fn missed_tick_behavior(&self) -> MissedTickBehavior {
        self.missed
    }

    /// Sets the missed-tick policy.
    pub fn set_missed_tick_behavior(&mut self, behavior: MissedTickBehavior) {
        self.missed = behavior;
    }
}
