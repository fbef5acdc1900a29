//! `join!` and `try_join!`: run several futures to completion side by side in one task.
//!
//! Both expand to a `poll_fn` over one pinned `MaybeDone` (runtime/macros/support.rs) per
//! future, named from a list of 64 (`_0` .. `_63`) by `__join_parse!`, one future per
//! step of the macro recursion limit. Each poll of the `poll_fn` polls every future that
//! has not completed, starting one further along than the previous poll (round robin),
//! or always at the first with `biased;`.

/// Runs every future to completion, concurrently on the current task, and gives their
/// outputs as a tuple, in the order written.
///
/// `join!(a, b, c)` awaits; it is the `async` counterpart of calling three functions:
/// the futures take turns on this one task (nothing runs in parallel; use
/// [`spawn`](crate::spawn) for that). On every wake-up, each future that has not finished
/// is polled, starting one further along than the time before so that none is always
/// last; with `biased;` first, they are always polled in the order written. A finished
/// future is not polled again. Each argument may be anything that implements
/// [`IntoFuture`](std::future::IntoFuture). At most 64 futures.
///
/// ```
/// corio::block_on(async {
///     let (tx, rx) = corio::sync::oneshot::channel::<u32>();
///     let (text, number, ()) = corio::join!(
///         async { "hello" },
///         // Waits for the third future, which runs in the same `join!`.
///         async { rx.await.unwrap() + 1 },
///         async { tx.send(41).unwrap() },
///     );
///     assert_eq!((text, number), ("hello", 42));
/// });
/// ```
#[macro_export]
macro_rules! join {
    (biased; $($future:expr),+ $(,)?) => {
        $crate::__join_parse!(@names join [true] $($future,)+)
    };
    ($($future:expr),+ $(,)?) => {
        $crate::__join_parse!(@names join [false] $($future,)+)
    };
    ($(biased;)?) => {
        ::core::future::ready(()).await
    };
}

/// Like [`join!`](crate::join!) for futures whose outputs are `Result<T, E>` with one
/// error type `E`: `Ok` of the tuple of the `T`s once all succeed, or the first `Err` as
/// soon as one future gives it. The other futures are then dropped (cancelled) before
/// `try_join!` returns.
///
/// ```
/// use std::io;
///
/// async fn parse(text: &str) -> io::Result<u32> {
///     text.parse().map_err(|_| io::Error::new(io::ErrorKind::InvalidData, text.to_owned()))
/// }
///
/// corio::block_on(async {
///     let ok = corio::try_join!(parse("1"), parse("2"));
///     assert_eq!(ok.unwrap(), (1, 2));
///
///     let err = corio::try_join!(parse("3"), parse("x"), std::future::pending::<io::Result<u32>>());
///     // The pending future did not hold the call up: the error ended it.
///     assert_eq!(err.unwrap_err().kind(), io::ErrorKind::InvalidData);
/// });
/// ```
#[macro_export]
macro_rules! try_join {
    (biased; $($future:expr),+ $(,)?) => {
        $crate::__join_parse!(@names try_join [true] $($future,)+)
    };
    ($($future:expr),+ $(,)?) => {
        $crate::__join_parse!(@names try_join [false] $($future,)+)
    };
    ($(biased;)?) => {
        ::core::future::ready(::core::result::Result::Ok(())).await
    };
}

/// Gives each future of a `join!`/`try_join!` a name, then hands `(name future)` pairs to
/// `__join_expand!`.
#[doc(hidden)]
#[macro_export]
macro_rules! __join_parse {
    (@names $kind:ident $biased:tt $($rest:tt)*) => {
        $crate::__join_parse!(@pair $kind $biased [
            _0 _1 _2 _3 _4 _5 _6 _7 _8 _9 _10 _11 _12 _13 _14 _15 _16 _17 _18 _19 _20 _21
            _22 _23 _24 _25 _26 _27 _28 _29 _30 _31 _32 _33 _34 _35 _36 _37 _38 _39 _40 _41
            _42 _43 _44 _45 _46 _47 _48 _49 _50 _51 _52 _53 _54 _55 _56 _57 _58 _59 _60 _61
            _62 _63
        ] [] $($rest)*)
    };
    (@pair $kind:ident $biased:tt $names:tt [$($done:tt)*]) => {
        $crate::__join_expand!($kind $biased $($done)*)
    };
    (@pair $kind:ident $biased:tt [] $done:tt $($rest:tt)+) => {
        ::core::compile_error!("join!/try_join! take at most 64 futures")
    };
    (@pair $kind:ident $biased:tt [$name:ident $($names:tt)*] [$($done:tt)*] $future:tt, $($rest:tt)*) => {
        $crate::__join_parse!(@pair $kind $biased [$($names)*] [$($done)* ($name $future)] $($rest)*)
    };
}

/// The expansion of one `join!` or `try_join!` call.
#[doc(hidden)]
#[macro_export]
macro_rules! __join_expand {
    (join $biased:tt $( ($name:ident $future:tt) )+) => {{
        $(
            let mut $name = ::core::pin::pin!($crate::__private::MaybeDone::new(
                ::core::future::IntoFuture::into_future($future)
            ));
        )+
        let __count: u32 = <[&str]>::len(&[$(::core::stringify!($name)),+]) as u32;
        #[allow(unused_mut, unused_variables)]
        let mut __next_start: u32 = 0;
        #[allow(unused_assignments, clippy::all)]
        let __poll = |__cx: &mut ::core::task::Context<'_>| {
            let __start = $crate::__join_start!($biased __next_start __count);
            let mut __all_done = true;
            for __pass in 0..2u8 {
                let mut __index: u32 = 0;
                $(
                    if (__index >= __start) == (__pass == 0)
                        && $name.as_mut().poll_done(__cx).is_pending()
                    {
                        __all_done = false;
                    }
                    __index += 1;
                )+
            }
            if !__all_done {
                return ::core::task::Poll::Pending;
            }
            match ($($name.as_mut().take_output(),)+) {
                ($(::core::option::Option::Some($name),)+) => ::core::task::Poll::Ready(($($name,)+)),
                // Every output was stored before this point; a second poll after
                // completion finds them taken and waits forever, as a finished future may.
                _ => ::core::task::Poll::Pending,
            }
        };
        ::core::future::poll_fn(__poll).await
    }};
    (try_join $biased:tt $( ($name:ident $future:tt) )+) => {{
        $(
            let mut $name = ::core::pin::pin!($crate::__private::MaybeDone::new(
                ::core::future::IntoFuture::into_future($future)
            ));
        )+
        let __count: u32 = <[&str]>::len(&[$(::core::stringify!($name)),+]) as u32;
        #[allow(unused_mut, unused_variables)]
        let mut __next_start: u32 = 0;
        #[allow(unused_assignments, clippy::all)]
        let __poll = |__cx: &mut ::core::task::Context<'_>| {
            let __start = $crate::__join_start!($biased __next_start __count);
            let mut __all_done = true;
            for __pass in 0..2u8 {
                let mut __index: u32 = 0;
                $(
                    if (__index >= __start) == (__pass == 0) {
                        match $crate::__private::poll_try($name.as_mut(), __cx) {
                            ::core::task::Poll::Ready(::core::result::Result::Err(__error)) => {
                                return ::core::task::Poll::Ready(::core::result::Result::Err(__error));
                            }
                            ::core::task::Poll::Ready(::core::result::Result::Ok(())) => {}
                            ::core::task::Poll::Pending => __all_done = false,
                        }
                    }
                    __index += 1;
                )+
            }
            if !__all_done {
                return ::core::task::Poll::Pending;
            }
            match ($($crate::__private::take_ok($name.as_mut()),)+) {
                ($(::core::option::Option::Some($name),)+) => {
                    ::core::task::Poll::Ready(::core::result::Result::Ok(($($name,)+)))
                }
                // As in `join!`: unreachable before completion.
                _ => ::core::task::Poll::Pending,
            }
        };
        ::core::future::poll_fn(__poll).await
    }};
}

/// Where a `join!` poll starts: 0 when biased, else the rotating `$next` (advanced here).
#[doc(hidden)]
#[macro_export]
macro_rules! __join_start {
    ([true] $next:ident $count:ident) => {
        0u32
    };
    ([false] $next:ident $count:ident) => {{
        let __start = $next;
        $next = (__start + 1) % $count;
        __start
    }};
}
