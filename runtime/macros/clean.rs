//! `__select_clean!`: the copy of a `select!` pattern that tests an output by reference.
//!
//! `select!` must know whether an output matches its branch's pattern before it leaves
//! the poll loop, without consuming the output (the handler binds it later, by value). It
//! tests `&output` against the pattern; there, default binding modes bind by reference,
//! but an explicit `mut x` or `ref x` would try to move out of the reference, and an
//! explicit `&` pattern is an error in edition 2024. This macro drops `mut`, `ref`, `&`
//! and `&&` everywhere in the pattern except inside macro calls. Dropping a reference
//! pattern keeps the test the same: a reference always matches its `&`, and default
//! binding modes look through the reference to test what is inside.

/// A branch's pattern without `ref`, `mut`, `&` and `&&` (also inside groups, but not
/// inside macro calls), wrapped in parentheses: `select!` tests an output against it
/// through a reference. Walks the tokens with an explicit stack of the groups it is in.
#[doc(hidden)]
#[macro_export]
macro_rules! __select_clean {
    (@ [$($out:tt)*] []) => { ($($out)*) };
    (@ [$($out:tt)*] [(p [$($up:tt)*] [$($after:tt)*]) $($stack:tt)*]) => {
        $crate::__select_clean!(@ [$($up)* ($($out)*)] [$($stack)*] $($after)*)
    };
    (@ [$($out:tt)*] [(b [$($up:tt)*] [$($after:tt)*]) $($stack:tt)*]) => {
        $crate::__select_clean!(@ [$($up)* [$($out)*]] [$($stack)*] $($after)*)
    };
    (@ [$($out:tt)*] [(c [$($up:tt)*] [$($after:tt)*]) $($stack:tt)*]) => {
        $crate::__select_clean!(@ [$($up)* {$($out)*}] [$($stack)*] $($after)*)
    };
    (@ $out:tt $stack:tt ref mut $($rest:tt)*) => {
        $crate::__select_clean!(@ $out $stack $($rest)*)
    };
    (@ $out:tt $stack:tt ref $($rest:tt)*) => {
        $crate::__select_clean!(@ $out $stack $($rest)*)
    };
    (@ $out:tt $stack:tt mut $($rest:tt)*) => {
        $crate::__select_clean!(@ $out $stack $($rest)*)
    };
    (@ $out:tt $stack:tt & $($rest:tt)*) => {
        $crate::__select_clean!(@ $out $stack $($rest)*)
    };
    (@ $out:tt $stack:tt && $($rest:tt)*) => {
        $crate::__select_clean!(@ $out $stack $($rest)*)
    };
    (@ [$($out:tt)*] $stack:tt $mac:ident ! $args:tt $($rest:tt)*) => {
        $crate::__select_clean!(@ [$($out)* $mac ! $args] $stack $($rest)*)
    };
    (@ $out:tt [$($stack:tt)*] ($($inner:tt)*) $($rest:tt)*) => {
        $crate::__select_clean!(@ [] [(p $out [$($rest)*]) $($stack)*] $($inner)*)
    };
    (@ $out:tt [$($stack:tt)*] [$($inner:tt)*] $($rest:tt)*) => {
        $crate::__select_clean!(@ [] [(b $out [$($rest)*]) $($stack)*] $($inner)*)
    };
    (@ $out:tt [$($stack:tt)*] {$($inner:tt)*} $($rest:tt)*) => {
        $crate::__select_clean!(@ [] [(c $out [$($rest)*]) $($stack)*] $($inner)*)
    };
    (@ [$($out:tt)*] $stack:tt $token:tt $($rest:tt)*) => {
        $crate::__select_clean!(@ [$($out)* $token] $stack $($rest)*)
    };
    ($($pat:tt)*) => {
        $crate::__select_clean!(@ [] [] $($pat)*)
    };
}
