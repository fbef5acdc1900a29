//! The wheel against a model: a plain list of deadlines, checked at every step.

use std::sync::{Arc, Mutex};
use std::task::{Wake, Waker};
use std::time::{Duration, Instant};

use super::Timers;
use crate::key::KeyTable;

/// A waker that records its label when woken.
struct Label(u64, Arc<Mutex<Vec<u64>>>);

impl Wake for Label {
    fn wake(self: Arc<Self>) {
        self.1.lock().unwrap().push(self.0);
    }
}

/// A waker that appends `label` to `log` when woken (shared with `model_tests.rs`).
pub(super) fn waker(label: u64, log: &Arc<Mutex<Vec<u64>>>) -> Waker {
    Waker::from(Arc::new(Label(label, log.clone())))
}

/// A seeded generator: each call gives a number below `bound` (0 for a bound of 0).
pub(super) fn xorshift(seed: u64) -> impl FnMut(u64) -> u64 {
    let mut state = seed | 1;
    move |bound| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state.checked_rem(bound).unwrap_or(0)
    }
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Fires what is due at `now` and returns the labels, in firing order.
fn fire(timers: &mut Timers, now: Instant, log: &Arc<Mutex<Vec<u64>>>) -> Vec<u64> {
    let mut woken = Vec::new();
    timers.fire_due(now, &mut woken, false);
    woken.into_iter().for_each(Waker::wake);
    std::mem::take(&mut *log.lock().unwrap())
}

#[test]
fn fires_at_the_deadline_never_before_and_in_order() {
    let log = Arc::default();
    let mut t = Timers::new();
    let o = t.origin;
    // Stored out of order, spread over three levels.
    for (label, at) in [(3, 5000), (1, 70), (2, 64), (0, 1), (4, 4096)] {
        t.insert(o, o + ms(at), waker(label, &log)).unwrap();
    }
    assert_eq!(t.next_deadline(), Some(o + ms(1)));
    assert_eq!(
        fire(&mut t, o + Duration::from_micros(999), &log),
        Vec::<u64>::new()
    );
    assert_eq!(fire(&mut t, o + ms(1), &log), vec![0]);
    assert_eq!(fire(&mut t, o + ms(63), &log), Vec::<u64>::new());
    assert_eq!(fire(&mut t, o + ms(70), &log), vec![2, 1]);
    assert_eq!(fire(&mut t, o + ms(10_000), &log), vec![4, 3]);
    assert_eq!(t.len(), 0);
    assert_eq!(t.next_deadline(), None);
}

#[test]
fn a_deadline_inside_a_millisecond_rounds_up_and_one_tick_fires_in_deadline_order() {
    let log = Arc::default();
    let mut t = Timers::new();
    let o = t.origin;
    let us = Duration::from_micros;
    t.insert(o, o + us(2_900), waker(1, &log)).unwrap();
    t.insert(o, o + us(2_100), waker(2, &log)).unwrap();
    t.insert(o, o + ms(3), waker(3, &log)).unwrap();
    t.insert(o, o + us(2_100), waker(4, &log)).unwrap(); // equal deadlines: as stored
    assert_eq!(t.next_deadline(), Some(o + ms(3)));
    assert_eq!(fire(&mut t, o + us(2_950), &log), Vec::<u64>::new());
    assert_eq!(fire(&mut t, o + ms(3), &log), vec![2, 4, 1, 3]);
}

#[test]
fn a_past_deadline_is_due_at_once() {
    let log = Arc::default();
    let mut t = Timers::new();
    let o = t.origin;
    let now = o + ms(500);
    t.insert(now, o + ms(100), waker(7, &log)).unwrap();
    assert!(t.next_deadline().unwrap() <= now);
    assert_eq!(fire(&mut t, now, &log), vec![7]);
}

#[test]
fn removal_and_waker_updates_by_id_and_a_fired_id_is_dead_even_if_its_index_is_reused() {
    let log = Arc::default();
    let mut t = Timers::new();
    let o = t.origin;
    let a = t.insert(o, o + ms(10), waker(1, &log)).unwrap();
    let b = t.insert(o, o + ms(10), waker(2, &log)).unwrap();
    assert!(t.remove(a).is_some());
    assert!(t.remove(a).is_none(), "a second remove finds nothing");
    let replaced = t.update_waker(b, &waker(20, &log)).unwrap();
    assert!(replaced.is_some());
    assert_eq!(fire(&mut t, o + ms(10), &log), vec![20]);
    assert!(t.update_waker(b, &waker(21, &log)).is_err(), "fired");
    // The table reuses the freed indices; the old ids must not reach the new timers.
    let c = t.insert(o + ms(10), o + ms(20), waker(3, &log)).unwrap();
    assert!(t.remove(a).is_none() && t.remove(b).is_none());
    assert!(t.update_waker(a, &waker(9, &log)).is_err());
    assert_eq!(fire(&mut t, o + ms(20), &log), vec![3]);
    assert!(t.remove(c).is_none());
}

#[test]
fn far_deadlines_wait_their_turn() {
    let log = Arc::default();
    let mut t = Timers::new();
    let o = t.origin;
    let year = Duration::from_secs(365 * 86_400);
    t.insert(o, o + year * 30, waker(30, &log)).unwrap();
    if let Some(very_far) = o.checked_add(year * 300) {
        t.insert(o, very_far, waker(300, &log)).unwrap(); // beyond the top level's reach
    }
    t.insert(o, o + ms(5), waker(0, &log)).unwrap();
    assert_eq!(fire(&mut t, o + ms(5), &log), vec![0]);
    let next = t.next_deadline().unwrap();
    assert!(next > o + ms(5) && next <= o + year * 30);
    assert_eq!(fire(&mut t, o + year * 29, &log), Vec::<u64>::new());
    assert_eq!(fire(&mut t, o + year * 30, &log), vec![30]);
    if let Some(later) = o.checked_add(year * 200) {
        assert_eq!(
            fire(&mut t, later, &log),
            Vec::<u64>::new(),
            "300 years is not yet"
        );
    }
}

#[test]
fn the_first_timer_after_an_idle_spell_is_not_preceded_by_stale_steps() {
    let log = Arc::default();
    let mut t = Timers::new();
    let o = t.origin;
    let now = o + Duration::from_secs(3600);
    t.insert(now, now + ms(2), waker(1, &log)).unwrap();
    assert_eq!(t.next_deadline(), Some(now + ms(2)));
}

/// Deadlines from a seeded generator; the model is the set of pending (label, tick).
#[test]
#[cfg_attr(miri, ignore)]
fn matches_a_model_under_random_inserts_cancels_and_clock_jumps() {
    let log = Arc::default();
    let mut t = Timers::new();
    let o = t.origin;
    let mut rand = xorshift(0x2545_f491_4f6c_dd1d);
    // (label, id, deadline, when stored)
    let mut model: Vec<(u64, super::TimerId, Instant, Instant)> = Vec::new();
    let mut now = o;
    let mut label = 0;
    for round in 0..3_000 {
        for _ in 0..rand(8) {
            // Mostly near, some across levels, a few in the past.
            let span = [5, 200, 20_000, 5_000_000][rand(4) as usize];
            let deadline = (now + Duration::from_micros(rand(span * 1000))) - ms(rand(3));
            let id = t.insert(now, deadline, waker(label, &log)).unwrap();
            model.push((label, id, deadline, now));
            label += 1;
        }
        if !model.is_empty() && rand(3) == 0 {
            let (l, id, _, _) = model.swap_remove(rand(model.len() as u64) as usize);
            assert!(t.remove(id).is_some(), "timer {l} should still be pending");
        }
        // Advance like a reactor: to the next deadline, or a random jump.
        let step = match (rand(4), t.next_deadline()) {
            (0, _) | (_, None) => Duration::from_micros(rand(if round % 500 == 0 {
                9_000_000_000
            } else {
                3_000
            })),
            (_, Some(next)) => next.saturating_duration_since(now),
        };
        now += step;
        let fired = fire(&mut t, now, &log);
        let mut expected: Vec<(u64, Instant, Instant)> = Vec::new();
        model.retain(|&(l, _, deadline, stored)| {
            let due = deadline
                .saturating_duration_since(o)
                .as_nanos()
                .div_ceil(1_000_000)
                <= now.saturating_duration_since(o).as_millis();
            if due {
                expected.push((l, deadline, stored));
            }
            !due
        });
        let deadlines: Vec<Instant> = fired
            .iter()
            .filter_map(|l| expected.iter().find(|e| e.0 == *l && e.1 > e.2))
            .map(|e| e.1)
            .collect();
        assert!(
            deadlines.windows(2).all(|w| w[0] <= w[1]),
            "round {round}: out of deadline order (timers overdue when stored come first)"
        );
        let mut got = fired.clone();
        got.sort_unstable();
        let mut want: Vec<u64> = expected.iter().map(|e| e.0).collect();
        want.sort_unstable();
        assert_eq!(got, want, "round {round}: fired set at {:?}", now - o);
        assert_eq!(t.len(), model.len());
        if let (Some(next), Some(earliest)) = (t.next_deadline(), model.iter().map(|m| m.2).min()) {
            assert!(
                next <= earliest + ms(1),
                "round {round}: next {next:?} after {earliest:?}"
            );
        }
    }
}

#[test]
fn a_full_store_gives_the_waker_back_and_keeps_its_timers() {
    let log = Arc::default();
    let mut t = Timers::new();
    t.entries = KeyTable::with_index_limit(1);
    let o = t.origin;
    t.insert(o, o + ms(1), waker(1, &log)).unwrap();
    let refused = t.insert(o, o + ms(2), waker(2, &log)).unwrap_err();
    assert_eq!(t.len(), 1);
    refused.wake();
    assert_eq!(
        fire(&mut t, o + ms(2), &log),
        vec![2, 1],
        "the waker given back is timer 2's"
    );
    t.insert(o, o + ms(3), waker(3, &log)).unwrap();
    assert_eq!(
        fire(&mut t, o + ms(3), &log),
        vec![3],
        "a freed index is usable again"
    );
}
