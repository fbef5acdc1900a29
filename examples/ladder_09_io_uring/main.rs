//! Ladder rung 9: the uppercase echo server on `io_uring`, through raw syscalls, std and
//! libc only (no corio, no io_uring crate). The kernel ABI is in `abi.rs`, the ring
//! plumbing in `ring.rs` and `bufring.rs`, a client's state in `conn.rs`, the loop in
//! `server.rs`.
//!
//! Mirrors `001_ac775e21223f34ef.txt`, 网络IO模型 → 异步IO (its "异步非阻塞" section), the
//! fifth I/O model, asynchronous I/O: "用户进程发起read操作之后，立刻就可以开始去做其它的事……kernel会等待数据
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
//! may read a send buffer at any moment, so the buffer must neither move nor be freed nor
//! change (`Ring::push` is `unsafe` for that reason: Rust's borrow checker cannot see this
//! ownership rule). A socket may be closed only once no request on it is in flight. It
//! needs a recent kernel, shared-memory ring plumbing with careful memory ordering, and it
//! is often switched off (`kernel.io_uring_disabled`, container seccomp filters) because of
//! its security record. If the kernel refuses it, this prints one line, `io_uring
//! unavailable: ...`, to stderr and exits with status 2.
//!
//! **Modern io_uring (Linux 6.1+), and what each feature buys.**
//! - *One `io_uring_enter` per loop turn* (`server::run`): it submits everything queued and
//!   sleeps until at least one completion, so under load one syscall carries many
//!   operations; at one client a request still costs about two (the send completes at
//!   submission, so that call returns at once; the next one sleeps for the next request).
//! - *`SINGLE_ISSUER | DEFER_TASKRUN`* (`ring::Ring::new`): the kernel finishes receives and
//!   sends (copying data, posting completions) only inside our `io_uring_enter`, batched,
//!   instead of interrupting the thread whenever a packet arrives. `SUBMIT_ALL`: one SQE
//!   that fails at submission does not hold back the rest of the batch (nor cut the wait
//!   short). If the kernel refuses the first two (`EINVAL`: before 6.1), it falls back to
//!   `COOP_TASKRUN`; one stderr line at start says which flags it got.
//! - *Multishot accept* (`IORING_ACCEPT_MULTISHOT`): one SQE, one CQE per client, no
//!   re-submission per client. Re-armed when a CQE comes without `IORING_CQE_F_MORE`;
//!   after `EMFILE` and the like, re-armed by a 100 ms timer, not in a hot loop.
//! - *Multishot recv into a provided-buffer ring* (`bufring.rs`): one recv SQE per
//!   connection serves all its data, and the kernel takes a buffer from a shared pool only
//!   when data arrives, so an idle connection holds no receive buffer (lending each
//!   connection a buffer of its own, as a plain recv needs, costs that buffer per idle
//!   client). The bytes are uppercased into the connection's send queue and the buffer
//!   goes straight back. An empty pool (`ENOBUFS`) re-arms the recv at the end of the turn.
//! - *Back-pressure*: a client that never reads would make its send queue grow without
//!   bound; above 64 KiB owed, its recv is cancelled (`IORING_OP_ASYNC_CANCEL`) and re-armed
//!   once the debt halves.
//! - *Generations in `user_data`* (`conn.rs`): a connection is dropped (its fd closed)
//!   only when no request on it is in flight; a completion carries its slot and generation,
//!   so one that outlived its connection can never touch the slot's next occupant.
//!
//! Measured on Linux 6.18 with `corio-bench load` (64-byte requests): 2.0 `io_uring_enter`
//! per request at 1 client, 0.2 at 10, 0.04 at 100; rung 7 makes 3 syscalls per request at
//! 1 client and 2.0 at 100 (a `recvfrom` and a `sendto`; its `epoll_wait` is shared by many
//! requests). The crossings saved are a small share of what a request costs, so req/s stays
//! about level with rung 7 on one core.
//!
//! Short sends are resubmitted for the rest; recv returning 0 (the client shut down its
//! write half) closes the connection after every byte went back; a reset closes that
//! connection only.
//!
//! ```text
//! cargo run --example ladder_09_io_uring [-- ADDR]   # default 127.0.0.1:8080
//! ```

#[cfg(any(target_os = "linux", target_os = "android"))]
mod abi;
#[cfg(any(target_os = "linux", target_os = "android"))]
mod bufring;
#[cfg(any(target_os = "linux", target_os = "android"))]
mod conn;
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
