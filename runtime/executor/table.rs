//! The executor's task table: the live tasks in a [`KeyTable`], found by task id.
//!
//! A task id is the task's [`Key`] packed into a `u64` (index in the low half, generation
//! in the high half), so the run queues and the wakers carry eight bytes; it is converted
//! back only here. The table never issues a key twice (`key.rs`), so a waker kept any
//! length of time never finds its id on another task, and no task id equals `u64::MAX`
//! ([`Key::NONE`]), the id `block_on` reserves for its own future.

use super::task::Task;
use crate::key::{Key, KeyTable};

/// The live tasks of one executor.
pub(super) struct TaskTable {
    tasks: KeyTable<Task>,
}

impl TaskTable {
    /// An empty table.
    pub(super) fn new() -> TaskTable {
        TaskTable {
            tasks: KeyTable::new(),
        }
    }

    /// Stores the task that `make(id)` builds; returns its id and what else `make`
    /// returned. If `make` panics the table is unchanged. `None`, without calling `make`,
    /// when the table has no index left (`u32::MAX` of them live or retired).
    pub(super) fn insert<R>(&mut self, make: impl FnOnce(u64) -> (Task, R)) -> Option<(u64, R)> {
        let entry = self.tasks.vacant_entry()?;
        let id = entry.key().to_u64();
        let (task, made) = make(id);
        entry.insert(task);
        Some((id, made))
    }

    /// Task `id`, if it is still alive (`None` for a late wake of a finished task).
    #[inline]
    pub(super) fn get(&self, id: u64) -> Option<&Task> {
        self.tasks.get(Key::from_u64(id))
    }

    /// Takes task `id` out; its index gets the next generation, or is retired.
    pub(super) fn remove(&mut self, id: u64) -> Option<Task> {
        self.tasks.remove(Key::from_u64(id))
    }

    /// How many tasks are alive.
    pub(super) fn len(&self) -> usize {
        self.tasks.len()
    }

    /// Takes every task out, in index order, for the executor's drop.
    pub(super) fn drain(&mut self) -> Vec<Task> {
        self.tasks.drain()
    }

    /// Test hook: as if `tasks` more tasks had taken vacant index `index` and finished.
    #[cfg(test)]
    pub(super) fn pretend_spawned_and_finished(&mut self, index: usize, tasks: u64) {
        let index = u32::try_from(index).expect("a table index fits in 32 bits");
        self.tasks.age(index, tasks);
    }
}
