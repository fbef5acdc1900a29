//! Two small combinators for running futures side by side in one task: [`race`] (the
//! first to finish wins, the other is dropped) and [`join`] (wait for both). With them a
//! task can, say, wait for a message *or* a shutdown signal without spawning.
//!
//! ```
//! use std::time::Duration;
//! use corio::future::race;
//!
//! corio::block_on(async {
//!     let (tx, rx) = corio::sync::oneshot::channel::<&str>();
//!     let got = race(
//!         async { rx.await.unwrap_or("sender gone") },
//!         async {
//!             corio::time::sleep(Duration::from_millis(10)).await;
//!             "timed out"
//!         },
//!     )
//!     .await;
//!     assert_eq!(got, "timed out"); // nobody sent: the sleep won
//!     drop(tx);
//! });
//! ```

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

/// Runs `a` and `b` in this task and completes with the output of whichever finishes
/// first; the other is dropped then (cancelled). Both must give the same type (wrap them
/// in an enum otherwise).
///
/// Biased: on each wake `a` is polled first, so if both are ready `a` wins. Put the
/// future that must not be starved (a shutdown signal, say) first. Use it only with
/// futures whose cancellation loses nothing (corio's `recv`, `accept`, `read` into a
/// buffer you keep, `sleep` are all cancel-safe; `write_all` is not: part may be sent;
/// nor is a bounded channel's `send`: the value it holds is dropped).
pub fn race<A, B>(a: A, b: B) -> Race<A, B>
where
    A: Future,
    B: Future<Output = A::Output>,
{
    Race { a, b }
}

pin_project! {
    /// The future of [`race`].
    #[derive(Debug)]
    #[must_use = "futures do nothing unless awaited"]
    pub struct Race<A, B> {
        #[pin]
        a: A,
        #[pin]
        b: B,
    }
}

impl<A, B> Future for Race<A, B>
where
    A: Future,
    B: Future<Output = A::Output>,
{
    type Output = A::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<A::Output> {
        let this = self.project();
        if let Poll::Ready(out) = this.a.poll(cx) {
            return Poll::Ready(out);
        }
        this.b.poll(cx)
    }
}

/// Runs `a` and `b` in this task until both have finished; their outputs, in order.
/// Each is polled only until it completes (never again after).
pub fn join<A: Future, B: Future>(a: A, b: B) -> Join<A, B> {
    Join {
        a,
        b,
        a_out: None,
        b_out: None,
    }
}

pin_project! {
    /// The future of [`join`].
    #[must_use = "futures do nothing unless awaited"]
    pub struct Join<A: Future, B: Future> {
        #[pin]
        a: A,
        #[pin]
        b: B,
        a_out: Option<A::Output>,
        b_out: Option<B::Output>,
    }
}

impl<A: Future, B: Future> Future for Join<A, B> {
    type Output = (A::Output, B::Output);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if this.a_out.is_none() {
            if let Poll::Ready(out) = this.a.poll(cx) {
                *this.a_out = Some(out);
            }
        }
        if this.b_out.is_none() {
            if let Poll::Ready(out) = this.b.poll(cx) {
                *this.b_out = Some(out);
            }
        }
        match (this.a_out.take(), this.b_out.take()) {
            (Some(a), Some(b)) => Poll::Ready((a, b)),
            (a, b) => {
                *this.a_out = a;
                *this.b_out = b;
                Poll::Pending
            }
        }
    }
}

impl<A: Future, B: Future> std::fmt::Debug for Join<A, B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Join")
            .field("a_done", &self.a_out.is_some())
            .field("b_done", &self.b_out.is_some())
            .finish()
    }
}
