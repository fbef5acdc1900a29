//! `#[corio::test]` and `#[corio::main]` as tokio programs write them: async tests that
//! spawn and await, tests returning `Result`, `#[should_panic]`, and an `async fn main`
//! (inside a module here, so the test can call it as the plain function it expands to).
#![cfg(feature = "macros")]

use std::cell::Cell;
use std::rc::Rc;

use corio::io::{AsyncReadExt, AsyncWriteExt};
use corio::net::{TcpListener, TcpStream};

#[corio::test]
async fn spawned_task_runs_on_the_test_runtime_and_its_handle_gives_the_output() {
    // An `Rc` in the task: the test's runtime is single-threaded, nothing needs `Send`.
    let seen = Rc::new(Cell::new(0));
    let (tx, rx) = corio::sync::oneshot::channel::<u32>();
    let task = corio::spawn({
        let seen = Rc::clone(&seen);
        async move {
            let n = rx.await.unwrap();
            seen.set(n);
            n * 2
        }
    });
    corio::task::yield_now().await;
    assert_eq!(seen.get(), 0, "the task waits for the value");
    tx.send(21).unwrap();
    assert_eq!(task.await.unwrap(), 42);
    assert_eq!(seen.get(), 21);
}

/// `?` converts the error into the declared one: the body's error type is inferred from
/// the function's return type.
#[corio::test]
async fn a_test_may_return_result_and_use_the_question_mark(
) -> Result<(), Box<dyn std::error::Error>> {
    let n: u8 = "7".parse()?;
    corio::task::yield_now().await;
    assert_eq!(n, 7);
    Ok(())
}

#[corio::test]
#[cfg_attr(miri, ignore)] // sockets
async fn echo_over_tcp_with_io_result() -> std::io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = corio::spawn(async move {
        let (mut stream, _) = listener.accept().await?;
        let mut buf = [0; 5];
        stream.read_exact(&mut buf).await?;
        stream.write_all(&buf.to_ascii_uppercase()).await?;
        Ok::<_, std::io::Error>(())
    });
    let mut client = TcpStream::connect(addr).await?;
    client.write_all(b"hello").await?;
    let mut reply = Vec::new();
    client.read_to_end(&mut reply).await?;
    assert_eq!(reply, b"HELLO");
    server.await.unwrap()
}

#[corio::test]
#[should_panic(expected = "panicked after an await: 3")]
async fn should_panic_is_kept_and_the_body_panic_fails_the_test() {
    let three = corio::spawn(async { 3 }).await.unwrap();
    panic!("panicked after an await: {three}");
}

#[corio::test(flavor = "current_thread")]
async fn current_thread_flavor_is_accepted() {
    assert_eq!(corio::spawn(async { "ok" }).await.unwrap(), "ok");
}

/// `async fn main` programs, kept in modules so the tests below can call them.
mod programs {
    /// Sums what three spawned tasks send over a channel; `return` leaves the body early.
    #[corio::main]
    pub async fn main() -> Result<u32, String> {
        let (tx, mut rx) = corio::sync::mpsc::channel::<u32>(4);
        for n in 1..=3 {
            let tx = tx.clone();
            corio::spawn(async move { tx.send(n * 10).await.unwrap() });
        }
        drop(tx);
        let mut sum = 0;
        while let Some(n) = rx.recv().await {
            sum += n;
        }
        if sum != 60 {
            return Err(format!("sum {sum}"));
        }
        Ok(sum)
    }

    pub mod failing {
        /// A `main` whose `?` returns the error, converted by `From`.
        #[corio::main(flavor = "current_thread")]
        pub async fn main() -> Result<(), Box<dyn std::error::Error>> {
            corio::task::yield_now().await;
            let _: u8 = "not a number".parse()?;
            Ok(())
        }
    }

    /// `crate = "..."` names corio by another path: `shim` counts the builders made through it.
    pub mod renamed {
        pub mod shim {
            pub mod runtime {
                use std::cell::Cell;

                thread_local! {
                    pub static BUILT: Cell<u32> = const { Cell::new(0) };
                }

                pub struct Builder(corio::runtime::Builder);

                impl Builder {
                    pub fn new_current_thread() -> Builder {
                        Builder(corio::runtime::Builder::new_current_thread())
                    }

                    pub fn enable_all(&mut self) -> &mut Builder {
                        self.0.enable_all();
                        self
                    }

                    pub fn build(&self) -> std::io::Result<corio::Runtime> {
                        BUILT.with(|built| built.set(built.get() + 1));
                        self.0.build()
                    }
                }
            }
        }

        #[corio::main(crate = "self::shim")]
        pub async fn main() -> &'static str {
            corio::spawn(async { "through the shim" }).await.unwrap()
        }
    }
}

#[test]
fn corio_main_runs_the_body_to_completion_on_a_fresh_runtime_each_call() {
    assert_eq!(programs::main(), Ok(60));
    // The first call's runtime was dropped with it; a second call builds another.
    assert_eq!(programs::main(), Ok(60));
}

#[test]
fn corio_main_returns_the_error_of_the_question_mark() {
    let error = programs::failing::main().unwrap_err();
    assert_eq!(error.to_string(), "invalid digit found in string");
}

#[test]
fn corio_main_builds_its_runtime_through_the_crate_argument() {
    use programs::renamed::shim::runtime::BUILT;
    assert_eq!(BUILT.with(Cell::get), 0);
    assert_eq!(programs::renamed::main(), "through the shim");
    assert_eq!(BUILT.with(Cell::get), 1);
}
