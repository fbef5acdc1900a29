//! Dropping a runtime with tasks still pending (on accepts, reads, sleeps, other tasks, or
//! never polled) drops every future exactly once, cancels their handles, and closes every
//! descriptor it opened.
//!
//! These tests count `/proc/self/fd`, so they run one at a time (`LOCK`).

mod common_exec;

use std::future::{pending, poll_fn};
use std::sync::Mutex;
use std::task::{Poll, Waker};
use std::time::Duration;

use common_exec::{counted, open_fds, poll_once, with_watchdog, yield_until, DropCounter};
use corio::io::AsyncReadExt;
use corio::net::{TcpListener, TcpStream};
use corio::{JoinHandle, Runtime};

static LOCK: Mutex<()> = Mutex::new(());

const WATCHDOG: Duration = Duration::from_secs(30);

fn serial() -> std::sync::MutexGuard<'static, ()> {
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// Counters for each kind of pending work.
#[derive(Default)]
struct Drops {
    accept: DropCounter,
    read: DropCounter,
    peer: DropCounter,
    sleep: DropCounter,
    forever: DropCounter,
    joiner: DropCounter,
    never_polled: DropCounter,
}

impl Drops {
    fn counts(&self) -> [usize; 7] {
        [
            self.accept.count(),
            self.read.count(),
            self.peer.count(),
            self.sleep.count(),
            self.forever.count(),
            self.joiner.count(),
            self.never_polled.count(),
        ]
    }
}

/// Fills `rt` with pending tasks of every kind; returns their handles and one task waker.
fn fill(rt: &Runtime, drops: &Drops) -> (Vec<JoinHandle<()>>, Waker) {
    rt.block_on(async {
        let mut handles = Vec::new();
        let mut polls = Vec::new();
        let mut spawn_counted = |f: std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>| {
            let (task, p) = counted(f);
            polls.push(p);
            handles.push(corio::spawn(task));
        };
        let accepting = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let guard = drops.accept.guard();
        spawn_counted(Box::pin(async move {
            let _guard = guard;
            let _ = accepting.accept().await;
            unreachable!("nobody connects");
        }));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (server, _) = listener.accept().await.unwrap();
        let guard = drops.read.guard();
        spawn_counted(Box::pin(async move {
            let _guard = guard;
            let mut buf = [0u8; 8];
            let _ = client.read(&mut buf).await;
            unreachable!("nobody writes");
        }));
        let guard = drops.peer.guard();
        spawn_counted(Box::pin(async move {
            let _guard = guard;
            let _server = server;
            let _listener = listener;
            pending::<()>().await
        }));
        let guard = drops.sleep.guard();
        spawn_counted(Box::pin(async move {
            let _guard = guard;
            corio::time::sleep(Duration::from_secs(3600)).await
        }));
        let guard = drops.forever.guard();
        let forever = corio::spawn(async move {
            let _guard = guard;
            pending::<()>().await
        });
        let guard = drops.joiner.guard();
        spawn_counted(Box::pin(async move {
            let _guard = guard;
            let _ = forever.await;
            unreachable!("the awaited task never ends");
        }));
        assert!(yield_until(|| polls.iter().all(|p| p.get() == 1), 100).await);
        let waker = poll_fn(|cx| Poll::Ready(cx.waker().clone())).await;
        // Spawned last, never polled: block_on returns first.
        let guard = drops.never_polled.guard();
        handles.push(corio::spawn(async move {
            let _guard = guard;
            unreachable!("never polled");
        }));
        (handles, waker)
    })
}

#[test]
#[cfg_attr(miri, ignore)]
fn dropping_the_runtime_drops_every_pending_future_once_and_closes_every_fd() {
    let _serial = serial();
    with_watchdog(WATCHDOG, || {
        let baseline = open_fds();
        let drops = Drops::default();
        let rt = Runtime::new().unwrap();
        let (handles, waker) = fill(&rt, &drops);
        assert_eq!(drops.counts(), [0; 7]);
        assert_eq!(rt.alive_tasks(), 7);
        assert_eq!(rt.registered_sources(), 4); // two listeners, client, server
        assert!(open_fds() > baseline);
        drop(rt);
        assert_eq!(
            drops.counts(),
            [1; 7],
            "each pending future dropped exactly once"
        );
        waker.wake_by_ref(); // a no-op now
        for mut handle in handles {
            assert!(handle.is_finished());
            match poll_once(&mut handle) {
                Poll::Ready(Err(e)) => assert!(e.is_cancelled(), "{e:?}"),
                other => panic!("expected cancelled, got {:?}", other.map(|r| r.is_ok())),
            }
        }
        drop(waker);
        assert_eq!(drops.counts(), [1; 7]);
        assert_eq!(open_fds(), baseline, "descriptors leaked");
    });
}

#[test]
#[cfg_attr(miri, ignore)]
fn handles_of_a_dropped_runtime_resolve_inside_another_runtime() {
    let _serial = serial();
    with_watchdog(WATCHDOG, || {
        let drops = Drops::default();
        let rt = Runtime::new().unwrap();
        let (handles, _waker) = fill(&rt, &drops);
        drop(rt);
        corio::block_on(async {
            for handle in handles {
                assert!(handle.await.unwrap_err().is_cancelled());
            }
        });
        assert_eq!(drops.counts(), [1; 7]);
    });
}

#[test]
#[cfg_attr(miri, ignore)]
fn repeated_runtime_drops_with_pending_io_leak_no_fds() {
    const ROUNDS: usize = 30;
    let _serial = serial();
    with_watchdog(WATCHDOG, || {
        let baseline = open_fds();
        let drops = Drops::default();
        for _ in 0..ROUNDS {
            let rt = Runtime::new().unwrap();
            let (handles, waker) = fill(&rt, &drops);
            drop((rt, handles, waker));
        }
        assert_eq!(drops.counts(), [ROUNDS; 7]);
        assert_eq!(open_fds(), baseline, "descriptors leaked");
    });
}

#[test]
#[cfg_attr(miri, ignore)]
fn stream_that_outlives_its_runtime_closes_its_fds_when_dropped() {
    let _serial = serial();
    with_watchdog(WATCHDOG, || {
        let baseline = open_fds();
        let rt = Runtime::new().unwrap();
        let listener = rt.block_on(async { TcpListener::bind("127.0.0.1:0").await.unwrap() });
        let addr = listener.local_addr().unwrap();
        drop(rt);
        // The escaped listener still owns its socket (and keeps the backend alive).
        let client = std::net::TcpStream::connect(addr).unwrap();
        drop(client);
        assert!(open_fds() > baseline);
        drop(listener);
        assert_eq!(open_fds(), baseline, "descriptors leaked");
    });
}
