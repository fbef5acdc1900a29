//! The typed task cell: one heap allocation per spawned task, holding its [`Header`], then
//! its future until it ends and its outcome until the `JoinHandle` takes it.
//!
//! ```text
//!   Stage::Running(future) ──(Ready, panic, abort, runtime dropped)──> Stage::Finished(outcome)
//!          │                                                                  │
//!          └── (ended with the handle already gone: outcome dropped) ──> Stage::Empty
//!                                                                             ^
//!                      (handle takes or drops the outcome) ───────────────────┘
//! ```
//!
//! The stage is touched by the owner thread's `poll` and `cancel` until the task
//! `FINISHED`, and after that by the `JoinHandle` (`take_output`, `drop_output`) on
//! whatever thread it is, or by `finish` if the handle was already gone (the join protocol,
//! `join_state.rs`). So by the time the last reference goes, whichever thread that is on,
//! the stage is `Empty`: `dealloc` frees the memory without running any of the future's
//! code, nor an output's.

use std::alloc::Layout;
use std::cell::UnsafeCell;
use std::future::Future;
use std::pin::Pin;
use std::ptr::NonNull;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::contain::{drop_contained, Contained};
use super::join::JoinError;
use super::join_state::Finished;
use super::raw::{Header, RawTask, VTable};
use super::waker::Shared;

/// A task cell. `repr(C)` puts the header first, so a cell pointer is a header pointer.
#[repr(C)]
struct Cell<F: Future> {
    header: Header,
    stage: UnsafeCell<Stage<F>>,
}

/// What the cell holds after its header (the states are drawn in the module doc).
enum Stage<F: Future> {
    Running(Contained<F>),
    Finished(Result<F::Output, JoinError>),
    Empty,
}

/// Makes the cell of task `id`: one allocation, one reference (returned), queued.
pub(super) fn allocate<F>(future: F, id: u64, shared: Arc<Shared>) -> RawTask
where
    F: Future + 'static,
{
    make(Stage::Running(Contained::new(future)), id, shared)
}

/// A cell with no future, for `block_on`'s own future: polled in place by `block_on`,
/// woken like any task through this cell's header.
pub(super) fn waker_only(id: u64, shared: Arc<Shared>) -> RawTask {
    make::<std::future::Ready<()>>(Stage::Empty, id, shared)
}

fn make<F: Future + 'static>(stage: Stage<F>, id: u64, shared: Arc<Shared>) -> RawTask {
    let cell = Box::new(Cell {
        header: Header::new(id, shared, vtable::<F>()),
        stage: UnsafeCell::new(stage),
    });
    let ptr = NonNull::from(Box::leak(cell)).cast::<Header>();
    // SAFETY: the cell was just made with one reference, handed to the RawTask.
    unsafe { RawTask::from_raw(ptr) }
}

fn vtable<F: Future + 'static>() -> &'static VTable {
    &VTable {
        poll: poll::<F>,
        cancel: cancel::<F>,
        take_output: take_output::<F>,
        drop_output: drop_output::<F>,
        dealloc: dealloc::<F>,
    }
}

/// The stage of the `Cell<F>` at `ptr`.
///
/// # Safety
/// `ptr` is a live cell made for `F` (its vtable's functions are the only callers).
unsafe fn stage<F: Future>(ptr: NonNull<Header>) -> *mut Stage<F> {
    // SAFETY: the cell is alive; the place projection makes no reference.
    UnsafeCell::raw_get(unsafe { std::ptr::addr_of!((*ptr.cast::<Cell<F>>().as_ptr()).stage) })
}

/// Polls the future, or drops it if the task was aborted; records the outcome once it
/// ends.
///
/// # Safety
/// Owner thread; `ptr` is a live `Cell<F>`, kept alive by the caller through the poll; no
/// other borrow of the stage (the executor polls one task at a time and never re-enters).
unsafe fn poll<F: Future>(ptr: NonNull<Header>, cx: &mut Context<'_>) -> Poll<()> {
    // SAFETY: the caller keeps the cell alive.
    let header = unsafe { ptr.as_ref() };
    // SAFETY: no other borrow of the stage exists during this call (the caller's
    // contract); a `JoinHandle` touches it only once FINISHED, which is set below after
    // this borrow's last use.
    let stage = unsafe { &mut *stage::<F>(ptr) };
    let Stage::Running(contained) = stage else {
        return Poll::Ready(()); // finished already: a late wake of a cancelled task
    };
    // SAFETY: the future lives in the heap cell and is dropped in place (`Contained`), so
    // it is never moved while pinned.
    let contained = unsafe { Pin::new_unchecked(contained) };
    if header.join.is_aborted() {
        contained.cancel();
        // SAFETY: as above; the borrow of the stage ended with `cancel`.
        unsafe { finish::<F>(ptr, Err(JoinError::cancelled())) };
        return Poll::Ready(());
    }
    match contained.poll_outcome(cx) {
        Poll::Pending => Poll::Pending,
        Poll::Ready(outcome) => {
            // SAFETY: as above; the borrow of the stage ended with `poll_outcome`.
            unsafe { finish::<F>(ptr, outcome) };
            Poll::Ready(())
        }
    }
}

/// Stores the outcome and hands it to the handle through the join protocol: wakes the
/// handle's awaiter, or drops the outcome (contained) if the handle is gone. The future
/// was dropped already.
///
/// # Safety
/// Owner thread; `ptr` is a live `Cell<F>` whose stage nothing borrows.
#[cold]
unsafe fn finish<F: Future>(ptr: NonNull<Header>, outcome: Result<F::Output, JoinError>) {
    // SAFETY: the caller's contract: the stage is ours until FINISHED is set below; the
    // old value is a spent `Contained`, whose drop runs no code.
    unsafe { *stage::<F>(ptr) = Stage::Finished(outcome) };
    // SAFETY: the caller keeps the cell alive.
    let header = unsafe { ptr.as_ref() };
    match header.join.finish() {
        Finished::Stored => {}
        Finished::Wake(waker) => waker.wake(),
        Finished::Detached => {
            // SAFETY: the handle is gone, and it left the stage to us (`join_state.rs`).
            let unobserved = unsafe { std::ptr::replace(stage::<F>(ptr), Stage::Empty) };
            drop_contained(unobserved);
        }
    }
}

/// Drops the future if the task has not finished, and records "cancelled".
///
/// # Safety
/// As [`poll`].
unsafe fn cancel<F: Future>(ptr: NonNull<Header>) {
    // SAFETY: the caller keeps the cell alive.
    if unsafe { ptr.as_ref() }.join.is_finished() {
        return; // the stage may be the handle's now, on another thread
    }
    // SAFETY: not FINISHED (only this thread sets it): the stage is ours.
    if let Stage::Running(contained) = unsafe { &mut *stage::<F>(ptr) } {
        // SAFETY: pinned in place, as in `poll`.
        unsafe { Pin::new_unchecked(contained) }.cancel();
        // SAFETY: the borrow ended with `cancel`.
        unsafe { finish::<F>(ptr, Err(JoinError::cancelled())) };
    }
}

/// Moves the outcome into `*dst` (a `*mut Option<Result<F::Output, JoinError>>`); leaves
/// `None` there if it was taken already.
///
/// # Safety
/// The caller is the `JoinHandle` (on any thread: the output is `Send` when the handle
/// moved), the task has FINISHED, and `dst` is valid for that type.
unsafe fn take_output<F: Future>(ptr: NonNull<Header>, dst: *mut ()) {
    // SAFETY: FINISHED with the handle alive: the stage is the handle's (module doc).
    let taken = unsafe { std::ptr::replace(stage::<F>(ptr), Stage::Empty) };
    if let Stage::Finished(outcome) = taken {
        // SAFETY: `dst` has the output's type (the caller's contract).
        unsafe { *dst.cast::<Option<Result<F::Output, JoinError>>>() = Some(outcome) };
    }
}

/// Drops an outcome that nobody will take; a panic in its `Drop` is contained.
///
/// # Safety
/// As [`take_output`].
unsafe fn drop_output<F: Future>(ptr: NonNull<Header>) {
    // SAFETY: as in `take_output`.
    let taken = unsafe { std::ptr::replace(stage::<F>(ptr), Stage::Empty) };
    drop_contained(taken);
}

/// Frees the cell: drops the header's fields (the `Shared` handle, a stored join waker),
/// never the stage, which the owner thread emptied (module doc) — so this may run on any
/// thread.
///
/// # Safety
/// The last reference is gone; `ptr` is a `Cell<F>` made by `make`.
unsafe fn dealloc<F: Future>(ptr: NonNull<Header>) {
    let cell = ptr.cast::<Cell<F>>().as_ptr();
    // SAFETY: nobody else can reach the cell any more; `make` allocated it as a
    // `Box<Cell<F>>`, whose layout is `Layout::new::<Cell<F>>()`.
    unsafe {
        debug_assert!(matches!(*(*cell).stage.get(), Stage::Empty));
        std::ptr::drop_in_place(std::ptr::addr_of_mut!((*cell).header));
        std::alloc::dealloc(cell.cast(), Layout::new::<Cell<F>>());
    }
}
