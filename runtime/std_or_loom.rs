//! The synchronisation types of corio's cross-thread protocols, from one place: `std`'s in
//! every normal build, loom's under `RUSTFLAGS="--cfg loom"`, where the loom models (in
//! `tests/loom_*.rs` and the `#[cfg(all(test, loom))]` modules) explore every interleaving
//! and every ordering the memory model allows.
//!
//! Only re-exports: a normal build compiles exactly the `std` code it would without this
//! module. The protocols that go through it are the remote wake (`executor/waker.rs`,
//! `sys/notify.rs`), `sync::oneshot` and `sync::Notify`.
//!
//! Left on `std` on purpose:
//! - `Arc` in `executor/waker.rs`: `futures_task::ArcWake` needs `std::sync::Arc`.
//! - `Mutex` in `sync::Semaphore`: its `const fn new` builds `sync::Mutex`'s `const fn
//!   new`, and loom's constructors are not `const`.
//! - Statics (the blocking pool's `POOL`, its fork flag): loom types cannot live in one.
//!
//! Under loom, `AtomicBool::store` is a swap: loom 0.7 lets a plain store that races a
//! read-modify-write slip between the RMW's read and its write (tokio-rs/loom#254), a
//! history the memory model forbids, so the models would fail on executions that cannot
//! happen. A swap is at least as strong as a store, and what it could hide (a store's
//! value sitting unseen, store buffering) is what loom cannot show anyway.

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicU64};
#[cfg(not(loom))]
pub(crate) use std::sync::{Arc, Mutex, MutexGuard};

#[cfg(loom)]
pub(crate) use loom::sync::atomic::AtomicU64;
#[cfg(loom)]
pub(crate) use loom::sync::{Arc, Condvar, Mutex, MutexGuard};

/// A doorbell fd as loom sees it (syscalls cannot be modelled): `sys::Notifier` rings it
/// where it would write its eventfd, and a model's reactor waits on it where it would sit
/// in `select`. Its lock and condition variable are loom's, so a wait that no ring ends
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
