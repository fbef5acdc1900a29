//! Runtime counters a program can read: what the executor and the reactor have done.
//!
//! ```
//! corio::block_on(async {
//!     corio::spawn(async {}).await.unwrap();
//!     let m = corio::metrics::current().expect("inside a runtime");
//!     assert_eq!(m.tasks_spawned, 1);
//!     assert_eq!(m.tasks_alive, 0);
//!     assert!(m.polls >= 2); // the task once, block_on's own future at least once
//! });
//! ```
//!
//! Counting is a plain add on the thread that owns the runtime (a `Cell`), except for
//! wakes from other threads, which add to an atomic on a path that already takes a lock.
//!
//! The runtime's own machinery counts like user code: once a `signal` stream exists, its
//! driver task and self-pipe appear in `tasks_spawned`/`tasks_alive` and
//! `registered_sources`.

use std::cell::Cell;

/// A snapshot of one runtime's counters, since it was built.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Metrics {
    /// Tasks spawned.
    pub tasks_spawned: u64,
    /// Tasks alive now (spawned, not yet finished or dropped).
    pub tasks_alive: usize,
    /// Polls of tasks, `block_on`'s own future included.
    pub polls: u64,
    /// Wakes on the runtime's own thread that put a task on the run queue (a wake of a
    /// task already queued is free and not counted).
    pub wakes_local: u64,
    /// Wakes that went through the cross-thread queue: from other threads, and from this
    /// thread while the runtime was not the one running (outside its `block_on`).
    pub wakes_remote: u64,
    /// Times the reactor asked the OS for events (`epoll_wait`, `poll`, `kevent`).
    pub reactor_waits: u64,
    /// Events the OS reported, the cross-thread doorbell included.
    pub reactor_events: u64,
    /// Polls the slow-poll detector reported (0 while it is off).
    pub slow_polls: u64,
    /// Sockets and fds registered with the reactor now.
    pub registered_sources: usize,
    /// Timers armed now (neither fired nor cancelled): what tests of cancellation check.
    pub timers_pending: usize,
}

/// The counters of the runtime running on this thread; `None` outside one.
pub fn current() -> Option<Metrics> {
    crate::executor::current_metrics()
}

/// The executor's own counters (the reactor keeps its own, the remote wakes are atomic).
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) tasks_spawned: Cell<u64>,
    pub(crate) polls: Cell<u64>,
    pub(crate) wakes_local: Cell<u64>,
    pub(crate) slow_polls: Cell<u64>,
}

impl Counters {
    /// Adds one to `counter`.
    #[inline]
    pub(crate) fn bump(counter: &Cell<u64>) {
        counter.set(counter.get().wrapping_add(1));
    }
}
