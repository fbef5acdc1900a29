//! An always-ready task cannot starve I/O, timers, other tasks or wakes from other
//! threads: the reactor is polled every few task polls, and the cooperative budget makes a
//! task whose socket never runs dry yield.

mod common_exec;

use std::cell::Cell;
use std::future::{poll_fn, Future};
use std::io::Write;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use common_exec::{counted, with_watchdog, yield_until, Signal};
use corio::io::{AsyncReadExt, AsyncWriteExt};
use corio::net::{TcpListener, TcpStream};

const WATCHDOG: Duration = Duration::from_secs(40);

/// A task that yields forever until `stop` is set, or gives up after `limit` (then the
/// thing it was meant to starve was starved). Returns how many times it yielded.
fn spinner(stop: Rc<Cell<bool>>, limit: Duration) -> corio::JoinHandle<Result<u64, String>> {
    corio::spawn(async move {
        let start = Instant::now();
        let mut spins = 0u64;
        while !stop.get() {
            if start.elapsed() > limit {
                return Err(format!(
                    "still spinning after {limit:?}: starved the others"
                ));
            }
            spins += 1;
            corio::task::yield_now().await;
        }
        Ok(spins)
    })
}

#[test]
#[cfg_attr(miri, ignore)]
fn task_yielding_forever_cannot_starve_a_tcp_round_trip() {
    const ROUNDS: usize = 20;
    with_watchdog(WATCHDOG, || {
        corio::block_on(async {
            let stop = Rc::new(Cell::new(false));
            let spin = spinner(stop.clone(), Duration::from_secs(10));
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let server = corio::spawn(async move {
                let (mut stream, _) = listener.accept().await.unwrap();
                let mut buf = [0u8; 8];
                for _ in 0..ROUNDS {
                    stream.read_exact(&mut buf).await.unwrap();
                    buf.make_ascii_uppercase();
                    stream.write_all(&buf).await.unwrap();
                }
            });
            let client = corio::spawn(async move {
                let mut stream = TcpStream::connect(addr).await.unwrap();
                let mut replies = Vec::new();
                for round in 0..ROUNDS {
                    let msg = format!("ping{round:04}");
                    stream.write_all(msg.as_bytes()).await.unwrap();
                    let mut buf = [0u8; 8];
                    stream.read_exact(&mut buf).await.unwrap();
                    replies.push(String::from_utf8(buf.to_vec()).unwrap());
                }
                replies
            });
            let replies = client.await.unwrap();
            server.await.unwrap();
            stop.set(true);
            let spins = spin.await.unwrap().unwrap();
            assert!(spins > 0);
            let expected: Vec<String> = (0..ROUNDS).map(|r| format!("PING{r:04}")).collect();
            assert_eq!(replies, expected);
        })
    });
}

#[test]
fn task_yielding_forever_cannot_starve_timers_or_other_tasks() {
    with_watchdog(WATCHDOG, || {
        corio::block_on(async {
            let stop = Rc::new(Cell::new(false));
            let spin = spinner(stop.clone(), Duration::from_secs(10));
            let start = Instant::now();
            let sleeper = corio::spawn(async {
                for _ in 0..3 {
                    corio::time::sleep(Duration::from_millis(10)).await;
                }
            });
            let (other, other_polls) = counted(async {
                for _ in 0..100 {
                    corio::task::yield_now().await;
                }
            });
            let other = corio::spawn(other);
            sleeper.await.unwrap();
            other.await.unwrap();
            assert!(start.elapsed() >= Duration::from_millis(30));
            assert_eq!(other_polls.get(), 101);
            stop.set(true);
            assert!(spin.await.unwrap().unwrap() > 0);
        })
    });
}

#[test]
#[cfg_attr(miri, ignore)]
fn flooded_socket_reader_cannot_starve_timers_or_yielding_tasks() {
    with_watchdog(WATCHDOG, || {
        let listener_std = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener_std.local_addr().unwrap();
        let stop_flood = Arc::new(AtomicBool::new(false));
        let stop = stop_flood.clone();
        // The peer writes as fast as it can until the reader goes away (or 20 s pass).
        let flooder = thread::spawn(move || {
            let mut peer = std::net::TcpStream::connect(addr).unwrap();
            peer.set_write_timeout(Some(Duration::from_secs(1)))
                .unwrap();
            let chunk = vec![b'x'; 64 * 1024];
            let start = Instant::now();
            let mut sent = 0u64;
            while !stop.load(Ordering::SeqCst) && start.elapsed() < Duration::from_secs(20) {
                match peer.write(&chunk) {
                    Ok(n) => sent += n as u64,
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                    Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
                    Err(_) => break, // the reader closed its end
                }
            }
            sent
        });
        corio::block_on(async {
            let listener = TcpListener::from_std(listener_std).unwrap();
            let (mut stream, _) = listener.accept().await.unwrap();
            let others_done = Rc::new(Cell::new(false));
            let reads = Rc::new(Cell::new(0u64));
            let (done, r) = (others_done.clone(), reads.clone());
            // Reads 16 bytes at a time, never awaiting anything but the read itself: with
            // the peer flooding, every read completes at once. Only the budget stops it.
            let (reader, reader_polls) = counted(async move {
                let start = Instant::now();
                let mut buf = [0u8; 16];
                while !done.get() {
                    if start.elapsed() > Duration::from_secs(10) {
                        return Err("the reader starved everyone for 10 s");
                    }
                    let n = stream.read(&mut buf).await.unwrap();
                    assert_eq!(&buf[..n], &b"xxxxxxxxxxxxxxxx"[..n]);
                    if n == 0 {
                        return Err("the flood ended early");
                    }
                    r.set(r.get() + 1);
                }
                Ok(())
            });
            let reader = corio::spawn(reader);
            let start = Instant::now();
            let timers = corio::spawn(async {
                for _ in 0..3 {
                    corio::time::sleep(Duration::from_millis(10)).await;
                }
            });
            let (yielder, yielder_polls) = counted(async {
                for _ in 0..50 {
                    corio::task::yield_now().await;
                }
            });
            let yielder = corio::spawn(yielder);
            timers.await.unwrap();
            yielder.await.unwrap();
            let reads_meanwhile = reads.get();
            others_done.set(true);
            reader.await.unwrap().unwrap();
            stop_flood.store(true, Ordering::SeqCst);
            assert!(start.elapsed() >= Duration::from_millis(30));
            assert_eq!(yielder_polls.get(), 51);
            assert!(reads_meanwhile > 0, "the reader never ran");
            assert!(reader_polls.get() > 1, "the reader was never made to yield");
        });
        assert!(flooder.join().unwrap() > 0);
    });
}

#[test]
fn task_yielding_forever_cannot_starve_a_wake_from_another_thread() {
    with_watchdog(WATCHDOG, || {
        corio::block_on(async {
            let stop = Rc::new(Cell::new(false));
            let spin = spinner(stop.clone(), Duration::from_secs(3));
            let signal = Signal::new();
            let (parked_tx, parked_rx) = mpsc::channel();
            let s = signal.clone();
            let waker_thread = thread::spawn(move || {
                parked_rx.recv().unwrap();
                s.set();
            });
            // Park until the thread sets the signal; tell it once parked.
            let mut wait = signal.wait();
            let mut told = false;
            let start = Instant::now();
            poll_fn(|cx| {
                let poll = Pin::new(&mut wait).poll(cx);
                if poll.is_pending() && !told {
                    told = true;
                    parked_tx.send(()).unwrap();
                }
                poll
            })
            .await;
            let waited = start.elapsed();
            stop.set(true);
            waker_thread.join().unwrap();
            let spun = spin.await.unwrap();
            assert!(
                spun.is_ok(),
                "remote wake starved: {} (waited {waited:?})",
                spun.unwrap_err()
            );
            assert!(waited < Duration::from_secs(2), "waited {waited:?}");
        })
    });
}

#[test]
fn remote_wakes_are_collected_while_local_tasks_finish() {
    // The passing twin of the test above: with a bounded amount of local work the remote
    // wake is served as soon as the local queue runs dry.
    with_watchdog(WATCHDOG, || {
        corio::block_on(async {
            let signal = Signal::new();
            let (task, polls) = counted(signal.wait());
            let waiter = corio::spawn(task);
            let busy = corio::spawn(async {
                for _ in 0..1000 {
                    corio::task::yield_now().await;
                }
            });
            assert!(yield_until(|| polls.get() == 1, 100).await);
            let s = signal.clone();
            thread::spawn(move || s.set()).join().unwrap();
            waiter.await.unwrap();
            busy.await.unwrap();
            assert_eq!(polls.get(), 2);
        })
    });
}
