//! The executor's task table: a slab of task slots, and for every slab key the generation
//! its next occupant gets, so that a task id (key and generation) is never issued twice.
//!
//! Generations count per key and never wrap: once a key has had `u32::MAX` occupants
//! (generations `0..u32::MAX`), it is retired (left occupied by an empty entry for good).
//! A waker kept any length of time therefore never finds its id on another task; the
//! price is one empty entry per four billion tasks on one key. The id stays a `u64` (key
//! in the low half, generation in the high half), so the run queues and the wakers carry
//! eight bytes; keys stay below 2^32 because four billion live tasks would not fit in
//! memory. `u32::MAX` itself is never a task's generation, so no task id equals
//! `u64::MAX`, the id `block_on` reserves for its own future.

use slab::Slab;

use super::slot::TaskSlot;

/// The last generation a task can get at one key; the key is retired when its task ends.
const LAST_GENERATION: u32 = u32::MAX - 1;

/// The id of the task with generation `generation` at slab key `key`.
fn pack(key: usize, generation: u32) -> u64 {
    (u64::from(generation) << 32) | key as u64
}

/// The inverse of [`pack`].
fn unpack(id: u64) -> (usize, u32) {
    ((id & 0xffff_ffff) as usize, (id >> 32) as u32)
}

/// The live tasks of one executor.
pub(super) struct TaskTable {
    /// `None` marks a retired key.
    slots: Slab<Option<TaskSlot>>,
    /// For each key, the generation of its occupant, or of the next one while vacant.
    generations: Vec<u32>,
    /// How many keys are retired.
    retired: usize,
}

impl TaskTable {
    /// An empty table.
    pub(super) fn new() -> TaskTable {
        TaskTable {
            slots: Slab::new(),
            generations: Vec::new(),
            retired: 0,
        }
    }

    /// Stores the task that `make(id, generation)` builds at a free key; returns its id
    /// and what else `make` returned.
    pub(super) fn insert<R>(&mut self, make: impl FnOnce(u64, u32) -> (TaskSlot, R)) -> (u64, R) {
        let entry = self.slots.vacant_entry();
        let key = entry.key();
        if key >= self.generations.len() {
            self.generations.resize(key + 1, 0);
        }
        let generation = self.generations[key];
        let id = pack(key, generation);
        let (slot, made) = make(id, generation);
        entry.insert(Some(slot));
        (id, made)
    }

    /// Task `id`, if it is still alive (`None` for a late wake of a finished task).
    #[inline]
    pub(super) fn get(&self, id: u64) -> Option<&TaskSlot> {
        let (key, generation) = unpack(id);
        match self.slots.get(key) {
            Some(Some(slot)) if slot.generation == generation => Some(slot),
            _ => None,
        }
    }

    /// Takes task `id` out; its key gets the next generation, or is retired.
    pub(super) fn remove(&mut self, id: u64) -> Option<TaskSlot> {
        self.get(id)?;
        let (key, generation) = unpack(id);
        if generation == LAST_GENERATION {
            self.retired += 1;
            return self.slots[key].take();
        }
        self.generations[key] = generation + 1;
        self.slots.remove(key)
    }

    /// How many tasks are alive.
    pub(super) fn len(&self) -> usize {
        self.slots.len() - self.retired
    }

    /// Takes every task out, for the executor's drop: the table is not used afterwards
    /// (reusing it could issue an id twice).
    pub(super) fn drain(&mut self) -> Vec<TaskSlot> {
        self.retired = 0;
        self.generations.clear();
        self.slots.drain().flatten().collect()
    }

    /// Test hook: as if `tasks` more tasks had taken vacant key `key` and finished.
    #[cfg(test)]
    pub(super) fn pretend_spawned_and_finished(&mut self, key: usize, tasks: u64) {
        assert!(!self.slots.contains(key), "key {key} is not vacant");
        let next = u64::from(self.generations[key]) + tasks;
        if next <= u64::from(LAST_GENERATION) {
            self.generations[key] = next as u32;
            return;
        }
        let entry = self.slots.vacant_entry();
        assert_eq!(entry.key(), key, "retire the most recently freed key");
        entry.insert(None);
        self.retired += 1;
    }
}
