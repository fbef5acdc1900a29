//! `select!`: wait on several futures in one task, run the handler of the first to finish.
//!
//! The expansion, for branches `p_k = f_k, if c_k => h_k`:
//! 1. every `c_k` is evaluated (in order) into a bool; then, in order, each branch's
//!    `f_k` is evaluated and turned into a future, pinned on the stack in an `Option`
//!    (`None` for a disabled branch: as on tokio, its future is made but never polled);
//! 2. a `poll_fn` polls the live futures, starting at a random branch (branch 0 with
//!    `biased;`); a completed future whose output does not match `p_k` (checked through
//!    a reference, against `p_k` without `ref`/`mut`/`&` from `__select_clean!`) is dropped
//!    and its branch disabled; the first match leaves as `__SelectOut::_k(output)`, and
//!    "every branch disabled" leaves as `__SelectOut::Disabled`;
//! 3. the futures' block ends (the losers are dropped), then a plain `match` binds `p_k`
//!    and runs `h_k` in the caller's own function, so `return`, `?`, `break` and
//!    `continue` there mean what they mean around the macro.
//!
//! Parsing is a tt-muncher (`__select_parse!`) that takes one name from a list of 64
//! (`_0` .. `_63`) per branch: the names are the variants of the generated output enum
//! and the locals that hold the futures. A step finds the `=` after a pattern of up to
//! four token trees (`Event::Key(k)` is four: `Event`, `::`, `Key`, `(k)`) and parses
//! the rest of the branch, so such a branch costs one step of the compiler's macro
//! recursion limit (128); a longer pattern costs one more step per five more tokens.

/// Waits on several futures at once in the current task and runs the handler of the first
/// one to complete; the others are dropped (cancelled).
///
/// ```text
/// corio::select! {
///     <pattern> = <async expression> (, if <precondition>)? => <handler>,
///     ...
///     (else => <expression>)?
/// }
/// ```
///
/// The syntax and behaviour are tokio's, in this order:
/// 1. Each `<precondition>` is evaluated; a branch whose precondition is `false` is
///    disabled for this call.
/// 2. The `<async expression>` of every branch is evaluated, in order, and turned into a
///    future ([`IntoFuture`](std::future::IntoFuture)); the futures are pinned on the
///    stack of the current task. A disabled branch's future is made (so an expression
///    guarded by the precondition must still be valid to evaluate) but never polled.
/// 3. The futures are polled concurrently, on this task. Each poll starts at a randomly
///    chosen branch, so that a branch that is always ready cannot starve the others;
///    with `biased;` as the first token, branches are polled in the order written.
/// 4. When a future completes, its output is matched against the branch's `<pattern>`.
///    On a match, every other future is dropped, then the `<handler>` runs with the
///    pattern's bindings, and its value is the value of `select!`. On a mismatch that
///    branch is disabled and waiting goes on with the others.
/// 5. If every branch is disabled (by precondition or by mismatch), the `else` expression
///    is the value of `select!`; with no `else` branch, `select!` panics with "all branches
///    are disabled and there is no else branch".
///
/// The handlers run in the caller's function, after the futures are dropped: `return`,
/// `?`, `break` and `continue` in a handler act on the enclosing function or loop, and a
/// handler may use what the futures borrowed (the channel `recv` borrowed, say). Every
/// handler and the `else` expression give the same type. `select!` awaits, so it is used
/// in an `async` context.
///
/// At most 64 branches, as tokio. A pattern longer than four token trees (`Event::Key(k)`
/// is four: `Event`, `::`, `Key`, `(k)`) uses more of the compiler's macro recursion
/// limit, so about 50 branches with patterns like `a::b::C::D(x)` fit; a crate that needs
/// more can raise it with `#![recursion_limit = "256"]`.
///
/// ```
/// use std::time::Duration;
/// use corio::sync::mpsc;
///
/// corio::block_on(async {
///     let (tx, mut rx) = mpsc::channel::<u32>(8);
///     corio::spawn(async move {
///         for n in 1..=3 {
///             tx.send(n).await.unwrap();
///         }
///     });
///     let mut sum = 0;
///     let deadline = corio::time::sleep(Duration::from_secs(5));
///     corio::pin!(deadline);
///     loop {
///         corio::select! {
///             // `None` (channel closed) does not match: the branch is disabled.
///             Some(n) = rx.recv() => sum += n,
///             _ = &mut deadline => panic!("timed out"),
///             else => break, // only reached if both branches are disabled
///         }
///         if sum == 6 {
///             break;
///         }
///     }
///     assert_eq!(sum, 6);
/// });
/// ```
///
/// A precondition turns a branch off, for example once its future has completed:
///
/// ```
/// corio::block_on(async {
///     let (tx, rx) = corio::sync::oneshot::channel::<&str>();
///     tx.send("done").unwrap();
///     let mut rx = rx;
///     let mut done = false;
///     let mut got = Vec::new();
///     loop {
///         corio::select! {
///             // Once `done`, the finished receiver is never polled again.
///             msg = &mut rx, if !done => {
///                 got.push(msg.unwrap());
///                 done = true;
///             }
///             else => break,
///         }
///     }
///     assert_eq!(got, ["done"]);
/// });
/// ```
///
/// # Cancellation safety
///
/// When one branch wins, the futures of the others are dropped wherever they were
/// suspended. In a loop, that happens to every loser on every turn, so each of them must
/// lose nothing when dropped half-way; such futures are *cancellation safe*. Each
/// method's documentation says whether it is; in short:
///
/// - **Cancellation safe** (dropping them loses nothing; call them again next turn):
///   `mpsc::Receiver::recv` and `UnboundedReceiver::recv` (a message is taken from the
///   queue only by the poll that returns it), `broadcast::Receiver::recv`,
///   `watch::Receiver::changed`, `oneshot::Receiver` awaited by reference (`&mut rx`),
///   `TcpListener::accept` and `UnixListener::accept` (a connection is accepted only by
///   the poll that returns it), `UdpSocket::recv` and `recv_from`, `AsyncReadExt::read`
///   and `AsyncWriteExt::write` (one system call, done only by the poll that returns
///   `Ready`), `signal::unix::Signal::recv`, `time::sleep` and `Interval::tick`.
/// - **Not cancellation safe**, data may be lost: `AsyncReadExt::read_exact`,
///   `read_to_end` and the other methods that loop over several reads (bytes already
///   read into the buffer are in it, but the count is lost with the future);
///   `AsyncWriteExt::write_all` (a prefix may have been sent); `mpsc::Sender::send` (the
///   value is dropped with the future; use `reserve` then send, or keep the value).
/// - **Lose their place in a queue**: `Mutex::lock`, `RwLock::read` and `write`,
///   `Semaphore::acquire` and `Notify::notified` are served in arrival order; a dropped
///   wait leaves nothing behind, but calling again queues at the back.
///
/// To run a not-cancellation-safe operation across turns of a loop, create its future
/// once before the loop, [`pin!`](crate::pin!) it, and select on `&mut fut`: the same
/// future then resumes every turn instead of restarting.
#[macro_export]
macro_rules! select {
    ($($input:tt)*) => {
        $crate::__select_parse!(@start $($input)*)
    };
}

/// Parses `select!`'s branches into `{ name [pattern] future [precondition?] handler }`
/// records, then hands them to `__select_expand!`.
#[doc(hidden)]
#[macro_export]
macro_rules! __select_parse {
    // ---- entry: `biased;`, and the list of branch names -----------------------------
    (@start biased; $($rest:tt)*) => {
        $crate::__select_parse!(@names true $($rest)*)
    };
    (@start $($rest:tt)*) => {
        $crate::__select_parse!(@names false $($rest)*)
    };
    (@names $biased:tt $($rest:tt)*) => {
        $crate::__select_parse!(@branch $biased [
            _0 _1 _2 _3 _4 _5 _6 _7 _8 _9 _10 _11 _12 _13 _14 _15 _16 _17 _18 _19 _20 _21
            _22 _23 _24 _25 _26 _27 _28 _29 _30 _31 _32 _33 _34 _35 _36 _37 _38 _39 _40 _41
            _42 _43 _44 _45 _46 _47 _48 _49 _50 _51 _52 _53 _54 _55 _56 _57 _58 _59 _60 _61
            _62 _63
        ] [] [] $($rest)*)
    };

    // ---- the end: no `else`, or a final `else` ----------------------------------------
    (@branch $biased:tt $names:tt [] [] $(,)?) => {
        ::core::compile_error!("select! needs at least one `<pattern> = <future> => <handler>` branch")
    };
    (@branch $biased:tt $names:tt [] [] else => $($rest:tt)*) => {
        ::core::compile_error!("select! needs at least one `<pattern> = <future> => <handler>` branch before `else`")
    };
    (@branch $biased:tt $names:tt [$($done:tt)+] []) => {
        $crate::__select_expand!($biased (
            ::core::panic!("all branches are disabled and there is no else branch")
        ) $($done)+)
    };
    (@branch $biased:tt $names:tt [$($done:tt)+] [] else => $else:expr $(,)?) => {
        $crate::__select_expand!($biased ($else) $($done)+)
    };
    (@branch $biased:tt $names:tt $done:tt [] else => $($rest:tt)*) => {
        ::core::compile_error!("select!: `else => <expression>` must be the last branch")
    };
    (@branch $biased:tt [] $done:tt [] $($rest:tt)+) => {
        ::core::compile_error!("select! takes at most 64 branches")
    };

    // ---- a branch whose `=` is 0 to 4 token trees ahead -------------------------------
    // Each of the five positions comes with the three handler forms: `expr,`, a block
    // with no comma, and a last `expr` with nothing after it.
    (@branch $biased:tt [$name:ident $($names:tt)*] [$($done:tt)*] [$($pat:tt)*]
        = $fut:expr $(, if $cond:expr)? => $handler:expr, $($rest:tt)*) => {
        $crate::__select_parse!(@branch $biased [$($names)*]
            [$($done)* { $name [$($pat)*] $fut [$($cond)?] $handler }] [] $($rest)*)
    };
    (@branch $biased:tt [$name:ident $($names:tt)*] [$($done:tt)*] [$($pat:tt)*]
        = $fut:expr $(, if $cond:expr)? => $handler:block $($rest:tt)*) => {
        $crate::__select_parse!(@branch $biased [$($names)*]
            [$($done)* { $name [$($pat)*] $fut [$($cond)?] $handler }] [] $($rest)*)
    };
    (@branch $biased:tt [$name:ident $($names:tt)*] [$($done:tt)*] [$($pat:tt)*]
        = $fut:expr $(, if $cond:expr)? => $handler:expr) => {
        $crate::__select_parse!(@branch $biased [$($names)*]
            [$($done)* { $name [$($pat)*] $fut [$($cond)?] $handler }] [])
    };
    (@branch $biased:tt [$name:ident $($names:tt)*] [$($done:tt)*] [$($pat:tt)*]
        $a:tt = $fut:expr $(, if $cond:expr)? => $handler:expr, $($rest:tt)*) => {
        $crate::__select_parse!(@branch $biased [$($names)*]
            [$($done)* { $name [$($pat)* $a] $fut [$($cond)?] $handler }] [] $($rest)*)
    };
    (@branch $biased:tt [$name:ident $($names:tt)*] [$($done:tt)*] [$($pat:tt)*]
        $a:tt = $fut:expr $(, if $cond:expr)? => $handler:block $($rest:tt)*) => {
        $crate::__select_parse!(@branch $biased [$($names)*]
            [$($done)* { $name [$($pat)* $a] $fut [$($cond)?] $handler }] [] $($rest)*)
    };
    (@branch $biased:tt [$name:ident $($names:tt)*] [$($done:tt)*] [$($pat:tt)*]
        $a:tt = $fut:expr $(, if $cond:expr)? => $handler:expr) => {
        $crate::__select_parse!(@branch $biased [$($names)*]
            [$($done)* { $name [$($pat)* $a] $fut [$($cond)?] $handler }] [])
    };
    (@branch $biased:tt [$name:ident $($names:tt)*] [$($done:tt)*] [$($pat:tt)*]
        $a:tt $b:tt = $fut:expr $(, if $cond:expr)? => $handler:expr, $($rest:tt)*) => {
        $crate::__select_parse!(@branch $biased [$($names)*]
            [$($done)* { $name [$($pat)* $a $b] $fut [$($cond)?] $handler }] [] $($rest)*)
    };
    (@branch $biased:tt [$name:ident $($names:tt)*] [$($done:tt)*] [$($pat:tt)*]
        $a:tt $b:tt = $fut:expr $(, if $cond:expr)? => $handler:block $($rest:tt)*) => {
        $crate::__select_parse!(@branch $biased [$($names)*]
            [$($done)* { $name [$($pat)* $a $b] $fut [$($cond)?] $handler }] [] $($rest)*)
    };
    (@branch $biased:tt [$name:ident $($names:tt)*] [$($done:tt)*] [$($pat:tt)*]
        $a:tt $b:tt = $fut:expr $(, if $cond:expr)? => $handler:expr) => {
        $crate::__select_parse!(@branch $biased [$($names)*]
            [$($done)* { $name [$($pat)* $a $b] $fut [$($cond)?] $handler }] [])
    };

    (@branch $biased:tt [$name:ident $($names:tt)*] [$($done:tt)*] [$($pat:tt)*]
        $a:tt $b:tt $c:tt = $fut:expr $(, if $cond:expr)? => $handler:expr, $($rest:tt)*) => {
        $crate::__select_parse!(@branch $biased [$($names)*]
            [$($done)* { $name [$($pat)* $a $b $c] $fut [$($cond)?] $handler }] [] $($rest)*)
    };
    (@branch $biased:tt [$name:ident $($names:tt)*] [$($done:tt)*] [$($pat:tt)*]
        $a:tt $b:tt $c:tt = $fut:expr $(, if $cond:expr)? => $handler:block $($rest:tt)*) => {
        $crate::__select_parse!(@branch $biased [$($names)*]
            [$($done)* { $name [$($pat)* $a $b $c] $fut [$($cond)?] $handler }] [] $($rest)*)
    };
    (@branch $biased:tt [$name:ident $($names:tt)*] [$($done:tt)*] [$($pat:tt)*]
        $a:tt $b:tt $c:tt = $fut:expr $(, if $cond:expr)? => $handler:expr) => {
        $crate::__select_parse!(@branch $biased [$($names)*]
            [$($done)* { $name [$($pat)* $a $b $c] $fut [$($cond)?] $handler }] [])
    };

    (@branch $biased:tt [$name:ident $($names:tt)*] [$($done:tt)*] [$($pat:tt)*]
        $a:tt $b:tt $c:tt $d:tt = $fut:expr $(, if $cond:expr)? => $handler:expr, $($rest:tt)*) => {
        $crate::__select_parse!(@branch $biased [$($names)*]
            [$($done)* { $name [$($pat)* $a $b $c $d] $fut [$($cond)?] $handler }] [] $($rest)*)
    };
    (@branch $biased:tt [$name:ident $($names:tt)*] [$($done:tt)*] [$($pat:tt)*]
        $a:tt $b:tt $c:tt $d:tt = $fut:expr $(, if $cond:expr)? => $handler:block $($rest:tt)*) => {
        $crate::__select_parse!(@branch $biased [$($names)*]
            [$($done)* { $name [$($pat)* $a $b $c $d] $fut [$($cond)?] $handler }] [] $($rest)*)
    };
    (@branch $biased:tt [$name:ident $($names:tt)*] [$($done:tt)*] [$($pat:tt)*]
        $a:tt $b:tt $c:tt $d:tt = $fut:expr $(, if $cond:expr)? => $handler:expr) => {
        $crate::__select_parse!(@branch $biased [$($names)*]
            [$($done)* { $name [$($pat)* $a $b $c $d] $fut [$($cond)?] $handler }] [])
    };

    // ---- no `=` within reach: five more pattern tokens, or a malformed branch ---------
    (@branch $biased:tt $names:tt $done:tt [$($pat:tt)*] $a:tt $b:tt $c:tt $d:tt $e:tt $($rest:tt)*) => {
        $crate::__select_parse!(@branch $biased $names $done [$($pat)* $a $b $c $d $e] $($rest)*)
    };
    (@branch $biased:tt $names:tt $done:tt [$($pat:tt)*] $($rest:tt)*) => {
        ::core::compile_error!(::core::concat!(
            "select!: expected `<pattern> = <async expression> (, if <condition>)? => <handler>,`",
            " near `", ::core::stringify!($($pat)* $($rest)*), "`"
        ))
    };
}

/// The expansion of one `select!` call from its parsed branch records (see the module
/// documentation of `runtime/macros/select.rs`).
#[doc(hidden)]
#[macro_export]
macro_rules! __select_expand {
    ($biased:tt ($($else:tt)*)
        $( { $name:ident [$($pat:tt)*] $fut:tt [$($cond:tt)?] $handler:tt } )+) => {{
        #[allow(non_camel_case_types, clippy::large_enum_variant)]
        enum __SelectOut<$($name,)+> {
            $($name($name),)+
            Disabled,
        }
        // A block of its own: the futures (and what they borrow) are gone before a
        // handler runs.
        #[allow(unused_mut)]
        let mut __select_out = {
            $( let $name: bool = true $(&& $cond)?; )+
            $(
                #[allow(unused_mut)]
                let mut $name = ::core::pin::pin!({
                    let __future = ::core::future::IntoFuture::into_future($fut);
                    if $name {
                        ::core::option::Option::Some(__future)
                    } else {
                        ::core::option::Option::None
                    }
                });
            )+
            let __branches: u32 = <[&str]>::len(&[$(::core::stringify!($name)),+]) as u32;
            #[allow(unused_assignments, unused_parens, clippy::all)]
            let __poll = |__cx: &mut ::core::task::Context<'_>| {
                let __start: u32 = if $biased {
                    0
                } else {
                    $crate::__private::random_below(__branches)
                };
                let mut __pending = false;
                // Pass 0 polls branches __start.., pass 1 polls ..__start.
                for __pass in 0..2u8 {
                    let mut __index: u32 = 0;
                    $(
                        if (__index >= __start) == (__pass == 0) {
                            if let ::core::option::Option::Some(__future) = $name.as_mut().as_pin_mut() {
                                match ::core::future::Future::poll(__future, __cx) {
                                    ::core::task::Poll::Ready(__value) => {
                                        #[allow(unused_variables, unused_mut, unused_parens, unreachable_patterns)]
                                        let __matches = ::core::matches!(
                                            &__value,
                                            $crate::__select_clean!($($pat)*)
                                        );
                                        if __matches {
                                            return ::core::task::Poll::Ready(__SelectOut::$name(__value));
                                        }
                                        $name.set(::core::option::Option::None);
                                    }
                                    ::core::task::Poll::Pending => __pending = true,
                                }
                            }
                        }
                        __index += 1;
                    )+
                }
                if __pending {
                    ::core::task::Poll::Pending
                } else {
                    ::core::task::Poll::Ready(__SelectOut::Disabled)
                }
            };
            ::core::future::poll_fn(__poll).await
        };
        #[allow(unreachable_patterns, unused_parens)]
        match __select_out {
            $( __SelectOut::$name($($pat)*) => $handler, )+
            __SelectOut::Disabled => { $($else)* }
            // Only outputs that matched their pattern leave the poll loop.
            _ => ::core::unreachable!("select!: an output left the poll loop unmatched"),
        }
    }};
}
