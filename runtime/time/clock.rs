//! The runtime's clock, and the test controls over it: `pause`, `resume`, `advance`.
//!
//! Each reactor owns a [`Clock`]. Running, it reads std's monotonic clock plus an offset
//! (zero until a paused clock was advanced and resumed, so time never goes back). Paused,
//! it holds one instant that moves only through [`advance`] or the reactor's
//! *auto-advance*: a turn that would wait with nothing ready and a timer pending polls the
//! backend without blocking and, if nothing happened, jumps to that timer's deadline
//! (`Reactor::turn`, `reactor/mod.rs`).

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::reactor;

/// One reactor's clock.
#[derive(Debug)]
pub(crate) struct Clock {
    /// `Some(t)` while paused: the time is `t`.
    frozen: Cell<Option<std::time::Instant>>,
    /// Added to std's clock while running: how far paused spells moved time ahead.
    offset: Cell<Duration>,
}

impl Clock {
    /// A running clock that agrees with std's.
    pub(crate) fn new() -> Clock {
        Clock {
            frozen: Cell::new(None),
            offset: Cell::new(Duration::ZERO),
        }
    }

    /// The time now.
    #[inline]
    pub(crate) fn now(&self) -> std::time::Instant {
        match self.frozen.get() {
            Some(frozen) => frozen,
            None => {
                let offset = self.offset.get();
                let now = std::time::Instant::now();
                if offset.is_zero() {
                    now
                } else {
                    now.checked_add(offset).unwrap_or(now)
                }
            }
        }
    }

    /// Whether the clock is paused.
    #[inline]
    pub(crate) fn is_paused(&self) -> bool {
        self.frozen.get().is_some()
    }

    /// Freezes the clock at `at` (which must not be before `now()`).
    pub(crate) fn pause_at(&self, at: std::time::Instant) {
        EVER_PAUSED.store(true, Ordering::Relaxed);
        self.frozen.set(Some(at));
    }

    /// Moves a paused clock forward to `to`; never backwards, and nothing if running.
    pub(crate) fn advance_to(&self, to: std::time::Instant) {
        if let Some(frozen) = self.frozen.get() {
            self.frozen.set(Some(frozen.max(to)));
        }
    }

    /// Lets a paused clock run again from the time it shows.
    fn resume(&self) {
        if let Some(frozen) = self.frozen.take() {
            let real = std::time::Instant::now();
            self.offset.set(frozen.saturating_duration_since(real));
        }
    }
}

/// Whether any clock in the process was ever paused. Until then every runtime's clock is
/// std's, and [`now`] skips looking up this thread's runtime: one relaxed load.
static EVER_PAUSED: AtomicBool = AtomicBool::new(false);

/// The time on this thread's runtime clock; std's clock outside a runtime.
#[inline]
pub(crate) fn now() -> std::time::Instant {
    // A clock is paused on its own thread, after this flag is set there; another thread's
    // runtime, whether or not it sees the flag yet, runs on std's clock.
    if !EVER_PAUSED.load(Ordering::Relaxed) {
        return std::time::Instant::now();
    }
    reactor::with_current_ref(|r| r.map_or_else(std::time::Instant::now, |r| r.clock().now()))
}

/// The reactor of this thread's runtime, or a panic naming `what` (tokio panics here too).
fn current_or_panic(what: &str) -> std::rc::Rc<reactor::Reactor> {
    match reactor::current() {
        Ok(reactor) => reactor,
        Err(e) => panic!("corio::time::{what} called outside a corio runtime: {e}"),
    }
}

/// Pauses this runtime's clock: [`Instant::now`](super::Instant::now) stops moving, and
/// time moves only through [`advance`] or *auto-advance*: whenever the runtime has no
/// task ready to run and a timer pending, it checks I/O without blocking and, if nothing
/// arrived, jumps the clock to that timer's deadline. So a test of a 30-second timeout
/// completes in microseconds, and sockets still work while paused. With no timer pending,
/// a paused runtime waits for I/O or other threads as usual.
///
/// For tests. The clock is the runtime's: it stays paused across `block_on` calls until
/// [`resume`]. [`Builder::start_paused`](crate::runtime::Builder::start_paused) and
/// `#[corio::test(start_paused = true)]` start a runtime paused. Unlike tokio, corio does
/// not hold auto-advance back while [`spawn_blocking`](crate::task::spawn_blocking) work
/// runs: await such work before a paused timer could overtake it.
///
/// ```
/// use corio::time::{Duration, Instant};
/// corio::block_on(async {
///     corio::time::pause();
///     let start = Instant::now();
///     corio::time::sleep(Duration::from_secs(3600)).await; // returns at once
///     assert_eq!(start.elapsed(), Duration::from_secs(3600));
/// });
/// ```
///
/// # Panics
/// Outside a corio runtime, or if the clock is already paused (as tokio's `pause` does).
#[track_caller]
pub fn pause() {
    let reactor = current_or_panic("pause");
    let clock = reactor.clock();
    assert!(
        !clock.is_paused(),
        "corio::time::pause: the clock is already paused"
    );
    clock.pause_at(clock.now());
}

/// Lets a paused clock run again, from the time it shows: [`Instant::now`] goes on from
/// there at the real pace (so it never goes back), and timers wait in real time again.
///
/// [`Instant::now`]: super::Instant::now
///
/// # Panics
/// Outside a corio runtime, or if the clock is not paused (as tokio's `resume` does).
#[track_caller]
pub fn resume() {
    let reactor = current_or_panic("resume");
    let clock = reactor.clock();
    assert!(
        clock.is_paused(),
        "corio::time::resume: the clock is not paused (call corio::time::pause first)"
    );
    clock.resume();
}

/// Moves a paused clock forward by `duration` at once, fires every timer due by then, and
/// yields so that the tasks those timers woke run before this call returns.
///
/// Timers due in between fire "at the same time", in deadline order. To wait until a
/// sleep completes instead, await the sleep: auto-advance (see [`pause`]) brings the clock
/// to its deadline.
///
/// ```
/// use corio::time::{advance, Duration, Instant};
/// corio::block_on(async {
///     corio::time::pause();
///     let start = Instant::now();
///     let done = std::rc::Rc::new(std::cell::Cell::new(false));
///     let sleep = corio::time::sleep(Duration::from_millis(10));
///     let flag = done.clone();
///     corio::spawn(async move { sleep.await; flag.set(true) });
///     corio::task::yield_now().await; // the task arms its timer
///     advance(Duration::from_millis(10)).await;
///     assert!(done.get()); // it ran before `advance` returned
///     assert_eq!(start.elapsed(), Duration::from_millis(10));
/// });
/// ```
///
/// # Panics
/// Outside a corio runtime, or if the clock is not paused (as tokio's `advance` does).
pub async fn advance(duration: Duration) {
    let reactor = current_or_panic("advance");
    let clock = reactor.clock();
    assert!(
        clock.is_paused(),
        "corio::time::advance: the clock is not paused (call corio::time::pause, or build \
         the runtime with start_paused(true))"
    );
    let to = super::deadline_after(super::Instant::from_std(clock.now()), duration);
    clock.advance_to(to.into_std());
    reactor.fire_timers();
    drop(reactor);
    crate::task::yield_now().await;
}
