//! Rungs 10 and 11 of the ladder and the top rung (`echo`): the shared checks of
//! `ladder_suite` for each; rung 10 on both backends; and the `async fn` of `echo` against
//! the hand-written state machine of rung 11, byte for byte and byte size for byte size.
// These checks read /proc and use Linux socket options; other OSes skip the file.
#![cfg(target_os = "linux")]

mod util;
#[macro_use]
mod ladder_suite;

#[allow(dead_code)]
#[path = "../examples/echo.rs"]
mod echo_example;
#[allow(dead_code)]
#[path = "../examples/ladder_11_generators.rs"]
mod generators;

use std::io::Write;
use std::net::{Shutdown, SocketAddr};
use std::process::{Command, Stdio};
use std::time::Duration;

use corio::io::{AsyncReadExt, AsyncWriteExt};
use corio::net::{TcpListener, TcpStream};
use ladder_suite::{assert_same, connect, read_exact, read_to_eof, start_with};
use util::{pattern, upper};

ladder_suite!(callbacks, "ladder_10_callbacks", clients = 100);
ladder_suite!(state_machine, "ladder_11_generators", clients = 100);
ladder_suite!(echo, "echo", clients = 100);

/// Bounds every in-process comparison, so a stuck handler fails instead of hanging.
const LIMIT: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------------------
// Rung 10: callbacks over corio::sys, on every backend.
// ---------------------------------------------------------------------------------------

/// Rung 10 serves 100 clients at once under `CORIO_BACKEND=epoll` and `=poll`, and the
/// variable really picks the backend: only the epoll run holds an eventpoll descriptor.
#[test]
fn callbacks_serve_100_clients_on_each_backend() {
    for backend in ["epoll", "poll"] {
        let server = start_with("ladder_10_callbacks", &[], |cmd| {
            cmd.env("CORIO_BACKEND", backend);
        });
        let epoll_fds = eventpoll_fds(server.child.id());
        assert_eq!(epoll_fds, usize::from(backend == "epoll"), "{backend}");
        serve_at_once(server.addr, 100, backend);
    }
}

/// An unknown backend is an error with one clear line, never a silent fallback.
#[test]
fn callbacks_refuse_an_unknown_backend() {
    ladder_suite::build("ladder_10_callbacks");
    let out = Command::new(util::example_path("ladder_10_callbacks"))
        .arg("127.0.0.1:0")
        .env("CORIO_BACKEND", "no-such-backend")
        .stdin(Stdio::null())
        .output()
        .expect("run ladder_10_callbacks");
    assert!(!out.status.success(), "it started anyway");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("CORIO_BACKEND"), "stderr: {stderr}");
    assert!(out.stdout.is_empty(), "it printed {:?}", out.stdout);
}

/// Rung 11 runs on corio's runtime, so it honours `CORIO_BACKEND` too.
#[test]
fn state_machine_runs_on_poll() {
    let server = start_with("ladder_11_generators", &[], |cmd| {
        cmd.env("CORIO_BACKEND", "poll");
    });
    assert_eq!(eventpoll_fds(server.child.id()), 0);
    serve_at_once(server.addr, 100, "poll");
}

/// How many epoll instances process `pid` holds open.
fn eventpoll_fds(pid: u32) -> usize {
    let dir = std::fs::read_dir(format!("/proc/{pid}/fd")).expect("read /proc/PID/fd");
    dir.flatten()
        .filter_map(|entry| std::fs::read_link(entry.path()).ok())
        .filter(|target| target.to_string_lossy() == "anon_inode:[eventpoll]")
        .count()
}

/// `n` clients connected at once: each gets its first reply while all are connected, then
/// sends 16 KiB more, half-closes, and gets exactly its own bytes back.
fn serve_at_once(addr: SocketAddr, n: usize, what: &str) {
    util::raise_fd_limit(2 * n as u64 + 64);
    let mut clients: Vec<_> = (0..n).map(|_| connect(addr)).collect();
    let hello = |i: usize| format!("client {i} says hi\n").into_bytes();
    for (i, c) in clients.iter_mut().enumerate() {
        c.write_all(&hello(i)).unwrap();
    }
    for (i, c) in clients.iter_mut().enumerate() {
        let got = read_exact(
            c,
            hello(i).len(),
            &format!("{what}: client {i}, first reply"),
        );
        assert_eq!(got, upper(&hello(i)), "{what}: client {i}");
    }
    for (i, c) in clients.iter_mut().enumerate() {
        c.write_all(&pattern(16 << 10, i as u64)).unwrap();
        c.shutdown(Shutdown::Write).unwrap();
    }
    for (i, c) in clients.iter_mut().enumerate() {
        let label = format!("{what}: client {i}, rest of the reply");
        let want = upper(&pattern(16 << 10, i as u64));
        assert_same(&read_to_eof(c, &label), &want, &label);
    }
}

// ---------------------------------------------------------------------------------------
// Rung 11 against the top rung: the same bytes, and no bigger.
// ---------------------------------------------------------------------------------------

/// Which handler serves a connection.
#[derive(Clone, Copy, Debug)]
enum Handler {
    /// `serve` in `examples/echo.rs`: an `async fn`, compiled to a state machine.
    AsyncFn,
    /// `Serve` in `examples/ladder_11_generators.rs`: the state machine, by hand.
    ByHand,
}

/// Serves one connection on `listener` with `handler` (a spawned task) while the caller,
/// as the client, sends `input` in `chunks`-sized writes (cycling), half-closes, and reads
/// everything back at the same time.
async fn exchange(
    listener: &TcpListener,
    handler: Handler,
    input: &[u8],
    chunks: &[usize],
) -> std::io::Result<Vec<u8>> {
    let client = TcpStream::connect(listener.local_addr()?).await?;
    client.set_nodelay(true)?; // small chunks leave as they are written
    let (stream, _) = listener.accept().await?;
    let server = match handler {
        Handler::AsyncFn => corio::spawn(echo_example::serve(stream, echo_example::NoLimit)),
        Handler::ByHand => corio::spawn(generators::Serve::new(stream)),
    };
    // Send and receive at once: a reply bigger than the socket buffers must flow back
    // while the input is still going out.
    let (mut reader, mut writer) = client.split();
    let mut reply = Vec::new();
    let send = async {
        let mut rest = input;
        for &size in chunks.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (chunk, tail) = rest.split_at(size.min(rest.len()));
            writer.write_all(chunk).await?;
            rest = tail;
        }
        writer.close().await
    };
    let (sent, read) = util::join2(send, reader.read_to_end(&mut reply)).await;
    sent?;
    read?;
    server.await.expect("the handler task")?;
    Ok(reply)
}

/// Both handlers, over real loopback connections in one runtime, get the same inputs and
/// must give the same (uppercased) outputs.
#[test]
fn async_fn_and_state_machine_give_the_same_bytes() {
    let inputs: Vec<(&str, Vec<u8>, Vec<usize>)> = vec![
        ("nothing, then FIN", Vec::new(), vec![1]),
        ("all 256 byte values", (0..=255).collect(), vec![256]),
        ("1 MiB pseudo-random", pattern(1 << 20, 11), vec![1 << 20]),
        (
            "odd-sized chunks",
            pattern(300_001, 12),
            vec![1, 3, 7, 4097, 17, 65_537, 5],
        ),
    ];
    let runtime = corio::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        for (what, input, chunks) in &inputs {
            let both = async {
                let compiler = exchange(&listener, Handler::AsyncFn, input, chunks).await;
                let by_hand = exchange(&listener, Handler::ByHand, input, chunks).await;
                (compiler, by_hand)
            };
            let (compiler, by_hand) = corio::time::timeout(LIMIT, both)
                .await
                .unwrap_or_else(|_| panic!("{what}: no answer within {LIMIT:?}"));
            let compiler = compiler.unwrap_or_else(|e| panic!("{what}: async fn: {e}"));
            let by_hand = by_hand.unwrap_or_else(|e| panic!("{what}: by hand: {e}"));
            assert_same(&by_hand, &compiler, what);
            assert_same(&compiler, &upper(input), what);
        }
    });
}

/// The hand-written machine is no bigger than the compiler's (plus a little slack for
/// layout); `cargo test -- --nocapture` shows both figures.
#[test]
fn state_machine_is_no_larger_than_the_async_fn() {
    const SLACK: usize = 16;
    let runtime = corio::Runtime::new().expect("runtime");
    let (compiler, plain, by_hand) = runtime.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local_addr");
        let (mut clients, mut served) = (Vec::new(), Vec::new());
        for _ in 0..3 {
            clients.push(TcpStream::connect(addr).await.expect("connect"));
            served.push(listener.accept().await.expect("accept").0);
        }
        // Built, never polled: a future's size is fixed before it first runs.
        let by_hand = generators::Serve::new(served.pop().expect("stream"));
        let plain = echo_example::serve(served.pop().expect("stream"), echo_example::NoLimit);
        let compiler = echo_example::serve(
            served.pop().expect("stream"),
            echo_example::Limit(Duration::from_secs(1)),
        );
        use std::mem::size_of_val;
        (
            size_of_val(&compiler),
            size_of_val(&plain),
            size_of_val(&by_hand),
        )
    });
    let stream = std::mem::size_of::<TcpStream>();
    println!("size_of TcpStream: {stream} bytes");
    println!("size_of echo's serve(stream, Limit(..)) future (async fn): {compiler} bytes");
    println!("size_of echo's serve(stream, NoLimit) future (no timeouts): {plain} bytes");
    println!("size_of ladder_11's Serve (by hand): {by_hand} bytes");
    assert!(
        by_hand <= compiler.min(plain) + SLACK,
        "by hand {by_hand} bytes > async fn {compiler} (without timeouts {plain}) + {SLACK}"
    );
}
