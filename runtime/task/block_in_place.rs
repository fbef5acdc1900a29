//! `block_in_place`, present only so that tokio code calling it fails to compile with a
//! reason and the alternative, not with "cannot find function".

/// A marker no type implements: [`block_in_place`] requires it of its closure, so a call is
/// a compile error carrying the message below.
#[diagnostic::on_unimplemented(
    message = "corio has no `block_in_place`: a corio runtime runs its tasks on one thread, and blocking it stops them all",
    label = "`block_in_place` would block the runtime's only thread",
    note = "run the blocking work on the pool: `corio::task::spawn_blocking(move || ...).await`"
)]
pub trait BlockInPlace: sealed::Sealed {}

mod sealed {
    /// Keeps [`BlockInPlace`](super::BlockInPlace) unimplemented outside this module.
    pub trait Sealed {}
}

/// tokio's `block_in_place`, which turns a worker of its multi-thread runtime into a
/// blocking thread (tokio's current-thread runtime panics on it). corio's runtime has one
/// thread, so a call does not compile: no closure implements [`BlockInPlace`], and the
/// error names [`spawn_blocking`](super::spawn_blocking) instead.
///
/// ```compile_fail,E0277
/// let n = corio::task::block_in_place(|| 6 * 7); // error: corio has no `block_in_place`
/// ```
pub fn block_in_place<F, R>(f: F) -> R
where
    F: FnOnce() -> R + BlockInPlace,
{
    f()
}
