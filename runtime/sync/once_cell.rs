//! A cell written once, by an async initialiser that runs at most once at a time —
//! tokio's `sync::OnceCell`, for a lazily built shared resource (a connection, a config).
//!
//! The value lives in a `std::sync::OnceLock`; who may initialise is decided by a
//! [`Semaphore`] of one permit. The first caller of
//! [`get_or_init`](OnceCell::get_or_init) takes the permit and runs its initialiser;
//! the others queue on the semaphore. Once the value is set the semaphore is closed, which
//! wakes them all to read it. If the initialiser is cancelled (its future dropped) or
//! fails, the permit goes back and the next caller in line runs *its* initialiser.
//!
//! ```
//! use corio::sync::OnceCell;
//!
//! static CONFIG: OnceCell<String> = OnceCell::const_new();
//!
//! corio::block_on(async {
//!     let first = CONFIG.get_or_init(|| async { "loaded".to_string() }).await;
//!     // Set already: this initialiser never runs.
//!     let again = CONFIG.get_or_init(|| async { "ignored".to_string() }).await;
//!     assert_eq!((first.as_str(), again.as_str()), ("loaded", "loaded"));
//! });
//! ```

use std::fmt;
use std::future::Future;
use std::sync::OnceLock;

use super::{Semaphore, TryAcquireError};

/// A value set at most once, by [`set`](Self::set) or by the first initialiser to finish.
/// `Send` when `T: Send`, `Sync` when `T: Send + Sync`.
pub struct OnceCell<T> {
    value: OnceLock<T>,
    /// One permit: whoever holds it may set the value. Closed once the value is set.
    init: Semaphore,
}

impl<T> OnceCell<T> {
    /// An empty cell.
    #[cfg(not(loom))]
    pub const fn new() -> Self {
        OnceCell {
            value: OnceLock::new(),
            init: Semaphore::new(1),
        }
    }

    /// An empty cell (not `const` in the loom build, whose [`Semaphore::new`] is not).
    #[cfg(loom)]
    pub fn new() -> Self {
        OnceCell {
            value: OnceLock::new(),
            init: Semaphore::new(1),
        }
    }

    /// An empty cell, in a `const` context (a `static`): tokio's name for it.
    #[cfg(not(loom))]
    pub const fn const_new() -> Self {
        OnceCell::new()
    }

    /// A cell holding `value` if it is `Some`, else empty.
    pub fn new_with(value: Option<T>) -> Self {
        let cell = OnceCell::new();
        if let Some(value) = value {
            cell.value.get_or_init(|| value);
            cell.init.close();
        }
        cell
    }

    /// Whether the value is set.
    pub fn initialized(&self) -> bool {
        self.value.get().is_some()
    }

    /// The value, if set.
    pub fn get(&self) -> Option<&T> {
        self.value.get()
    }

    /// The value through `&mut self`, if set.
    pub fn get_mut(&mut self) -> Option<&mut T> {
        self.value.get_mut()
    }

    /// Sets the value if it is not set and nobody is initialising it; else hands `value`
    /// back in a [`SetError`] that says which.
    pub fn set(&self, value: T) -> Result<(), SetError<T>> {
        if self.initialized() {
            return Err(SetError::AlreadyInitializedError(value));
        }
        match self.init.try_acquire() {
            Ok(permit) => {
                permit.forget(); // never given back: the semaphore closes instead
                self.publish(value);
                Ok(())
            }
            Err(TryAcquireError::NoPermits) => Err(SetError::InitializingError(value)),
            Err(TryAcquireError::Closed) => Err(SetError::AlreadyInitializedError(value)),
        }
    }

    /// The value, running `init` to make it if it is not set. Concurrent callers wait
    /// while one initialiser runs; at most one runs at a time, and once one finishes
    /// nobody else's runs.
    ///
    /// Cancel-safe: dropped while waiting, it leaves the queue; dropped while its own
    /// initialiser runs, that initialiser is dropped with it and the next waiting caller
    /// (or the next call) runs its own.
    pub async fn get_or_init<F, Fut>(&self, init: F) -> &T
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = T>,
    {
        match self
            .get_or_try_init(|| async { Ok::<T, std::convert::Infallible>(init().await) })
            .await
        {
            Ok(value) => value,
            Err(never) => match never {},
        }
    }

    /// Like [`get_or_init`](Self::get_or_init) with an initialiser that may fail: its
    /// error is returned, the cell stays empty, and the next waiting caller runs its own
    /// initialiser. Cancel-safe in the same way.
    pub async fn get_or_try_init<E, F, Fut>(&self, init: F) -> Result<&T, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        if let Some(value) = self.get() {
            return Ok(value);
        }
        let Ok(permit) = self.init.acquire().await else {
            return Ok(self.set_value()); // closed: someone set the value meanwhile
        };
        if let Some(value) = self.get() {
            return Ok(value);
        }
        // An error, a panic or a cancellation drops `permit`: the next caller gets it.
        let value = init().await?;
        permit.forget();
        Ok(self.publish(value))
    }

    /// Stores `value` (the caller holds the permit) and closes the semaphore, releasing
    /// every waiter to read it.
    fn publish(&self, value: T) -> &T {
        let value = self.value.get_or_init(|| value);
        self.init.close();
        value
    }

    /// The value, known to be set: the semaphore is closed only after it was stored.
    fn set_value(&self) -> &T {
        match self.value.get() {
            Some(value) => value,
            None => unreachable!("a OnceCell's semaphore closes only once the value is set"),
        }
    }

    /// The value, if set, taking the cell apart.
    pub fn into_inner(self) -> Option<T> {
        self.value.into_inner()
    }

    /// Takes the value out, leaving the cell empty (and ready for a new initialiser).
    pub fn take(&mut self) -> Option<T> {
        std::mem::take(self).into_inner()
    }
}

impl<T> Default for OnceCell<T> {
    fn default() -> Self {
        OnceCell::new()
    }
}

impl<T> From<T> for OnceCell<T> {
    fn from(value: T) -> Self {
        OnceCell::new_with(Some(value))
    }
}

impl<T: Clone> Clone for OnceCell<T> {
    fn clone(&self) -> Self {
        OnceCell::new_with(self.get().cloned())
    }
}

impl<T: PartialEq> PartialEq for OnceCell<T> {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl<T: Eq> Eq for OnceCell<T> {}

impl<T: fmt::Debug> fmt::Debug for OnceCell<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OnceCell")
            .field("value", &self.get())
            .finish()
    }
}

/// Why [`OnceCell::set`] did not set the value; the value is handed back.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum SetError<T> {
    /// The cell already holds a value.
    AlreadyInitializedError(T),
    /// An initialiser is running now.
    InitializingError(T),
}

impl<T> SetError<T> {
    /// Whether the cell already held a value.
    pub fn is_already_init_err(&self) -> bool {
        matches!(self, SetError::AlreadyInitializedError(_))
    }

    /// Whether an initialiser was running.
    pub fn is_initializing_err(&self) -> bool {
        matches!(self, SetError::InitializingError(_))
    }

    /// The value that was not stored.
    pub fn into_inner(self) -> T {
        match self {
            SetError::AlreadyInitializedError(value) | SetError::InitializingError(value) => value,
        }
    }
}

impl<T> fmt::Debug for SetError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetError::AlreadyInitializedError(_) => f.write_str("AlreadyInitializedError(..)"),
            SetError::InitializingError(_) => f.write_str("InitializingError(..)"),
        }
    }
}

impl<T> fmt::Display for SetError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetError::AlreadyInitializedError(_) => f.write_str("the cell is already set"),
            SetError::InitializingError(_) => f.write_str("the cell is being initialised"),
        }
    }
}

impl<T> std::error::Error for SetError<T> {}
