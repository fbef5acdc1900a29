//! Async helpers for tests running inside a corio runtime: a [`timeout`] on corio's
//! timers, [`within`] (the same, panicking), [`join2`], and [`poll_once`].

use std::future::Future;
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

/// The future did not finish in time.
#[derive(Debug)]
pub struct Elapsed;

/// Runs `future` for at most `limit` (on corio's timers); must be awaited inside a corio
/// runtime.
pub async fn timeout<F: Future>(limit: Duration, future: F) -> Result<F::Output, Elapsed> {
    let mut future = pin!(future);
    let mut sleep = pin!(corio::time::sleep(limit));
    std::future::poll_fn(|cx| {
        if let Poll::Ready(out) = future.as_mut().poll(cx) {
            return Poll::Ready(Ok(out));
        }
        if sleep.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Err(Elapsed));
        }
        Poll::Pending
    })
    .await
}

/// Like [`timeout`], but panics with `what` when time runs out: a guard against a hang.
/// Under Miri the limit is ten times longer: its clock advances with every interpreted step.
pub async fn within<F: Future>(limit: Duration, what: &str, future: F) -> F::Output {
    let limit = if cfg!(miri) { limit * 10 } else { limit };
    match timeout(limit, future).await {
        Ok(out) => out,
        Err(Elapsed) => panic!("timed out after {limit:?}: {what}"),
    }
}

/// Runs two futures concurrently in the current task; returns both outputs.
pub async fn join2<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    let (mut a, mut b) = (pin!(a), pin!(b));
    let (mut out_a, mut out_b) = (None, None);
    std::future::poll_fn(|cx| {
        if out_a.is_none() {
            if let Poll::Ready(v) = a.as_mut().poll(cx) {
                out_a = Some(v);
            }
        }
        if out_b.is_none() {
            if let Poll::Ready(v) = b.as_mut().poll(cx) {
                out_b = Some(v);
            }
        }
        if out_a.is_some() && out_b.is_some() {
            Poll::Ready((out_a.take().unwrap(), out_b.take().unwrap()))
        } else {
            Poll::Pending
        }
    })
    .await
}

/// Polls `future` exactly once, in the current task, and reports what it returned.
pub async fn poll_once<F: Future + Unpin>(future: &mut F) -> Poll<F::Output> {
    std::future::poll_fn(|cx| Poll::Ready(std::pin::Pin::new(&mut *future).poll(cx))).await
}
