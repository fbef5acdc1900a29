//! The last `Arc<Workers>` may be dropped by a task running on one of those workers. That
//! drop stops every worker and joins every *other* worker thread before it returns; the
//! thread it runs on cannot join itself, so it finishes on its own once the task returns.

mod common_exec;

use std::cell::RefCell;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

use common_exec::with_watchdog;

const WATCHDOG: Duration = Duration::from_secs(20);
const WORKERS: usize = 3;

/// Sends its worker's index when its thread ends (thread-local destructors run before a
/// join of that thread returns).
struct ThreadExit {
    index: usize,
    exited: mpsc::Sender<usize>,
}

impl Drop for ThreadExit {
    fn drop(&mut self) {
        let _ = self.exited.send(self.index);
    }
}

thread_local! {
    static EXIT: RefCell<Option<ThreadExit>> = const { RefCell::new(None) };
}

#[test]
fn workers_dropped_on_their_own_thread_join_the_others_and_do_not_panic() {
    with_watchdog(WATCHDOG, || {
        let workers = corio::Runtime::builder()
            .workers(WORKERS)
            .build_workers()
            .unwrap();
        let (exited_tx, exited) = mpsc::channel();
        for index in 0..WORKERS {
            let exited = exited_tx.clone();
            let install = workers.spawn_on_with(index, move || {
                EXIT.with(|e| *e.borrow_mut() = Some(ThreadExit { index, exited }));
                async {}
            });
            install.unwrap().join().unwrap();
        }
        drop(exited_tx);
        let handle = workers.handle();
        let workers = Arc::new(workers);
        let (report_tx, report) = mpsc::channel();
        // The task holds the only Arc; dropping it is dropping `Workers` on worker 0.
        let last = handle.spawn_on(0, async move {
            drop(workers);
            let joined: Vec<usize> = exited.try_iter().collect();
            let _ = report_tx.send((joined, exited));
        });
        drop(last);
        let (mut joined, exited) = report
            .recv()
            .expect("the task that dropped Workers panicked instead of reporting");
        joined.sort_unstable();
        assert_eq!(joined, [1, 2], "the other workers' threads were joined");
        assert_eq!(
            exited.recv(),
            Ok(0),
            "the dropping worker's thread ended on its own"
        );
        assert_eq!(exited.recv(), Err(mpsc::RecvError), "no thread left");
        assert!(handle.spawn_on(0, async {}).is_err(), "the workers stopped");
    });
}
