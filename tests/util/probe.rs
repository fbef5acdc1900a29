//! Probe futures for the macro tests: [`Probe`] logs each poll and completes on a chosen
//! one; [`DropFlag`] records that it was dropped.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

/// A future that writes its id into a shared log each time it is polled, and completes
/// with its id on poll number `ready_on` (1-based; 0: never), waking itself before then.
pub struct Probe {
    id: u8,
    log: Rc<RefCell<Vec<u8>>>,
    polls: u32,
    ready_on: u32,
}

impl Probe {
    pub fn new(id: u8, log: &Rc<RefCell<Vec<u8>>>, ready_on: u32) -> Self {
        Probe {
            id,
            log: log.clone(),
            polls: 0,
            ready_on,
        }
    }
}

impl Future for Probe {
    type Output = u8;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u8> {
        assert!(
            self.ready_on == 0 || self.polls < self.ready_on,
            "probe {} polled after completion",
            self.id
        );
        self.log.borrow_mut().push(self.id);
        self.polls += 1;
        if self.polls == self.ready_on {
            Poll::Ready(self.id)
        } else {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

/// Sets its flag when dropped.
pub struct DropFlag(pub Rc<Cell<bool>>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.set(true);
    }
}
