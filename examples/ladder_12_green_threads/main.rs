//! Ladder rung 12: the uppercase echo server on green threads (stackful coroutines), as
//! greenlet and gevent do it, over a `corio::sys::Selector` and a few lines of assembly.
//!
//! Mirrors `004_d57aa4328e12da80.txt`, "greenlet模块" and "gevent" under 协程的本质和特点
//! ("在单线程下，由用户自己控制一个任务一旦遇到了I/O阻塞就切换到另外一个任务去执行"), and the
//! answer of `003_a894e32a53ba1020.txt` 第12章 to the pain of callbacks: "采用同步的方式去编写
//! 异步的代码".
//!
//! **What it fixes.** Callbacks (rung 10) and hand-written state machines (rung 11) scatter
//! one connection's logic over handlers and store its locals in structs between events.
//! Here each connection is a plain function, `serve`, with the straight-line loop of the
//! blocking rung 1: read, uppercase, write all, repeat. Its locals live on its own stack,
//! which stays put while it waits. `GreenStream::read` looks blocking; on `WouldBlock` it
//! parks the green thread and switches to the scheduler (`sched.rs`), which waits on the
//! selector for all of them at once, as gevent's hub does. No `async`, no `.await`, no
//! `Pin`, and any ordinary function deep in the call stack may block.
//!
//! **What it costs.**
//! - A stack per connection, sized up front: 64 KiB reserved plus a guard page (`stack.rs`),
//!   of which an idle connection touches a page or two; go deeper and the thread dies.
//!   Futures (`echo`) size each task's state exactly, at compile time.
//! - The switch is `unsafe` assembly per architecture (`context.rs`): x86-64 and aarch64
//!   here, anything else prints one line and exits 2. The compiler cannot check it.
//! - No preemption: a thread that computes without I/O holds the OS thread. Sockets yield
//!   every 128 operations (`sched::spend`) so a flooding client cannot starve the rest.
//! - Guard pages and a SIGSEGV handler on an alternate signal stack (`guard.rs`), so that
//!   an overflow is reported ("green thread N overflowed its 64 KiB stack", exit 3) rather
//!   than corrupting memory; two memory mappings per connection.
//!
//! Where Rust differs from Python: greenlet copies slices of the one C stack to and from
//! the heap on each switch; here every thread owns a real stack and a switch moves only
//! the stack pointer. And Rust has no stackful coroutines in the language: `async fn` is
//! its stackless answer, which `echo` uses.
//!
//! ```text
//! cargo run --example ladder_12_green_threads [-- ADDR]   # default 127.0.0.1:8080
//! ```
//!
//! Hidden flags for the tests: `--overflow-test` starts a green thread that recurses
//! without end (the report and exit 3 must follow), `--segv-test` one that faults outside
//! any guard page (the process must die of SIGSEGV as usual).

/// Declares items only where green threads are supported: x86-64 or aarch64 Linux (the
/// switch is assembly per architecture, and it uses ELF directives).
macro_rules! where_supported {
    ($($item:item)*) => {
        $(
            #[cfg(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64")))]
            $item
        )*
    };
}

#[cfg(not(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
)))]
fn main() {
    eprintln!(
        "green threads need x86-64 or aarch64 Linux; this target is {} {}",
        std::env::consts::ARCH,
        std::env::consts::OS
    );
    std::process::exit(2);
}

where_supported! {
    mod context;
    mod guard;
    mod net;
    mod sched;
    mod stack;

    fn main() {
        if let Err(e) = run() {
            eprintln!("ladder_12_green_threads: {e}");
            std::process::exit(1);
        }
    }

    use imp::*;

    mod imp {
        use std::io::{self, Read, Write};
        use std::time::Duration;

        use crate::net::{GreenListener, GreenStream};
        use crate::sched;

        /// Sets up, prints `listening on ADDR`, and runs the scheduler forever.
        pub fn run() -> io::Result<()> {
            let mut addr = "127.0.0.1:8080".to_string();
            let mut test = None;
            for arg in std::env::args().skip(1) {
                match arg.as_str() {
                    "--overflow-test" | "--segv-test" => test = Some(arg),
                    _ => addr = arg,
                }
            }
            // The backend comes from CORIO_BACKEND (epoll, poll) or the OS default.
            let selector = corio::Builder::new().chosen_backend()?.selector()?;
            sched::init(selector)?;
            let listener = GreenListener::bind(&addr)?;
            println!("listening on {}", listener.local_addr()?);
            sched::spawn(move || accept_loop(listener))?;
            match test.as_deref() {
                Some("--overflow-test") => {
                    sched::spawn(|| {
                        std::hint::black_box(recurse(1 << 20));
                    })?;
                }
                Some("--segv-test") => {
                    sched::spawn(fault_outside_any_guard)?;
                }
                _ => {}
            }
            sched::run()
        }

        /// The accept loop, a green thread like any other: one new green thread per client.
        fn accept_loop(listener: GreenListener) {
            let mut pause = Duration::from_millis(10);
            loop {
                match listener.accept() {
                    Ok(stream) => {
                        pause = Duration::from_millis(10);
                        let spawned = sched::spawn(move || {
                            if let Err(e) = serve(stream) {
                                eprintln!("client error: {e}");
                            }
                        });
                        // No memory for a stack: the stream was dropped with the closure, so
                        // this client is closed, and the server goes on.
                        if let Err(e) = spawned {
                            eprintln!("cannot start a green thread: {e}");
                        }
                    }
                    // Out of descriptors, say: with edge-triggered readiness nothing would
                    // wake us for the client still queued, so retry after a pause (10 ms,
                    // doubling to 1 s), parked on a timer; other clients go on being served.
                    Err(e) => {
                        eprintln!("accept failed: {e}; retrying in {pause:?}");
                        sched::sleep(pause);
                        pause = (pause * 2).min(Duration::from_secs(1));
                    }
                }
            }
        }

        /// One client, in straight-line code: read, uppercase, write back, until the client
        /// stops sending; then dropping the stream closes it (FIN after the last byte).
        pub fn serve(mut stream: GreenStream) -> io::Result<()> {
            let mut buf = vec![0u8; 16 * 1024];
            loop {
                let n = stream.read(&mut buf)?;
                if n == 0 {
                    return Ok(()); // the client shut down its write half
                }
                buf[..n].make_ascii_uppercase();
                stream.write_all(&buf[..n])?;
            }
        }

        /// Recursion with a 512-byte frame that the optimiser can neither drop nor turn into
        /// a loop: 2^20 levels would need 512 MiB, so it hits the guard page first.
        fn recurse(depth: u64) -> u64 {
            let frame = std::hint::black_box([depth as u8; 512]);
            if depth == 0 {
                return frame[0] as u64;
            }
            recurse(depth - 1).wrapping_add(frame[(depth % 512) as usize] as u64)
        }

        /// Reads from a page of our own made inaccessible, which is no green thread's guard
        /// page: the fault handler must leave this fault to the default action.
        fn fault_outside_any_guard() {
            let stack = crate::stack::Stack::new(4096).expect("map a page");
            // PROT_NONE, but not the guard page of any green thread.
            let page = stack.guard().start as *const u8;
            // SAFETY: this read faults on purpose (the page is mapped PROT_NONE), and the
            // SIGSEGV ends the process before the read could return a value; nothing is
            // written, and the mapping stays alive until then.
            let byte = unsafe { page.read_volatile() };
            eprintln!("read {byte} from a PROT_NONE page: the fault handler is broken");
        }
    }
}
