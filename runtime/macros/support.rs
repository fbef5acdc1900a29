//! What the expansions of `select!`, `join!` and `try_join!` call: a per-thread random
//! number for `select!`'s fair start, and [`MaybeDone`], a future that keeps its output.
//!
//! Reached from user crates as `corio::__private` (hidden from the docs): the macros
//! expand in the caller's crate and name these items by path. Nothing here is API.

use std::cell::Cell;
use std::collections::hash_map::RandomState;
use std::future::Future;
use std::hash::BuildHasher;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

thread_local! {
    /// xorshift64 state of this thread; 0 means "not seeded yet" (xorshift never reaches
    /// 0 from a non-zero state, so 0 is free to mean that).
    static RNG: Cell<u64> = const { Cell::new(0) };
}

/// A number in `0..n` (0 when `n` is 0 or 1), from a small per-thread generator: where
/// `select!` starts polling, so that no branch is favoured over many calls. Not for
/// anything that needs unpredictable numbers.
pub fn random_below(n: u32) -> u32 {
    if n <= 1 {
        return 0;
    }
    // After the thread's locals are destroyed (a select! run from a thread-local's
    // destructor) there is no state: start at branch 0 rather than fail.
    let x = RNG.try_with(|state| {
        let mut x = state.get();
        if x == 0 {
            x = seed(state as *const Cell<u64> as usize);
        }
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        state.set(x);
        x
    });
    match x {
        // The high 32 bits scaled into 0..n: no modulo bias worth the name for small n.
        Ok(x) => (((x >> 32) * u64::from(n)) >> 32) as u32,
        Err(_) => 0,
    }
}

/// A non-zero seed: std's per-thread random hasher keys (taken from the OS once per
/// thread) hashed with the address of this thread's state.
fn seed(address: usize) -> u64 {
    let mixed = RandomState::new().hash_one(address);
    mixed | 1
}

pin_project! {
    /// One future of a `join!` or `try_join!`: polled until it completes, then holding
    /// its output (and no longer the future) until the macro takes it.
    #[must_use = "futures do nothing unless polled"]
    pub struct MaybeDone<F: Future> {
        #[pin]
        future: Option<F>,
        output: Option<F::Output>,
    }
}

impl<F: Future> MaybeDone<F> {
    /// Wraps a future that has not run yet.
    pub fn new(future: F) -> Self {
        MaybeDone {
            future: Some(future),
            output: None,
        }
    }

    /// Polls the future unless it has completed; `Ready` once its output is stored. The
    /// future is dropped as soon as it completes, so it is never polled again.
    pub fn poll_done(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut this = self.project();
        if let Some(future) = this.future.as_mut().as_pin_mut() {
            match future.poll(cx) {
                Poll::Ready(output) => {
                    *this.output = Some(output);
                    this.future.set(None);
                }
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(())
    }

    /// The stored output, once; `None` before completion or after it was taken.
    pub fn take_output(self: Pin<&mut Self>) -> Option<F::Output> {
        self.project().output.take()
    }
}

impl<F: Future> std::fmt::Debug for MaybeDone<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MaybeDone")
            .field("running", &self.future.is_some())
            .field("has_output", &self.output.is_some())
            .finish()
    }
}

/// `try_join!`'s step for one future: `Ready(Ok(()))` once it completed with `Ok` (kept
/// for later), `Ready(Err(e))` when it completed with `Err(e)` (handed over at once),
/// `Pending` while it runs.
pub fn poll_try<F, T, E>(slot: Pin<&mut MaybeDone<F>>, cx: &mut Context<'_>) -> Poll<Result<(), E>>
where
    F: Future<Output = Result<T, E>>,
{
    let mut this = slot.project();
    if let Some(future) = this.future.as_mut().as_pin_mut() {
        match future.poll(cx) {
            Poll::Ready(Ok(value)) => {
                *this.output = Some(Ok(value));
                this.future.set(None);
            }
            Poll::Ready(Err(e)) => {
                this.future.set(None);
                return Poll::Ready(Err(e));
            }
            Poll::Pending => return Poll::Pending,
        }
    }
    Poll::Ready(Ok(()))
}

/// The `Ok` value `poll_try` stored, once; `None` otherwise.
pub fn take_ok<F, T, E>(slot: Pin<&mut MaybeDone<F>>) -> Option<T>
where
    F: Future<Output = Result<T, E>>,
{
    match slot.take_output() {
        Some(Ok(value)) => Some(value),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::random_below;

    #[test]
    fn random_below_stays_in_range_and_covers_it() {
        let mut seen = [0u32; 5];
        for _ in 0..5_000 {
            let k = random_below(5);
            assert!(k < 5);
            seen[k as usize] += 1;
        }
        assert!(seen.iter().all(|&c| c > 500), "{seen:?}");
        assert_eq!(random_below(0), 0);
        assert_eq!(random_below(1), 0);
    }
}
