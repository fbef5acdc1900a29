//! Seeing what the runtime does: named tasks, the slow-poll detector, and the counters.
//!
//! ```text
//! cargo run --example observe                         # threshold 100 ms, set by the builder
//! CORIO_SLOW_POLL_MS=5 cargo run --example observe    # the environment decides instead
//! ```
//!
//! The tutorials warn that one blocking call in an event loop stalls every client (the
//! non-blocking rungs of the ladder). Here task "blocker" makes that mistake with
//! `std::thread::sleep`, and the detector names it and its line on stderr; task
//! "offloaded" does the same work the right way, on the blocking pool, and is not
//! reported. At the end the runtime's counters are printed.

use std::time::Duration;

use corio::task::{spawn_blocking, Builder};

fn main() {
    if let Err(e) = run() {
        eprintln!("observe: {e}");
        std::process::exit(1);
    }
}

fn run() -> std::io::Result<()> {
    let mut builder = corio::Runtime::builder();
    if std::env::var_os("CORIO_SLOW_POLL_MS").is_none() {
        builder.slow_poll_threshold(Some(Duration::from_millis(100)));
    }
    let runtime = builder.build()?;
    println!(
        "slow-poll threshold: {:?}",
        runtime.slow_poll_threshold().unwrap_or_default()
    );
    runtime.block_on(async {
        let blocker = Builder::new().name("blocker").spawn(async {
            // The mistake: a blocking call inside a task holds the whole thread.
            std::thread::sleep(Duration::from_millis(250));
        })?;
        let offloaded = Builder::new().name("offloaded").spawn(async {
            // The fix: the same wait on a pool thread; this task only awaits.
            spawn_blocking(|| std::thread::sleep(Duration::from_millis(250))).await
        })?;
        let ticker = Builder::new().name("ticker").spawn(async {
            let mut ticks = 0;
            let mut interval = corio::time::interval(Duration::from_millis(5));
            while ticks < 5 {
                interval.tick().await;
                ticks += 1;
            }
            ticks
        })?;
        blocker.await.map_err(std::io::Error::other)?;
        offloaded
            .await
            .map_err(std::io::Error::other)?
            .map_err(std::io::Error::other)?;
        let ticks = ticker.await.map_err(std::io::Error::other)?;
        println!("ticker ticked {ticks} times");
        Ok::<(), std::io::Error>(())
    })?;
    let m = runtime.metrics();
    println!(
        "tasks spawned {}, alive {}; polls {}; wakes local {}, remote {}; \
         reactor waits {}, events {}; slow polls {}",
        m.tasks_spawned,
        m.tasks_alive,
        m.polls,
        m.wakes_local,
        m.wakes_remote,
        m.reactor_waits,
        m.reactor_events,
        m.slow_polls
    );
    Ok(())
}
