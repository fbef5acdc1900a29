//! `Key` packing and `KeyTable`'s promise: a key is never issued twice, and a full table
//! says so instead of issuing a key that does not fit.

use super::{Key, KeyTable, LAST_GENERATION};

/// Inserts `value` at the table's next free index.
fn put(table: &mut KeyTable<u32>, value: u32) -> Key {
    table.vacant_entry().expect("a free index").insert(value)
}

#[test]
fn a_key_round_trips_through_u64_with_index_low_and_generation_high() {
    for (index, generation) in [(0, 0), (7, 1), (u32::MAX - 1, LAST_GENERATION), (12345, 99)] {
        let key = Key { index, generation };
        let bits = key.to_u64();
        assert_eq!(bits, (u64::from(generation) << 32) | u64::from(index));
        assert_eq!(Key::from_u64(bits), key);
    }
    assert_eq!(Key::NONE.to_u64(), u64::MAX);
    assert_eq!(Key::from_u64(u64::MAX), Key::NONE);
}

#[test]
fn a_removed_key_finds_nothing_and_its_index_gets_the_next_generation() {
    let mut table = KeyTable::new();
    let a = put(&mut table, 1);
    let b = put(&mut table, 2);
    assert_eq!((a.index, a.generation), (0, 0));
    assert_eq!((b.index, b.generation), (1, 0));
    assert_eq!(table.remove(a), Some(1));
    assert_eq!(table.remove(a), None, "removed twice");
    assert_eq!(table.get(a), None);
    let c = put(&mut table, 3);
    assert_eq!(
        (c.index, c.generation),
        (0, 1),
        "index 0 reused, next generation"
    );
    assert_eq!(table.get(a), None, "the old key names the new occupant");
    assert_eq!(table.get(c), Some(&3));
    assert_eq!(table.get(b), Some(&2));
    assert_eq!(table.len(), 2);
}

#[test]
fn the_most_recently_freed_index_is_reused_first() {
    let mut table = KeyTable::new();
    let keys: Vec<Key> = (0..4).map(|v| put(&mut table, v)).collect();
    table.remove(keys[1]);
    table.remove(keys[3]);
    assert_eq!(put(&mut table, 10).index(), 3);
    assert_eq!(put(&mut table, 11).index(), 1);
    assert_eq!(
        put(&mut table, 12).index(),
        4,
        "no free index left: a new one"
    );
}

#[test]
fn an_index_is_retired_after_its_last_generation_and_never_reissued() {
    let mut table = KeyTable::new();
    let first = put(&mut table, 1);
    table.remove(first);
    // Every generation but the last has come and gone at index 0.
    table.age(0, u64::from(LAST_GENERATION) - 1);
    let last = put(&mut table, 2);
    assert_eq!((last.index, last.generation), (0, LAST_GENERATION));
    assert_eq!(table.remove(last), Some(2));
    let next = put(&mut table, 3);
    assert_eq!(next.index(), 1, "a retired index is not reused");
    assert_eq!(table.get(first), None);
    assert_eq!(table.get(last), None);
    assert_eq!(table.len(), 1);
}

#[test]
fn ageing_past_the_last_generation_retires_an_index_deep_in_the_free_list() {
    let mut table = KeyTable::new();
    let keys: Vec<Key> = (0..3).map(|v| put(&mut table, v)).collect();
    for key in &keys {
        table.remove(*key);
    }
    // Free list: 2, 1, 0. Retire 1, in the middle.
    table.age(1, 1 << 32);
    let indices: Vec<u32> = (0..3).map(|v| put(&mut table, v).index()).collect();
    assert_eq!(indices, [2, 0, 3]);
}

#[test]
fn a_full_table_gives_no_key_and_stays_usable() {
    let mut table = KeyTable::with_index_limit(2);
    let a = put(&mut table, 1);
    put(&mut table, 2);
    assert!(
        table.vacant_entry().is_none(),
        "a third index in a table of two"
    );
    table.remove(a);
    assert_eq!(
        put(&mut table, 3).index(),
        0,
        "a freed index is usable again"
    );
    assert!(table.vacant_entry().is_none());
}

#[test]
fn a_vacant_entry_dropped_unused_leaves_the_table_unchanged() {
    let mut table = KeyTable::new();
    let reserved = table.vacant_entry().unwrap().key();
    assert!(table.is_empty());
    assert_eq!(put(&mut table, 1), reserved);
}

#[test]
fn drain_takes_values_in_index_order_and_no_drained_key_comes_back() {
    let mut table = KeyTable::new();
    let keys: Vec<Key> = (0..3).map(|v| put(&mut table, v * 10)).collect();
    table.remove(keys[1]);
    assert_eq!(table.drain(), [0, 20]);
    assert!(table.is_empty());
    let again: Vec<Key> = (0..3).map(|v| put(&mut table, v)).collect();
    for key in &keys {
        assert!(!again.contains(key), "{key:?} issued twice");
    }
}
