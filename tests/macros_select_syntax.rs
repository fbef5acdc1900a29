//! `corio::select!`'s syntax: the pattern forms (with `mut`, `ref`, nesting, paths,
//! or-patterns, macros), handler forms (blocks with or without a comma, expressions),
//! `IntoFuture` branches, and 64 branches.

use std::future::{pending, ready};

#[test]
fn patterns_may_bind_by_mut_and_ref_and_nest() {
    corio::block_on(async {
        let got = corio::select! {
            Ok((mut text, n)) = async { Ok::<_, ()>((String::from("ab"), 2usize)) } => {
                text.push('c');
                (text, n)
            }
        };
        assert_eq!(got, (String::from("abc"), 2));

        let got = corio::select! {
            (ref a, [first, ..]) = ready((String::from("x"), [5, 6])) => format!("{a}{first}"),
        };
        assert_eq!(got, "x5");

        // Reference patterns, matching and not.
        let got = corio::select! {
            (&a, &&b) = ready((&1u8, &&2u8)) => a + b,
        };
        assert_eq!(got, 3);
        let got = corio::select! {
            Some(&7) = ready(Some(&5u8)) => 1,
            else => 0,
        };
        assert_eq!(got, 0);

        let got = corio::select! {
            Err(e @ 1..=9) = ready(Err::<(), i32>(12)) => e,
            else => -1,
        };
        assert_eq!(got, -1);
    });
}

#[test]
fn sixty_four_branches() {
    corio::block_on(async {
        let p = || pending::<u32>();
        let got = corio::select! {
            biased;
            a = p() => a, a = p() => a, a = p() => a, a = p() => a,
            a = p() => a, a = p() => a, a = p() => a, a = p() => a,
            a = p() => a, a = p() => a, a = p() => a, a = p() => a,
            a = p() => a, a = p() => a, a = p() => a, a = p() => a,
            a = p() => a, a = p() => a, a = p() => a, a = p() => a,
            a = p() => a, a = p() => a, a = p() => a, a = p() => a,
            a = p() => a, a = p() => a, a = p() => a, a = p() => a,
            a = p() => a, a = p() => a, a = p() => a, a = p() => a,
            a = p() => a, a = p() => a, a = p() => a, a = p() => a,
            a = p() => a, a = p() => a, a = p() => a, a = p() => a,
            a = p() => a, a = p() => a, a = p() => a, a = p() => a,
            a = p() => a, a = p() => a, a = p() => a, a = p() => a,
            a = p() => a, a = p() => a, a = p() => a, a = p() => a,
            a = p() => a, a = p() => a, a = p() => a, a = p() => a,
            a = p() => a, a = p() => a, a = p() => a, a = p() => a,
            a = p() => a, a = p() => a, a = p() => a, Some(a) = ready(Some(64)) => a,
        };
        assert_eq!(got, 64);
    });
}

#[test]
fn syntax_forms_tokio_programs_use() {
    struct Eight;
    impl std::future::IntoFuture for Eight {
        type Output = u8;
        type IntoFuture = std::future::Ready<u8>;
        fn into_future(self) -> Self::IntoFuture {
            ready(8)
        }
    }
    struct Pair {
        name: String,
        n: u8,
    }
    macro_rules! some_pattern {
        () => {
            Some(_)
        };
    }

    corio::block_on(async {
        // Statement position, unit handler.
        corio::select! {
            _ = ready(()) => {}
        }
        // A select! in a handler; a block handler followed by `else` and a trailing comma.
        let v = corio::select! {
            a = ready(1) => {
                corio::select! { b = ready(a + 1) => b * 10 }
            }
            else => 0,
        };
        assert_eq!(v, 20);
        // An or-pattern; a last handler with no comma.
        let v = corio::select! {
            Ok(1) | Ok(2) = ready(Ok::<i32, ()>(2)) => "one or two",
            else => "other"
        };
        assert_eq!(v, "one or two");
        // A handler that starts with a block but goes on.
        let v = corio::select! {
            s = ready("ab") => { s }.len(),
            _ = pending::<()>() => 0,
        };
        assert_eq!(v, 2);
        // A tuple pattern right after a block handler with no comma.
        let v = corio::select! {
            biased;
            (a, b) = pending::<(u8, u8)>() => { a + b }
            (c, d) = ready((3u8, 2u8)) => { c * d }
        };
        assert_eq!(v, 6);
        // A struct pattern with `ref mut` and a literal field.
        let v = corio::select! {
            Pair { ref mut name, n: 3 } = ready(Pair { name: "x".into(), n: 3 }) => {
                name.push('y');
                name.clone()
            }
            else => String::new(),
        };
        assert_eq!(v, "xy");
        // Long paths in the pattern.
        let v = corio::select! {
            std::option::Option::Some(std::result::Result::Ok(x)) = ready(Some(Ok::<u8, ()>(4))) => x,
            else => 0,
        };
        assert_eq!(v, 4);
        // An `IntoFuture`, and a macro in the pattern.
        let v = corio::select! { x = Eight => x };
        assert_eq!(v, 8);
        let v = corio::select! { some_pattern!() = ready(Some(1)) => 1, else => 0 };
        assert_eq!(v, 1);
    });
}
