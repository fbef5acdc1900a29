//! `ScheduledIo`'s waiters: one task, several (the fan-out), shedding, and the window
//! between an event and its wake.

use super::super::fan_out::{Membership, SHED_AT};
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

fn fire(io: &ScheduledIo, ready: Readiness) {
    let fired = io.on_event(ready);
    io.wake(fired);
}

#[test]
fn every_task_parked_on_a_direction_is_woken() {
    let io = ScheduledIo::new(0, Readiness::EMPTY);
    let tasks: Vec<_> = (0..3).map(|_| counter()).collect();
    for (_, w) in &tasks {
        assert!(io.park(Direction::Read, w).is_none());
    }
    assert_eq!(io.waiting(Direction::Read), 3);
    fire(&io, Readiness::READABLE);
    for (c, _) in &tasks {
        assert_eq!(wakes(c), 1);
    }
    // The event emptied the fan-out; it stays stored, disarmed, until a task parks.
    assert_eq!(io.waiting(Direction::Read), 0);
    fire(&io, Readiness::READABLE);
    assert_eq!(tasks.iter().map(|(c, _)| wakes(c)).sum::<usize>(), 3);
}

#[test]
fn a_write_event_leaves_the_readers_waiting() {
    let io = ScheduledIo::new(0, Readiness::EMPTY);
    let (a, wa) = counter();
    let (b, wb) = counter();
    let _ = io.park(Direction::Read, &wa);
    let _ = io.park(Direction::Read, &wb);
    fire(&io, Readiness::WRITABLE);
    assert_eq!((wakes(&a), wakes(&b)), (0, 0));
    fire(&io, Readiness::READ_CLOSED);
    assert_eq!((wakes(&a), wakes(&b)), (1, 1));
}

#[test]
fn a_task_parking_twice_is_listed_once() {
    let io = ScheduledIo::new(0, Readiness::EMPTY);
    let (_, first) = counter();
    let (b, wb) = counter();
    let _ = io.park(Direction::Write, &first);
    for _ in 0..5 {
        let _ = io.park(Direction::Write, &wb);
    }
    assert_eq!(io.waiting(Direction::Write), 2);
    fire(&io, Readiness::WRITABLE);
    assert_eq!(wakes(&b), 1);
}

#[test]
fn a_disarmed_first_waker_is_replaced_not_joined() {
    let io = ScheduledIo::new(0, Readiness::EMPTY);
    let (a, wa) = counter();
    let (b, wb) = counter();
    let _ = io.park(Direction::Read, &wa);
    fire(&io, Readiness::READABLE);
    // `a` was woken and did not park again: `b` takes its place, `a` is handed back.
    let replaced = io.park(Direction::Read, &wb).expect("a's waker");
    assert!(replaced.will_wake(&wa));
    assert_eq!(io.waiting(Direction::Read), 1);
    fire(&io, Readiness::READABLE);
    assert_eq!((wakes(&a), wakes(&b)), (1, 1));
}

#[test]
fn waiters_that_gave_up_are_shed_at_the_limit() {
    let io = ScheduledIo::new(0, Readiness::EMPTY);
    // SHED_AT tasks park and go away without an event; the next one sheds them all.
    let gone: Vec<_> = (0..SHED_AT).map(|_| counter()).collect();
    for (_, w) in &gone {
        let _ = io.park(Direction::Read, w);
    }
    assert_eq!(io.waiting(Direction::Read), SHED_AT);
    let (late, w_late) = counter();
    let _ = io.park(Direction::Read, &w_late);
    assert_eq!(io.waiting(Direction::Read), 1);
    assert!(gone.iter().all(|(c, _)| wakes(c) == 1));
    assert_eq!(wakes(&late), 0);
    // The shed wakers were dropped: only this test's handles remain.
    assert!(gone.iter().all(|(c, _)| Arc::strong_count(c) == 2));
    fire(&io, Readiness::READABLE);
    assert_eq!(wakes(&late), 1);
}

#[test]
fn many_live_waiters_do_not_wake_each_other_in_a_loop() {
    let io = ScheduledIo::new(0, Readiness::EMPTY);
    let n = 5 * SHED_AT;
    let tasks: Vec<_> = (0..n).map(|_| counter()).collect();
    // Every task parks; each woken one parks again at once, as a live task would.
    for (_, w) in &tasks {
        let _ = io.park(Direction::Read, w);
    }
    for _ in 0..4 {
        for (c, w) in &tasks {
            if wakes(c) > 0 {
                let _ = io.park(Direction::Read, w);
            }
        }
    }
    // The limit doubled past the crowd: parking again sheds nothing more.
    let before: usize = tasks.iter().map(|(c, _)| wakes(c)).sum();
    for (_, w) in &tasks {
        let _ = io.park(Direction::Read, w);
    }
    let after: usize = tasks.iter().map(|(c, _)| wakes(c)).sum();
    assert_eq!(before, after);
    assert!(before <= 2 * n, "{before} wakes for {n} waiters");
    fire(&io, Readiness::READABLE);
    assert!(tasks.iter().all(|(c, _)| wakes(c) >= 1));
}

#[test]
fn a_park_between_the_event_and_its_wake_joins_the_fan_out() {
    // A waker woken earlier in the same turn may run code that parks here after
    // `on_event` disarmed the direction and before `wake` runs.
    let io = ScheduledIo::new(0, Readiness::EMPTY);
    let tasks: Vec<_> = (0..3).map(|_| counter()).collect();
    let _ = io.park(Direction::Read, &tasks[0].1);
    let _ = io.park(Direction::Read, &tasks[1].1);
    let fired = io.on_event(Readiness::READABLE);
    assert!(io.park(Direction::Read, &tasks[2].1).is_none());
    io.wake(fired);
    assert!(tasks.iter().all(|(c, _)| wakes(c) == 1));
}

#[test]
fn a_waker_replaced_before_its_wake_is_handed_back_to_be_woken() {
    let io = ScheduledIo::new(0, Readiness::EMPTY);
    let (_, wa) = counter();
    let (c, wc) = counter();
    let _ = io.park(Direction::Read, &wa);
    let fired = io.on_event(Readiness::READABLE);
    let replaced = io
        .park(Direction::Read, &wc)
        .expect("a's waker, for the caller to wake");
    assert!(replaced.will_wake(&wa));
    io.wake(fired);
    assert_eq!(wakes(&c), 1);
}

#[test]
fn a_crowd_parking_again_after_an_event_is_not_shed() {
    let io = ScheduledIo::new(0, Readiness::EMPTY);
    let n = 3 * SHED_AT;
    let tasks: Vec<_> = (0..n).map(|_| counter()).collect();
    for (_, w) in &tasks {
        let _ = io.park(Direction::Read, w);
    }
    fire(&io, Readiness::READABLE);
    let before: usize = tasks.iter().map(|(c, _)| wakes(c)).sum();
    for (_, w) in &tasks {
        let _ = io.park(Direction::Read, w);
    }
    let after: usize = tasks.iter().map(|(c, _)| wakes(c)).sum();
    assert_eq!(
        before, after,
        "parking again after the event shed the crowd"
    );
    assert_eq!(io.waiting(Direction::Read), n);
}

#[test]
fn dropping_the_source_drops_every_waker_unwoken() {
    let io = ScheduledIo::new(0, Readiness::EMPTY);
    let tasks: Vec<_> = (0..3).map(|_| counter()).collect();
    for (_, w) in &tasks {
        let _ = io.park(Direction::Write, w);
    }
    drop(io.clear_waiters());
    assert!(tasks
        .iter()
        .all(|(c, _)| wakes(c) == 0 && Arc::strong_count(c) == 2));
    fire(&io, Readiness::WRITABLE);
    assert!(tasks.iter().all(|(c, _)| wakes(c) == 0));
}

/// Parks `waker` as a waiting future would (`Source::waiting`): with its entry lent.
fn park_owned(io: &ScheduledIo, dir: Direction, waker: &Waker, entry: &mut Option<Membership>) {
    let replaced = super::super::with_claim(io, dir, waker, entry, || io.park(dir, waker));
    assert!(replaced.is_none());
}

#[test]
fn a_waiting_future_gets_its_own_entry_and_takes_it_back() {
    let io = ScheduledIo::new(0, Readiness::EMPTY);
    let (_, first) = counter();
    let (_, second) = counter();
    let _ = io.park(Direction::Read, &first);
    let _ = io.park(Direction::Read, &second); // now shared
    let (c, w) = counter();
    let (mut one, mut two) = (None, None);
    park_owned(&io, Direction::Read, &w, &mut one);
    park_owned(&io, Direction::Read, &w, &mut two); // same task, second future
    park_owned(&io, Direction::Read, &w, &mut one); // parking again keeps its entry
    assert!(one.is_some() && two.is_some() && one != two);
    assert_eq!(io.waiting(Direction::Read), 4);
    assert!(io.leave(Direction::Read, one.unwrap()).is_some());
    assert!(
        io.leave(Direction::Read, one.unwrap()).is_none(),
        "left once"
    );
    assert_eq!(io.waiting(Direction::Read), 3);
    fire(&io, Readiness::READABLE);
    assert_eq!(wakes(&c), 1, "the task's other future is still listed");
    // The wake emptied the list: the old entry names nothing, even once its key is reused.
    park_owned(&io, Direction::Read, &w, &mut one);
    assert!(io.leave(Direction::Read, two.unwrap()).is_none());
    assert_eq!(io.waiting(Direction::Read), 1);
}

#[test]
fn waiting_futures_that_come_and_go_are_never_shed() {
    let io = ScheduledIo::new(0, Readiness::EMPTY);
    let (live, live_waker) = counter();
    let (_, other) = counter();
    let _ = io.park(Direction::Read, &live_waker);
    let _ = io.park(Direction::Read, &other);
    for _ in 0..10 * SHED_AT {
        let (_, w) = counter();
        let mut entry = None;
        park_owned(&io, Direction::Read, &w, &mut entry);
        drop(io.leave(Direction::Read, entry.unwrap()));
    }
    assert_eq!(io.waiting(Direction::Read), 2);
    assert_eq!(wakes(&live), 0, "no shed, so no wake");
}

#[test]
fn a_claim_for_another_direction_or_source_is_not_used() {
    let io = ScheduledIo::new(0, Readiness::EMPTY);
    let elsewhere = ScheduledIo::new(1, Readiness::EMPTY);
    let (_, a) = counter();
    let (_, b) = counter();
    let _ = io.park(Direction::Write, &a);
    let _ = io.park(Direction::Write, &b);
    let (_, w) = counter();
    let mut entry = None;
    super::super::with_claim(&io, Direction::Read, &w, &mut entry, || {
        io.park(Direction::Write, &w)
    });
    super::super::with_claim(&elsewhere, Direction::Write, &w, &mut entry, || {
        io.park(Direction::Write, &w)
    });
    assert_eq!(entry, None);
    assert_eq!(io.waiting(Direction::Write), 3, "joined by waker, once");
}

/// Panics when woken.
struct Panicky;

impl futures_task::ArcWake for Panicky {
    fn wake_by_ref(_: &Arc<Self>) {
        panic!("a waker that panics");
    }
}

#[test]
fn a_park_with_another_waker_inside_the_poll_does_not_take_the_claim() {
    let io = ScheduledIo::new(0, Readiness::EMPTY);
    let (_, a) = counter();
    let (_, b) = counter();
    let _ = io.park(Direction::Read, &a);
    let _ = io.park(Direction::Read, &b); // shared
    let (mine, w) = counter();
    let (other, g) = counter();
    let mut entry = None;
    super::super::with_claim(&io, Direction::Read, &w, &mut entry, || {
        let _ = io.park(Direction::Read, &w);
        // Someone else's wait, run inside the poll (by a waker woken there, say).
        let _ = io.park(Direction::Read, &g);
    });
    assert_eq!(io.waiting(Direction::Read), 4, "both listed");
    drop(io.leave(Direction::Read, entry.unwrap()));
    fire(&io, Readiness::READABLE);
    assert_eq!((wakes(&mine), wakes(&other)), (0, 1), "only our entry left");
}

#[test]
fn a_panic_in_a_shed_keeps_the_entry_recorded() {
    let io = ScheduledIo::new(0, Readiness::EMPTY);
    let _ = io.park(Direction::Read, &futures_task::waker(Arc::new(Panicky)));
    let rest: Vec<_> = (1..SHED_AT).map(|_| counter()).collect();
    for (_, w) in &rest {
        let _ = io.park(Direction::Read, w);
    }
    let (_, w) = counter();
    let mut entry = None;
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        super::super::with_claim(&io, Direction::Read, &w, &mut entry, || {
            io.park(Direction::Read, &w)
        })
    }));
    assert!(r.is_err());
    assert_eq!(io.waiting(Direction::Read), 1, "w's entry is listed");
    drop(io.leave(
        Direction::Read,
        entry.expect("and recorded, so it can leave"),
    ));
    assert_eq!(io.waiting(Direction::Read), 0);
}

#[test]
fn an_entry_from_before_a_wake_never_removes_the_one_that_reused_its_key() {
    let io = ScheduledIo::new(0, Readiness::EMPTY);
    let (_, a) = counter();
    let (_, first) = counter();
    let _ = io.park(Direction::Read, &a);
    let (_, w) = counter();
    let mut stale = None;
    park_owned(&io, Direction::Read, &w, &mut stale); // builds the list: `a`, then `w`
    fire(&io, Readiness::READABLE); // empties it; `stale` now names nothing
    let _ = io.park(Direction::Read, &first);
    let (x_wakes, x) = counter();
    let mut live = None;
    park_owned(&io, Direction::Read, &x, &mut live); // same slab key as `stale` had
    assert!(io.leave(Direction::Read, stale.unwrap()).is_none());
    fire(&io, Readiness::READABLE);
    assert_eq!(wakes(&x_wakes), 1, "the live entry stayed listed");
}

#[test]
fn a_plain_park_is_listed_apart_from_the_same_tasks_own_entry() {
    let io = ScheduledIo::new(0, Readiness::EMPTY);
    let (_, a) = counter();
    let _ = io.park(Direction::Read, &a);
    let (w_wakes, w) = counter();
    let mut entry = None;
    park_owned(&io, Direction::Read, &w, &mut entry); // the task's waiting future
    let _ = io.park(Direction::Read, &w); // the same task, through a plain poll_*
    drop(io.leave(Direction::Read, entry.unwrap())); // the future gives up
    fire(&io, Readiness::READABLE);
    assert_eq!(wakes(&w_wakes), 1, "the plain wait is still listed");
}
