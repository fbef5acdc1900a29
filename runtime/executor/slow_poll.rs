//! The slow-poll detector: the tutorials' blocking-call lesson turned into a tool.
//!
//! One task that blocks (a `std::thread::sleep`, a synchronous DNS lookup, a long CPU
//! loop) stalls every other task on the thread, and nothing says which one did it. With a
//! threshold set (`CORIO_SLOW_POLL_MS` or [`Builder::slow_poll_threshold`]), each poll is
//! timed and any poll longer than the threshold prints one line to stderr naming the
//! task, its spawn site and how long it held the thread. Off by default: then the cost
//! is one predictable branch per poll, no clock reads.
//!
//! [`Builder::slow_poll_threshold`]: crate::Builder::slow_poll_threshold

use std::fmt::Display;
use std::io::Write;
use std::time::{Duration, Instant};

/// The environment variable that turns the detector on: a threshold in milliseconds.
pub(crate) const ENV: &str = "CORIO_SLOW_POLL_MS";

/// The detector's setting for one runtime.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct SlowPoll {
    threshold: Option<Duration>,
}

impl SlowPoll {
    /// Detects polls longer than `threshold`, or nothing.
    pub(crate) fn new(threshold: Option<Duration>) -> SlowPoll {
        SlowPoll { threshold }
    }

    /// Reads `CORIO_SLOW_POLL_MS`: unset or empty is off; a number of milliseconds
    /// (fractions allowed) is the threshold.
    ///
    /// # Errors
    /// `InvalidInput` naming the variable, for a value that is not a non-negative number.
    pub(crate) fn threshold_from_env() -> std::io::Result<Option<Duration>> {
        let value = match std::env::var(ENV) {
            Ok(v) if !v.trim().is_empty() => v,
            Ok(_) | Err(std::env::VarError::NotPresent) => return Ok(None),
            Err(std::env::VarError::NotUnicode(_)) => {
                return Err(invalid(format!("{ENV} is not valid UTF-8")))
            }
        };
        let ms: f64 = value
            .trim()
            .parse()
            .map_err(|_| invalid(format!("{ENV}={value:?}: expected milliseconds")))?;
        Duration::try_from_secs_f64(ms / 1000.0)
            .map(Some)
            .map_err(|e| invalid(format!("{ENV}={value:?}: {e}")))
    }

    /// The threshold, if on.
    pub(crate) fn threshold(&self) -> Option<Duration> {
        self.threshold
    }

    /// Call before a poll: the start time, only when the detector is on.
    #[inline]
    pub(crate) fn start(&self) -> Option<Instant> {
        self.threshold.map(|_| Instant::now())
    }

    /// Call after the poll: reports it if it ran too long; returns whether it did.
    #[inline]
    pub(crate) fn finish(&self, started: Option<Instant>, task: &dyn Display) -> bool {
        match (started, self.threshold) {
            (Some(started), Some(threshold)) => {
                let held = started.elapsed();
                held > threshold && report(task, held, threshold)
            }
            _ => false,
        }
    }
}

#[cold]
fn report(task: &dyn Display, held: Duration, threshold: Duration) -> bool {
    // One write of one line, so lines from several threads do not interleave; a closed
    // stderr is no reason to disturb the program.
    let line = format!(
        "corio: slow poll: {task} held the thread for {:.1} ms (threshold {:.1} ms)\n",
        held.as_secs_f64() * 1e3,
        threshold.as_secs_f64() * 1e3
    );
    let _ = std::io::stderr().write_all(line.as_bytes());
    true
}

fn invalid(message: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, message)
}
