//! Rows of the `micro` suite for corio's tokio-compatible APIs (issue 18): `select!`,
//! `JoinSet`, `watch`, `RwLock`, `fs` and `BufReader`, corio vs tokio current_thread vs
//! smol where smol has the same thing ("—" where it has not).
//!
//! corio and tokio share the names and paths of these APIs, so each benchmark's body is
//! written once against a crate alias `r` and expanded once per runtime by `timed!`:
//! the two runtimes run the same source. smol's body is written separately, with the
//! closest smol API doing the same work.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

use super::Rt;

/// Times `$body` on corio or tokio, with `r` naming that runtime's crate, and `$smol` (an
/// async block run on a `smol::LocalExecutor` named `$ex`) on smol, giving
/// `Option<Duration>`. Without a `smol:` part, smol gives `None` (no such API).
macro_rules! timed {
    ($rt:expr, |$r:ident| $body:expr, smol: |$ex:ident| $smol:expr) => {
        match $rt {
            Rt::Smol => {
                let $ex = smol::LocalExecutor::new();
                let start = Instant::now();
                smol::block_on($ex.run($smol));
                Some(start.elapsed())
            }
            rt => timed!(rt, |$r| $body),
        }
    };
    ($rt:expr, |$r:ident| $body:expr) => {
        match $rt {
            Rt::Corio => {
                let rt = corio::Runtime::new().unwrap();
                let start = Instant::now();
                rt.block_on(async {
                    use corio as $r;
                    $body
                });
                Some(start.elapsed())
            }
            Rt::Tokio => {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                let start = Instant::now();
                rt.block_on(async {
                    use tokio as $r;
                    $body
                });
                Some(start.elapsed())
            }
            Rt::Smol => None,
        }
    };
}

/// `select!` over an always-ready future and a receive on an empty channel (kept open),
/// `n` times: each turn creates both futures, polls them from a random start, and drops
/// the pending receive. smol: `future::race`, which also starts at a random side.
fn select(rt: Rt, n: usize) -> Option<Duration> {
    let expected = (n as u64) * (n as u64 - 1) / 2;
    timed!(
        rt,
        |r| {
            let (_tx, mut rx) = r::sync::mpsc::channel::<u64>(1);
            let mut sum = 0u64;
            for i in 0..n as u64 {
                r::select! {
                    v = std::future::ready(i) => sum += v,
                    _ = rx.recv() => unreachable!("nothing is sent"),
                }
            }
            assert_eq!(sum, expected);
        },
        smol: |ex| async {
            let (_tx, rx) = smol::channel::bounded::<u64>(1);
            let mut sum = 0u64;
            for i in 0..n as u64 {
                let recv = async {
                    let _ = rx.recv().await;
                    unreachable!("nothing is sent")
                };
                sum += smol::future::race(std::future::ready(i), recv).await;
            }
            assert_eq!(sum, expected);
        }
    )
}

/// `n` tasks returning their index, spawned into a `JoinSet` and collected with
/// `join_next`. smol has no `JoinSet`.
fn join_set(rt: Rt, n: usize) -> Option<Duration> {
    timed!(rt, |r| {
        let mut set = r::task::JoinSet::new();
        for i in 0..n {
            set.spawn(async move { i });
        }
        let (mut sum, mut joined) = (0usize, 0usize);
        while let Some(result) = set.join_next().await {
            sum += result.unwrap();
            joined += 1;
        }
        assert_eq!((joined, sum), (n, n * (n - 1) / 2));
    })
}

/// Counts acknowledgements from other tasks; [`wait`](Acks::wait) resolves once `n` have
/// arrived since the last wait. A std `Mutex` keeps it `Send` (tokio's `spawn` needs it)
/// and costs the same on every runtime.
#[derive(Default)]
struct Acks {
    /// (acks not yet consumed, acks the waiter needs, the waiter).
    state: Mutex<(usize, usize, Option<Waker>)>,
}

impl Acks {
    fn ack(&self) {
        let waker = {
            let mut s = self.state.lock().unwrap();
            s.0 += 1;
            if s.0 >= s.1 {
                s.2.take()
            } else {
                None
            }
        };
        if let Some(w) = waker {
            w.wake();
        }
    }

    fn wait(&self, n: usize) -> impl Future<Output = ()> + '_ {
        std::future::poll_fn(move |cx| {
            let mut s = self.state.lock().unwrap();
            if s.0 >= n {
                s.0 -= n;
                Poll::Ready(())
            } else {
                s.1 = n;
                s.2 = Some(cx.waker().clone());
                Poll::Pending
            }
        })
    }
}

/// Receiver tasks in the `watch` benchmark.
const WATCHERS: usize = 10;

/// One `watch` sender, [`WATCHERS`] receiver tasks; `n` sends of 1..=n. After each send
/// every receiver's `changed().await` returns, it reads the value with `borrow()` and
/// acknowledges; the sender waits for all acknowledgements before the next send, so
/// every receiver sees every value and the work is the same on both runtimes. smol has
/// no `watch`.
fn watch(rt: Rt, n: usize) -> Option<Duration> {
    let expected = (n as u64) * (n as u64 + 1) / 2;
    timed!(rt, |r| {
        let (tx, rx) = r::sync::watch::channel(0u64);
        let acks = Arc::new(Acks::default());
        let watchers: Vec<_> = (0..WATCHERS)
            .map(|_| {
                let (mut rx, acks) = (rx.clone(), acks.clone());
                r::spawn(async move {
                    let mut sum = 0u64;
                    while rx.changed().await.is_ok() {
                        sum += *rx.borrow();
                        acks.ack();
                    }
                    sum
                })
            })
            .collect();
        drop(rx);
        for value in 1..=n as u64 {
            tx.send(value).unwrap();
            acks.wait(WATCHERS).await;
        }
        drop(tx);
        for w in watchers {
            assert_eq!(w.await.unwrap(), expected);
        }
    })
}

/// `n` uncontended `read().await`s and, after every tenth, one `write().await` that
/// increments the value (`n / 10` writes); every read's value is summed and checked.
fn rwlock(rt: Rt, n: usize) -> Option<Duration> {
    let tens = (n / 10) as u64;
    let expected = 10 * tens * tens.saturating_sub(1) / 2;
    timed!(
        rt,
        |r| {
            let lock = r::sync::RwLock::new(0u64);
            let mut sum = 0u64;
            for i in 0..n {
                sum += *lock.read().await;
                if i % 10 == 9 {
                    *lock.write().await += 1;
                }
            }
            assert_eq!((sum, *lock.read().await), (expected, tens));
        },
        smol: |ex| async {
            let lock = smol::lock::RwLock::new(0u64);
            let mut sum = 0u64;
            for i in 0..n {
                sum += *lock.read().await;
                if i % 10 == 9 {
                    *lock.write().await += 1;
                }
            }
            assert_eq!((sum, *lock.read().await), (expected, tens));
        }
    )
}

/// Size of the file the `fs` benchmark writes and reads back.
const FILE_LEN: usize = 1 << 20;
/// Size of each `write_all` in the `fs` benchmark.
const CHUNK_LEN: usize = 64 << 10;

/// `n` times: create a file, write 1 MiB to it in 64 KiB `write_all`s, `flush`, close;
/// open it, `read_to_end`, check every byte. A fresh directory under the system's temp
/// dir holds the file and is removed afterwards.
fn fs(rt: Rt, n: usize) -> Option<Duration> {
    let dir = std::env::temp_dir().join(format!("corio-bench-fs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("data");
    let path = path.as_path();
    let chunk = |i: usize| vec![i as u8; CHUNK_LEN];
    let took = timed!(
        rt,
        |r| {
            use r::io::{AsyncReadExt, AsyncWriteExt};
            for i in 0..n {
                let data = chunk(i);
                let mut file = r::fs::File::create(path).await.unwrap();
                for _ in 0..FILE_LEN / CHUNK_LEN {
                    file.write_all(&data).await.unwrap();
                }
                file.flush().await.unwrap();
                drop(file);
                let mut back = Vec::new();
                let mut file = r::fs::File::open(path).await.unwrap();
                file.read_to_end(&mut back).await.unwrap();
                assert!(back.len() == FILE_LEN && back.iter().all(|&b| b == i as u8));
            }
        },
        smol: |ex| async {
            use smol::io::{AsyncReadExt, AsyncWriteExt};
            for i in 0..n {
                let data = chunk(i);
                let mut file = smol::fs::File::create(path).await.unwrap();
                for _ in 0..FILE_LEN / CHUNK_LEN {
                    file.write_all(&data).await.unwrap();
                }
                file.flush().await.unwrap();
                drop(file);
                let mut back = Vec::new();
                let mut file = smol::fs::File::open(path).await.unwrap();
                file.read_to_end(&mut back).await.unwrap();
                assert!(back.len() == FILE_LEN && back.iter().all(|&b| b == i as u8));
            }
        }
    );
    std::fs::remove_dir_all(&dir).unwrap();
    took
}

/// `BufReader::lines` over `n` short lines held in memory (a `&[u8]` reader), counting
/// lines and bytes. The input is built before the clock starts.
fn buf_reader_lines(rt: Rt, n: usize) -> Option<Duration> {
    let text: String = (0..n).map(|i| format!("line {i}\n")).collect();
    let input = text.as_bytes();
    // Every line's length without its '\n'.
    let expected = (n, text.len() - n);
    timed!(
        rt,
        |r| {
            use r::io::AsyncBufReadExt;
            let mut lines = r::io::BufReader::new(input).lines();
            let (mut count, mut bytes) = (0usize, 0usize);
            while let Some(line) = lines.next_line().await.unwrap() {
                count += 1;
                bytes += line.len();
            }
            assert_eq!((count, bytes), expected);
        },
        smol: |ex| async {
            use smol::io::AsyncBufReadExt;
            use smol::stream::StreamExt;
            let mut lines = smol::io::BufReader::new(input).lines();
            let (mut count, mut bytes) = (0usize, 0usize);
            while let Some(line) = lines.next().await {
                count += 1;
                bytes += line.unwrap().len();
            }
            assert_eq!((count, bytes), expected);
        }
    )
}

/// The rows of this file, in table order, at full size.
pub(super) fn benches() -> Vec<super::Bench> {
    vec![
        ("select! ready + pending recv", 1_000_000, select),
        ("JoinSet spawn + join_next", 100_000, join_set),
        ("watch send, 10 receivers changed + borrow", 100_000, watch),
        (
            "RwLock read, write every 10th, uncontended",
            1_000_000,
            rwlock,
        ),
        ("fs File: write 1 MiB in 64 KiB, flush, read_to_end", 50, fs),
        ("BufReader lines, in memory", 1_000_000, buf_reader_lines),
    ]
}
