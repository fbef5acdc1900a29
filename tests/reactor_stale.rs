//! Stale events: an fd closed and its number reused at once (with the reactor slot reused
//! too) never hands the old socket's events to the new one, and a dropped source never
//! wakes its task again.
//!
//! The tests here watch fd numbers, so they run one at a time (`LOCK`): a test running in
//! parallel would grab the freed number first.

mod common_exec;

use std::cell::Cell;
use std::collections::HashSet;
use std::future::poll_fn;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Mutex;
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::Duration;

use common_exec::{counted, with_watchdog, yield_until};
use corio::io::{AsyncRead, AsyncReadExt};
use corio::net::TcpStream;
use corio::Runtime;

static LOCK: Mutex<()> = Mutex::new(());

const WATCHDOG: Duration = Duration::from_secs(30);

fn serial() -> std::sync::MutexGuard<'static, ()> {
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// A blocking std connection to `listener`, as (corio client, std peer).
fn corio_pair(listener: &std::net::TcpListener) -> (TcpStream, std::net::TcpStream) {
    let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (peer, _) = listener.accept().unwrap();
    (TcpStream::from_std(client).unwrap(), peer)
}

#[test]
fn event_for_a_closed_fd_never_reaches_the_new_socket_on_the_same_fd() {
    let _serial = serial();
    with_watchdog(WATCHDOG, || {
        let rt = Runtime::new().unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let reused = rt.block_on(async {
            for _attempt in 0..10 {
                // X: the trigger the main future waits on. A: the victim, registered, with
                // data on its way that nobody reads.
                let (mut x, peer_x) = corio_pair(&listener);
                let (a, peer_a) = corio_pair(&listener);
                let fd_a = a.as_raw_fd();
                let sources = rt.registered_sources();
                // One thread writes to A, then to X, while the runtime sleeps in its
                // backend wait: both events land in the ready list together.
                let writer = thread::spawn(move || {
                    let (mut peer_a, mut peer_x) = (peer_a, peer_x);
                    peer_a.write_all(b"old").unwrap();
                    peer_x.write_all(b"go").unwrap();
                    (peer_a, peer_x)
                });
                let mut go = [0u8; 2];
                x.read_exact(&mut go).await.unwrap();
                assert_eq!(&go, b"go");
                let (mut peer_a, _peer_x) = writer.join().unwrap();
                // Close A with its event pending and take its fd number straight away.
                drop(a);
                assert_eq!(rt.registered_sources(), sources - 1);
                let (b, mut peer_b) = corio_pair(&listener);
                if b.as_raw_fd() != fd_a {
                    continue; // another descriptor was free lower down; try again
                }
                // The old connection keeps talking (its peer gets RST at some point).
                let _ = peer_a.write_all(b"stale");
                let mut b = b;
                let (reader, polls) = counted(async move {
                    let mut buf = [0u8; 16];
                    let n = b.read(&mut buf).await.unwrap();
                    buf[..n].to_vec()
                });
                let reader = corio::spawn(reader);
                assert!(yield_until(|| polls.get() == 1, 100).await);
                // A window for any stale event or wake to arrive (not synchronisation:
                // nothing should happen in it).
                corio::time::sleep(Duration::from_millis(20)).await;
                assert_eq!(
                    polls.get(),
                    1,
                    "the new socket was woken by the old one's events"
                );
                peer_b.write_all(b"new").unwrap();
                assert_eq!(reader.await.unwrap(), b"new");
                assert_eq!(polls.get(), 2, "one event, one wake");
                return true;
            }
            false
        });
        assert!(
            reused,
            "the kernel never reused the closed fd number in 10 attempts"
        );
    });
}

#[test]
fn dropped_stream_never_wakes_its_task_again() {
    let _serial = serial();
    with_watchdog(WATCHDOG, || {
        let rt = Runtime::new().unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        rt.block_on(async {
            let (stream, mut peer) = corio_pair(&listener);
            assert_eq!(rt.registered_sources(), 1);
            let resume: Rc<Cell<Option<Waker>>> = Rc::default();
            let park = resume.clone();
            let mut stream = Some(stream);
            let mut phase = 0;
            let (task, polls) = counted(poll_fn(move |cx: &mut Context<'_>| {
                phase += 1;
                match (phase, stream.as_mut()) {
                    // First poll: park on a read, and leave a second way to be woken.
                    (1, Some(s)) => {
                        let mut buf = [0u8; 8];
                        assert!(Pin::new(s).poll_read(cx, &mut buf).is_pending());
                        park.set(Some(cx.waker().clone()));
                    }
                    // Second poll: drop the stream, then wait on nothing ever again.
                    _ => stream = None,
                }
                Poll::<()>::Pending
            }));
            let task = corio::spawn(task);
            assert!(yield_until(|| polls.get() == 1, 100).await);
            resume.take().unwrap().wake();
            assert!(yield_until(|| polls.get() == 2, 100).await);
            assert_eq!(rt.registered_sources(), 0);
            // Everything the old socket could report: data, then end of stream, then
            // (after the peer is gone) nothing at all.
            let _ = peer.write_all(b"late data");
            let _ = peer.shutdown(std::net::Shutdown::Both);
            drop(peer);
            // A window for a wrong wake (not synchronisation: nothing should happen).
            corio::time::sleep(Duration::from_millis(30)).await;
            assert_eq!(polls.get(), 2, "a deregistered stream woke its task");
            task.abort();
            assert!(task.await.unwrap_err().is_cancelled());
        });
    });
}

#[test]
fn fd_and_slot_churn_keeps_every_connections_bytes_apart() {
    const CONNECTIONS: usize = 200;
    let _serial = serial();
    with_watchdog(WATCHDOG, || {
        let rt = Runtime::new().unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let fds = rt.block_on(async {
            let mut fds = HashSet::new();
            for i in 0..CONNECTIONS {
                let (mut client, mut peer) = corio_pair(&listener);
                fds.insert(client.as_raw_fd());
                let payload = format!("connection {i} says hello");
                let reader = corio::spawn(async move {
                    let mut got = Vec::new();
                    client.read_to_end(&mut got).await.unwrap();
                    got
                });
                // Every other time, let the reader park first, so the data comes as an event.
                if i % 2 == 0 {
                    corio::task::yield_now().await;
                }
                peer.write_all(payload.as_bytes()).unwrap();
                peer.shutdown(std::net::Shutdown::Write).unwrap();
                assert_eq!(reader.await.unwrap(), payload.as_bytes(), "connection {i}");
                let mut rest = Vec::new();
                peer.read_to_end(&mut rest).unwrap();
                assert!(rest.is_empty());
            }
            fds
        });
        assert_eq!(rt.registered_sources(), 0);
        assert!(
            fds.len() < CONNECTIONS / 2,
            "fd numbers were not reused ({} distinct), the test proves little",
            fds.len()
        );
    });
}
