//! A task's one heap allocation, seen without its future's type: the [`Header`] every
//! task cell starts with, the counted pointer [`RawTask`] that the table, the
//! `JoinHandle`, `AbortHandle`s and wakers hold, and the waker's vtable. A task's state
//! bits are `queued` here (drawn on `Task`, `task.rs`) and the join bits
//! (`join_state.rs`).
//!
//! The typed rest of the cell (the future, then its outcome) is `cell.rs`; this file only
//! reaches it through the [`VTable`] the cell was made with.
//!
//! # Who touches what
//! - From any thread: `refs`, `queued`, `join` (an atomic protocol of its own), and the
//!   fields that never change after the cell is made (`id`, `shared`, `vtable`). Wakers,
//!   and the `JoinHandle` and `AbortHandle`, which are `Send`, go through these only.
//! - The cell's stage (future, then outcome): the owner thread (the executor's, where the
//!   task was spawned and runs) until the task finished, then whoever holds the
//!   `JoinHandle`, as `join_state.rs` decides.
//! - [`RawTask`] itself is `!Send`: the table entry holds one on the owner thread, and the
//!   `Send` handles wrap one with the argument above.

use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::ptr::NonNull;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use super::join_state::JoinState;
use super::waker::Shared;
use crate::std_or_loom::{AtomicBool, AtomicUsize};

/// The typed operations of one cell, made once per future type (`cell.rs`).
pub(super) struct VTable {
    /// Polls the future (or drops it, if aborted); `Ready` once the task finished.
    pub(super) poll: unsafe fn(NonNull<Header>, &mut Context<'_>) -> Poll<()>,
    /// Drops the future if it is still there, recording "cancelled" (the runtime's drop).
    pub(super) cancel: unsafe fn(NonNull<Header>),
    /// Moves the outcome out into `*dst`, a `*mut Option<Result<T, JoinError>>`.
    pub(super) take_output: unsafe fn(NonNull<Header>, dst: *mut ()),
    /// Drops the outcome nobody will take (contained).
    pub(super) drop_output: unsafe fn(NonNull<Header>),
    /// Frees the cell, after the last reference went.
    pub(super) dealloc: unsafe fn(NonNull<Header>),
}

/// The start of every task cell (`#[repr(C)]` there: a cell pointer is a header pointer).
pub(super) struct Header {
    /// Counted references: the table entry (until the task finished), the `JoinHandle`,
    /// each `AbortHandle`, each `Waker`. The cell is freed when it reaches zero.
    refs: AtomicUsize,
    /// True from a wake until the executor starts the next poll: a storm of wakes queues
    /// the task once (the poll states are drawn on `Task`, `task.rs`).
    queued: AtomicBool,
    /// The join protocol's bits and the awaiter's waker (`join_state.rs`).
    pub(super) join: JoinState,
    /// Table key and generation: a wake after the task finished (and its key was reused)
    /// finds a different generation and is ignored.
    pub(super) id: u64,
    /// Where a wake queues `id`.
    pub(super) shared: Arc<Shared>,
    pub(super) vtable: &'static VTable,
}

impl Header {
    /// A header for task `id`, with one reference (the caller's) and counted as queued
    /// (the spawner queues it).
    pub(super) fn new(id: u64, shared: Arc<Shared>, vtable: &'static VTable) -> Header {
        Header {
            refs: AtomicUsize::new(1),
            queued: AtomicBool::new(true),
            join: JoinState::new(),
            id,
            shared,
            vtable,
        }
    }

    /// Called right before a poll: a wake during the poll must queue the task again.
    ///
    /// A swap, not a store: as a read-modify-write it is ordered before the poll's own
    /// loads, so a remote thread that publishes data and then finds `queued` still set is
    /// guaranteed that this poll sees the data (a plain release store could sit in the
    /// store buffer while the poll reads stale state, losing the wake).
    pub(super) fn clear_queued(&self) {
        self.queued.swap(false, Ordering::AcqRel);
    }

    /// Queues the task unless it already is.
    #[inline]
    pub(super) fn wake(&self) {
        if !self.queued.swap(true, Ordering::AcqRel) {
            self.shared.schedule(self.id);
        }
    }
}

/// One counted reference to a task cell, held on the owner thread (`!Send`: the
/// `PhantomData` of a raw pointer).
pub(crate) struct RawTask {
    ptr: NonNull<Header>,
    _owner_thread: PhantomData<*const ()>,
}

impl RawTask {
    /// Takes over the reference the cell at `ptr` was made with.
    ///
    /// # Safety
    /// `ptr` points to a live cell and the caller gives this value one of its references.
    pub(super) unsafe fn from_raw(ptr: NonNull<Header>) -> RawTask {
        RawTask {
            ptr,
            _owner_thread: PhantomData,
        }
    }

    pub(super) fn header(&self) -> &Header {
        // SAFETY: this value holds a reference, so the cell is alive.
        unsafe { self.ptr.as_ref() }
    }

    pub(super) fn ptr(&self) -> NonNull<Header> {
        self.ptr
    }

    /// A waker for this task that borrows this reference (no count change).
    pub(super) fn waker_ref(&self) -> ManuallyDrop<Waker> {
        // SAFETY: this value's reference outlives the borrow.
        unsafe { borrowed_waker(self.ptr) }
    }

    /// Whether the task finished (completed, panicked or was cancelled).
    pub(crate) fn is_finished(&self) -> bool {
        self.header().join.is_finished()
    }

    /// Cancels the task: marks it aborted and queues it, unless it finished. Any thread.
    pub(crate) fn abort(&self) {
        let header = self.header();
        if header.join.abort() {
            header.wake();
        }
    }
}

impl Clone for RawTask {
    fn clone(&self) -> RawTask {
        acquire(self.ptr);
        RawTask {
            ptr: self.ptr,
            _owner_thread: PhantomData,
        }
    }
}

impl Drop for RawTask {
    fn drop(&mut self) {
        // SAFETY: this value owned one reference.
        unsafe { release(self.ptr) };
    }
}

/// A waker for the cell at `ptr` that owns no reference: `ManuallyDrop` keeps it from
/// releasing one. Cloning it makes an owning waker.
///
/// # Safety
/// The cell stays alive while the waker (not its clones) is in use.
pub(super) unsafe fn borrowed_waker(ptr: NonNull<Header>) -> ManuallyDrop<Waker> {
    // SAFETY: the waker's functions are WAKER_VTABLE's, for this cell.
    ManuallyDrop::new(unsafe { Waker::from_raw(raw_waker(ptr)) })
}

/// Adds a reference. Relaxed, as `Arc::clone`: a new reference is made from an existing
/// one, which keeps the cell alive meanwhile.
fn acquire(ptr: NonNull<Header>) {
    // SAFETY: the caller holds a reference, so the cell is alive.
    let old = unsafe { ptr.as_ref() }.refs.fetch_add(1, Ordering::Relaxed);
    if old > isize::MAX as usize {
        std::process::abort(); // as `Arc`: a count this high means leaked clones
    }
}

/// Drops one reference; frees the cell if it was the last.
///
/// Release, then an acquire load before freeing, as `Arc`'s drop: every use of the cell
/// through another reference happens before the free. No reference to the header lives
/// across the decrement: once it is done, another thread may free the cell.
///
/// # Safety
/// The caller owns one reference and gives it up.
unsafe fn release(ptr: NonNull<Header>) {
    // SAFETY: the caller's reference keeps the cell alive up to this decrement.
    let old = unsafe { ptr.as_ref() }.refs.fetch_sub(1, Ordering::Release);
    if old != 1 {
        return;
    }
    // The acquire half, as a load of the count rather than `fence(Acquire)`: the same
    // ordering (it reads the last of the release decrements), and ThreadSanitizer, which
    // does not model fences, sees it (as std's `Arc` does under TSan).
    // SAFETY: still alive: this thread holds the last reference.
    let _ = unsafe { ptr.as_ref() }.refs.load(Ordering::Acquire);
    // SAFETY: that was the last reference; the vtable is read before the free.
    unsafe {
        let dealloc = ptr.as_ref().vtable.dealloc;
        dealloc(ptr);
    }
}

/// A `RawWaker` over one reference to the cell at `ptr`.
fn raw_waker(ptr: NonNull<Header>) -> std::task::RawWaker {
    std::task::RawWaker::new(ptr.as_ptr().cast_const().cast(), &WAKER_VTABLE)
}

/// A task's waker: a counted reference to its cell. It may be cloned, woken and dropped on
/// any thread: it touches only `refs`, `queued`, `id` and `shared` (see the module doc),
/// and a last reference dropped elsewhere frees a cell whose future and outcome the owner
/// thread already dropped (`cell.rs`'s `dealloc`).
static WAKER_VTABLE: std::task::RawWakerVTable =
    std::task::RawWakerVTable::new(waker_clone, waker_wake, waker_wake_by_ref, waker_drop);

/// The cell pointer of a waker's data.
fn cell_of(data: *const ()) -> NonNull<Header> {
    // SAFETY: every waker with WAKER_VTABLE was made by `raw_waker` from a non-null cell.
    unsafe { NonNull::new_unchecked(data.cast_mut().cast()) }
}

fn waker_clone(data: *const ()) -> std::task::RawWaker {
    let ptr = cell_of(data);
    acquire(ptr);
    raw_waker(ptr)
}

fn waker_wake(data: *const ()) {
    let ptr = cell_of(data);
    // SAFETY: the waker owns a reference, given up after the wake.
    unsafe {
        ptr.as_ref().wake();
        release(ptr);
    }
}

fn waker_wake_by_ref(data: *const ()) {
    // SAFETY: the waker holds a reference for the duration of the call.
    unsafe { cell_of(data).as_ref() }.wake();
}

fn waker_drop(data: *const ()) {
    // SAFETY: the waker owns a reference and gives it up.
    unsafe { release(cell_of(data)) };
}
