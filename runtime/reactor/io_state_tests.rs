//! `IoState`'s waiters: the stored waker (last to park wins), the list of entries owned by
//! waiting futures, and the window between an event and its wake.

use super::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// A waker that counts its wakes.
struct Counter(AtomicUsize);

impl futures_task::ArcWake for Counter {
    fn wake_by_ref(arc_self: &Arc<Self>) {
        arc_self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn counter() -> (Arc<Counter>, Waker) {
    let c = Arc::new(Counter(AtomicUsize::new(0)));
    (c.clone(), futures_task::waker(c))
}

fn wakes(c: &Counter) -> usize {
    c.0.load(Ordering::SeqCst)
}

/// An event and its wake, as a turn does them.
fn fire(io: &IoState, ready: Readiness) {
    let fired = io.on_event(ready);
    wake(io, fired);
}

fn wake(io: &IoState, fired: Armed) {
    let batch = std::cell::RefCell::new(Vec::new());
    io.wake(fired, &batch);
    batch.into_inner().into_iter().for_each(Waker::wake);
}

fn park_entry(io: &IoState, dir: Direction, waker: &Waker, entry: &mut Option<usize>) {
    assert!(io.park_entry(dir, entry, waker).is_none());
}

#[test]
fn every_waiting_entry_is_woken_once_per_event() {
    let io = IoState::new(Readiness::EMPTY);
    let tasks: Vec<_> = (0..3).map(|_| counter()).collect();
    let mut entries = [None; 3];
    for ((_, w), entry) in tasks.iter().zip(&mut entries) {
        park_entry(&io, Direction::Read, w, entry);
    }
    assert_eq!(io.waiting(Direction::Read), 3);
    fire(&io, Readiness::READABLE);
    assert!(tasks.iter().all(|(c, _)| wakes(c) == 1));
    // The entries stay, fired; a second event with nobody parked again wakes nobody.
    assert_eq!(io.waiting(Direction::Read), 0);
    fire(&io, Readiness::READABLE);
    assert!(tasks.iter().all(|(c, _)| wakes(c) == 1));
    // Parking again reuses each entry's key.
    let keys = entries;
    for ((_, w), entry) in tasks.iter().zip(&mut entries) {
        park_entry(&io, Direction::Read, w, entry);
    }
    assert_eq!(entries, keys);
    fire(&io, Readiness::READ_CLOSED);
    assert!(tasks.iter().all(|(c, _)| wakes(c) == 2));
}

#[test]
fn a_write_event_leaves_the_readers_waiting() {
    let io = IoState::new(Readiness::EMPTY);
    let (a, wa) = counter();
    let (b, wb) = counter();
    assert!(io.park(Direction::Read, &wa).is_none());
    park_entry(&io, Direction::Read, &wb, &mut None);
    fire(&io, Readiness::WRITABLE);
    assert_eq!((wakes(&a), wakes(&b)), (0, 0));
    fire(&io, Readiness::READ_CLOSED);
    assert_eq!((wakes(&a), wakes(&b)), (1, 1));
}

#[test]
fn an_entry_parking_again_with_its_waker_is_listed_once() {
    let io = IoState::new(Readiness::EMPTY);
    let (b, wb) = counter();
    let mut entry = None;
    for _ in 0..5 {
        park_entry(&io, Direction::Write, &wb, &mut entry);
    }
    assert_eq!(io.waiting(Direction::Write), 1);
    fire(&io, Readiness::WRITABLE);
    assert_eq!(wakes(&b), 1);
}

#[test]
fn an_entry_that_leaves_is_never_woken_and_its_waker_is_dropped() {
    let io = IoState::new(Readiness::EMPTY);
    let (gone, w_gone) = counter();
    let (live, w_live) = counter();
    let (mut e_gone, mut e_live) = (None, None);
    park_entry(&io, Direction::Read, &w_gone, &mut e_gone);
    park_entry(&io, Direction::Read, &w_live, &mut e_live);
    drop(io.leave(Direction::Read, e_gone.unwrap()));
    assert_eq!(Arc::strong_count(&gone), 2, "the list let go of the waker");
    fire(&io, Readiness::READABLE);
    assert_eq!((wakes(&gone), wakes(&live)), (0, 1));
}

#[test]
fn a_crowd_that_comes_and_goes_leaves_no_entries_and_reuses_keys() {
    let io = IoState::new(Readiness::EMPTY);
    let (_, w) = counter();
    for _ in 0..1_000 {
        let mut entry = None;
        park_entry(&io, Direction::Read, &w, &mut entry);
        assert_eq!(entry, Some(0));
        drop(io.leave(Direction::Read, 0));
    }
    assert_eq!(io.waiting(Direction::Read), 0);
}

#[test]
fn an_entry_moved_to_another_task_hands_back_the_old_waker() {
    let io = IoState::new(Readiness::EMPTY);
    let (a, wa) = counter();
    let (b, wb) = counter();
    let mut entry = None;
    park_entry(&io, Direction::Read, &wa, &mut entry);
    let old = io
        .park_entry(Direction::Read, &mut entry, &wb)
        .expect("a's waker");
    assert!(old.will_wake(&wa));
    fire(&io, Readiness::READABLE);
    assert_eq!((wakes(&a), wakes(&b)), (0, 1));
}

#[test]
fn another_task_parking_on_an_armed_stored_waker_takes_its_place_unwoken() {
    let io = IoState::new(Readiness::EMPTY);
    let (a, wa) = counter();
    let (b, wb) = counter();
    assert!(io.park(Direction::Read, &wa).is_none());
    // The last task to park is the one woken; waking `a` would only make the two
    // replace each other in a loop.
    let replaced = io.park(Direction::Read, &wb).expect("a's waker");
    replaced.release();
    assert_eq!(wakes(&a), 0);
    fire(&io, Readiness::READABLE);
    assert_eq!((wakes(&a), wakes(&b)), (0, 1));
}

#[test]
fn a_stored_waker_replaced_before_its_wake_is_woken_not_dropped() {
    let io = IoState::new(Readiness::EMPTY);
    let (a, wa) = counter();
    let (b, wb) = counter();
    assert!(io.park(Direction::Read, &wa).is_none());
    // The event is recorded; before the turn wakes, another task parks (run by a waker
    // woken earlier in the same turn). `a`'s wake must not be lost.
    let fired = io.on_event(Readiness::READABLE);
    let replaced = io.park(Direction::Read, &wb).expect("a's waker");
    replaced.release();
    wake(&io, fired);
    assert_eq!((wakes(&a), wakes(&b)), (1, 1)); // b's wake is spurious, a's is owed
}

#[test]
fn an_entry_parked_between_the_event_and_its_wake_is_woken() {
    let io = IoState::new(Readiness::EMPTY);
    let (a, wa) = counter();
    let (b, wb) = counter();
    park_entry(&io, Direction::Read, &wa, &mut None);
    let fired = io.on_event(Readiness::READABLE);
    park_entry(&io, Direction::Read, &wb, &mut None);
    wake(&io, fired);
    assert_eq!((wakes(&a), wakes(&b)), (1, 1));
}

#[test]
fn the_same_task_parking_its_stored_waker_again_is_not_replaced() {
    let io = IoState::new(Readiness::EMPTY);
    let (a, wa) = counter();
    for _ in 0..3 {
        assert!(io.park(Direction::Write, &wa).is_none());
        fire(&io, Readiness::WRITABLE);
    }
    assert_eq!(wakes(&a), 3);
}

#[test]
fn dropping_the_source_drops_every_waker_unwoken() {
    let io = IoState::new(Readiness::EMPTY);
    let (a, wa) = counter();
    let (b, wb) = counter();
    assert!(io.park(Direction::Read, &wa).is_none());
    park_entry(&io, Direction::Write, &wb, &mut None);
    drop(io.clear_waiters());
    assert_eq!((Arc::strong_count(&a), Arc::strong_count(&b)), (2, 2));
    fire(&io, Readiness::READABLE.union(Readiness::WRITABLE));
    assert_eq!((wakes(&a), wakes(&b)), (0, 0));
}
