//! `AsyncFd` on a pipe: reads a child process's output as it comes, without a thread.
//!
//! ```text
//! cargo run --example pipe [-- COMMAND ARGS..]     # default: ping -c 3 127.0.0.1
//! ```
//!
//! The child's stdout is a pipe; corio registers it with the reactor like a socket, so
//! while waiting for the child the runtime stays free: a ticker task keeps printing the
//! time every second. Each line of the child's output is printed uppercased.

use std::io::{self, Read};
use std::os::fd::AsRawFd;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use corio::io::AsyncFd;

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() {
        args = ["ping", "-c", "3", "127.0.0.1"].map(String::from).to_vec();
    }
    if let Err(e) = corio::Runtime::new().and_then(|rt| rt.block_on(run(&args))) {
        eprintln!("pipe: {e}");
        std::process::exit(1);
    }
}

async fn run(args: &[String]) -> io::Result<()> {
    let mut child = Command::new(&args[0])
        .args(&args[1..])
        .stdout(Stdio::piped())
        .spawn()?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| io::Error::other("no stdout"))?;
    // As a `File`, so `&File: Read` serves the closure below.
    let stdout = std::fs::File::from(std::os::fd::OwnedFd::from(stdout));
    set_nonblocking(&stdout)?;
    let output = AsyncFd::new(stdout)?;

    let started = Instant::now();
    let ticker = corio::spawn(async move {
        let mut every = corio::time::interval(Duration::from_secs(1));
        every.tick().await; // the first tick is immediate
        loop {
            every.tick().await;
            println!("[{:.0?} elapsed, still waiting]", started.elapsed());
        }
    });

    let mut pending = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        // Read whatever the pipe holds; `read_with` parks on WouldBlock and retries.
        let n = output
            .read_with(|mut pipe: &std::fs::File| Read::read(&mut pipe, &mut buf))
            .await?;
        if n == 0 {
            break; // the child closed its stdout
        }
        pending.extend_from_slice(&buf[..n]);
        while let Some(end) = pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            print!("{}", String::from_utf8_lossy(&line).to_uppercase());
        }
    }
    if !pending.is_empty() {
        println!("{}", String::from_utf8_lossy(&pending).to_uppercase());
    }
    ticker.abort();
    // The pipe is closed; reap the child (it has exited or is about to).
    let status = corio::task::spawn_blocking(move || child.wait())
        .await
        .map_err(io::Error::other)??;
    println!("child exited: {status}");
    Ok(())
}

/// `O_NONBLOCK` on our end of the pipe (AsyncFd refuses a blocking fd).
fn set_nonblocking(fd: &impl AsRawFd) -> io::Result<()> {
    let fd = fd.as_raw_fd();
    // SAFETY: fcntl with integer arguments on an fd we own.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    // SAFETY: as above.
    if flags < 0 || unsafe { libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
