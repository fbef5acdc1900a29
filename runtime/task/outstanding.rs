//! [`Outstanding`]: how many blocking-pool jobs one runtime has spawned that have not yet
//! ended, so that dropping the runtime can wait for them (see
//! [`Runtime`](crate::Runtime)'s drop).
//!
//! Only [`spawn_blocking`](super::spawn_blocking) and the end of its job touch the count;
//! spawning, polling and waking tasks never do.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// One runtime's count of unfinished pool jobs, and a condition variable signalled when
/// it reaches zero.
#[derive(Debug, Default)]
pub(crate) struct Outstanding {
    jobs: Mutex<usize>,
    idle: Condvar,
}

impl Outstanding {
    fn lock(&self) -> MutexGuard<'_, usize> {
        // The count is only ever incremented or decremented under the lock, with no code
        // that can panic in between: a poisoned lock still holds a correct count.
        self.jobs.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts one more job; the job ends when the returned guard is dropped.
    pub(crate) fn count(self: &Arc<Self>) -> Counted {
        *self.lock() += 1;
        Counted(self.clone())
    }

    /// How many counted jobs have not ended.
    pub(crate) fn pending(&self) -> usize {
        *self.lock()
    }

    /// Blocks until every counted job has ended, or until `limit` passes (`None`: no
    /// limit). Whether the count reached zero.
    pub(crate) fn wait(&self, limit: Option<Duration>) -> bool {
        let deadline = limit.and_then(|limit| Instant::now().checked_add(limit));
        let mut jobs = self.lock();
        while *jobs > 0 {
            jobs = match (limit, deadline) {
                (None, _) | (Some(_), None) => {
                    self.idle.wait(jobs).unwrap_or_else(|e| e.into_inner())
                }
                (Some(_), Some(deadline)) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return false;
                    }
                    self.idle
                        .wait_timeout(jobs, left)
                        .unwrap_or_else(|e| e.into_inner())
                        .0
                }
            };
        }
        true
    }
}

/// One counted job: dropping it (when the job has run, or when the pool drops it unrun)
/// takes it off the count.
#[derive(Debug)]
pub(crate) struct Counted(Arc<Outstanding>);

impl Drop for Counted {
    fn drop(&mut self) {
        let mut jobs = self.0.lock();
        *jobs -= 1;
        if *jobs == 0 {
            self.0.idle.notify_all();
        }
    }
}
