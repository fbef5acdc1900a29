//! `pin!`: pin values on the stack of the current function or `async` block.

/// Pins values on the stack: each named variable is moved into a place that cannot move
/// again and is shadowed by a `Pin<&mut T>` to it, so a `!Unpin` future can be polled by
/// reference (`(&mut fut).await`, `fut.as_mut().poll(cx)`, a `select!` branch on
/// `&mut fut`) while staying the same future.
///
/// Two forms, as tokio's: `pin!(a, b)` pins existing variables, and
/// `pin! { let a = expr; let b = expr; }` pins new ones. Built on
/// [`core::pin::pin!`], so no `unsafe` is involved: the original binding is shadowed and
/// its value moved, so nothing can reach it unpinned.
///
/// ```
/// use std::time::Duration;
///
/// corio::block_on(async {
///     let (tx, rx) = corio::sync::oneshot::channel::<u8>();
///     let answer = async { rx.await.unwrap() };
///     corio::pin!(answer);
///     let mut tx = Some(tx);
///     let mut ticks = 0;
///     let value = loop {
///         corio::select! {
///             // The same `answer` future is resumed on every turn.
///             value = &mut answer => break value,
///             _ = corio::time::sleep(Duration::from_millis(1)) => {
///                 ticks += 1;
///                 if ticks == 3 {
///                     tx.take().unwrap().send(7).unwrap();
///                 }
///             }
///         }
///     };
///     assert_eq!((value, ticks), (7, 3));
/// });
/// ```
///
/// The `let` form:
///
/// ```
/// corio::block_on(async {
///     corio::pin! {
///         let first = async { 5 };
///         let second = async { 6 };
///     }
///     assert_eq!((&mut first).await + second.await, 11);
/// });
/// ```
#[macro_export]
macro_rules! pin {
    ($(let $name:ident = $init:expr;)*) => {
        $(
            #[allow(unused_mut)]
            let mut $name = ::core::pin::pin!($init);
        )*
    };
    ($($name:ident),* $(,)?) => {
        $(
            #[allow(unused_mut)]
            let mut $name = ::core::pin::pin!($name);
        )*
    };
}
