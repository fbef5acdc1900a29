//! Using corio outside a runtime: socket constructors return an `io::Error` that names
//! the runtime (and leak nothing); `spawn` and a pending `Sleep` panic with a clear message.
//!
//! One test counts `/proc/self/fd`, so the tests here run one at a time (`LOCK`).

mod common_exec;

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Mutex;
use std::task::{Context, Poll};
use std::time::Duration;

use common_exec::{noop_waker, open_fds, panic_message, poll_once};
use corio::net::{TcpListener, TcpStream};

static LOCK: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// `bind` of a literal address outside a runtime: it fails at its first poll, without
/// waiting for anything.
fn bind_outside() -> std::io::Result<TcpListener> {
    match poll_once(&mut Box::pin(TcpListener::bind("127.0.0.1:0"))) {
        Poll::Ready(result) => result,
        Poll::Pending => panic!("a literal address's bind waited"),
    }
}

fn assert_names_the_runtime(err: &std::io::Error) {
    let message = err.to_string();
    assert!(message.contains("runtime"), "unhelpful error: {message}");
}

#[test]
fn bind_outside_a_runtime_is_an_error_naming_the_runtime() {
    let _serial = serial();
    let err = bind_outside().unwrap_err();
    assert_names_the_runtime(&err);
}

#[test]
fn from_std_outside_a_runtime_is_an_error_naming_the_runtime() {
    let _serial = serial();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let client = std::net::TcpStream::connect(addr).unwrap();
    assert_names_the_runtime(&TcpStream::from_std(client).unwrap_err());
    assert_names_the_runtime(&TcpListener::from_std(listener).unwrap_err());
}

#[test]
fn connect_outside_a_runtime_is_an_error_naming_the_runtime() {
    let _serial = serial();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut connect = Box::pin(TcpStream::connect(listener.local_addr().unwrap()));
    match poll_once(&mut connect) {
        Poll::Ready(Err(e)) => assert_names_the_runtime(&e),
        Poll::Ready(Ok(_)) => panic!("connected without a runtime"),
        Poll::Pending => panic!("parked without a runtime to wake it"),
    }
}

#[test]
fn failed_constructors_outside_a_runtime_leak_no_fds() {
    let _serial = serial();
    let baseline = open_fds();
    for _ in 0..100 {
        assert!(bind_outside().is_err());
    }
    assert_eq!(open_fds(), baseline);
}

#[test]
fn after_block_on_returns_the_thread_is_outside_again() {
    let _serial = serial();
    let inside = corio::block_on(async { TcpListener::bind("127.0.0.1:0").await.map(|_| ()) });
    assert!(inside.is_ok());
    assert_names_the_runtime(&bind_outside().unwrap_err());
}

#[test]
fn spawn_outside_a_runtime_panics_with_a_clear_message() {
    let _serial = serial();
    let payload = catch_unwind(|| drop(corio::spawn(async {}))).unwrap_err();
    let message = panic_message(&*payload).unwrap();
    assert!(message.contains("outside a runtime"), "{message}");
}

#[test]
fn sleep_outside_a_runtime() {
    let _serial = serial();
    // A zero sleep needs no reactor: it is ready at once.
    let mut zero = Box::pin(corio::time::sleep(Duration::ZERO));
    assert!(poll_once(&mut zero).is_ready());
    // A pending one has nobody to wake it: a clear panic, not a hang.
    let mut sleep = Box::pin(corio::time::sleep(Duration::from_secs(1)));
    let waker = noop_waker();
    let payload = catch_unwind(AssertUnwindSafe(|| {
        sleep.as_mut().poll(&mut Context::from_waker(&waker))
    }))
    .unwrap_err();
    let message = panic_message(&*payload).unwrap();
    assert!(message.contains("outside a runtime"), "{message}");
}
