//! The echo example under many connections: 5,000 clients open at once, and the
//! server's descriptor count back at its baseline after 1,000 connections come and go
//! (closed politely, closed at once, or reset).
//!
//! The clients are corio tasks in this process: corio drives both ends.

mod util;

use std::cell::{Cell, RefCell};
use std::future::poll_fn;
use std::net::SocketAddr;
use std::rc::Rc;
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

use corio::io::{AsyncReadExt, AsyncWriteExt};
use corio::net::TcpStream;

use util::{fd_count, upper, wait_for, within, Server};

/// A one-shot gate: tasks wait at it until it opens; another future waits until a
/// given number of tasks have arrived.
#[derive(Default)]
struct Gate {
    arrived: Cell<usize>,
    open: Cell<bool>,
    waiters: RefCell<Vec<Waker>>,
    watcher: RefCell<Option<Waker>>,
}

impl Gate {
    /// Counts the caller as arrived, then waits until the gate opens.
    async fn arrive_and_wait(&self) {
        self.arrived.set(self.arrived.get() + 1);
        if let Some(w) = self.watcher.borrow_mut().take() {
            w.wake();
        }
        poll_fn(|cx| {
            if self.open.get() {
                Poll::Ready(())
            } else {
                self.waiters.borrow_mut().push(cx.waker().clone());
                Poll::Pending
            }
        })
        .await
    }

    /// Waits until `n` tasks have arrived.
    async fn until_arrived(&self, n: usize) {
        poll_fn(|cx| {
            if self.arrived.get() >= n {
                Poll::Ready(())
            } else {
                *self.watcher.borrow_mut() = Some(cx.waker().clone());
                Poll::Pending
            }
        })
        .await
    }

    fn open(&self) {
        self.open.set(true);
        let waiters = std::mem::take(&mut *self.waiters.borrow_mut());
        waiters.into_iter().for_each(Waker::wake);
    }
}

fn message(i: usize) -> Vec<u8> {
    format!("client {i:05}: hello \u{e9}\u{ff} Mixed Case \0|")
        .repeat(i % 7 + 1)
        .into_bytes()
}

/// One client: connect, wait at the gate with the others, then one exchange.
async fn gated_client(addr: SocketAddr, i: usize, gate: Rc<Gate>) -> Result<(), String> {
    let connected = TcpStream::connect(addr).await;
    gate.arrive_and_wait().await;
    let mut stream = connected.map_err(|e| format!("client {i}: connect: {e}"))?;
    let msg = message(i);
    stream
        .write_all(&msg)
        .await
        .map_err(|e| format!("client {i}: write: {e}"))?;
    stream
        .close()
        .await
        .map_err(|e| format!("client {i}: close: {e}"))?;
    let mut reply = Vec::new();
    stream
        .read_to_end(&mut reply)
        .await
        .map_err(|e| format!("client {i}: read: {e}"))?;
    if reply != upper(&msg) {
        return Err(format!(
            "client {i}: wrong reply {:?}",
            String::from_utf8_lossy(&reply)
        ));
    }
    Ok(())
}

#[test]
fn five_thousand_clients_at_once_each_get_their_exact_reply() {
    const CLIENTS: usize = 5_000;
    // This process holds every client socket and the server (which inherits the limit)
    // every accepted one, plus a margin for the test harness and the runtime.
    let need = CLIENTS as u64 + 512;
    let limit = util::raise_fd_limit(need);
    if limit < need {
        eprintln!(
            "SKIPPED five_thousand_clients_at_once: RLIMIT_NOFILE hard limit allows {limit} \
             descriptors, this test needs {need}"
        );
        return;
    }
    let server = Server::start("echo");
    let pid = server.child.id();
    let baseline = fd_count(pid);
    let addr = server.addr;
    let start = Instant::now();
    let errors = corio::block_on(within(
        Duration::from_secs(60),
        "5,000 clients",
        async move {
            let gate = Rc::new(Gate::default());
            let handles: Vec<_> = (0..CLIENTS)
                .map(|i| corio::spawn(gated_client(addr, i, gate.clone())))
                .collect();
            gate.until_arrived(CLIENTS).await;
            // Every client is connected and parked at the gate: the server must be holding
            // all 5,000 connections at once. (Blocking here is fine: no task has work.)
            assert!(
                wait_for(Duration::from_secs(20), Duration::from_millis(10), || {
                    fd_count(pid) == baseline + CLIENTS
                }),
                "the server holds {} descriptors, expected {baseline} + {CLIENTS}",
                fd_count(pid)
            );
            gate.open();
            let mut errors = Vec::new();
            for handle in handles {
                if let Err(e) = handle.await.expect("client task panicked") {
                    errors.push(e);
                }
            }
            errors
        },
    ));
    let took = start.elapsed();
    assert!(
        errors.is_empty(),
        "{} of {CLIENTS} clients failed, first: {:?}",
        errors.len(),
        &errors[..errors.len().min(3)]
    );
    eprintln!("{CLIENTS} clients served in {took:?}");
}

/// How a client of the fd-count test leaves.
#[derive(Clone, Copy, Debug)]
enum Leave {
    /// Send, half-close, read the whole reply, close.
    Polite,
    /// Connect and close without a byte.
    Silent,
    /// Send, then reset (SO_LINGER 0) without reading.
    Reset,
    /// Send, read the reply, close without a half-close first.
    Abrupt,
}

async fn short_lived_client(addr: SocketAddr, i: usize) -> Result<(), String> {
    let leave = [Leave::Polite, Leave::Silent, Leave::Reset, Leave::Abrupt][i % 4];
    let fail = |what: &str, e: std::io::Error| format!("client {i} ({leave:?}): {what}: {e}");
    let mut stream = TcpStream::connect(addr)
        .await
        .map_err(|e| fail("connect", e))?;
    let msg = message(i);
    match leave {
        Leave::Silent => return Ok(()),
        Leave::Reset => {
            stream.write_all(&msg).await.map_err(|e| fail("write", e))?;
            util::set_linger_zero(&stream);
            return Ok(());
        }
        Leave::Polite | Leave::Abrupt => {}
    }
    stream.write_all(&msg).await.map_err(|e| fail("write", e))?;
    let mut reply = vec![0u8; msg.len()];
    if let Leave::Polite = leave {
        stream.close().await.map_err(|e| fail("close", e))?;
        reply.clear();
        stream
            .read_to_end(&mut reply)
            .await
            .map_err(|e| fail("read", e))?;
    } else {
        stream
            .read_exact(&mut reply)
            .await
            .map_err(|e| fail("read", e))?;
    }
    if reply != upper(&msg) {
        return Err(format!("client {i} ({leave:?}): wrong reply"));
    }
    Ok(())
}

#[test]
fn fd_count_returns_to_baseline_after_a_thousand_connections() {
    const CONNECTIONS: usize = 1_000;
    const BATCH: usize = 50;
    util::raise_fd_limit(1024);
    let server = Server::start("echo");
    let pid = server.child.id();
    let baseline = fd_count(pid);
    let settled = || {
        wait_for(Duration::from_secs(10), Duration::from_millis(5), || {
            fd_count(pid) == baseline
        })
    };

    // First show the count sees connections at all: 50 open ones raise it by 50.
    let open: Vec<_> = (0..BATCH)
        .map(|_| std::net::TcpStream::connect(server.addr).unwrap())
        .collect();
    assert!(
        wait_for(Duration::from_secs(10), Duration::from_millis(5), || {
            fd_count(pid) == baseline + BATCH
        }),
        "the server holds {} descriptors with {BATCH} clients open, baseline {baseline}",
        fd_count(pid)
    );
    for (i, c) in open.into_iter().enumerate() {
        if i % 2 == 0 {
            util::reset(c);
        }
    }
    assert!(settled(), "after the first {BATCH}: {} open", fd_count(pid));

    let addr = server.addr;
    let errors = corio::block_on(within(
        Duration::from_secs(60),
        "1,000 connections",
        async move {
            let mut errors = Vec::new();
            for batch in 0..CONNECTIONS / BATCH {
                let handles: Vec<_> = (0..BATCH)
                    .map(|j| corio::spawn(short_lived_client(addr, batch * BATCH + j)))
                    .collect();
                for handle in handles {
                    if let Err(e) = handle.await.expect("client task panicked") {
                        errors.push(e);
                    }
                }
            }
            errors
        },
    ));
    assert!(errors.is_empty(), "failed clients: {errors:?}");
    assert!(
        settled(),
        "after {CONNECTIONS} connections the server holds {} descriptors, baseline {baseline}",
        fd_count(pid)
    );
}
