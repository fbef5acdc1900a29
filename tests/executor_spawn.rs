//! Spawning: from inside tasks, 10,000 deep and 10,000 wide; `!Send` outputs; a runtime
//! reused for several `block_on` calls carries its pending tasks (and their I/O and
//! timers) from one call to the next.

mod common_exec;

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::io::Write;
use std::pin::Pin;
use std::rc::Rc;
use std::time::{Duration, Instant};

use common_exec::{counted, with_watchdog, yield_until};
use corio::io::AsyncReadExt;
use corio::Runtime;

const WATCHDOG: Duration = Duration::from_secs(60);
/// Under Miri a smaller chain and fan-out keep the run to seconds; the shape is the same.
const N: u64 = if cfg!(miri) { 200 } else { 10_000 };

/// Spawns a chain: each level spawns the next and awaits it; returns the depth reached.
fn chain(
    level: u64,
    alive: Rc<Cell<u64>>,
    peak: Rc<Cell<u64>>,
) -> Pin<Box<dyn Future<Output = u64>>> {
    Box::pin(async move {
        alive.set(alive.get() + 1);
        peak.set(peak.get().max(alive.get()));
        let depth = if level == N {
            level
        } else {
            corio::spawn(chain(level + 1, alive.clone(), peak.clone()))
                .await
                .unwrap()
        };
        alive.set(alive.get() - 1);
        depth
    })
}

#[test]
fn spawn_chain_ten_thousand_deep() {
    with_watchdog(WATCHDOG, || {
        let rt = Runtime::new().unwrap();
        let alive = Rc::new(Cell::new(0));
        let peak = Rc::new(Cell::new(0));
        let (a, p) = (alive.clone(), peak.clone());
        let depth = rt.block_on(async move { corio::spawn(chain(1, a, p)).await.unwrap() });
        assert_eq!(depth, N);
        assert_eq!(peak.get(), N, "every level was alive at once");
        assert_eq!(alive.get(), 0);
        assert_eq!(rt.alive_tasks(), 0);
    });
}

#[test]
fn spawn_ten_thousand_wide_from_inside_a_task() {
    with_watchdog(WATCHDOG, || {
        let rt = Runtime::new().unwrap();
        let sum = rt.block_on(async {
            corio::spawn(async {
                let handles: Vec<_> = (0..N)
                    .map(|i| {
                        corio::spawn(async move {
                            corio::task::yield_now().await;
                            i
                        })
                    })
                    .collect();
                let mut sum = 0;
                for handle in handles {
                    sum += handle.await.unwrap();
                }
                sum
            })
            .await
            .unwrap()
        });
        assert_eq!(sum, N * (N - 1) / 2);
        assert_eq!(rt.alive_tasks(), 0);
    });
}

#[test]
fn tasks_spawned_inside_tasks_start_later_never_inside_spawn() {
    with_watchdog(WATCHDOG, || {
        corio::block_on(async {
            let order = Rc::new(RefCell::new(Vec::new()));
            let o = order.clone();
            corio::spawn(async move {
                let inner = o.clone();
                let child = corio::spawn(async move { inner.borrow_mut().push("child") });
                o.borrow_mut().push("parent after spawn");
                child.await.unwrap();
                o.borrow_mut().push("parent after join");
            })
            .await
            .unwrap();
            assert_eq!(
                *order.borrow(),
                ["parent after spawn", "child", "parent after join"]
            );
        })
    });
}

#[test]
fn join_handle_carries_a_non_send_output() {
    with_watchdog(WATCHDOG, || {
        corio::block_on(async {
            let shared = Rc::new(RefCell::new(vec![1, 2]));
            let s = shared.clone();
            let handle: corio::JoinHandle<Rc<RefCell<Vec<i32>>>> = corio::spawn(async move {
                corio::task::yield_now().await;
                s.borrow_mut().push(3);
                s
            });
            let out = handle.await.unwrap();
            assert!(Rc::ptr_eq(&out, &shared));
            assert_eq!(*out.borrow(), [1, 2, 3]);
            assert_eq!(Rc::strong_count(&shared), 2);
        })
    });
}

#[test]
fn runtime_reused_for_two_block_on_calls_continues_pending_tasks() {
    with_watchdog(WATCHDOG, || {
        let rt = Runtime::new().unwrap();
        let steps = Rc::new(Cell::new(0));
        let s = steps.clone();
        let (task, polls) = counted(async move {
            for _ in 0..100 {
                s.set(s.get() + 1);
                corio::task::yield_now().await;
            }
            "done"
        });
        // Returned in a Vec so the block's output is not itself a future.
        let mut handles = rt.block_on(async {
            let handle = corio::spawn(task);
            assert!(yield_until(|| steps.get() >= 3, 100).await);
            vec![handle]
        });
        let handle = handles.pop().unwrap();
        let after_first = steps.get();
        assert!((3..100).contains(&after_first), "{after_first}");
        assert_eq!(rt.alive_tasks(), 1);
        // Nothing runs between two block_on calls.
        assert_eq!(steps.get(), after_first);
        assert_eq!(rt.block_on(handle).unwrap(), "done");
        assert_eq!(steps.get(), 100);
        assert_eq!(polls.get(), 101);
        assert_eq!(rt.alive_tasks(), 0);
    });
}

#[test]
#[cfg_attr(miri, ignore)]
fn io_and_timers_started_in_one_block_on_complete_in_the_next() {
    with_watchdog(WATCHDOG, || {
        let rt = Runtime::new().unwrap();
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = std::net::TcpStream::connect(std_listener.local_addr().unwrap()).unwrap();
        let (peer, _) = std_listener.accept().unwrap();
        let start = Instant::now();
        let (reader, sleeper) = rt.block_on(async {
            let mut stream = corio::net::TcpStream::from_std(client).unwrap();
            let reader = corio::spawn(async move {
                let mut buf = [0u8; 5];
                stream.read_exact(&mut buf).await.unwrap();
                buf
            });
            let sleeper = corio::spawn(async {
                corio::time::sleep(Duration::from_millis(30)).await;
                Instant::now()
            });
            corio::task::yield_now().await; // both park
            (reader, sleeper)
        });
        assert_eq!(rt.alive_tasks(), 2);
        // Between the calls: the data arrives and the deadline passes, with nobody looking.
        let mut peer = peer;
        peer.write_all(b"later").unwrap();
        std::thread::sleep(Duration::from_millis(40));
        let (bytes, fired_at) =
            rt.block_on(async { (reader.await.unwrap(), sleeper.await.unwrap()) });
        assert_eq!(&bytes, b"later");
        assert!(fired_at.duration_since(start) >= Duration::from_millis(30));
        assert_eq!(rt.alive_tasks(), 0);
    });
}
