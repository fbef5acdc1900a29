//! The harness around a spawned future: catches its panics, honours `abort`, and hands
//! the outcome to the `JoinHandle`.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use super::join::{JoinError, JoinState};

pin_project! {
    #[project = StageProj]
    enum Stage<F> {
        Running { #[pin] future: F },
        Done,
    }
}

pin_project! {
    /// A spawned future and the state it shares with its `JoinHandle`. The executor only
    /// sees `Future<Output = ()>`; panics never escape `poll`.
    pub(crate) struct Harness<F: Future> {
        #[pin]
        stage: Stage<F>,
        join: Rc<JoinState<F::Output>>,
    }

    impl<F: Future> PinnedDrop for Harness<F> {
        fn drop(this: Pin<&mut Self>) {
            // Dropped unfinished: the runtime went away with the task still pending.
            this.join.finish(Err(JoinError::cancelled()));
        }
    }
}

impl<F: Future> Harness<F> {
    pub(crate) fn new(future: F, join: Rc<JoinState<F::Output>>) -> Harness<F> {
        Harness {
            stage: Stage::Running { future },
            join,
        }
    }
}

impl<F: Future> Future for Harness<F> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut this = self.project();
        if this.join.aborted.get() {
            // Dropping the future may itself panic; the task is cancelled either way.
            let _ = catch_unwind(AssertUnwindSafe(|| this.stage.set(Stage::Done)));
            this.join.finish(Err(JoinError::cancelled()));
            return Poll::Ready(());
        }
        let future = match this.stage.as_mut().project() {
            StageProj::Running { future } => future,
            StageProj::Done => return Poll::Ready(()),
        };
        let result = match catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(output)) => {
                // Drop the finished future now: a panic in its Drop is the task's panic.
                match catch_unwind(AssertUnwindSafe(|| this.stage.set(Stage::Done))) {
                    Ok(()) => Ok(output),
                    Err(payload) => Err(JoinError::panic(payload)),
                }
            }
            Err(payload) => {
                let _ = catch_unwind(AssertUnwindSafe(|| this.stage.set(Stage::Done)));
                Err(JoinError::panic(payload))
            }
        };
        this.join.finish(result);
        Poll::Ready(())
    }
}
