//! The one waiting-list design every primitive in `sync` shares: a FIFO queue of waiting
//! futures, each with its own entry, that supports removing any entry in O(1).
//!
//! Why not a `VecDeque<Waker>`: a waiting future may be dropped (cancelled) at any time,
//! and it must then take its entry out of the queue, or a later wake would go to a task
//! that no longer waits (a lost permit, a lost message slot). So each waiter owns a key into
//! a slab, and the entries are linked in arrival order through that slab: push at the back,
//! pop at the front, unlink from the middle, all without moving anything or allocating
//! per wake (the slab reuses its vacant entries).
//!
//! A popped entry stays in the slab, unlinked, until its future takes it out: that is how
//! a future learns, on its next poll, that it was chosen (and how a dropped future that
//! was chosen knows it must pass its turn on).

use std::ops::DerefMut;
use std::task::Waker;

use slab::Slab;

/// Marks the end of the list.
const NIL: usize = usize::MAX;

struct Entry<T> {
    value: T,
    prev: usize,
    next: usize,
    linked: bool,
}

/// A FIFO of `T` with stable keys. Not synchronised: each primitive keeps it inside its
/// own lock.
pub(crate) struct WaitList<T> {
    entries: Slab<Entry<T>>,
    head: usize,
    tail: usize,
    linked: usize,
}

impl<T> WaitList<T> {
    pub(crate) const fn new() -> Self {
        WaitList {
            entries: Slab::new(),
            head: NIL,
            tail: NIL,
            linked: 0,
        }
    }

    /// Adds `value` at the back; returns its key.
    pub(crate) fn push_back(&mut self, value: T) -> usize {
        let key = self.entries.insert(Entry {
            value,
            prev: self.tail,
            next: NIL,
            linked: true,
        });
        match self.tail {
            NIL => self.head = key,
            tail => self.entries[tail].next = key,
        }
        self.tail = key;
        self.linked += 1;
        key
    }

    /// The key at the front, if any, without unlinking it.
    pub(crate) fn front(&self) -> Option<usize> {
        (self.head != NIL).then_some(self.head)
    }

    /// Unlinks the front entry and returns its key; the entry stays readable through
    /// [`get_mut`](Self::get_mut) until [`remove`](Self::remove).
    pub(crate) fn pop_front(&mut self) -> Option<usize> {
        let key = self.front()?;
        self.unlink(key);
        Some(key)
    }

    /// Whether `key` is still queued (not yet popped).
    pub(crate) fn is_linked(&self, key: usize) -> bool {
        self.entries.get(key).is_some_and(|e| e.linked)
    }

    /// The value under `key`, linked or popped.
    pub(crate) fn get_mut(&mut self, key: usize) -> &mut T {
        &mut self.entries[key].value
    }

    /// Takes `key` out entirely (unlinking it if still queued) and returns its value.
    pub(crate) fn remove(&mut self, key: usize) -> T {
        self.unlink(key);
        self.entries.remove(key).value
    }

    /// Number of queued (linked) entries.
    pub(crate) fn len(&self) -> usize {
        self.linked
    }

    /// Whether nothing is queued.
    pub(crate) fn is_empty(&self) -> bool {
        self.linked == 0
    }

    fn unlink(&mut self, key: usize) {
        let entry = &mut self.entries[key];
        if !entry.linked {
            return;
        }
        entry.linked = false;
        let (prev, next) = (entry.prev, entry.next);
        match prev {
            NIL => self.head = next,
            prev => self.entries[prev].next = next,
        }
        match next {
            NIL => self.tail = prev,
            next => self.entries[next].prev = prev,
        }
        self.linked -= 1;
    }
}

/// Wakes waiters in batches of up to [`WakeBatch::CAPACITY`]: gathered under the lock,
/// woken with it released, the lock taken again, and so on. The one loop behind
/// `Semaphore::close` and `release`, `Notify::notify_waiters` and a broadcast `send`.
///
/// `guard` holds the lock on entry; `lock` takes it again. Under the lock, `next` answers
/// for the next waiter: `Some(waker)` once it has taken the waiter off the list (`Some(None)`
/// if that waiter had no waker), or `None` to stop: each primitive's own rule of whom it
/// wakes. It is asked only while the batch has room, so it may change the state before it
/// answers, and asked afresh after each relock, as others may have changed the state.
pub(crate) fn wake_in_batches<G: DerefMut>(
    guard: G,
    mut lock: impl FnMut() -> G,
    mut next: impl FnMut(&mut G::Target) -> Option<Option<Waker>>,
) {
    let mut batch = WakeBatch::new();
    // Declared after `batch`, so a panic drops (unlocks) it first: the batch's `Drop`
    // then wakes with no lock held.
    let mut guard = guard;
    loop {
        let mut done = false;
        while batch.has_room() {
            match next(&mut guard) {
                Some(Some(waker)) => batch.push(waker),
                Some(None) => {}
                None => {
                    done = true;
                    break;
                }
            }
        }
        drop(guard);
        batch.wake_all();
        if done {
            return;
        }
        guard = lock();
    }
}

/// Wakers gathered under a lock and woken after it is released (a waker may run arbitrary
/// code, even re-enter the primitive), in a fixed array: waking many waiters allocates
/// nothing. Only [`wake_in_batches`] uses it.
struct WakeBatch {
    wakers: [Option<Waker>; WakeBatch::CAPACITY],
    len: usize,
}

impl WakeBatch {
    /// How many wakers one batch holds.
    const CAPACITY: usize = 32;

    const fn new() -> Self {
        WakeBatch {
            wakers: [const { None }; WakeBatch::CAPACITY],
            len: 0,
        }
    }

    /// Whether another waker fits.
    fn has_room(&self) -> bool {
        self.len < Self::CAPACITY
    }

    /// Adds `waker`; the caller checks [`has_room`](Self::has_room) first.
    fn push(&mut self, waker: Waker) {
        debug_assert!(self.has_room());
        self.wakers[self.len] = Some(waker);
        self.len += 1;
    }

    /// Wakes everything gathered; call it with no lock held.
    fn wake_all(&mut self) {
        for slot in &mut self.wakers[..self.len] {
            if let Some(waker) = slot.take() {
                waker.wake();
            }
        }
        self.len = 0;
    }
}

impl Drop for WakeBatch {
    /// A batch dropped unwoken (a panic between gathering and waking) still wakes, so no
    /// waiter sleeps forever.
    fn drop(&mut self) {
        self.wake_all();
    }
}

#[cfg(test)]
mod tests {
    use std::panic::{catch_unwind, AssertUnwindSafe};
    use std::sync::{Arc, Mutex, MutexGuard, TryLockError, Weak};
    use std::task::{Wake, Waker};

    use super::{wake_in_batches, WaitList, WakeBatch};

    fn drain(list: &mut WaitList<u32>) -> Vec<u32> {
        let mut out = Vec::new();
        while let Some(key) = list.pop_front() {
            out.push(list.remove(key));
        }
        out
    }

    #[test]
    fn fifo_order_and_removal_from_anywhere() {
        let mut list = WaitList::new();
        let keys: Vec<usize> = (0..5).map(|i| list.push_back(i)).collect();
        assert_eq!(list.len(), 5);
        assert_eq!(list.remove(keys[0]), 0); // head
        assert_eq!(list.remove(keys[2]), 2); // middle
        assert_eq!(list.remove(keys[4]), 4); // tail
        assert_eq!(list.len(), 2);
        let k5 = list.push_back(5);
        assert!(list.is_linked(k5));
        assert_eq!(drain(&mut list), vec![1, 3, 5]);
        assert!(list.is_empty());
    }

    #[test]
    fn popped_entry_stays_readable_until_removed() {
        let mut list = WaitList::new();
        let a = list.push_back(10);
        let b = list.push_back(20);
        assert_eq!(list.pop_front(), Some(a));
        assert!(!list.is_linked(a));
        assert_eq!(*list.get_mut(a), 10);
        assert_eq!(list.front(), Some(b));
        assert_eq!(list.len(), 1);
        assert_eq!(list.remove(a), 10); // removing a popped entry leaves the queue intact
        assert_eq!(drain(&mut list), vec![20]);
    }

    #[test]
    fn keys_are_reused_without_corrupting_links() {
        let mut list = WaitList::new();
        let mut capacity = None;
        for round in 0..100 {
            let a = list.push_back(round);
            let b = list.push_back(round + 1);
            list.remove(a);
            assert_eq!(list.pop_front(), Some(b));
            list.remove(b);
            assert!(list.is_empty());
            // Vacant entries are reused: the slab never grows after the first round.
            assert_eq!(
                *capacity.get_or_insert(list.entries.capacity()),
                list.entries.capacity()
            );
        }
    }

    type List = Arc<Mutex<WaitList<Option<Waker>>>>;
    /// Each woken probe's id, and whether the lock was held when it was woken.
    type Woken = Arc<Mutex<Vec<(usize, bool)>>>;

    /// Records, when woken, its id and whether the list's lock was held then. It reaches
    /// the list through a `Weak`: the list holds the probe's waker, and a strong pointer
    /// back would make a cycle that leaks both.
    struct Probe {
        id: usize,
        list: Weak<Mutex<WaitList<Option<Waker>>>>,
        woken: Woken,
    }

    impl Wake for Probe {
        fn wake(self: Arc<Self>) {
            let list = self
                .list
                .upgrade()
                .expect("the list outlives its wakers' wakes");
            let locked = matches!(list.try_lock(), Err(TryLockError::WouldBlock));
            self.woken.lock().unwrap().push((self.id, locked));
        }
    }

    fn queue(n: usize) -> (List, Woken) {
        let list: List = Arc::new(Mutex::new(WaitList::new()));
        let woken = Arc::new(Mutex::new(Vec::new()));
        for id in 0..n {
            let probe = Probe {
                id,
                list: Arc::downgrade(&list),
                woken: woken.clone(),
            };
            list.lock()
                .unwrap()
                .push_back(Some(Waker::from(Arc::new(probe))));
        }
        (list, woken)
    }

    fn lock(list: &List) -> MutexGuard<'_, WaitList<Option<Waker>>> {
        list.lock().unwrap_or_else(|e| e.into_inner())
    }

    #[test]
    fn wakes_in_order_in_batches_with_no_lock_held() {
        let (list, woken) = queue(100);
        let mut relocks = 0;
        let mut left = 70; // stop condition: like a broadcast send's count
        let relock = || {
            relocks += 1;
            lock(&list)
        };
        wake_in_batches(lock(&list), relock, |list| {
            if left == 0 {
                return None;
            }
            left -= 1;
            let key = list.pop_front()?;
            Some(list.get_mut(key).take())
        });
        let woken = woken.lock().unwrap();
        assert_eq!(*woken, (0..70).map(|id| (id, false)).collect::<Vec<_>>());
        assert_eq!(relocks, 70 / WakeBatch::CAPACITY);
        assert_eq!(lock(&list).len(), 30);
    }

    #[test]
    fn a_panic_after_gathering_still_wakes_with_no_lock_held() {
        let (list, woken) = queue(10);
        let result = catch_unwind(AssertUnwindSafe(|| {
            wake_in_batches(
                lock(&list),
                || lock(&list),
                |list| {
                    let key = list.pop_front()?;
                    assert!(list.len() >= 5, "gather panics");
                    Some(list.get_mut(key).take())
                },
            )
        }));
        assert!(result.is_err());
        let woken = woken.lock().unwrap();
        assert_eq!(*woken, (0..5).map(|id| (id, false)).collect::<Vec<_>>());
    }
}
