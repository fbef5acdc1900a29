//! `corio::process` with the `SIGCHLD` fallback forced (`CORIO_PROCESS_WAIT=sigchld`, as
//! on kernels without `pidfd_open`): the shared tests in `process_common/`, plus a check
//! that no pidfd is ever opened.
#![cfg(feature = "macros")] // written in tokio's style, with #[corio::test]

mod process_common;
mod util;

use corio::process::Command;

/// Every test of this binary sets the same value before its first spawn.
fn force_sigchld() {
    std::env::set_var("CORIO_PROCESS_WAIT", "sigchld");
}

process_tests!(force_sigchld);

#[corio::test]
#[cfg_attr(miri, ignore)]
async fn no_pidfd_is_opened() {
    force_sigchld();
    let mut child = Command::new("sleep").arg("1000").spawn().unwrap();
    assert_eq!(process_common::pidfd_count(), 0);
    let killed = child.kill();
    util::within(process_common::LIMIT, "kill", killed)
        .await
        .unwrap();
    assert_eq!(process_common::pidfd_count(), 0);
}
