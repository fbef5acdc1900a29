//! Thread-per-core workers: connections spread over every worker, `!Send` tasks stay
//! put, cross-worker spawn and abort, panics contained, shutdown joins.

mod util;

use std::io::{ErrorKind, Read};
use std::rc::Rc;
use std::sync::mpsc as std_mpsc;
use std::thread::{self, ThreadId};
use std::time::Duration;

use corio::io::AsyncWriteExt;
use corio::net::TcpListener;
use corio::workers::{current, current_index, Workers};

fn two_workers() -> Workers {
    corio::Runtime::builder()
        .workers(2)
        .build_workers()
        .unwrap()
}

/// Sends the thread id it is dropped on.
struct DropProbe(std_mpsc::Sender<ThreadId>);

impl Drop for DropProbe {
    fn drop(&mut self) {
        let _ = self.0.send(thread::current().id());
    }
}

fn worker_thread_id(workers: &Workers, index: usize) -> ThreadId {
    workers
        .spawn_on(index, async { thread::current().id() })
        .unwrap()
        .join()
        .unwrap()
}

#[test]
fn each_worker_runs_its_own_copy_on_its_own_thread() {
    let workers = two_workers();
    let got = workers.block_on_each(|index| async move {
        let name = thread::current().name().map(str::to_owned);
        (index, current_index(), name)
    });
    let got: Vec<_> = got.into_iter().map(Result::unwrap).collect();
    assert_eq!(
        got,
        [
            (0, Some(0), Some("corio-worker-0".to_string())),
            (1, Some(1), Some("corio-worker-1".to_string()))
        ]
    );
    assert_eq!(current_index(), None);
    assert!(current().is_none());
}

#[test]
fn reuse_port_listeners_spread_connections_over_every_worker() {
    let workers = two_workers();
    let (addr_tx, addr_rx) = std_mpsc::channel();
    let mut servers = Vec::new();
    let mut addr = None;
    for index in 0..2 {
        let (bind_to, ready) = (addr, addr_tx.clone());
        servers.push(
            workers
                .spawn_on_with(index, move || async move {
                    let listener = TcpListener::bind_reuse_port(
                        bind_to.unwrap_or_else(|| "127.0.0.1:0".parse().unwrap()),
                    )
                    .await
                    .unwrap();
                    ready.send(listener.local_addr().unwrap()).unwrap();
                    loop {
                        let (mut stream, _) = listener.accept().await.unwrap();
                        stream.write_all(&[index as u8]).await.unwrap();
                    }
                })
                .unwrap(),
        );
        addr = Some(addr_rx.recv().unwrap()); // bound before the next one shares it
    }
    let mut served = [0usize; 2];
    for _ in 0..64 {
        let mut client = std::net::TcpStream::connect(addr.unwrap()).unwrap();
        let mut byte = [0u8; 1];
        client.read_exact(&mut byte).unwrap();
        served[byte[0] as usize] += 1;
    }
    assert_eq!(served.iter().sum::<usize>(), 64);
    assert!(
        served.iter().all(|&n| n > 0),
        "all on one worker: {served:?}"
    );
    for server in servers {
        server.abort();
        assert!(server.join().unwrap_err().is_cancelled());
    }
}

#[test]
fn a_non_send_task_never_leaves_its_worker() {
    let workers = two_workers();
    let owner = worker_thread_id(&workers, 1);
    let seen = workers
        .spawn_on_with(1, || async {
            let rc = Rc::new(()); // !Send: the future could not even be spawned elsewhere
            let mut seen = vec![thread::current().id()];
            corio::task::yield_now().await;
            seen.push(thread::current().id());
            corio::time::sleep(Duration::from_millis(5)).await;
            seen.push(thread::current().id());
            let (tx, rx) = corio::sync::oneshot::channel();
            thread::spawn(move || tx.send(()).unwrap()); // woken from a foreign thread
            rx.await.unwrap();
            seen.push(thread::current().id());
            drop(rc);
            seen
        })
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(seen, vec![owner; 4]);
    assert_ne!(owner, thread::current().id());
}

#[test]
fn a_worker_spawns_on_another_and_gets_the_result() {
    let workers = two_workers();
    let got = workers
        .spawn_on(0, async {
            let others = current().expect("on a worker");
            let remote = others.spawn_on(1, async { current_index() }).unwrap();
            (current_index(), remote.await.unwrap())
        })
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(got, (Some(0), Some(1)));
}

#[test]
fn abort_from_another_worker_drops_the_future_on_its_owner() {
    let workers = two_workers();
    let owner = worker_thread_id(&workers, 1);
    let (dropped_tx, dropped_rx) = std_mpsc::channel();
    let (started_tx, started_rx) = std_mpsc::channel();
    let victim = workers
        .spawn_on(1, async move {
            let _probe = DropProbe(dropped_tx);
            started_tx.send(()).unwrap();
            std::future::pending::<()>().await;
        })
        .unwrap();
    started_rx.recv().unwrap();
    let outcome = workers
        .spawn_on(0, async move {
            victim.abort();
            victim.await.map_err(|e| e.is_cancelled())
        })
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(outcome, Err(true));
    assert_eq!(dropped_rx.recv().unwrap(), owner);
}

#[test]
fn a_panicking_task_does_not_take_its_worker_down() {
    let workers = two_workers();
    let panicked = workers
        .spawn_on(0, async { panic!("task boom") })
        .unwrap()
        .join();
    assert!(panicked.unwrap_err().is_panic());
    let make_panicked = workers
        .spawn_on_with(0, || -> std::future::Ready<()> {
            panic!("constructor boom")
        })
        .unwrap()
        .join();
    assert!(make_panicked.unwrap_err().is_panic());
    let after = workers.spawn_on(0, async { 41 + 1 }).unwrap().join();
    assert_eq!(after.unwrap(), 42);
}

#[test]
fn shutdown_drops_pending_tasks_on_their_workers_and_joins() {
    let workers = two_workers();
    let owner = worker_thread_id(&workers, 0);
    let handle = workers.handle();
    let (dropped_tx, dropped_rx) = std_mpsc::channel();
    let (started_tx, started_rx) = std_mpsc::channel();
    let pending = workers
        .spawn_on(0, async move {
            let _probe = DropProbe(dropped_tx);
            started_tx.send(()).unwrap();
            std::future::pending::<()>().await;
        })
        .unwrap();
    started_rx.recv().unwrap();
    workers.shutdown(); // returns only after both threads are joined
    assert_eq!(dropped_rx.try_recv().unwrap(), owner);
    assert!(pending.join().unwrap_err().is_cancelled());
    let late = handle.spawn_on(1, async {}).unwrap_err();
    assert_eq!(late.kind(), ErrorKind::NotConnected);
}

#[test]
fn bad_requests_are_clear_errors() {
    let zero = corio::Runtime::builder()
        .workers(0)
        .build_workers()
        .unwrap_err();
    assert_eq!(zero.kind(), ErrorKind::InvalidInput);
    let workers = two_workers();
    let out_of_range = workers.spawn_on(2, async {}).unwrap_err();
    assert_eq!(out_of_range.kind(), ErrorKind::InvalidInput);
    let custom = corio::Runtime::builder()
        .selector(|| corio::Backend::os_default().selector())
        .build_workers()
        .unwrap_err();
    assert_eq!(custom.kind(), ErrorKind::Unsupported);
}

#[cfg(target_os = "linux")]
#[test]
fn pinned_workers_each_run_on_one_core() {
    let workers = corio::Runtime::builder()
        .workers(2)
        .pin_workers(true)
        .build_workers()
        .unwrap();
    let cpus = workers.block_on_each(|_| async {
        // SAFETY: an all-zero cpu_set_t is empty; sched_getaffinity fills it.
        let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
        // SAFETY: `set` is a live cpu_set_t of the size passed.
        let ret =
            unsafe { libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) };
        assert_eq!(ret, 0);
        // SAFETY: CPU_COUNT only reads `set`.
        unsafe { libc::CPU_COUNT(&set) }
    });
    for cpus in cpus {
        assert_eq!(cpus.unwrap(), 1);
    }
}

#[test]
fn blocking_waits_on_a_runtime_thread_panic_instead_of_deadlocking() {
    let workers = two_workers();
    let inner = workers.spawn_on(1, async {}).unwrap();
    let outcome = workers
        .spawn_on(0, async move { inner.join() }) // a blocking join on a worker
        .unwrap()
        .join();
    let err = outcome.unwrap_err();
    assert!(err.is_panic());
    assert!(err.to_string().contains("blocking wait"), "{err}");
    corio::block_on(async {
        let (_tx, mut rx) = corio::sync::mpsc::channel::<u8>(1);
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| rx.blocking_recv()));
        assert!(caught.is_err());
    });
}
