//! The synchronisation types of corio's cross-thread protocols, from one place: `std`'s in
//! every normal build, loom's under `RUSTFLAGS="--cfg loom"`, where the loom models (in
//! `tests/loom_*.rs` and the `#[cfg(all(test, loom))]` modules) explore every interleaving
//! and every ordering the memory model allows.
//!
//! Re-exports, and one thin wrapper (`UnsafeCell`, giving std's cell loom's access method):
//! a normal build compiles exactly the `std` code it would without this module. The
//! protocols that go through it are the remote wake (`sys/remote_queue.rs`,
//! `executor/raw.rs`), the join protocol (`executor/join_state.rs`), `sync::oneshot`,
//! `sync::watch`, `sync::Notify`, `sync::Semaphore` (and so `sync::Mutex`), the blocking
//! pool's hand-off (`task/blocking.rs`) and `spawn_on`'s abort (`workers/remote.rs`). Their
//! `const fn new` become plain `fn new` under loom, whose constructors are not `const`.
//!
//! Left on `std` on purpose:
//! - `Arc` of the executor's `Shared` (`executor/waker.rs`), held by every task cell.
//! - Statics (the blocking pool's `POOL`, its fork flag): loom types cannot live in one,
//!   so the blocking pool's model builds its own `Pool`.
//!
//! Under loom, `AtomicBool::store` is a swap: loom 0.7 lets a plain store that races a
//! read-modify-write slip between the RMW's read and its write (tokio-rs/loom#254), a
//! history the memory model forbids, so the models would fail on executions that cannot
//! happen. A swap is at least as strong as a store, and what it could hide (a store's
//! value sitting unseen, store buffering) is what loom cannot show anyway.

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize};
/// The condition variable of a wait that a notification or a timeout ends (the blocking
/// pool's idle threads).
#[cfg(not(loom))]
pub(crate) use std::sync::Condvar as TimedCondvar;
#[cfg(not(loom))]
pub(crate) use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
#[cfg(not(loom))]
pub(crate) use std::thread;

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicU64, AtomicUsize};

/// A cell whose accesses loom checks for races (loom's own, under `cfg(loom)`); in a
/// normal build `std::cell::UnsafeCell` with loom's access method.
#[cfg(loom)]
pub(crate) use loom::cell::UnsafeCell;

/// `std::cell::UnsafeCell` with loom's access method, so that code using it is checked
/// for races under `cfg(loom)`.
#[cfg(not(loom))]
#[derive(Debug)]
pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

#[cfg(not(loom))]
impl<T> UnsafeCell<T> {
    pub(crate) const fn new(value: T) -> UnsafeCell<T> {
        UnsafeCell(std::cell::UnsafeCell::new(value))
    }

    /// Calls `f` with a pointer to the value; the caller's `unsafe` justifies its use.
    #[inline]
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}
#[cfg(loom)]
pub(crate) use loom::sync::{
    Arc, Condvar, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard,
};
#[cfg(loom)]
pub(crate) use loom::thread;

/// `std::sync::Condvar`'s `wait_timeout` as a loom model sees time, which loom does not
/// model (its own `wait_timeout` never times out). Time passes in one step, when the
/// model calls [`expire`](Self::expire), say from a thread of its own so that loom tries
/// it at every point: a wait in progress then ends timed out, and every later wait times
/// out at once. A wait that a notification and the expiry both end reports the timeout,
/// as `pthread_cond_timedwait` may: the worst case for the waiter's caller.
#[cfg(loom)]
#[derive(Debug)]
pub(crate) struct TimedCondvar {
    condvar: Condvar,
    /// Set by `expire`, under the waiters' lock.
    expired: AtomicBool,
}

/// Whether a [`TimedCondvar`] wait timed out (`std::sync::WaitTimeoutResult`, whose
/// constructor is private).
#[cfg(loom)]
#[derive(Debug)]
pub(crate) struct WaitTimeoutResult(bool);

#[cfg(loom)]
impl WaitTimeoutResult {
    pub(crate) fn timed_out(&self) -> bool {
        self.0
    }
}

#[cfg(loom)]
impl TimedCondvar {
    pub(crate) fn new() -> Self {
        TimedCondvar {
            condvar: Condvar::new(),
            expired: AtomicBool::new(false),
        }
    }

    pub(crate) fn notify_one(&self) {
        self.condvar.notify_one();
    }

    /// Waits for a notification or the expiry; `_timeout` stands for any length of time.
    pub(crate) fn wait_timeout<'a, T>(
        &self,
        guard: MutexGuard<'a, T>,
        _timeout: std::time::Duration,
    ) -> std::sync::LockResult<(MutexGuard<'a, T>, WaitTimeoutResult)> {
        use std::sync::atomic::Ordering::Relaxed; // read and written under the lock
        if self.expired.load(Relaxed) {
            return Ok((guard, WaitTimeoutResult(true)));
        }
        let guard = self.condvar.wait(guard).unwrap_or_else(|e| e.into_inner());
        let timed_out = WaitTimeoutResult(self.expired.load(Relaxed));
        Ok((guard, timed_out))
    }

    /// The timeout elapses for every wait on this condition variable, present and future.
    /// `lock` is the mutex the waiters hold: taking it orders the expiry against their
    /// check of `expired`, so no waiter misses it.
    #[cfg(test)]
    pub(crate) fn expire<T>(&self, lock: &Mutex<T>) {
        let _waiters_lock = lock.lock().unwrap_or_else(|e| e.into_inner());
        self.expired
            .store(true, std::sync::atomic::Ordering::Relaxed);
        self.condvar.notify_all();
    }
}

/// A doorbell fd as loom sees it (syscalls cannot be modelled): `sys::notify::Doorbell`
/// rings it where it would write its eventfd, and a model's reactor waits on it where it
/// would sit in `select`. Its lock and condition variable are loom's, so a wait that no ring ends
/// is a deadlock loom reports.
#[cfg(loom)]
pub(crate) struct ModelDoorbell {
    /// Writes so far.
    writes: Mutex<u64>,
    readable: Condvar,
}

#[cfg(loom)]
impl ModelDoorbell {
    pub(crate) fn new() -> Self {
        ModelDoorbell {
            writes: Mutex::new(0),
            readable: Condvar::new(),
        }
    }

    /// One write: the fd becomes readable.
    pub(crate) fn write(&self) {
        *self.writes.lock().unwrap() += 1;
        self.readable.notify_all();
    }

    /// Blocks until a write after the `seen`-th, then records every write so far as seen
    /// (the reactor's wait plus its acknowledgement's read).
    #[cfg(test)]
    pub(crate) fn wait(&self, seen: &mut u64) {
        let mut writes = self.writes.lock().unwrap();
        while *writes == *seen {
            writes = self.readable.wait(writes).unwrap();
        }
        *seen = *writes;
    }
}

#[cfg(loom)]
impl std::fmt::Debug for ModelDoorbell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelDoorbell").finish_non_exhaustive()
    }
}

/// loom's `AtomicBool` with its `store` made a swap (see the module docs).
#[cfg(loom)]
#[derive(Debug)]
pub(crate) struct AtomicBool(loom::sync::atomic::AtomicBool);

#[cfg(loom)]
impl AtomicBool {
    pub(crate) fn new(value: bool) -> Self {
        AtomicBool(loom::sync::atomic::AtomicBool::new(value))
    }

    pub(crate) fn load(&self, order: std::sync::atomic::Ordering) -> bool {
        self.0.load(order)
    }

    pub(crate) fn store(&self, value: bool, order: std::sync::atomic::Ordering) {
        self.0.swap(value, order);
    }

    pub(crate) fn swap(&self, value: bool, order: std::sync::atomic::Ordering) -> bool {
        self.0.swap(value, order)
    }
}
