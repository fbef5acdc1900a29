//! An async reader-writer lock: many readers at once, or one writer — tokio's
//! `sync::RwLock`.
//!
//! It is a [`Semaphore`] holding `max_readers` permits plus the data: a reader takes one
//! permit, a writer takes all of them. The semaphore serves waiters first come, first
//! served, and a writer at the front of its queue collects permits as readers return
//! them while later readers queue behind it: a steady stream of readers cannot starve a
//! writer, and a writer cannot jump ahead of readers that asked first.
//!
//! ```
//! use corio::sync::RwLock;
//!
//! corio::block_on(async {
//!     let lock = RwLock::new(5);
//!     {
//!         let a = lock.read().await;
//!         let b = lock.read().await; // readers share
//!         assert_eq!(*a + *b, 10);
//!         assert!(lock.try_write().is_err()); // a writer would have to wait
//!     }
//!     *lock.write().await += 1;
//!     assert_eq!(lock.into_inner(), 6);
//! });
//! ```

use std::cell::UnsafeCell;
use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};

use super::permit::SemaphorePermit;
use super::{Semaphore, TryLockError};

/// The most readers a lock may admit at once ([`RwLock::with_max_readers`]).
const MAX_READS: u32 = u32::MAX >> 3;

/// An async reader-writer lock around a `T`. `Send` when `T: Send`, `Sync` when
/// `T: Send + Sync` (readers on several threads share `&T`).
pub struct RwLock<T: ?Sized> {
    /// Permits a writer takes: every one there is.
    max_readers: u32,
    semaphore: Semaphore,
    data: UnsafeCell<T>,
}

// SAFETY: readers on different threads get `&T` at once (so `T: Sync`), and a writer on
// any thread gets `&mut T` (so `T: Send`); the semaphore keeps the two apart.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLock<T> {}

impl<T> RwLock<T> {
    /// An unlocked lock holding `value`, admitting up to `u32::MAX >> 3` readers at once.
    #[cfg(not(loom))]
    pub const fn new(value: T) -> Self {
        RwLock::const_with_max_readers(value, MAX_READS)
    }

    /// An unlocked lock holding `value` (not `const` in the loom build, whose
    /// [`Semaphore::new`] is not).
    #[cfg(loom)]
    pub fn new(value: T) -> Self {
        RwLock::with_max_readers(value, MAX_READS)
    }

    /// [`new`](Self::new), under tokio's name for its `const` constructor.
    #[cfg(not(loom))]
    pub const fn const_new(value: T) -> Self {
        RwLock::new(value)
    }

    /// An unlocked lock holding `value` that admits at most `max_reads` readers at once
    /// (0 counts as 1).
    ///
    /// # Panics
    /// If `max_reads` exceeds `u32::MAX >> 3`.
    #[track_caller]
    pub fn with_max_readers(value: T, max_reads: u32) -> Self {
        assert!(
            max_reads <= MAX_READS,
            "RwLock::with_max_readers: more than u32::MAX >> 3 readers"
        );
        RwLock {
            max_readers: max_reads.max(1),
            semaphore: Semaphore::new(max_reads.max(1) as usize),
            data: UnsafeCell::new(value),
        }
    }

    /// [`with_max_readers`](Self::with_max_readers) as a `const fn`.
    ///
    /// # Panics
    /// If `max_reads` exceeds `u32::MAX >> 3` (at compile time in a `const` context).
    #[cfg(not(loom))]
    pub const fn const_with_max_readers(value: T, max_reads: u32) -> Self {
        assert!(max_reads <= MAX_READS, "more than u32::MAX >> 3 readers");
        let max_readers = if max_reads == 0 { 1 } else { max_reads };
        RwLock {
            max_readers,
            semaphore: Semaphore::new(max_readers as usize),
            data: UnsafeCell::new(value),
        }
    }

    /// The data, taking the lock apart (no locking: we own it).
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> RwLock<T> {
    /// Waits until no writer holds or waits ahead for the lock, then shares it with the
    /// other readers until the guard is dropped.
    ///
    /// Cancel-safe: dropped while waiting, it leaves the queue and holds nothing. Fair: it
    /// waits behind a writer that asked first, even while other readers hold the lock —
    /// so a task that already holds a read guard and asks for another can deadlock with
    /// a writer queued in between (as with tokio's lock).
    pub async fn read(&self) -> RwLockReadGuard<'_, T> {
        let permit = match self.semaphore.acquire().await {
            Ok(permit) => permit,
            Err(_) => unreachable!("an RwLock's semaphore is never closed"),
        };
        self.read_guard(permit)
    }

    /// Waits until nobody holds the lock and everyone who asked earlier was served, then
    /// holds it alone until the guard is dropped.
    ///
    /// Cancel-safe: dropped while waiting, it gives back the permits it had collected
    /// (waking readers queued behind it) and leaves the queue.
    pub async fn write(&self) -> RwLockWriteGuard<'_, T> {
        let permit = match self.semaphore.acquire_many(self.max_readers as usize).await {
            Ok(permit) => permit,
            Err(_) => unreachable!("an RwLock's semaphore is never closed"),
        };
        self.write_guard(permit)
    }

    /// Shared access if no writer holds the lock and nobody is waiting for it.
    pub fn try_read(&self) -> Result<RwLockReadGuard<'_, T>, TryLockError> {
        match self.semaphore.try_acquire() {
            Ok(permit) => Ok(self.read_guard(permit)),
            Err(_) => Err(TryLockError(())),
        }
    }

    /// Exclusive access if nobody holds the lock or waits for it.
    pub fn try_write(&self) -> Result<RwLockWriteGuard<'_, T>, TryLockError> {
        match self.semaphore.try_acquire_many(self.max_readers as usize) {
            Ok(permit) => Ok(self.write_guard(permit)),
            Err(_) => Err(TryLockError(())),
        }
    }

    /// The data through `&mut self`: no other reference exists, so no locking.
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }

    fn read_guard<'a>(&'a self, permit: SemaphorePermit<'a>) -> RwLockReadGuard<'a, T> {
        // SAFETY: `permit` is one of the semaphore's permits; a writer needs all of them,
        // so while the guard keeps it no `&mut T` exists, only other readers' `&T`.
        let data = unsafe { &*self.data.get() };
        RwLockReadGuard { data, permit }
    }

    fn write_guard<'a>(&'a self, permit: SemaphorePermit<'a>) -> RwLockWriteGuard<'a, T> {
        // SAFETY: `permit` holds every permit, so no other guard exists while the guard
        // keeps it: this is the only reference to the data.
        let data = unsafe { &mut *self.data.get() };
        RwLockWriteGuard {
            data,
            permit,
            _lock: PhantomData,
        }
    }
}

impl<T: Default> Default for RwLock<T> {
    fn default() -> Self {
        RwLock::with_max_readers(T::default(), MAX_READS)
    }
}

impl<T> From<T> for RwLock<T> {
    fn from(value: T) -> Self {
        RwLock::with_max_readers(value, MAX_READS)
    }
}

/// Shared access to an [`RwLock`]'s data; the lock is released when it is dropped.
/// `Send`/`Sync` when `T: Sync`.
#[must_use = "dropping the guard releases the lock at once"]
pub struct RwLockReadGuard<'a, T: ?Sized> {
    // Declared before `permit`, so the reference is gone before the permit goes back.
    data: &'a T,
    permit: SemaphorePermit<'a>,
}

impl<'a, T: ?Sized> RwLockReadGuard<'a, T> {
    /// A guard for a part of the data (a field, an element), holding the same read
    /// access. An associated function (`RwLockReadGuard::map(guard, f)`) so it does not
    /// shadow a method of `T`.
    pub fn map<U: ?Sized>(this: Self, f: impl FnOnce(&T) -> &U) -> RwLockReadGuard<'a, U> {
        RwLockReadGuard {
            data: f(this.data),
            permit: this.permit,
        }
    }

    /// Like [`map`](Self::map) for a part that may be absent: gives the guard back when
    /// `f` returns `None`.
    pub fn try_map<U: ?Sized>(
        this: Self,
        f: impl FnOnce(&T) -> Option<&U>,
    ) -> Result<RwLockReadGuard<'a, U>, Self> {
        match f(this.data) {
            Some(data) => Ok(RwLockReadGuard {
                data,
                permit: this.permit,
            }),
            None => Err(this),
        }
    }
}

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.data
    }
}

/// Exclusive access to an [`RwLock`]'s data; the lock is released when it is dropped.
/// `Send`/`Sync` when `T: Send + Sync`: a moved guard may be downgraded to a read guard,
/// which then shares `&T` with readers on other threads.
#[must_use = "dropping the guard releases the lock at once"]
pub struct RwLockWriteGuard<'a, T: ?Sized> {
    data: &'a mut T,
    permit: SemaphorePermit<'a>,
    /// Borrows the lock's thread-safety: `Send`/`Sync` only as `&RwLock<T>` is.
    _lock: PhantomData<&'a RwLock<T>>,
}

impl<'a, T: ?Sized> RwLockWriteGuard<'a, T> {
    /// Keeps the lock for reading only: every permit but one goes back, so readers
    /// queued behind this writer get in (a writer queued ahead of them keeps its place),
    /// and no other writer can come between. Never waits.
    pub fn downgrade(self) -> RwLockReadGuard<'a, T> {
        let RwLockWriteGuard {
            data, mut permit, ..
        } = self;
        let others = permit.n.saturating_sub(1);
        permit.n -= others;
        permit.semaphore.release(others);
        RwLockReadGuard { data, permit }
    }

    /// A guard for a part of the data, keeping exclusive access (no
    /// [`downgrade`](Self::downgrade) from there, as in tokio).
    pub fn map<U: ?Sized>(
        this: Self,
        f: impl FnOnce(&mut T) -> &mut U,
    ) -> RwLockMappedWriteGuard<'a, U> {
        RwLockMappedWriteGuard {
            data: f(this.data),
            permit: this.permit,
        }
    }

    /// Like [`map`](Self::map) for a part that may be absent: gives the guard back when
    /// `f` returns `None`.
    pub fn try_map<U: ?Sized>(
        this: Self,
        f: impl FnOnce(&mut T) -> Option<&mut U>,
    ) -> Result<RwLockMappedWriteGuard<'a, U>, Self> {
        // `f`'s answer must borrow for all of `'a`, yet on `None` the guard must come back
        // whole: safe reborrowing cannot express both, so `f` borrows through a pointer.
        let RwLockWriteGuard {
            data,
            permit,
            _lock,
        } = this;
        let data: *mut T = data;
        // SAFETY: `data` comes from the guard's `&'a mut T`, which we own: the reborrow
        // passed to `f` is the only live reference until `f` returns.
        match f(unsafe { &mut *data }) {
            Some(part) => Ok(RwLockMappedWriteGuard { data: part, permit }),
            None => Err(RwLockWriteGuard {
                // SAFETY: `f` returned `None`, so no reference derived from the reborrow
                // survives; the guard's exclusive access comes back unchanged.
                data: unsafe { &mut *data },
                permit,
                _lock,
            }),
        }
    }
}

impl<T: ?Sized> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.data
    }
}

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.data
    }
}

/// Exclusive access to a part of an [`RwLock`]'s data, from [`RwLockWriteGuard::map`].
#[must_use = "dropping the guard releases the lock at once"]
pub struct RwLockMappedWriteGuard<'a, T: ?Sized> {
    data: &'a mut T,
    permit: SemaphorePermit<'a>,
}

impl<'a, T: ?Sized> RwLockMappedWriteGuard<'a, T> {
    /// A guard for a smaller part still.
    pub fn map<U: ?Sized>(
        this: Self,
        f: impl FnOnce(&mut T) -> &mut U,
    ) -> RwLockMappedWriteGuard<'a, U> {
        RwLockMappedWriteGuard {
            data: f(this.data),
            permit: this.permit,
        }
    }
}

impl<T: ?Sized> Deref for RwLockMappedWriteGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.data
    }
}

impl<T: ?Sized> DerefMut for RwLockMappedWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.data
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("RwLock");
        match self.try_read() {
            Ok(guard) => d.field("data", &&*guard),
            Err(_) => d.field("data", &format_args!("<locked>")),
        };
        d.field("max_readers", &self.max_readers).finish()
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockMappedWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// Guards display as the value they protect, so `println!("{guard}")` works as on `&T`.
macro_rules! display_as_target {
    ($($guard:ty),*) => {$(
        impl<T: ?Sized + fmt::Display> fmt::Display for $guard {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&**self, f)
            }
        }
    )*};
}

display_as_target!(
    RwLockReadGuard<'_, T>,
    RwLockWriteGuard<'_, T>,
    RwLockMappedWriteGuard<'_, T>
);
