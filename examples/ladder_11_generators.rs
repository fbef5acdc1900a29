//! Ladder rung 11: the echo handler as a hand-written state machine — what a Python
//! generator and a Rust `async fn` compile to — run on corio's executor.
//!
//! `004_d57aa4328e12da80.txt` (协程, yield关键字): "yield关键字在生成器中可以保存函数运行到
//! 该yield位置时的状态" — a generator saves where it stopped and its locals, and `send`
//! resumes it there. `003_a894e32a53ba1020.txt` names the cure for 回调之痛: 采用同步的方式去
//! 编写异步的代码. This rung is the step between: no callbacks and no `Rc<RefCell<..>>`
//! (rung 10), because the connection's state is one value that the executor polls, but the
//! saving and resuming that `yield` (or `.await`) does for you is written out by hand.
//!
//! [`Serve`] is `serve` from `examples/echo.rs` (without its idle timeout), state by state:
//!
//! | `serve` in echo.rs | [`State`] | holds (besides the stream) |
//! |---|---|---|
//! | `serve(stream, idle)` called, not yet polled | — ([`Serve::new`] allocates the buffer at once) | the arguments |
//! | suspended at `stream.read(&mut buf).await` | `Reading { buf }` | the buffer |
//! | `n == 0`: `break` out of the loop | → `Closing` | — |
//! | suspended at `stream.write_all(&buf[..n]).await` | `Writing { buf, n, written }` | the buffer, the reply's length, `write_all`'s progress |
//! | `write_all` done: back to the top of the loop | → `Reading { buf }` | the buffer |
//! | `stream.close().await` | `Closing` | — |
//! | returned | `Done` (polling again panics, as an `async fn` does) | nothing |
//!
//! Each `poll` resumes the state it finds, runs until an operation returns `Pending` (the
//! `.await`, or Python's `yield`), and returns with the state recording where to resume.
//! The accept loop, [`AcceptLoop`], is written the same way over `TcpListener::poll_accept`.
//!
//! **What it fixes.** State lives in one owned value per connection, not spread over
//! callbacks; errors return from `poll` to the task that owns the connection; the executor
//! and reactor below (corio) handle readiness, re-arming and fairness (the coop budget).
//!
//! **What it costs.** Every local that lives across an `.await` becomes a field, every
//! `.await` a variant and a `match` arm, and moving a buffer from one state to the next
//! takes `mem::take`. The machine is `Unpin` only because it keeps indices (`n`, `written`)
//! instead of the slice `&buf[..n]` that `write_all` borrows; the compiler's version holds
//! such self-references, which is why `async fn` futures need `Pin`.
//!
//! ```text
//! cargo run --example ladder_11_generators [-- ADDR]   # default 127.0.0.1:8080
//! ```

use std::future::Future;
use std::io;
use std::mem;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use corio::io::{AsyncRead, AsyncWrite};
use corio::net::{TcpListener, TcpStream};
use corio::time::Sleep;

/// How much one `read` takes at most (as in `echo`).
const BUF: usize = 16 * 1024;
/// The first pause after running out of descriptors; it doubles up to `MAX_BACKOFF`.
const MIN_BACKOFF: Duration = Duration::from_millis(10);
const MAX_BACKOFF: Duration = Duration::from_secs(1);

fn main() {
    if let Err(e) = run() {
        eprintln!("ladder_11_generators: {e}");
        std::process::exit(1);
    }
}

fn run() -> io::Result<()> {
    let addr = std::env::args().nth(1);
    let addr = addr.unwrap_or_else(|| "127.0.0.1:8080".to_string());
    // The OS backend comes from CORIO_BACKEND (epoll, poll, kqueue) or the OS default.
    let runtime = corio::Runtime::new()?;
    runtime.block_on(AcceptLoop::Start { addr })
}

/// echo's `serve`, by hand: a future that uppercases everything the client sends back to
/// it and, once the client half-closes, finishes sending and closes.
#[derive(Debug)]
pub struct Serve {
    /// Lives across every suspension point, so it is outside the state.
    stream: TcpStream,
    state: State,
}

/// Where [`Serve`] is suspended, and the locals it needs there.
#[derive(Debug)]
pub enum State {
    /// Waiting for bytes (or EOF) from the client.
    Reading {
        /// The read buffer.
        buf: Vec<u8>,
    },
    /// Sending `buf[written..n]`, the uppercased reply.
    Writing {
        /// The bytes read, uppercased in place.
        buf: Vec<u8>,
        /// How many bytes of `buf` are the reply.
        n: usize,
        /// How many of those the kernel has taken.
        written: usize,
    },
    /// The client half-closed and every reply is out: send FIN.
    Closing,
    /// Finished; polling again is a bug.
    Done,
}

impl Serve {
    /// Like calling `serve(stream, None)`: nothing runs until the first poll.
    pub fn new(stream: TcpStream) -> Serve {
        let state = State::Reading { buf: vec![0; BUF] };
        Serve { stream, state }
    }

    /// Runs from the saved state until an operation is `Pending` or the handler ends.
    fn resume(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            match &mut self.state {
                State::Reading { buf } => {
                    let n = ready!(Pin::new(&mut self.stream).poll_read(cx, buf))?;
                    if n == 0 {
                        self.state = State::Closing; // the client shut down its write half
                        continue;
                    }
                    buf[..n].make_ascii_uppercase();
                    let buf = mem::take(buf);
                    self.state = State::Writing { buf, n, written: 0 };
                }
                State::Writing { buf, n, written } => {
                    if *written == *n {
                        let buf = mem::take(buf);
                        self.state = State::Reading { buf };
                        continue;
                    }
                    let rest = &buf[*written..*n];
                    let k = ready!(Pin::new(&mut self.stream).poll_write(cx, rest))?;
                    if k == 0 {
                        return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
                    }
                    *written += k;
                }
                State::Closing => return Pin::new(&mut self.stream).poll_close(cx),
                State::Done => panic!("Serve polled after it returned"),
            }
        }
    }
}

impl Future for Serve {
    type Output = io::Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // No field borrows another, so `Serve` is `Unpin` and the pin can be taken off.
        let this = self.get_mut();
        let result = this.resume(cx);
        if result.is_ready() {
            this.state = State::Done; // on error too: nothing is left to resume
        }
        result
    }
}

/// echo's `async move { if let Err(e) = serve(stream, idle).await { eprintln!(..) } }`.
#[derive(Debug)]
pub struct Reported(pub Serve);

impl Future for Reported {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if let Err(e) = ready!(Pin::new(&mut self.0).poll(cx)) {
            eprintln!("client error: {e}");
        }
        Poll::Ready(())
    }
}

/// The `async` block of echo's `run`, by hand: bind, print the address, accept forever,
/// spawning a [`Reported`] [`Serve`] per client.
#[derive(Debug)]
pub enum AcceptLoop {
    /// Created, not yet polled: the block's captured variable (rustc's "unresumed" state).
    /// The listener must be bound inside the runtime, so binding waits for the first poll.
    Start {
        /// Where to listen.
        addr: String,
    },
    /// Suspended at `listener.accept().await`.
    Accepting {
        /// The listening socket.
        listener: TcpListener,
        /// The pause after the last resource error (zero after a success).
        backoff: Duration,
        /// Out of descriptors: the pause to sit out before the next accept.
        pause: Option<Sleep>,
    },
    /// Finished (binding failed); polling again is a bug.
    Done,
}

impl Future for AcceptLoop {
    type Output = io::Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            match this {
                AcceptLoop::Start { addr } => match bind(addr) {
                    Ok(listener) => {
                        let (backoff, pause) = (Duration::ZERO, None);
                        *this = AcceptLoop::Accepting {
                            listener,
                            backoff,
                            pause,
                        };
                    }
                    Err(e) => {
                        *this = AcceptLoop::Done;
                        return Poll::Ready(Err(e));
                    }
                },
                AcceptLoop::Accepting {
                    listener,
                    backoff,
                    pause,
                } => {
                    if let Some(sleep) = pause {
                        ready!(Pin::new(sleep).poll(cx));
                        *pause = None;
                    }
                    match ready!(listener.poll_accept(cx)) {
                        Ok((stream, _peer)) => {
                            *backoff = Duration::ZERO;
                            drop(corio::spawn(Reported(Serve::new(stream)))); // detached
                        }
                        Err(e) if is_connection_error(&e) => {} // that client gave up
                        Err(e) => {
                            eprintln!("accept failed: {e}");
                            if is_resource_error(&e) {
                                *backoff = (*backoff * 2).clamp(MIN_BACKOFF, MAX_BACKOFF);
                                *pause = Some(corio::time::sleep(*backoff));
                            }
                        }
                    }
                }
                AcceptLoop::Done => panic!("AcceptLoop polled after it returned"),
            }
        }
    }
}

/// Binds in one step, inside a `poll`: `TcpListener::bind` is itself a future (it may
/// resolve a name), so this state machine binds std's listener and registers it.
fn bind(addr: &str) -> io::Result<TcpListener> {
    let listener = TcpListener::from_std(std::net::TcpListener::bind(addr)?)?;
    println!("listening on {}", listener.local_addr()?);
    Ok(listener)
}

/// Errors that concern one aborted connection, not the listener.
fn is_connection_error(e: &io::Error) -> bool {
    let aborted = [libc::ECONNABORTED, libc::EPROTO, libc::ECONNRESET];
    e.raw_os_error().is_some_and(|code| aborted.contains(&code))
}

/// Out of descriptors or memory: accepting again at once would spin.
fn is_resource_error(e: &io::Error) -> bool {
    let exhausted = [libc::EMFILE, libc::ENFILE, libc::ENOBUFS, libc::ENOMEM];
    e.raw_os_error()
        .is_some_and(|code| exhausted.contains(&code))
}
