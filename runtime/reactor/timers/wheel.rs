//! Where a timer sits in the wheel: the level and slot for a tick, and which occupied
//! slot comes due next. Pure arithmetic on millisecond ticks; the lists live in `mod.rs`.
//!
//! Level `k` has 64 slots of `64^k` ticks each, so level 0 covers the current 64 ms one
//! tick per slot, level 1 the current ~4 s in 64 ms slots, and level 6 ~139 years. A timer
//! goes to the lowest level whose slot width still separates its tick from `elapsed` (the
//! highest bit in which the two differ picks the level). When time reaches the start of
//! a slot above level 0, the slot's timers move down (a *cascade*); a level-0 slot holds
//! only timers due at exactly its tick. Every timer is therefore touched at most once per
//! level, and insert, cancel and fire are O(1).

/// Bits of tick per level: 64 slots.
pub(super) const BITS: u32 = 6;
/// Slots per level.
pub(super) const SLOTS: usize = 1 << BITS;
/// Levels: 64^7 ms is about 139 years, beyond any deadline `time::deadline_after` makes.
pub(super) const LEVELS: usize = 7;

const SLOT_MASK: u64 = SLOTS as u64 - 1;

/// The list index (`level * SLOTS + slot`) for a timer due at `tick`, which must be later
/// than `elapsed`.
///
/// A tick beyond the top level's reach (a caller's own far `Instant`) goes to the top
/// level by its own digit there; it is moved again, never fired, when that slot comes up
/// early (`mod.rs`, `fire_due` checks each timer's own tick).
pub(super) fn list_for(elapsed: u64, tick: u64) -> usize {
    debug_assert!(tick > elapsed);
    // The `| SLOT_MASK` makes a difference only in the low bits still mean level 0.
    let differing = (elapsed ^ tick) | SLOT_MASK;
    let highest = 63 - differing.leading_zeros();
    let level = ((highest / BITS) as usize).min(LEVELS - 1);
    let slot = ((tick >> (level as u32 * BITS)) & SLOT_MASK) as usize;
    level * SLOTS + slot
}

/// The next occupied slot of `level` (`occupied` has a bit per slot) and the tick at which
/// it comes due, seen from `elapsed`.
pub(super) fn next_in_level(level: usize, occupied: u64, elapsed: u64) -> Option<(usize, u64)> {
    if occupied == 0 {
        return None;
    }
    let shift = level as u32 * BITS;
    let position = (elapsed >> shift) & SLOT_MASK;
    // Below the top level an occupied slot always lies ahead of `position` (a timer is
    // placed by a digit larger than elapsed's, and a slot is emptied as time reaches it).
    // At the top level a far timer may sit at or behind it, in the next cycle: search
    // the slots after `position` first, wrapping, and `position` itself last.
    let ahead = occupied & !(1 << position);
    let slot = if ahead == 0 {
        position
    } else {
        // Rotate the current slot to bit 0, so the lowest set bit is the next slot.
        let offset = u64::from(ahead.rotate_right(position as u32).trailing_zeros());
        (position + offset) & SLOT_MASK
    };
    let slot_width = 1u64 << shift;
    let level_width = slot_width << BITS;
    let level_start = elapsed & !(level_width - 1);
    let mut due = level_start + slot * slot_width;
    if slot <= position {
        due = due.saturating_add(level_width);
    }
    Some((slot as usize, due))
}

/// The lowest occupied level's next slot: `(list index, due tick)`. A timer in a higher
/// level is always later than every timer in a lower one, so the first level with
/// anything in it holds the next thing to do.
pub(super) fn next_due(occupied: &[u64; LEVELS], elapsed: u64) -> Option<(usize, u64)> {
    occupied.iter().enumerate().find_map(|(level, &bits)| {
        next_in_level(level, bits, elapsed).map(|(slot, due)| (level * SLOTS + slot, due))
    })
}
