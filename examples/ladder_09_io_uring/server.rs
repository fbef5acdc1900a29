//! The io_uring server itself (Linux only); `main.rs` holds the lesson.

use std::collections::HashMap;
use std::io::{self, Write};
use std::mem::ManuallyDrop;
use std::net::{TcpListener, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd};

use super::ring::{Ring, Sqe, OP_ACCEPT, OP_RECV, OP_SEND};

/// Receive buffer per connection.
const BUF: usize = 16 * 1024;
/// The `user_data` of the (single, always re-armed) accept; connections use their id.
const ACCEPT: u64 = u64::MAX;

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

/// One client. Exactly one operation is in flight per connection: a send while
/// `sent < len`, otherwise a recv into `buf`.
struct Conn {
    stream: TcpStream,
    /// Lent to the kernel while that operation is in flight: never moved (it is boxed) or
    /// freed (the connection is dropped only on that operation's completion) meanwhile.
    buf: Box<[u8]>,
    len: usize,
    sent: usize,
}

fn run() -> io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    let mut ring = Ring::new(256)?; // before binding: a refusal comes instead of "listening"
    let listener = TcpListener::bind(&addr)?;
    println!("listening on {}", listener.local_addr()?);
    io::stdout().flush()?;

    // If we ever return with operations in flight, their buffers must outlive the ring:
    // the map is never dropped, only emptied connection by connection.
    let mut conns: ManuallyDrop<HashMap<u64, Conn>> = ManuallyDrop::default();
    let mut next_id = 0;
    let accept = Sqe {
        opcode: OP_ACCEPT,
        fd: listener.as_raw_fd(),
        op_flags: libc::SOCK_CLOEXEC as u32, // addr and addrlen null: no peer address
        user_data: ACCEPT,
        ..Sqe::default()
    };
    // SAFETY: the accept points at no memory of ours.
    unsafe { ring.push(accept)? };
    loop {
        // Submit everything queued, sleep until at least one completion: one syscall.
        ring.submit_and_wait(1)?;
        while let Some(cqe) = ring.pop() {
            if cqe.user_data == ACCEPT {
                if cqe.res >= 0 {
                    // SAFETY: the kernel just created this descriptor for us; we own it.
                    let stream = unsafe { TcpStream::from_raw_fd(cqe.res) };
                    let conn = Conn {
                        stream,
                        buf: vec![0; BUF].into(),
                        len: 0,
                        sent: 0,
                    };
                    next_id += 1;
                    start_recv(&mut ring, next_id, conns.entry(next_id).or_insert(conn))?;
                } else {
                    // Out of descriptors, say: we re-arm at once, so this retries (and spins)
                    // until a descriptor frees up.
                    eprintln!("accept failed: {}", io::Error::from_raw_os_error(-cqe.res));
                }
                // SAFETY: as above, no memory of ours.
                unsafe { ring.push(accept)? };
                continue;
            }
            let id = cqe.user_data;
            let Some(c) = conns.get_mut(&id) else {
                continue;
            };
            let sending = c.sent < c.len;
            match cqe.res {
                // Interrupted before it did anything: submit the same operation again.
                r if r == -libc::EINTR || r == -libc::EAGAIN => {}
                r if r < 0 => {
                    eprintln!("client error: {}", io::Error::from_raw_os_error(-r));
                    conns.remove(&id); // nothing in flight for it any more: safe to free
                    continue;
                }
                0 if !sending => {
                    conns.remove(&id); // EOF, and all sent: close (FIN)
                    continue;
                }
                n if sending => c.sent += n as usize, // a short send leaves the rest
                n => {
                    c.buf[..n as usize].make_ascii_uppercase();
                    (c.len, c.sent) = (n as usize, 0);
                }
            }
            if c.sent < c.len {
                start_send(&mut ring, id, c)?;
            } else {
                start_recv(&mut ring, id, c)?;
            }
        }
    }
}

/// Queues a recv of up to `BUF` bytes into the connection's buffer.
fn start_recv(ring: &mut Ring, id: u64, c: &mut Conn) -> io::Result<()> {
    (c.len, c.sent) = (0, 0);
    let sqe = Sqe {
        opcode: OP_RECV,
        fd: c.stream.as_raw_fd(),
        addr: c.buf.as_mut_ptr() as u64,
        len: c.buf.len() as u32,
        user_data: id,
        ..Sqe::default()
    };
    // SAFETY: `c.buf` stays allocated and untouched until this recv completes (see Conn).
    unsafe { ring.push(sqe) }
}

/// Queues a send of the bytes not yet sent. `MSG_NOSIGNAL`: a reset peer gives `-EPIPE`
/// in the completion, never `SIGPIPE`.
fn start_send(ring: &mut Ring, id: u64, c: &mut Conn) -> io::Result<()> {
    let rest = &c.buf[c.sent..c.len];
    let sqe = Sqe {
        opcode: OP_SEND,
        fd: c.stream.as_raw_fd(),
        addr: rest.as_ptr() as u64,
        len: rest.len() as u32,
        op_flags: libc::MSG_NOSIGNAL as u32,
        user_data: id,
        ..Sqe::default()
    };
    // SAFETY: `c.buf` stays allocated and unmodified until this send completes (see Conn).
    unsafe { ring.push(sqe) }
}
