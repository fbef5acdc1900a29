//! The harness around a spawned future: contains its panics, honours `abort`, and hands
//! the outcome to the `JoinHandle`.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use super::contain::Contained;
use super::join::{JoinError, JoinState};

pin_project! {
    /// A spawned future and the state it shares with its `JoinHandle`. The executor only
    /// sees `Future<Output = ()>`; panics never escape `poll`.
    pub(crate) struct Harness<F: Future> {
        #[pin]
        task: Contained<F>,
        join: Rc<JoinState<F::Output>>,
    }

    impl<F: Future> PinnedDrop for Harness<F> {
        fn drop(this: Pin<&mut Self>) {
            // Still unfinished if the runtime went away with the task pending (otherwise
            // this does nothing). Through `project`, never `Deref`: a shared borrow of the
            // whole harness would also cover the pinned future, invalidating the borrows it
            // holds of its own fields right before its drop uses them.
            this.project().join.finish(Err(JoinError::cancelled()));
        }
    }
}

impl<F: Future> Harness<F> {
    pub(crate) fn new(future: F, join: Rc<JoinState<F::Output>>) -> Harness<F> {
        Harness {
            task: Contained::new(future),
            join,
        }
    }
}

impl<F: Future> Future for Harness<F> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        if this.join.aborted.get() {
            cancel(this.task, this.join);
            return Poll::Ready(());
        }
        match this.task.poll_outcome(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(outcome) => {
                this.join.finish(outcome);
                Poll::Ready(())
            }
        }
    }
}

/// Acts on an abort: drops the future (contained) and tells the handle "cancelled". Out
/// of line, so that the poll path keeps only the flag check.
#[cold]
#[inline(never)]
fn cancel<F: Future>(task: Pin<&mut Contained<F>>, join: &JoinState<F::Output>) {
    task.cancel();
    join.finish(Err(JoinError::cancelled()));
}
