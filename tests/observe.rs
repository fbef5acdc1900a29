//! Seeing what the runtime does: spawn sites and names, the slow-poll detector, counters.

mod util;

use std::process::Command;
use std::time::Duration;

use corio::task::{yield_now, Builder};
use util::example_path;

#[test]
fn the_detector_names_the_blocking_task_and_its_line_and_nothing_else() {
    let out = Command::new(example_path("observe"))
        .env_remove("CORIO_SLOW_POLL_MS")
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    let reports: Vec<&str> = stderr.lines().collect();
    assert_eq!(reports.len(), 1, "{stderr}");
    let line = reports[0];
    assert!(
        line.starts_with("corio: slow poll: task \"blocker\" spawned at examples/observe.rs:"),
        "{line}"
    );
    assert!(line.ends_with("ms (threshold 100.0 ms)"), "{line}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("slow polls 1\n"), "{stdout}");
}

#[test]
fn the_environment_sets_the_threshold_and_a_bad_value_is_a_clear_error() {
    let out = Command::new(example_path("observe"))
        .env("CORIO_SLOW_POLL_MS", "7.5")
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.starts_with("slow-poll threshold: 7.5ms\n"),
        "{stdout}"
    );

    let out = Command::new(example_path("observe"))
        .env("CORIO_SLOW_POLL_MS", "soon")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "observe: CORIO_SLOW_POLL_MS=\"soon\": expected milliseconds\n"
    );
}

#[test]
fn only_polls_past_the_threshold_are_counted() {
    let rt = corio::Runtime::builder()
        .slow_poll_threshold(Some(Duration::from_millis(250)))
        .build()
        .unwrap();
    rt.block_on(async {
        for _ in 0..20 {
            corio::spawn(async { yield_now().await }).await.unwrap();
        }
        corio::spawn(async { std::thread::sleep(Duration::from_millis(300)) })
            .await
            .unwrap();
    });
    assert_eq!(rt.metrics().slow_polls, 1);
    let off = corio::Runtime::builder()
        .slow_poll_threshold(None)
        .build()
        .unwrap();
    off.block_on(async { std::thread::sleep(Duration::from_millis(40)) });
    assert_eq!(off.metrics().slow_polls, 0);
    assert_eq!(off.slow_poll_threshold(), None);
}

#[test]
fn counters_count_exactly() {
    let rt = corio::Runtime::new().unwrap();
    let before = rt.metrics();
    assert_eq!((before.tasks_spawned, before.polls), (0, 0));
    rt.block_on(async {
        let m0 = corio::metrics::current().unwrap();
        assert_eq!(m0.polls, 1); // this very poll of block_on's future

        // A task that yields twice: polled three times, woken locally twice.
        let task = corio::spawn(async {
            yield_now().await;
            yield_now().await;
        });
        let m1 = corio::metrics::current().unwrap();
        assert_eq!((m1.tasks_spawned, m1.tasks_alive), (1, 1));
        task.await.unwrap();
        let m2 = corio::metrics::current().unwrap();
        assert_eq!(m2.tasks_alive, 0);
        assert_eq!(
            m2.polls - m1.polls,
            3 + 1,
            "three task polls, one more of ours"
        );
        assert_eq!(
            m2.wakes_local - m1.wakes_local,
            2 + 1,
            "two yields, our join wake"
        );
        assert_eq!(m2.wakes_remote, 0);

        // A wake from another thread.
        let (tx, mut rx) = corio::sync::oneshot::channel();
        // Park on the receiver first, and send only once this thread sleeps in the
        // reactor, so the send must wake it through the doorbell (sent any earlier, the
        // value could be found ready without a wait).
        assert!(util::poll_once(&mut rx).await.is_pending());
        let runtime_thread = this_thread_id();
        std::thread::spawn(move || {
            let limit = Duration::from_secs(20);
            let asleep = || runtime_thread.map_or(true, thread_sleeps);
            assert!(util::wait_for(limit, Duration::from_millis(1), asleep));
            tx.send(()).unwrap()
        });
        rx.await.unwrap();
        let m3 = corio::metrics::current().unwrap();
        assert_eq!(m3.wakes_remote, 1);
        assert!(
            m3.reactor_waits > m2.reactor_waits,
            "we waited for the doorbell"
        );
        assert!(m3.reactor_events > m2.reactor_events, "the doorbell rang");

        let listener = corio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let m4 = corio::metrics::current().unwrap();
        assert_eq!(m4.registered_sources, m3.registered_sources + 1);
        drop(listener);
    });
    assert_eq!(rt.metrics().tasks_spawned, 1);
    assert_eq!(corio::metrics::current(), None);
}

#[test]
fn builder_names_tasks_and_fails_cleanly_outside_a_runtime() {
    let err = Builder::new().name("orphan").spawn(async {}).unwrap_err();
    assert!(err.to_string().contains("no corio runtime"), "{err}");
    corio::block_on(async {
        let h = Builder::new().name("named").spawn(async { 7 }).unwrap();
        assert_eq!(h.await.unwrap(), 7);
    });
}

#[test]
fn join_errors_are_send_and_sync_and_become_io_errors() {
    fn assert_error<E: std::error::Error + Send + Sync + 'static>() {}
    assert_error::<corio::JoinError>();
    corio::block_on(async {
        let err = corio::spawn(async { panic!("boom") }).await.unwrap_err();
        let io = std::io::Error::other(err);
        assert_eq!(io.to_string(), "task panicked: boom");
    });
}

/// This thread's kernel id, where `/proc` can tell whether it sleeps (Linux).
fn this_thread_id() -> Option<i32> {
    #[cfg(target_os = "linux")]
    // SAFETY: gettid has no preconditions.
    return Some(unsafe { libc::gettid() });
    #[cfg(not(target_os = "linux"))]
    None
}

/// Whether thread `tid` of this process is asleep (state `S` in `/proc`).
fn thread_sleeps(tid: i32) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).unwrap_or_default();
    stat.rfind(')').and_then(|i| stat[i + 2..].chars().next()) == Some('S')
}
