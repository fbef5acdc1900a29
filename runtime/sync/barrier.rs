//! A barrier: `n` tasks wait until all `n` have arrived, then all go on together —
//! tokio's `sync::Barrier`. It can be reused: the next `n` arrivals form the next
//! generation.
//!
//! ```
//! use std::sync::Arc;
//! use corio::sync::Barrier;
//!
//! corio::block_on(async {
//!     let barrier = Arc::new(Barrier::new(3));
//!     let tasks: Vec<_> = (0..3)
//!         .map(|_| {
//!             let barrier = barrier.clone();
//!             corio::spawn(async move { barrier.wait().await.is_leader() })
//!         })
//!         .collect();
//!     let mut leaders = 0;
//!     for task in tasks {
//!         leaders += task.await.unwrap() as usize;
//!     }
//!     assert_eq!(leaders, 1); // exactly one arrival per generation leads
//! });
//! ```

use std::fmt;

use super::Notify;
use crate::std_or_loom::{Mutex, MutexGuard};

/// Lets `n` tasks (on any threads) wait for each other. `Send + Sync`.
pub struct Barrier {
    n: usize,
    state: Mutex<State>,
    /// Wakes the waiters of a generation when its last task arrives.
    released: Notify,
}

struct State {
    /// Tasks waiting in the current generation.
    arrived: usize,
    /// Generations released so far.
    generation: u64,
}

impl Barrier {
    /// A barrier that releases its waiters each time `n` have arrived (a barrier of 0
    /// behaves as one of 1: every `wait` completes at once, as leader).
    pub fn new(n: usize) -> Self {
        Barrier {
            n: n.max(1),
            state: Mutex::new(State {
                arrived: 0,
                generation: 0,
            }),
            released: Notify::new(),
        }
    }

    /// The state; updates under it never panic half-way, so poison is ignored.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until `n` tasks (this one included) are waiting, then completes for all of
    /// them; exactly one of them gets a result whose
    /// [`is_leader`](BarrierWaitResult::is_leader) is `true` (the last to arrive).
    ///
    /// Not cancel-safe: the arrival counts from the first poll, so a `wait` dropped before
    /// it completes still counts towards its generation, and that
    /// generation is released one live task short.
    pub async fn wait(&self) -> BarrierWaitResult {
        let generation = {
            let mut state = self.lock();
            state.arrived += 1;
            if state.arrived == self.n {
                state.arrived = 0;
                state.generation += 1;
                drop(state);
                self.released.notify_waiters();
                return BarrierWaitResult(true);
            }
            state.generation
        };
        loop {
            // Created before the check: a release after it completes it.
            let released = self.released.notified();
            if self.lock().generation != generation {
                return BarrierWaitResult(false);
            }
            released.await;
        }
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct("Barrier")
            .field("n", &self.n)
            .field("arrived", &state.arrived)
            .field("generation", &state.generation)
            .finish()
    }
}

/// What [`Barrier::wait`] returns: whether this task led its generation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BarrierWaitResult(bool);

impl BarrierWaitResult {
    /// `true` for exactly one task per generation.
    pub fn is_leader(&self) -> bool {
        self.0
    }
}
