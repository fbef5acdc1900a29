//! An async mutex — the tutorials' `Lock` — for data that tasks must hold across an
//! `.await` (while a guard is held, waiting tasks sleep instead of blocking the thread).
//!
//! It is a [`Semaphore`] with one permit plus the data: fair (first come, first served),
//! cancel-safe (a dropped `lock()` future leaves no trace), usable across threads when
//! `T: Send`. For data never held across an `.await`, `std::sync::Mutex` (or a `RefCell`
//! on one thread) is cheaper, as tokio's documentation also advises.
//!
//! ```
//! use std::sync::Arc;
//! use corio::sync::Mutex;
//!
//! corio::block_on(async {
//!     let count = Arc::new(Mutex::new(0));
//!     let tasks: Vec<_> = (0..10)
//!         .map(|_| {
//!             let count = count.clone();
//!             corio::spawn(async move {
//!                 let mut n = count.lock().await;
//!                 corio::task::yield_now().await; // held across an await: others wait
//!                 *n += 1;
//!             })
//!         })
//!         .collect();
//!     for task in tasks {
//!         task.await.unwrap();
//!     }
//!     assert_eq!(*count.lock().await, 10);
//! });
//! ```

use std::cell::UnsafeCell;
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use super::semaphore::Semaphore;

/// An async mutual-exclusion lock around a `T`.
pub struct Mutex<T: ?Sized> {
    semaphore: Semaphore,
    data: UnsafeCell<T>,
}

// SAFETY: the mutex hands out access to `T` to one holder at a time (the single permit),
// so sharing the mutex between threads only ever moves `T` access between them: `T: Send`
// suffices, exactly as for `std::sync::Mutex`.
unsafe impl<T: ?Sized + Send> Send for Mutex<T> {}
// SAFETY: as above; `&Mutex<T>` gives `&mut T` to one thread at a time.
unsafe impl<T: ?Sized + Send> Sync for Mutex<T> {}

impl<T> Mutex<T> {
    /// An unlocked mutex holding `value`.
    #[cfg(not(loom))]
    pub const fn new(value: T) -> Self {
        Mutex {
            semaphore: Semaphore::new(1),
            data: UnsafeCell::new(value),
        }
    }

    /// An unlocked mutex holding `value` (not `const` in the loom build, whose
    /// [`Semaphore::new`] is not).
    #[cfg(loom)]
    pub fn new(value: T) -> Self {
        Mutex {
            semaphore: Semaphore::new(1),
            data: UnsafeCell::new(value),
        }
    }

    /// The data, taking the mutex apart (no lock needed: we own it).
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Waits until the lock is free, then holds it until the guard is dropped.
    /// Waiters are served in the order they started waiting.
    pub async fn lock(&self) -> MutexGuard<'_, T> {
        match self.semaphore.acquire().await {
            Ok(permit) => permit.forget(), // the guard gives it back
            Err(_) => unreachable!("a mutex's semaphore is never closed"),
        }
        MutexGuard { mutex: self }
    }

    /// Like [`lock`](Self::lock), for a mutex in an `Arc`: the guard is `'static` and can
    /// move into a spawned task.
    pub async fn lock_owned(self: Arc<Self>) -> OwnedMutexGuard<T> {
        match self.semaphore.acquire().await {
            Ok(permit) => permit.forget(),
            Err(_) => unreachable!("a mutex's semaphore is never closed"),
        }
        OwnedMutexGuard { mutex: self }
    }

    /// The lock if it is free now and nobody is waiting for it.
    pub fn try_lock(&self) -> Result<MutexGuard<'_, T>, TryLockError> {
        match self.semaphore.try_acquire() {
            Ok(permit) => {
                permit.forget();
                Ok(MutexGuard { mutex: self })
            }
            Err(_) => Err(TryLockError(())),
        }
    }

    /// The data through `&mut self`: no other reference exists, so no locking.
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Self {
        Mutex::new(T::default())
    }
}

impl<T> From<T> for Mutex<T> {
    fn from(value: T) -> Self {
        Mutex::new(value)
    }
}

/// Holds a [`Mutex`] locked; gives access to the data; unlocks on drop.
#[must_use = "dropping the guard unlocks the mutex at once"]
pub struct MutexGuard<'a, T: ?Sized> {
    mutex: &'a Mutex<T>,
}

// SAFETY: a shared guard only gives `&T`, so sharing it between threads needs `T: Sync`
// (and `T: Send`, because the guard's owner could still reach `&mut T`).
unsafe impl<T: ?Sized + Send + Sync> Sync for MutexGuard<'_, T> {}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: this guard holds the mutex's only permit, so no `&mut T` exists elsewhere.
        unsafe { &*self.mutex.data.get() }
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: this guard holds the only permit and `&mut self` excludes other uses
        // of the guard, so this is the only reference to the data.
        unsafe { &mut *self.mutex.data.get() }
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        self.mutex.semaphore.release(1);
    }
}

/// A [`MutexGuard`] that keeps its mutex alive through an `Arc`.
#[must_use = "dropping the guard unlocks the mutex at once"]
pub struct OwnedMutexGuard<T: ?Sized> {
    mutex: Arc<Mutex<T>>,
}

// SAFETY: as for `MutexGuard`.
unsafe impl<T: ?Sized + Send + Sync> Sync for OwnedMutexGuard<T> {}

impl<T: ?Sized> OwnedMutexGuard<T> {
    /// The mutex this guard holds.
    pub fn mutex(&self) -> &Arc<Mutex<T>> {
        &self.mutex
    }
}

impl<T: ?Sized> Deref for OwnedMutexGuard<T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: this guard holds the mutex's only permit.
        unsafe { &*self.mutex.data.get() }
    }
}

impl<T: ?Sized> DerefMut for OwnedMutexGuard<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the only permit, and `&mut self` excludes other uses of the guard.
        unsafe { &mut *self.mutex.data.get() }
    }
}

impl<T: ?Sized> Drop for OwnedMutexGuard<T> {
    fn drop(&mut self) {
        self.mutex.semaphore.release(1);
    }
}

/// [`Mutex::try_lock`] (or [`RwLock`](super::RwLock)'s `try_read` / `try_write`) found
/// the lock taken (or others waiting for it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TryLockError(pub(super) ());

impl fmt::Display for TryLockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the mutex is locked")
    }
}

impl std::error::Error for TryLockError {}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Mutex");
        match self.try_lock() {
            Ok(guard) => d.field("data", &&*guard),
            Err(_) => d.field("data", &format_args!("<locked>")),
        };
        d.finish()
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for OwnedMutexGuard<T> {
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

display_as_target!(MutexGuard<'_, T>, OwnedMutexGuard<T>);
