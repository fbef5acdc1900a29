//! A spawned task's slot in the executor's slab: its future and its waker.

use std::future::Future;
use std::pin::Pin;
use std::ptr::NonNull;
use std::sync::Arc;

use super::meta::TaskMeta;
use super::waker::TaskWaker;

/// One task. The future is kept as a raw pointer to its own heap allocation (made by
/// `Box` in [`TaskSlot::new`], freed in `Drop`) rather than as a `Box`, so the executor can
/// poll it after releasing its borrow of the slab, without moving it out and back in;
/// the slab may grow (and move this struct) during the poll, which moves the pointer,
/// never the future.
///
/// # Invariant
/// `future` is valid, and never moved, from `new` until this slot is dropped.
pub(super) struct TaskSlot {
    /// Which occupant of its slab key this task is.
    pub(super) generation: u32,
    future: NonNull<dyn Future<Output = ()>>,
    /// Made once at spawn; every wake of this task goes through it.
    pub(super) waker: Arc<TaskWaker>,
    /// Name and spawn site, for reports (the slow-poll detector).
    pub(super) meta: TaskMeta,
}

impl TaskSlot {
    /// Boxes `future` into a new slot.
    pub(super) fn new<F>(
        generation: u32,
        future: F,
        waker: Arc<TaskWaker>,
        meta: TaskMeta,
    ) -> TaskSlot
    where
        F: Future<Output = ()> + 'static,
    {
        let boxed: Box<dyn Future<Output = ()>> = Box::new(future);
        TaskSlot {
            generation,
            // SAFETY: Box::into_raw never returns null.
            future: unsafe { NonNull::new_unchecked(Box::into_raw(boxed)) },
            waker,
            meta,
        }
    }

    /// The future, to poll once the slab borrow is released.
    ///
    /// # Safety
    /// The caller must not let the returned reference outlive this slot, and must not
    /// create two of them at once (the executor polls one task at a time and never
    /// re-enters itself).
    pub(super) unsafe fn future_mut<'a>(&self) -> Pin<&'a mut (dyn Future<Output = ()> + 'static)> {
        // SAFETY: by the invariant the pointer is valid and the future never moves, so
        // pinning is upheld; exclusivity and lifetime are the caller's contract.
        unsafe { Pin::new_unchecked(&mut *self.future.as_ptr()) }
    }
}

impl Drop for TaskSlot {
    fn drop(&mut self) {
        // SAFETY: `future` came from Box::into_raw in `new` and is freed only here, once.
        drop(unsafe { Box::from_raw(self.future.as_ptr()) });
    }
}
