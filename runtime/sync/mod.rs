//! Coordination between tasks, and between tasks and threads.
//!
//! So far: [`oneshot`], a single value sent once, from any thread. (The tutorials' Event,
//! Lock, Semaphore and Queue counterparts come next.)

pub mod oneshot;
