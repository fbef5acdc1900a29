//! What a task is, for people: its name (if given) and where it was spawned. Recorded
//! once at spawn (`#[track_caller]` makes `Location::caller()` the user's line, at no
//! cost beyond a pointer), read only when something is reported about the task.

use std::fmt;
use std::panic::Location;

/// A task's name and spawn site.
#[derive(Debug)]
pub(crate) struct TaskMeta {
    pub(crate) name: Option<Box<str>>,
    pub(crate) location: &'static Location<'static>,
}

impl TaskMeta {
    /// The task at `location`, named or not.
    pub(crate) fn new(name: Option<&str>, location: &'static Location<'static>) -> TaskMeta {
        TaskMeta {
            name: name.map(Box::from),
            location,
        }
    }
}

impl fmt::Display for TaskMeta {
    /// `task "name" spawned at src/main.rs:10:5`, or without the name part.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(name) => write!(f, "task {name:?}")?,
            None => f.write_str("task")?,
        }
        write!(f, " spawned at {}", self.location)
    }
}
