//! Coordination between tasks, and between tasks and threads — the async counterparts of
//! the tutorials' Event, Lock, Semaphore and Queue (002_6f00e0160d5b1c4f.txt).
//!
//! | tutorials (Python) | corio |
//! |---|---|
//! | `Queue` | [`mpsc`] (bounded: back-pressure; unbounded) |
//! | `Pipe` / a result from a worker | [`oneshot`] |
//! | one publisher, many readers | [`broadcast`] |
//! | the latest value of a setting or state | [`watch`] |
//! | `Lock` | [`Mutex`] |
//! | many readers or one writer | [`RwLock`] |
//! | `Semaphore` | [`Semaphore`] |
//! | `Event` | [`Notify`] |
//! | `Barrier` | [`Barrier`] |
//! | a value built once, lazily | [`OnceCell`] |
//! | process / thread pool | [`task::spawn_blocking`](crate::task::spawn_blocking) |
//!
//! Every primitive is `Send + Sync` where its data is `Send`, so one end may live on a
//! plain thread; waits wake exactly the task they concern; a waiting future dropped
//! half-way (cancelled) leaves nothing behind. All waiting lists share one design,
//! `waiters.rs` (DESIGN.md §13): [`RwLock`] and [`OnceCell`] wait on a [`Semaphore`],
//! [`watch`] and [`Barrier`] on a [`Notify`].

mod barrier;
mod block;
pub(crate) use block::block_on_thread;
pub mod broadcast;
pub mod mpsc;
mod mutex;
mod notify;
mod once_cell;
pub mod oneshot;
mod permit;
mod rwlock;
mod semaphore;
mod waiters;
pub mod watch;

pub use barrier::{Barrier, BarrierWaitResult};
pub use mutex::{Mutex, MutexGuard, OwnedMutexGuard, TryLockError};
pub use notify::{Notified, Notify};
pub use once_cell::{OnceCell, SetError};
pub use permit::{OwnedSemaphorePermit, SemaphorePermit};
pub use rwlock::{RwLock, RwLockMappedWriteGuard, RwLockReadGuard, RwLockWriteGuard};
pub use semaphore::{Acquire, AcquireError, Semaphore, TryAcquireError};
