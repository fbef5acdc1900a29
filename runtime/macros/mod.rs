//! tokio's declarative macros, written as `macro_rules!` (no proc-macro): [`select!`],
//! [`join!`], [`try_join!`] and [`pin!`], exported at the crate root
//! (`corio::select!`, ...).
//!
//! | file | macros |
//! |---|---|
//! | `select.rs` | `select!`; `__select_parse!` (branches to records), `__select_expand!` |
//! | `clean.rs` | `__select_clean!`: a pattern without `ref`, `mut`, `&`, to test an output by reference |
//! | `join.rs` | `join!`, `try_join!`; `__join_parse!`, `__join_expand!`, `__join_start!` |
//! | `pin.rs` | `pin!` over [`core::pin::pin!`] |
//! | `support.rs` | what expansions call, as `corio::__private`: `random_below`, `MaybeDone`, `poll_try`, `take_ok` |
//!
//! The `__`-prefixed macros are exported too, because an expansion in a user's crate
//! names them by `$crate::` path; they are hidden from the docs and are not API.
//!
//! [`select!`]: crate::select!
//! [`join!`]: crate::join!
//! [`try_join!`]: crate::try_join!
//! [`pin!`]: crate::pin!

mod clean;
mod join;
mod pin;
mod select;
pub mod support;
