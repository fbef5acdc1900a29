//! Starting a rung: [`build`] it once per test binary, then start it like
//! [`Server::start`].

use std::process::Command;
use std::sync::Mutex;

use crate::util::Server;

/// Starts example `name` like [`Server::start`], after [`build`] makes sure it is current.
pub fn start(name: &str) -> Server {
    build(name);
    Server::start(name)
}

/// [`start`] with extra arguments and a hook to adjust the command (see
/// [`Server::start_with`]).
pub fn start_with(name: &str, args: &[&str], adjust: impl FnOnce(&mut Command)) -> Server {
    build(name);
    Server::start_with(name, args, adjust)
}

/// Runs `cargo build --example NAME` once per example per test binary.
pub fn build(name: &str) {
    static BUILT: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let mut built = BUILT
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if !built.iter().any(|b| b == name) {
        let out = Command::new(env!("CARGO"))
            .args(["build", "--example", name])
            .output()
            .expect("run cargo build --example");
        assert!(
            out.status.success(),
            "cargo build --example {name} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        built.push(name.to_string());
    }
}
