//! Ladder rung 9: the uppercase echo server on `io_uring`, through raw syscalls, std and
//! libc only (no corio, no io_uring crate). The ring plumbing is in `ring.rs`.
//!
//! Mirrors the "异步非阻塞" section of `001_ac775e21223f34ef.txt`, the fifth I/O model,
//! asynchronous I/O: "用户进程发起read操作之后，立刻就可以开始去做其它的事……kernel会等待数据
//! 准备完成，然后将数据拷贝到用户内存，当这一切都完成之后，kernel会给用户进程发送一个signal".
//! The seed draws it with POSIX `aio_read`; on Linux, sockets get that model from io_uring.
//!
//! **What it fixes.** Rungs 5 to 8 are all *readiness* models: the kernel says "this socket
//! is ready", then we make the `read` or `send` syscall ourselves: a wait plus one call per
//! operation. io_uring is a *completion* model: we hand the kernel the whole operation
//! ("receive into this buffer", "send these bytes", "accept") by writing an entry into a
//! ring shared with it, and later read back "done, n bytes". The kernel waits for readiness
//! and copies the data itself. One `io_uring_enter` submits everything queued and sleeps
//! until something completes: a request costs two syscalls when clients take turns (one
//! submits the send, which completes at once; one submits the next recv and sleeps), no
//! `EAGAIN` probes, no interest updates, and under load one call carries many operations.
//! An idle server sleeps at zero CPU.
//!
//! **What it costs.** Buffers are *lent* to the kernel: from submission until completion it
//! may write into a recv buffer at any moment, so the buffer must neither move nor be freed
//! nor be touched by us. Each connection therefore owns its buffer (no shared scratch
//! buffer as in the readiness rungs: more memory per idle client), and the ownership rule is
//! one that Rust's borrow checker cannot see (`Ring::push` is `unsafe` for that reason). It
//! needs Linux 5.7+ here, shared-memory ring plumbing with careful memory ordering, and it is
//! often switched off (`kernel.io_uring_disabled`, container seccomp filters) because of its
//! security record. If the kernel refuses it, this prints one line, `io_uring unavailable:
//! ...`, to stderr and exits with status 2.
//!
//! Short sends are resubmitted for the rest; recv returning 0 (the client shut down its
//! write half) closes the connection after every byte went back.
//!
//! ```text
//! cargo run --example ladder_09_io_uring [-- ADDR]   # default 127.0.0.1:8080
//! ```

#[cfg(any(target_os = "linux", target_os = "android"))]
mod ring;
#[cfg(any(target_os = "linux", target_os = "android"))]
mod server;

#[cfg(any(target_os = "linux", target_os = "android"))]
fn main() {
    server::main()
}

/// io_uring is a Linux API: elsewhere this rung only says so.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn main() {
    eprintln!(
        "ladder_09_io_uring needs Linux (io_uring); this is {}",
        std::env::consts::OS
    );
    std::process::exit(2);
}
