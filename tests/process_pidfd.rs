//! `corio::process` with exits seen through pidfds (Linux ≥ 5.3): the shared tests in
//! `process_common/`, plus a check that pidfds are what is used.
#![cfg(feature = "macros")] // written in tokio's style, with #[corio::test]

mod process_common;
mod util;

use corio::process::Command;

/// Nothing to set: pidfds are the default where the kernel has them.
fn use_defaults() {}

process_tests!(use_defaults);

#[corio::test]
#[cfg_attr(miri, ignore)]
async fn a_waiting_child_holds_a_pidfd() {
    let mut child = Command::new("sleep").arg("1000").spawn().unwrap();
    // Other tests of this binary run alongside, so at least this child's.
    assert!(process_common::pidfd_count() >= 1);
    let killed = child.kill();
    util::within(process_common::LIMIT, "kill", killed)
        .await
        .unwrap();
}

/// A child dropped while running, whose runtime is then dropped too, is reaped by the next
/// spawn of a later runtime.
#[test]
#[cfg_attr(miri, ignore)]
fn a_child_left_by_a_dropped_runtime_is_reaped_by_a_later_spawn() {
    let pid = corio::block_on(async {
        let child = Command::new("sleep").arg("1000").spawn().unwrap();
        child.id().unwrap()
    });
    // SAFETY: `pid` is our unreaped child, so it cannot have been reused.
    assert_eq!(unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) }, 0);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    // Until it is a zombie, or already reaped by another test's spawn of this binary.
    while matches!(process_common::stat(pid), Some((state, _)) if state != 'Z') {
        assert!(
            std::time::Instant::now() < deadline,
            "{pid} never became a zombie"
        );
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    corio::block_on(async {
        let status = Command::new("true").status().await.unwrap();
        assert_eq!(status.code(), Some(0));
    });
    assert!(!process_common::is_our_child(pid), "{pid} still a zombie");
}
