//! The store against a brute-force model, stepped around every level's boundary (64,
//! 4096, 262,144 ms, ..., the top level's reach), before `origin`, near the largest
//! `Instant`, with inserts while `elapsed` lags, removals from mid-list, and clock steps
//! from 0 ns to 146 years; after every step exactly the due timers fired, in order, and
//! `next_deadline` is neither late nor a busy spin; and the regressions it guards against
//! (an id naming a later timer, saturation, overdue order).

/// Seeds per run (each runs eight modes of 1,500 steps).
const SEEDS: u64 = 16;

use std::sync::{Arc, Mutex};
use std::task::Waker;
use std::time::{Duration, Instant};

use super::tests::{waker, xorshift};
use super::{Timers, DUE, NIL};

struct M {
    label: u64,
    id: super::TimerId,
    nanos: u64, // deadline since origin (saturating, 0 before)
    overdue: bool,
    seq: u64,
}

fn tick_of(n: u64) -> u64 {
    n.div_ceil(1_000_000)
}

fn run(seed0: u64, rounds: usize, mode: u32) {
    let log: Arc<Mutex<Vec<u64>>> = Arc::default();
    let mut t = Timers::new();
    let o = t.origin;
    let mut rand = xorshift(seed0);
    let mut model: Vec<M> = Vec::new();
    let mut clock: u64 = 0; // ns since origin
    let mut label = 0u64;
    let bounds = [
        0u64,
        1,
        63,
        64,
        65,
        127,
        128,
        4095,
        4096,
        4097,
        262_143,
        262_144,
        262_145,
        1 << 24,
        (1 << 24) + 1,
        1 << 30,
        1 << 36,
        (1 << 36) + 1,
        1 << 42,
        (1 << 42) - 1,
        (1 << 42) + 1,
        3 << 42,
        1 << 43,
        18_446_744_073_709,
    ];
    for round in 0..rounds {
        // inserts
        for _ in 0..rand(6) {
            let now_ms = clock / 1_000_000;
            let kind = rand(10);
            let (inst, nanos): (Instant, u64) = match kind {
                0 => {
                    // before origin
                    let back = Duration::from_micros(rand(5_000) + 1);
                    match o.checked_sub(back) {
                        Some(i) => (i, 0),
                        None => continue,
                    }
                }
                1 | 2 => {
                    // aligned boundaries relative to elapsed or absolute
                    let b = bounds[rand(bounds.len() as u64) as usize];
                    let base = if rand(2) == 0 { now_ms } else { t.elapsed };
                    let ms = if rand(2) == 0 {
                        base.saturating_add(b)
                    } else {
                        b.max(base) + rand(3)
                    };
                    let ns = (ms as u128 * 1_000_000) as i128 + rand(3) as i128 - 1;
                    let ns = ns.max(0) as u64;
                    match o.checked_add(Duration::from_nanos(ns)) {
                        Some(i) => (i, ns),
                        None => continue,
                    }
                }
                3 => {
                    // in the past relative to clock
                    let ns = clock.saturating_sub(rand(10_000_000));
                    (o + Duration::from_nanos(ns), ns)
                }
                4 if mode & 1 == 1 => {
                    // near Instant max
                    let secs = (i64::MAX as u64 / 2) + rand(1000);
                    match o.checked_add(Duration::from_secs(secs)) {
                        Some(i) => (i, u64::MAX),
                        None => continue,
                    }
                }
                _ => {
                    let span = [3u64, 70, 5000, 300_000, 20_000_000][rand(5) as usize];
                    let ns = clock + rand(span * 1_000_000);
                    (o + Duration::from_nanos(ns), ns)
                }
            };
            // insert with 'now' = clock, or a now a bit later than the last fire (lag)
            let now = o + Duration::from_nanos(clock);
            // An empty store catches up with the clock first.
            let elapsed = if t.entries.is_empty() {
                t.elapsed.max(clock / 1_000_000)
            } else {
                t.elapsed
            };
            let overdue = tick_of(nanos) <= elapsed;
            let id = t.insert(now, inst, waker(label, &log)).unwrap();
            assert_eq!(t.nanos(inst), nanos, "nanos model");
            model.push(M {
                label,
                id,
                nanos,
                overdue,
                seq: label,
            });
            label += 1;
        }
        // removes (from middle)
        for _ in 0..rand(3) {
            if model.is_empty() {
                break;
            }
            let m = model.swap_remove(rand(model.len() as u64) as usize);
            assert!(
                t.remove(m.id).is_some(),
                "round {round}: remove {} failed",
                m.label
            );
            assert!(t.remove(m.id).is_none());
        }
        if !model.is_empty() && rand(4) == 0 {
            let m = &model[rand(model.len() as u64) as usize];
            assert!(t.update_waker(m.id, &waker(m.label, &log)).is_ok());
        }
        // advance
        let step: u64 = match rand(8) {
            0 => rand(2_000_000),
            1 => {
                // jump to just around a level boundary of the clock
                let w = [64u64, 4096, 262_144, 1 << 24][rand(4) as usize];
                let target = (clock / 1_000_000 / w + 1) * w;
                (target * 1_000_000 + rand(3) * 500_000).saturating_sub(clock + 1_000_000)
            }
            2 if mode & 2 == 2 => rand(1u64 << 50), // huge jumps (up to ~13 days)
            3 if mode & 4 == 4 => rand(1u64 << 62), // enormous jumps (up to ~146 years)
            _ => match t.next_deadline() {
                Some(d) => {
                    let d = d.saturating_duration_since(o).as_nanos() as u64;
                    d.saturating_sub(clock) + rand(2) * rand(1_000_000)
                }
                None => rand(5_000_000),
            },
        };
        clock = clock.saturating_add(step).min(u64::MAX / 2);
        if rand(5) == 0 {
            continue;
        } // skip firing: elapsed lags
        let now = o + Duration::from_nanos(clock);
        let mut woken = Vec::new();
        t.fire_due(now, &mut woken, false);
        woken.into_iter().for_each(Waker::wake);
        let fired = std::mem::take(&mut *log.lock().unwrap());
        let now_ms = clock / 1_000_000;
        let mut want: Vec<&M> = model
            .iter()
            .filter(|m| tick_of(m.nanos) <= now_ms)
            .collect();
        let mut got = fired.clone();
        got.sort_unstable();
        let mut w: Vec<u64> = want.iter().map(|m| m.label).collect();
        w.sort_unstable();
        if got != w {
            panic!(
                "round {round} clock {clock}: fired {got:?} want {w:?}; early: {:?}",
                got.iter()
                    .filter(|l| !w.contains(l))
                    .map(|l| model.iter().find(|m| m.label == *l).map(|m| m.nanos))
                    .collect::<Vec<_>>()
            );
        }
        // order: overdue-at-store first (any order), rest by (nanos, seq)
        want.sort_by_key(|m| (!m.overdue, if m.overdue { 0 } else { m.nanos }, m.seq));
        let rest_want: Vec<u64> = want
            .iter()
            .filter(|m| !m.overdue)
            .map(|m| m.label)
            .collect();
        let rest_got: Vec<u64> = fired
            .iter()
            .copied()
            .filter(|l| rest_want.contains(l))
            .collect();
        assert_eq!(rest_got, rest_want, "round {round}: order");
        let n_over = want.iter().filter(|m| m.overdue).count();
        assert!(
            fired[..n_over].iter().all(|l| !rest_want.contains(l)),
            "round {round}: overdue not first"
        );
        model.retain(|m| tick_of(m.nanos) > now_ms);
        assert_eq!(t.len(), model.len());
        assert_eq!(t.lists[DUE].head, NIL);
        // next_deadline
        let nd = t.next_deadline();
        match model.iter().map(|m| tick_of(m.nanos)).min() {
            None => assert!(nd.is_none(), "round {round}: empty, yet a deadline"),
            Some(earliest) => {
                let nd = nd.expect("pending but no next_deadline");
                let nd_ms = nd.saturating_duration_since(o).as_millis() as u64;
                assert!(
                    nd_ms <= earliest,
                    "round {round}: next {nd_ms} > earliest tick {earliest}"
                );
                assert!(
                    nd_ms > now_ms,
                    "round {round}: next {nd_ms} not after now {now_ms} (spin)"
                );
            }
        }
    }
}

#[test]
#[cfg_attr(miri, ignore)]
fn matches_a_brute_force_model_around_level_boundaries() {
    for seed in 1..SEEDS {
        for mode in 0..8 {
            run(
                seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ mode as u64,
                1500,
                mode,
            );
        }
    }
}

/// A fired timer's id, still held by its `Sleep`, while every later generation of its index
/// comes and goes (simulated; a 32-bit counter wraps after 2^32 timers, minutes of timeouts
/// armed and cancelled): it names no later timer, so it can neither cancel nor refresh one.
#[test]
fn a_fired_id_never_names_a_later_timer() {
    let log = Arc::default();
    let mut t = Timers::new();
    let o = t.origin;
    let a = t
        .insert(o, o + Duration::from_millis(1), waker(1, &log))
        .unwrap();
    let mut woken = Vec::new();
    t.fire_due(o + Duration::from_millis(1), &mut woken, false);
    assert_eq!(woken.len(), 1, "`a` fired");
    // Every generation of `a`'s index but the last came and went.
    t.entries.age(a.index(), u64::from(u32::MAX) - 2);
    let last = t
        .insert(o, o + Duration::from_secs(10), waker(2, &log))
        .unwrap();
    assert_eq!(last.index(), a.index(), "the index is reused once more");
    assert_ne!(last, a);
    assert!(t.update_waker(a, &waker(3, &log)).is_err());
    assert!(t.remove(a).is_none(), "a fired id cancelled a later timer");
    assert_eq!(t.len(), 1);
    assert!(t.remove(last).is_some());
    // The index had its last generation: it is retired, so `a` never comes back.
    let next = t
        .insert(o, o + Duration::from_secs(10), waker(4, &log))
        .unwrap();
    assert_ne!(next.index(), a.index(), "a retired index was reused");
    assert!(t.remove(a).is_none());
    assert_eq!(t.len(), 1);
}

#[test]
fn a_deadline_past_584_years_never_fires_early() {
    let log = Arc::default();
    let mut t = Timers::new();
    let o = t.origin;
    let year = Duration::from_secs(365 * 86_400);
    let (Some(d), Some(now)) = (o.checked_add(year * 1000), o.checked_add(year * 600)) else {
        return;
    };
    t.insert(o, d, waker(1, &log)).unwrap();
    let mut woken = Vec::new();
    t.fire_due(now, &mut woken, false);
    assert!(woken.is_empty(), "a 1000-year deadline fired at 600 years");
}

#[test]
fn timers_overdue_when_stored_fire_in_deadline_order() {
    let log: Arc<Mutex<Vec<u64>>> = Arc::default();
    let mut t = Timers::new();
    let o = t.origin;
    let now = o + Duration::from_millis(100);
    t.insert(now, o + Duration::from_millis(90), waker(1, &log))
        .unwrap();
    t.insert(now, o + Duration::from_millis(10), waker(2, &log))
        .unwrap();
    let mut woken = Vec::new();
    t.fire_due(now, &mut woken, false);
    woken.into_iter().for_each(Waker::wake);
    assert_eq!(*log.lock().unwrap(), vec![2, 1], "B-tree order");
}
