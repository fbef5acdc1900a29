//! `JoinSet`: tasks spawned into a collection and joined in the order they finish.
//!
//! # How a finished member is found without a scan
//!
//! Each member's [`JoinHandle`] is polled with a waker of its own (`MemberWaker`, one
//! `Arc` made at spawn), never with the waker of whoever awaits the set. A handle wakes
//! its waker once, when its task finishes; that wake appends the member's slot to the
//! set's ready list (`Ready`) and wakes the set's waiter. [`JoinSet::join_next`] pops the
//! list and polls only that member's handle. So each finished task costs one handle poll
//! and one wake of the waiter, whatever the set's size, and a member still running is
//! polled once in all: at spawn, to register its waker.
//!
//! The ready list sits behind a `Mutex` because a `Waker` must be `Send` and `Sync`; a
//! member's wake comes from the thread its task runs on (where its outcome is recorded),
//! which is the set's own thread unless the set was moved, so the lock is rarely
//! contended.

use std::collections::VecDeque;
use std::fmt;
use std::future::{poll_fn, Future};
use std::panic::resume_unwind;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use futures_task::{waker_ref, ArcWake};
use slab::Slab;

use super::AbortHandle;
use crate::executor::{JoinError, JoinHandle};

/// A collection of tasks on this thread's runtime, awaited in the order they finish.
///
/// ```
/// use corio::task::JoinSet;
///
/// let total = corio::block_on(async {
///     let mut set = JoinSet::new();
///     for i in 1..=10u32 {
///         set.spawn(async move { i * i });
///     }
///     let mut total = 0;
///     while let Some(outcome) = set.join_next().await {
///         total += outcome.unwrap();
///     }
///     total
/// });
/// assert_eq!(total, 385);
/// ```
///
/// Dropping the set aborts every task still in it ([`abort_all`](Self::abort_all));
/// [`detach_all`](Self::detach_all) lets them run on instead.
///
/// # Differences from tokio
/// The tasks need not be `Send`: they run on the thread that spawned them.
/// [`spawn`](Self::spawn) and [`spawn_local`](Self::spawn_local) are the same. The set is
/// `Send` when `T` is, as tokio's: moved to another runtime's thread, it still joins the
/// tasks it holds (they keep running on their first thread), and spawns new ones there. There are no task ids (`join_next_with_id`), no `spawn_on` (a
/// [`Handle`](crate::runtime::Handle) spawns a different handle type) and no
/// `spawn_local_on`.
pub struct JoinSet<T> {
    members: Slab<Member<T>>,
    ready: Arc<Ready>,
    /// The tag of the next member: a slot reused by a later member gets another tag, so a
    /// late wake of the earlier one is told apart.
    next_tag: u64,
    /// Handle polls made, for the unit tests' cost checks.
    #[cfg(test)]
    handle_polls: u64,
}

/// One task in the set.
struct Member<T> {
    handle: JoinHandle<T>,
    waker: Arc<MemberWaker>,
}

/// Members whose handles woke, in wake order, and the set's waiter.
#[derive(Default)]
struct Ready {
    inner: Mutex<ReadyInner>,
}

#[derive(Default)]
struct ReadyInner {
    /// `(slot, tag)` of each member woken since the set last looked.
    members: VecDeque<(usize, u64)>,
    /// Whoever awaits `join_next`, woken by the next member that finishes.
    waiter: Option<Waker>,
}

impl Ready {
    fn lock(&self) -> MutexGuard<'_, ReadyInner> {
        // Nothing panics while the lock is held; a poisoned lock holds valid data.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The waker one member's handle is polled with.
struct MemberWaker {
    slot: usize,
    tag: u64,
    /// True from a wake until the set takes the member off the ready list: a member is on
    /// the list at most once.
    queued: AtomicBool,
    ready: Arc<Ready>,
}

impl ArcWake for MemberWaker {
    fn wake_by_ref(arc_self: &Arc<Self>) {
        if arc_self.queued.swap(true, Ordering::AcqRel) {
            return;
        }
        let waiter = {
            let mut ready = arc_self.ready.lock();
            ready.members.push_back((arc_self.slot, arc_self.tag));
            ready.waiter.take()
        };
        if let Some(waiter) = waiter {
            waiter.wake(); // outside the lock: a waker may run any code
        }
    }
}

impl<T> JoinSet<T> {
    /// An empty set.
    pub fn new() -> JoinSet<T> {
        JoinSet {
            members: Slab::new(),
            ready: Arc::new(Ready::default()),
            next_tag: 0,
            #[cfg(test)]
            handle_polls: 0,
        }
    }

    /// How many tasks are in the set: spawned and not yet joined, finished or not.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether the set holds no task.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Aborts every task in the set (see [`JoinHandle::abort`]). They stay in the set:
    /// join them to see each outcome, [`is_cancelled`](JoinError::is_cancelled) unless
    /// the task had already finished.
    pub fn abort_all(&mut self) {
        for (_, member) in &self.members {
            member.handle.abort();
        }
    }

    /// Empties the set without aborting: each task runs on unobserved, as when a
    /// [`JoinHandle`] is dropped.
    pub fn detach_all(&mut self) {
        self.members.clear();
        self.ready.lock().members.clear();
    }

    /// Waits for a task of the set to finish and returns its outcome, taking it out of the
    /// set; `None` once the set is empty. Tasks are returned in the order they finish.
    ///
    /// Cancel-safe: if this future is dropped before it completes (in a `select!`, say),
    /// no outcome is lost; it stays in the set for the next call.
    pub async fn join_next(&mut self) -> Option<Result<T, JoinError>> {
        poll_fn(|cx| self.poll_join_next(cx)).await
    }

    /// The outcome of a task that has already finished, taking it out of the set; `None`
    /// if no task has finished (or the set is empty). Never waits.
    pub fn try_join_next(&mut self) -> Option<Result<T, JoinError>> {
        match self.next_finished(None) {
            Poll::Ready(outcome) => outcome,
            Poll::Pending => None,
        }
    }

    /// Polls for the next finished task: `Ready(Some(outcome))`, `Ready(None)` for an
    /// empty set, or `Pending` with `cx`'s waker kept for the next task to finish. (What
    /// [`join_next`](Self::join_next) awaits, for hand-written futures.)
    pub fn poll_join_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T, JoinError>>> {
        self.next_finished(Some(cx.waker()))
    }

    /// Aborts every task, then waits until each has ended (its outcome is dropped).
    pub async fn shutdown(&mut self) {
        self.abort_all();
        while self.join_next().await.is_some() {}
    }

    /// Waits for every task and returns their outputs in the order they finished.
    ///
    /// # Panics
    /// If a task panicked, with that task's panic (the other tasks are aborted as the set
    /// is dropped); if a task was cancelled (aborted through an [`AbortHandle`]).
    pub async fn join_all(mut self) -> Vec<T> {
        let mut outputs = Vec::with_capacity(self.len());
        while let Some(outcome) = self.join_next().await {
            match outcome {
                Ok(output) => outputs.push(output),
                Err(e) => match e.try_into_panic() {
                    Ok(payload) => resume_unwind(payload),
                    Err(e) => panic!("JoinSet::join_all: {e}"),
                },
            }
        }
        outputs
    }

    /// Pops finished members off the ready list until one gives its outcome. With
    /// `waiter`, an empty list keeps it to be woken by the next member that finishes.
    fn next_finished(&mut self, waiter: Option<&Waker>) -> Poll<Option<Result<T, JoinError>>> {
        loop {
            if self.members.is_empty() {
                return Poll::Ready(None);
            }
            let (slot, tag) = {
                let mut ready = self.ready.lock();
                match ready.members.pop_front() {
                    Some(popped) => popped,
                    None => {
                        let replaced =
                            waiter.and_then(|w| crate::stored_waker::replace(&mut ready.waiter, w));
                        drop(ready);
                        drop(replaced); // outside the lock
                        return Poll::Pending;
                    }
                }
            };
            let Some(member) = self.members.get_mut(slot).filter(|m| m.waker.tag == tag) else {
                continue; // a member joined or detached since its wake
            };
            // Cleared before the poll, so a wake during it queues the member again.
            member.waker.queued.store(false, Ordering::Release);
            let waker = waker_ref(&member.waker);
            let polled = Pin::new(&mut member.handle).poll(&mut Context::from_waker(&waker));
            #[cfg(test)]
            {
                self.handle_polls += 1;
            }
            if let Poll::Ready(outcome) = polled {
                self.members.remove(slot);
                return Poll::Ready(Some(outcome));
            }
        }
    }
}

impl<T: 'static> JoinSet<T> {
    /// Spawns `task` on this thread's runtime (as [`spawn`](crate::spawn)) into the set;
    /// the returned [`AbortHandle`] may cancel it.
    ///
    /// # Panics
    /// Outside a runtime, as [`spawn`](crate::spawn).
    #[track_caller]
    pub fn spawn<F>(&mut self, task: F) -> AbortHandle
    where
        F: Future<Output = T> + 'static,
    {
        self.insert(crate::spawn(task))
    }

    /// The same as [`spawn`](Self::spawn): on corio every task stays on its thread.
    #[track_caller]
    pub fn spawn_local<F>(&mut self, task: F) -> AbortHandle
    where
        F: Future<Output = T> + 'static,
    {
        self.insert(crate::spawn(task))
    }

    /// Runs `f` on the blocking pool ([`spawn_blocking`](super::spawn_blocking)) as a
    /// member of the set. Aborting it discards the result; `f` runs to its end anyway.
    ///
    /// # Panics
    /// Outside a runtime, as [`spawn_blocking`](super::spawn_blocking).
    #[track_caller]
    pub fn spawn_blocking<F>(&mut self, f: F) -> AbortHandle
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send,
    {
        self.insert(super::spawn_blocking(f))
    }

    /// Adds a freshly spawned task, registering the member's waker with its handle.
    fn insert(&mut self, mut handle: JoinHandle<T>) -> AbortHandle {
        let entry = self.members.vacant_entry();
        let waker = Arc::new(MemberWaker {
            slot: entry.key(),
            tag: self.next_tag,
            queued: AtomicBool::new(false),
            ready: self.ready.clone(),
        });
        self.next_tag += 1;
        // The task was spawned in this call and starts only at the runtime's next
        // scheduling point, so it has no outcome yet: this poll only registers the waker
        // (`Pending`). Were it finished, a wake puts it on the ready list instead.
        if handle.is_finished() {
            ArcWake::wake_by_ref(&waker);
        } else {
            let cx_waker = waker_ref(&waker);
            let polled = Pin::new(&mut handle).poll(&mut Context::from_waker(&cx_waker));
            debug_assert!(polled.is_pending(), "an unfinished task gave an outcome");
            #[cfg(test)]
            {
                self.handle_polls += 1;
            }
        }
        let abort = handle.abort_handle();
        entry.insert(Member { handle, waker });
        abort
    }
}

impl<T> Default for JoinSet<T> {
    fn default() -> JoinSet<T> {
        JoinSet::new()
    }
}

impl<T> Drop for JoinSet<T> {
    /// Aborts every task still in the set.
    fn drop(&mut self) {
        self.abort_all();
    }
}

impl<T> fmt::Debug for JoinSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinSet").field("len", &self.len()).finish()
    }
}

/// Spawns each future of the iterator into a new set.
///
/// # Panics
/// Outside a runtime, as [`spawn`](crate::spawn).
impl<T: 'static, F> FromIterator<F> for JoinSet<T>
where
    F: Future<Output = T> + 'static,
{
    fn from_iter<I: IntoIterator<Item = F>>(iter: I) -> JoinSet<T> {
        let mut set = JoinSet::new();
        set.extend(iter);
        set
    }
}

/// Spawns each future of the iterator into the set.
///
/// # Panics
/// Outside a runtime, as [`spawn`](crate::spawn).
impl<T: 'static, F> Extend<F> for JoinSet<T>
where
    F: Future<Output = T> + 'static,
{
    fn extend<I: IntoIterator<Item = F>>(&mut self, iter: I) {
        for task in iter {
            self.spawn(task);
        }
    }
}

#[cfg(test)]
#[path = "join_set_tests.rs"]
mod tests;
