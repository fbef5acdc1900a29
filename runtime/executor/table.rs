//! The executor's task table: a vector of entries indexed by key, with a free list, and
//! for every key the generation its next occupant gets, so that a task id (key and
//! generation) is never issued twice.
//!
//! Generations count per key and never wrap: once a key has had `u32::MAX` occupants
//! (generations `0..u32::MAX`), it is retired (left as a `Retired` entry for good, off the
//! free list). A waker kept any length of time therefore never finds its id on another
//! task; the price is one empty entry per four billion tasks on one key. The id stays a
//! `u64` (key in the low half, generation in the high half), so the run queues and the
//! wakers carry eight bytes; keys stay below 2^32 because four billion live tasks would
//! not fit in memory. `u32::MAX` itself is never a task's generation, so no task id
//! equals `u64::MAX`, the id `block_on` reserves for its own future.
//!
//! A vacant entry holds its key's next generation itself, and a retired key is a variant
//! of the same entry, so finding a task by id (every poll) is one bounds check, one
//! variant check and one generation compare.

use super::slot::TaskSlot;

/// The last generation a task can get at one key; the key is retired when its task ends.
const LAST_GENERATION: u32 = u32::MAX - 1;

/// The id of the task with generation `generation` at key `key`.
fn pack(key: usize, generation: u32) -> u64 {
    (u64::from(generation) << 32) | key as u64
}

/// The inverse of [`pack`].
fn unpack(id: u64) -> (usize, u32) {
    ((id & 0xffff_ffff) as usize, (id >> 32) as u32)
}

/// One key of the table.
enum Entry {
    /// A live task; its generation is in the slot.
    Occupied(TaskSlot),
    /// A free key: its next occupant gets `generation`; `next_free` is the next free key
    /// (the table's length when this is the last one).
    Vacant { generation: u32, next_free: usize },
    /// A key that had its last occupant: never used again.
    Retired,
}

/// The live tasks of one executor.
pub(super) struct TaskTable {
    entries: Vec<Entry>,
    /// The most recently freed key (reused first), or `entries.len()` when none is free.
    first_free: usize,
    /// How many entries are `Occupied`.
    alive: usize,
}

impl TaskTable {
    /// An empty table.
    pub(super) fn new() -> TaskTable {
        TaskTable {
            entries: Vec::new(),
            first_free: 0,
            alive: 0,
        }
    }

    /// Stores the task that `make(id, generation)` builds at a free key; returns its id
    /// and what else `make` returned. If `make` panics the table is unchanged.
    pub(super) fn insert<R>(&mut self, make: impl FnOnce(u64, u32) -> (TaskSlot, R)) -> (u64, R) {
        let key = self.first_free;
        let (generation, next_free) = match self.entries.get(key) {
            Some(&Entry::Vacant {
                generation,
                next_free,
            }) => (generation, next_free),
            // `first_free` is a vacant key or the length: this is a new key.
            _ => (0, key + 1),
        };
        let (slot, made) = make(pack(key, generation), generation);
        if key == self.entries.len() {
            self.entries.push(Entry::Occupied(slot));
        } else {
            self.entries[key] = Entry::Occupied(slot);
        }
        self.first_free = next_free;
        self.alive += 1;
        (pack(key, generation), made)
    }

    /// Task `id`, if it is still alive (`None` for a late wake of a finished task).
    #[inline]
    pub(super) fn get(&self, id: u64) -> Option<&TaskSlot> {
        let (key, generation) = unpack(id);
        match self.entries.get(key) {
            Some(Entry::Occupied(slot)) if slot.generation == generation => Some(slot),
            _ => None,
        }
    }

    /// Takes task `id` out; its key gets the next generation, or is retired.
    pub(super) fn remove(&mut self, id: u64) -> Option<TaskSlot> {
        self.get(id)?;
        let (key, generation) = unpack(id);
        let after = if generation == LAST_GENERATION {
            Entry::Retired
        } else {
            let vacant = Entry::Vacant {
                generation: generation + 1,
                next_free: self.first_free,
            };
            self.first_free = key;
            vacant
        };
        self.alive -= 1;
        match std::mem::replace(&mut self.entries[key], after) {
            Entry::Occupied(slot) => Some(slot),
            // `get` found it occupied above.
            Entry::Vacant { .. } | Entry::Retired => None,
        }
    }

    /// How many tasks are alive.
    pub(super) fn len(&self) -> usize {
        self.alive
    }

    /// Takes every task out, in key order, for the executor's drop: the table is not used
    /// afterwards (reusing it could issue an id twice).
    pub(super) fn drain(&mut self) -> Vec<TaskSlot> {
        self.alive = 0;
        self.first_free = 0;
        std::mem::take(&mut self.entries)
            .into_iter()
            .filter_map(|entry| match entry {
                Entry::Occupied(slot) => Some(slot),
                Entry::Vacant { .. } | Entry::Retired => None,
            })
            .collect()
    }

    /// Test hook: as if `tasks` more tasks had taken vacant key `key` and finished.
    #[cfg(test)]
    pub(super) fn pretend_spawned_and_finished(&mut self, key: usize, tasks: u64) {
        let Some(Entry::Vacant {
            generation,
            next_free,
        }) = self.entries.get_mut(key)
        else {
            panic!("key {key} is not vacant");
        };
        let next = u64::from(*generation) + tasks;
        if next <= u64::from(LAST_GENERATION) {
            *generation = next as u32;
            return;
        }
        assert_eq!(self.first_free, key, "retire the most recently freed key");
        self.first_free = *next_free;
        self.entries[key] = Entry::Retired;
    }
}
