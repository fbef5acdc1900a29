//! Keys and the table that issues them: the one naming scheme behind reactor tokens, task
//! ids and timer ids.
//!
//! A [`KeyTable`] stores values at `u32` indices and gives each new occupant of an index
//! the next *generation* of that index. A [`Key`] is the pair, so a key kept after its
//! value was removed (an event still in the backend's batch, a waker of a finished task,
//! the id a fired `Sleep` still holds) finds another generation at its index, or nothing,
//! and the lookup fails. Generations count per index and never wrap: an index that has had
//! its last generation is *retired*, kept empty for good. So no key is ever issued twice,
//! at the price of one empty entry per four billion occupants of one index.
//!
//! Finding a value by key (every event, every task poll, every timer refresh) is one
//! bounds check, one variant check and one generation compare.

use std::ops::{Index, IndexMut};

/// The last generation an index can have; the index is retired when that occupant leaves.
/// `u32::MAX` is never a generation, so no issued key equals [`Key::NONE`].
const LAST_GENERATION: u32 = u32::MAX - 1;

/// One past the last index: `u32::MAX` is never an index, so structures linked by index
/// may use it as "none", and [`Key::NONE`] names nothing in any table.
const INDEX_LIMIT: u32 = u32::MAX;

/// An entry's name in a [`KeyTable`]: its index and which occupant of that index it is.
///
/// Packs losslessly into a `u64` ([`to_u64`](Key::to_u64)): the index in the low half,
/// the generation in the high half. That is what travels as an epoll token, a task id on
/// the run queues and in wakers, and a timer id in a `Sleep`.
///
/// # What a repeated key would mean
///
/// A table never issues a key twice (generations do not wrap; see the module doc). Were a
/// key to come back, each user would suffer differently:
///
/// * **reactor tokens**: an event still queued for a closed source would mark the source
///   registered next at that index ready — a spurious readiness hint, which the next
///   operation's `WouldBlock` clears.
/// * **task ids**: a waker kept from a finished task would poll whichever task holds that
///   index now — a spurious poll, which every future tolerates.
/// * **timer ids**: a fired `Sleep` still holding its id could cancel another task's
///   timer, and that task would never wake — the one outcome that is a real bug, and the
///   reason generations retire rather than wrap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Key {
    index: u32,
    generation: u32,
}

impl Key {
    /// A key no table issues (index and generation `u32::MAX`), packed as `u64::MAX`. The
    /// reactor registers its doorbell under it (`Token::NOTIFY`), the executor queues
    /// `block_on`'s own future under it, and a timer that found its table full gets it.
    pub(crate) const NONE: Key = Key {
        index: u32::MAX,
        generation: u32::MAX,
    };

    /// The index in its table.
    #[inline]
    pub(crate) const fn index(self) -> u32 {
        self.index
    }

    /// The key as one `u64`: generation in the high half, index in the low half.
    #[inline]
    pub(crate) const fn to_u64(self) -> u64 {
        ((self.generation as u64) << 32) | self.index as u64
    }

    /// The inverse of [`to_u64`](Key::to_u64); every `u64` is some key (one that names
    /// nothing simply finds nothing).
    #[inline]
    pub(crate) const fn from_u64(bits: u64) -> Key {
        Key {
            index: bits as u32,
            generation: (bits >> 32) as u32,
        }
    }
}

/// One index of a [`KeyTable`].
#[derive(Debug)]
enum Entry<T> {
    /// A live value and its generation.
    Occupied { generation: u32, value: T },
    /// A free index: its next occupant gets `generation`; `next_free` is the next free
    /// index (the table's length when this is the last one).
    Vacant { generation: u32, next_free: u32 },
    /// An index that had its last occupant: never used again.
    Retired,
}

/// Values stored under [`Key`]s that are never issued twice.
///
/// Free indices are reused most recently freed first (the entry is likely still in cache);
/// at most `u32::MAX` indices exist, and [`vacant_entry`](KeyTable::vacant_entry) says
/// `None` when all of them are taken or retired, rather than issue a key that would not
/// fit in 32 bits.
#[derive(Debug)]
pub(crate) struct KeyTable<T> {
    entries: Vec<Entry<T>>,
    /// The most recently freed index, or `entries.len()` when none is free.
    first_free: u32,
    /// How many entries are occupied.
    len: usize,
    /// One past the highest index this table may use: `INDEX_LIMIT`, lower in tests.
    #[cfg(test)]
    limit: u32,
}

/// A free index of a [`KeyTable`], reserved until [`insert`](VacantEntry::insert) fills
/// it; dropping it leaves the table unchanged.
pub(crate) struct VacantEntry<'a, T> {
    table: &'a mut KeyTable<T>,
    key: Key,
    next_free: u32,
}

impl<T> VacantEntry<'_, T> {
    /// The key the value inserted here gets.
    #[inline]
    pub(crate) fn key(&self) -> Key {
        self.key
    }

    /// Stores `value` under [`key`](VacantEntry::key).
    #[inline]
    pub(crate) fn insert(self, value: T) -> Key {
        let Key { index, generation } = self.key;
        let occupied = Entry::Occupied { generation, value };
        let table = self.table;
        if index as usize == table.entries.len() {
            table.entries.push(occupied);
        } else {
            table.entries[index as usize] = occupied;
        }
        table.first_free = self.next_free;
        table.len += 1;
        self.key
    }
}

impl<T> KeyTable<T> {
    /// An empty table.
    pub(crate) const fn new() -> KeyTable<T> {
        KeyTable {
            entries: Vec::new(),
            first_free: 0,
            len: 0,
            #[cfg(test)]
            limit: INDEX_LIMIT,
        }
    }

    /// Test hook: an empty table that uses at most `limit` indices.
    #[cfg(test)]
    pub(crate) fn with_index_limit(limit: u32) -> KeyTable<T> {
        KeyTable {
            limit,
            ..KeyTable::new()
        }
    }

    /// One past the highest index this table may use.
    #[inline]
    fn limit(&self) -> u32 {
        #[cfg(test)]
        return self.limit;
        #[cfg(not(test))]
        INDEX_LIMIT
    }

    /// The free index the next value goes to, with its key; `None` when every index the
    /// table may use is taken or retired.
    #[inline]
    pub(crate) fn vacant_entry(&mut self) -> Option<VacantEntry<'_, T>> {
        let index = self.first_free;
        let (generation, next_free) = match self.entries.get(index as usize) {
            Some(&Entry::Vacant {
                generation,
                next_free,
            }) => (generation, next_free),
            // `first_free` is a vacant index or the length: this is a new index.
            None if index < self.limit() => (0, index + 1),
            _ => return None,
        };
        Some(VacantEntry {
            table: self,
            key: Key { index, generation },
            next_free,
        })
    }

    /// The value `key` names, if it is still there.
    #[inline]
    pub(crate) fn get(&self, key: Key) -> Option<&T> {
        match self.entries.get(key.index as usize) {
            Some(Entry::Occupied { generation, value }) if *generation == key.generation => {
                Some(value)
            }
            _ => None,
        }
    }

    /// The value `key` names, mutably, if it is still there.
    #[inline]
    pub(crate) fn get_mut(&mut self, key: Key) -> Option<&mut T> {
        match self.entries.get_mut(key.index as usize) {
            Some(Entry::Occupied { generation, value }) if *generation == key.generation => {
                Some(value)
            }
            _ => None,
        }
    }

    /// Takes out the value `key` names, if it is still there; its index gets the next
    /// generation, or is retired.
    #[inline]
    pub(crate) fn remove(&mut self, key: Key) -> Option<T> {
        self.get(key)?;
        self.remove_at(key.index)
    }

    /// Takes out whatever occupies `index` (for structures that link values by index and
    /// know the index is occupied); its index gets the next generation, or is retired.
    pub(crate) fn remove_at(&mut self, index: u32) -> Option<T> {
        let Some(Entry::Occupied { generation, .. }) = self.entries.get(index as usize) else {
            return None;
        };
        let after = if *generation == LAST_GENERATION {
            Entry::Retired
        } else {
            let vacant = Entry::Vacant {
                generation: generation + 1,
                next_free: self.first_free,
            };
            self.first_free = index;
            vacant
        };
        self.len -= 1;
        match std::mem::replace(&mut self.entries[index as usize], after) {
            Entry::Occupied { value, .. } => Some(value),
            // Found occupied above.
            Entry::Vacant { .. } | Entry::Retired => None,
        }
    }

    /// How many values are stored.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Whether no value is stored.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Takes every value out, in index order. Each index moves on to its next generation,
    /// as with [`remove`](KeyTable::remove), so the table may still be used.
    pub(crate) fn drain(&mut self) -> Vec<T> {
        let mut values = Vec::with_capacity(self.len);
        for index in 0..self.entries.len() as u32 {
            values.extend(self.remove_at(index));
        }
        values
    }

    /// Test hook: as if `uses` more values had occupied vacant `index` and been removed.
    #[cfg(test)]
    pub(crate) fn age(&mut self, index: u32, uses: u64) {
        let Some(Entry::Vacant { generation, .. }) = self.entries.get_mut(index as usize) else {
            panic!("index {index} is not vacant");
        };
        let next = u64::from(*generation) + uses;
        if let Ok(next) = u32::try_from(next) {
            if next <= LAST_GENERATION {
                *generation = next;
                return;
            }
        }
        // Retired: unlink it from the free list first.
        let Entry::Vacant {
            next_free: after, ..
        } = self.entries[index as usize]
        else {
            unreachable!("checked vacant above");
        };
        if self.first_free == index {
            self.first_free = after;
        } else {
            let mut at = self.first_free;
            loop {
                let Some(Entry::Vacant { next_free, .. }) = self.entries.get_mut(at as usize)
                else {
                    unreachable!("the free list links only vacant indices");
                };
                if *next_free == index {
                    *next_free = after;
                    break;
                }
                at = *next_free;
            }
        }
        self.entries[index as usize] = Entry::Retired;
    }
}

/// The value at `index`, for structures that link values by index.
///
/// # Panics
/// If `index` is not occupied: such a link is a bug in the structure.
impl<T> Index<u32> for KeyTable<T> {
    type Output = T;

    #[inline]
    fn index(&self, index: u32) -> &T {
        match self.entries.get(index as usize) {
            Some(Entry::Occupied { value, .. }) => value,
            _ => panic!("corio: a link names index {index}, which holds no value"),
        }
    }
}

/// The value at `index`, mutably; panics as [`Index`] does.
impl<T> IndexMut<u32> for KeyTable<T> {
    #[inline]
    fn index_mut(&mut self, index: u32) -> &mut T {
        match self.entries.get_mut(index as usize) {
            Some(Entry::Occupied { value, .. }) => value,
            _ => panic!("corio: a link names index {index}, which holds no value"),
        }
    }
}

#[cfg(test)]
mod tests;
