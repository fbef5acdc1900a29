//! The io_uring server itself (Linux only); `main.rs` holds the lesson.
//!
//! One loop turn: [`Ring::submit_and_wait`] (one `io_uring_enter`: submit every queued
//! SQE, sleep until at least one completion), then handle every completion, each of which
//! may queue SQEs for the next turn.

use std::io::{self, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd};

use super::abi::*;
use super::bufring::{BufRing, GROUP};
use super::conn::{Conn, Conns, Kind, Tag};
use super::ring::{unsupported, Ring};

/// Submission queue size: enough that a busy turn (a send per client) rarely fills it.
const SQ_ENTRIES: u32 = 1024;
/// Completion queue size: multishot requests post many completions per submission.
const CQ_ENTRIES: u32 = 8192;
/// Provided receive buffers, shared by all clients, and the size of each.
const BUFFERS: u16 = 1024;
const BUFFER_SIZE: usize = 4096;
/// How long accepting pauses after `EMFILE` and the like (instead of retrying hot).
static BACKOFF: KernelTimespec = KernelTimespec {
    tv_sec: 0,
    tv_nsec: 100_000_000,
};

pub fn main() {
    match run() {
        Err(e) if e.kind() == io::ErrorKind::Unsupported => {
            eprintln!("io_uring unavailable: {e}");
            std::process::exit(2);
        }
        Err(e) => {
            eprintln!("ladder_09_io_uring: {e}");
            std::process::exit(1);
        }
        Ok(()) => {}
    }
}

struct Server {
    ring: Ring,
    bufs: BufRing,
    listener: TcpListener,
    conns: Conns,
    /// The multishot accept is armed.
    accepting: bool,
    /// The back-off timer is running (accept re-arms when it fires).
    backing_off: bool,
    /// Connections whose recv ended with `ENOBUFS` this turn: (slot, generation).
    starved: Vec<(u32, u32)>,
}

fn run() -> io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    // Before binding: a refusal comes instead of "listening on".
    let ring = Ring::new(SQ_ENTRIES, CQ_ENTRIES)?;
    let bufs = BufRing::new(&ring, BUFFERS, BUFFER_SIZE)?;
    eprintln!("io_uring setup flags: {}", ring.flags);
    let listener = TcpListener::bind(&addr)?;
    println!("listening on {}", listener.local_addr()?);
    io::stdout().flush()?;
    // The kernel may hold pointers into the buffers and send queues until the process
    // ends (an error return leaves requests in flight): leaked, they stay valid.
    let server = Box::leak(Box::new(Server {
        ring,
        bufs,
        listener,
        conns: Conns::default(),
        accepting: false,
        backing_off: false,
        starved: Vec::new(),
    }));
    server.arm_accept()?;
    loop {
        // Submit everything queued, sleep until at least one completion: one syscall.
        server.ring.submit_and_wait(1)?;
        while let Some(cqe) = server.ring.pop() {
            server.complete(cqe)?;
        }
        // Every buffer this turn's completions used is back in the ring: starved
        // receives can go again.
        for (slot, gen) in std::mem::take(&mut server.starved) {
            if let Some(c) = server.conns.get_mut(slot, gen) {
                c.starved = false;
                server.advance(slot, gen)?;
            }
        }
    }
}

/// Queues one SQE that points at no memory of ours.
fn push_plain(ring: &mut Ring, sqe: Sqe) -> io::Result<()> {
    // SAFETY: accept (null address), recv (buffers come from the registered ring), cancel
    // and timeout (a static timespec) lend the kernel nothing that can dangle.
    unsafe { ring.push(sqe) }
}

impl Server {
    /// Arms the multishot accept: one SQE, then one CQE per client, until a CQE comes
    /// without `IORING_CQE_F_MORE`.
    fn arm_accept(&mut self) -> io::Result<()> {
        self.accepting = true;
        push_plain(
            &mut self.ring,
            Sqe {
                opcode: OP_ACCEPT,
                ioprio: IORING_ACCEPT_MULTISHOT,
                fd: self.listener.as_raw_fd(),
                op_flags: libc::SOCK_CLOEXEC as u32, // addr null: no peer address
                user_data: Tag::global(Kind::Accept).encode(),
                ..Sqe::default()
            },
        )
    }

    /// Handles one completion.
    fn complete(&mut self, cqe: Cqe) -> io::Result<()> {
        let more = cqe.flags & IORING_CQE_F_MORE != 0;
        let Some(tag) = Tag::decode(cqe.user_data) else {
            return Ok(());
        };
        match tag.kind {
            Kind::Accept => self.accepted(cqe.res, more),
            Kind::Backoff => {
                self.backing_off = false;
                if !self.accepting {
                    self.arm_accept()?;
                }
                Ok(())
            }
            Kind::Recv | Kind::Send | Kind::Cancel => self.on_conn(tag, cqe),
        }
    }

    /// A client arrived (`res` is its fd), or accepting failed.
    fn accepted(&mut self, res: i32, more: bool) -> io::Result<()> {
        self.accepting &= more;
        if res >= 0 {
            // SAFETY: the kernel just created this descriptor for us; we own it.
            let stream = unsafe { TcpStream::from_raw_fd(res) };
            let (slot, gen) = self.conns.insert(Conn::new(stream));
            self.advance(slot, gen)?;
        } else {
            let errno = -res;
            eprintln!("accept failed: {}", io::Error::from_raw_os_error(errno));
            let exhausted = [libc::EMFILE, libc::ENFILE, libc::ENOBUFS, libc::ENOMEM];
            if !self.accepting && !self.backing_off && exhausted.contains(&errno) {
                // Re-arming now would fail again at once (the client still waits in the
                // backlog): wait for descriptors to free up instead of spinning.
                self.backing_off = true;
                push_plain(
                    &mut self.ring,
                    Sqe {
                        opcode: OP_TIMEOUT,
                        addr: &BACKOFF as *const KernelTimespec as u64,
                        len: 1,
                        user_data: Tag::global(Kind::Backoff).encode(),
                        ..Sqe::default()
                    },
                )?;
            }
        }
        if !self.accepting && !self.backing_off {
            self.arm_accept()?;
        }
        Ok(())
    }

    /// A completion for a connection's recv, send or cancel.
    fn on_conn(&mut self, tag: Tag, cqe: Cqe) -> io::Result<()> {
        // A buffer the kernel picked is ours now, whatever became of the connection.
        let bid = (cqe.flags & IORING_CQE_F_BUFFER != 0)
            .then_some((cqe.flags >> IORING_CQE_BUFFER_SHIFT) as u16);
        let Some(c) = self.conns.get_mut(tag.slot, tag.gen) else {
            // Stale: never touch the slot's new occupant; just recycle the buffer.
            if let Some(bid) = bid {
                self.bufs.give_back(bid);
            }
            return Ok(());
        };
        let res = cqe.res;
        let more = cqe.flags & IORING_CQE_F_MORE != 0;
        match tag.kind {
            Kind::Recv => {
                if !more {
                    (c.receiving, c.recv_cancelled) = (false, false);
                }
                match (res, bid) {
                    (n, Some(bid)) if n > 0 && !c.failed => {
                        // SAFETY: `bid` came in this CQE and goes back just below.
                        c.queue(unsafe { self.bufs.bytes(bid, n as usize) });
                    }
                    (n, _) if n > 0 => {} // a failed connection's bytes are dropped
                    (0, _) => c.eof = true,
                    (e, _) if e == -libc::ENOBUFS => {
                        c.starved = true;
                        self.starved.push((tag.slot, tag.gen));
                    }
                    // Ours (back-pressure or closing), or nothing happened: re-armed below.
                    (e, _) if e == -libc::ECANCELED || e == -libc::EINTR || e == -libc::EAGAIN => {}
                    (e, _) if e == -libc::EINVAL => {
                        return Err(unsupported(format!(
                            "multishot recv refused: {} (Linux 6.0+ needed)",
                            io::Error::from_raw_os_error(-e)
                        )));
                    }
                    (e, _) => {
                        eprintln!("client error: {}", io::Error::from_raw_os_error(-e));
                        c.failed = true;
                    }
                }
                if let Some(bid) = bid {
                    self.bufs.give_back(bid);
                }
            }
            Kind::Send => {
                c.sending = false;
                if res >= 0 {
                    c.sent += res as usize; // a short send leaves the rest for the next
                } else if res != -libc::ECANCELED {
                    eprintln!("client error: {}", io::Error::from_raw_os_error(-res));
                    c.failed = true;
                }
            }
            Kind::Cancel => c.cancels -= 1,
            Kind::Accept | Kind::Backoff => {}
        }
        self.advance(tag.slot, tag.gen)
    }

    /// Queues whatever the connection needs next (a send, a recv, a cancel), or drops it
    /// once it is finished and nothing on it is in flight.
    fn advance(&mut self, slot: u32, gen: u32) -> io::Result<()> {
        let Some(c) = self.conns.get_mut(slot, gen) else {
            return Ok(());
        };
        let fd = c.stream.as_raw_fd();
        let tag = |kind| Tag { kind, gen, slot }.encode();
        if c.failed {
            if !c.quiet() && !c.closing {
                // One cancel for every request on the socket; it stays open until their
                // final completions are in.
                c.closing = true;
                c.cancels += 1;
                push_plain(
                    &mut self.ring,
                    Sqe {
                        opcode: OP_ASYNC_CANCEL,
                        fd,
                        op_flags: IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ALL,
                        user_data: tag(Kind::Cancel),
                        ..Sqe::default()
                    },
                )?;
            }
        } else {
            if let Some(rest) = c.next_send() {
                // `MSG_NOSIGNAL`: a reset peer gives `-EPIPE` in the CQE, never SIGPIPE.
                let sqe = Sqe {
                    opcode: OP_SEND,
                    fd,
                    addr: rest.as_ptr() as u64,
                    len: rest.len() as u32,
                    op_flags: libc::MSG_NOSIGNAL as u32,
                    user_data: tag(Kind::Send),
                    ..Sqe::default()
                };
                c.sending = true;
                // SAFETY: `rest` is `c.out[c.sent..]`, which stays allocated and unchanged
                // while `c.sending` (see `Conn::out`); `c` is dropped only when quiet.
                unsafe { self.ring.push(sqe)? };
            }
            if c.over_cap() {
                // The client does not read its replies: stop receiving until it does.
                c.recv_cancelled = true;
                c.cancels += 1;
                push_plain(
                    &mut self.ring,
                    Sqe {
                        opcode: OP_ASYNC_CANCEL,
                        addr: tag(Kind::Recv),
                        user_data: tag(Kind::Cancel),
                        ..Sqe::default()
                    },
                )?;
            } else if c.wants_recv() {
                c.receiving = true;
                push_plain(
                    &mut self.ring,
                    Sqe {
                        opcode: OP_RECV,
                        flags: IOSQE_BUFFER_SELECT,
                        ioprio: IORING_RECV_MULTISHOT,
                        fd,
                        buf_group: GROUP,
                        user_data: tag(Kind::Recv),
                        ..Sqe::default()
                    },
                )?;
            }
        }
        if c.finished() && c.quiet() {
            self.conns.remove(slot); // closes the socket: FIN, or RST if data was unread
        }
        Ok(())
    }
}
