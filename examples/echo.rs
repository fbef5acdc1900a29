//! The uppercase echo server from the tutorials, on corio.
//!
//! Every byte a client sends comes back in ASCII uppercase (other bytes unchanged). When
//! the client shuts down its write half, the server finishes sending and closes.
//!
//! ```text
//! cargo run --example echo [-- ADDR] [--idle-timeout SECS] [--grace SECS] [--workers N [--pin]]
//! nc 127.0.0.1 8080        # ADDR defaults to 127.0.0.1:8080; or: cargo run --example client
//! ```
//!
//! With `--idle-timeout SECS`, a client that makes no progress for that long (sends
//! nothing, or reads nothing while a reply waits) is disconnected, so trickling clients
//! cannot hold connections forever.
//!
//! Ctrl-C or SIGTERM shuts it down gracefully: it stops accepting (new connections are
//! refused), lets open connections finish for up to `--grace SECS` (default 5), then
//! prints how many clients it served and exits 0.
//!
//! `--workers N` serves on N threads, one runtime each (thread-per-core, the tutorials'
//! nginx model): every worker binds its own `SO_REUSEPORT` listener on the address and
//! the kernel spreads connections among them; `--pin` binds worker i to core i.

use std::cell::Cell;
use std::future::Future;
use std::io::{self, Write};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use corio::future::race;
use corio::io::{AsyncReadExt, AsyncWriteExt};
use corio::net::{TcpListener, TcpStream};
use corio::signal::{signal, Signal, SignalKind};
use corio::sync::Notify;
use corio::time::timeout;

fn main() {
    if let Err(e) = run() {
        eprintln!("echo: {e}");
        std::process::exit(1);
    }
}

fn run() -> io::Result<()> {
    let args = parse_args()?;
    match args.workers {
        None => run_one(args),
        Some(count) => run_workers(args, count),
    }
}

/// One thread, one runtime: the server as the tutorials build it.
fn run_one(args: Args) -> io::Result<()> {
    // The OS backend comes from CORIO_BACKEND (epoll, poll, kqueue) or the OS default.
    let runtime = corio::Runtime::new()?;
    runtime.block_on(async {
        // Listen for the signals before announcing the address: from then on a SIGTERM
        // is a shutdown request, never the default "die at once".
        let stop = Shutdown::listen()?;
        let listener = TcpListener::bind(&args.addr).await?;
        say(format_args!("listening on {}", listener.local_addr()?));
        let report = serve_until_signal(listener, stop, &args, "").await;
        say(format_args!(
            "served {} client(s); {} cut off at the deadline",
            report.served, report.cut
        ));
        Ok(())
    })
}

/// `--workers N`: one runtime per worker thread, each with its own `SO_REUSEPORT`
/// listener on the same address; the kernel spreads connections among them.
fn run_workers(args: Args, count: usize) -> io::Result<()> {
    let workers = corio::Runtime::builder()
        .workers(count)
        .pin_workers(args.pin)
        .build_workers()?;
    let args = Arc::new(args);
    let (bound_tx, bound_rx) = std::sync::mpsc::channel();
    let mut addr = args.addr.clone();
    let mut handles = Vec::with_capacity(count);
    for index in 0..count {
        let (args, bound, bind_to) = (args.clone(), bound_tx.clone(), addr.clone());
        handles.push(workers.spawn_on_with(index, move || async move {
            let listening = match Shutdown::listen() {
                Ok(stop) => TcpListener::bind_reuse_port(&bind_to)
                    .await
                    .map(|listener| (stop, listener)),
                Err(e) => Err(e),
            };
            let (stop, listener) = match listening {
                Ok(ok) => ok,
                Err(e) => {
                    let _ = bound.send(Err(e));
                    return Report::default();
                }
            };
            let _ = bound.send(listener.local_addr());
            let label = format!("worker {index}: ");
            serve_until_signal(listener, stop, &args, &label).await
        })?);
        // The first worker may have asked for port 0: the others bind the port it got.
        let bound = bound_rx
            .recv()
            .map_err(|_| io::Error::other("a worker died"))?;
        addr = bound?.to_string();
    }
    say(format_args!("listening on {addr}"));
    let reports: Vec<Report> = handles
        .into_iter()
        .map(|h| h.join().unwrap_or_default())
        .collect();
    let served: Vec<u64> = reports.iter().map(|r| r.served).collect();
    say(format_args!(
        "served {} client(s); {} cut off at the deadline; per worker {served:?}",
        served.iter().sum::<u64>(),
        reports.iter().map(|r| r.cut).sum::<usize>()
    ));
    workers.shutdown();
    Ok(())
}

/// The signals that end the server: Ctrl-C and SIGTERM.
struct Shutdown {
    interrupt: Signal,
    terminate: Signal,
}

impl Shutdown {
    fn listen() -> io::Result<Shutdown> {
        Ok(Shutdown {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    /// Waits for either signal.
    async fn requested(&mut self) {
        race(self.interrupt.recv(), self.terminate.recv()).await;
    }
}

/// What one listener's life came to.
#[derive(Debug, Default)]
struct Report {
    served: u64,
    cut: usize,
}

/// Accepts and serves until a shutdown signal; then stops accepting and gives open
/// connections up to `--grace` to finish.
async fn serve_until_signal(
    listener: TcpListener,
    mut stop: Shutdown,
    args: &Args,
    label: &str,
) -> Report {
    let clients = Rc::new(Clients::default());
    let acceptor = corio::spawn(accept_loop(listener, clients.clone(), args.idle));
    stop.requested().await;
    // Cancel the accept loop and wait until it is gone: its listener is closed then,
    // so new connections are refused from here on.
    acceptor.abort();
    let _ = acceptor.await;
    say(format_args!(
        "{label}shutting down: {} open connection(s), waiting up to {:?}",
        clients.open.get(),
        args.grace
    ));
    let cut = match timeout(args.grace, clients.all_closed()).await {
        Ok(()) => 0,
        Err(_) => clients.open.get(),
    };
    Report {
        served: clients.served.get(),
        cut,
    }
}

/// Prints a status line; a closed stdout (the parent stopped reading) is not an error
/// worth dying for.
fn say(line: std::fmt::Arguments<'_>) {
    let mut out = io::stdout().lock();
    let _ = writeln!(out, "{line}").and_then(|()| out.flush());
}

async fn accept_loop(listener: TcpListener, clients: Rc<Clients>, idle: Option<Duration>) {
    loop {
        match listener.accept().await {
            Ok((stream, _peer)) => {
                let guard = Clients::enter(&clients);
                // Two task types, chosen once per connection: without `--idle-timeout`
                // the task is the plain read/write loop, with nothing of the timer in it.
                match idle {
                    None => corio::spawn(client(stream, NoLimit, guard)),
                    Some(limit) => corio::spawn(client(stream, Limit(limit), guard)),
                };
            }
            // Out of descriptors, say: report it and go on; the listener pauses
            // before its next attempt, so this loop never spins.
            Err(e) => eprintln!("accept failed: {e}"),
        }
    }
}

/// One connection's task: serves it, reports an error, and counts it closed (`guard`).
async fn client(stream: TcpStream, idle: impl IdleLimit, guard: OpenGuard) {
    if let Err(e) = serve(stream, idle).await {
        eprintln!("client error: {e}");
    }
    drop(guard);
}

/// Connection bookkeeping for the graceful shutdown.
#[derive(Default)]
struct Clients {
    served: Cell<u64>,
    open: Cell<usize>,
    /// Notified when `open` drops to zero.
    none_open: Notify,
}

/// One open connection; leaving (however the task ends) counts it closed.
struct OpenGuard(Rc<Clients>);

impl Clients {
    fn enter(this: &Rc<Clients>) -> OpenGuard {
        this.served.set(this.served.get() + 1);
        this.open.set(this.open.get() + 1);
        OpenGuard(this.clone())
    }

    /// Waits until no connection is open.
    async fn all_closed(&self) {
        loop {
            let notified = self.none_open.notified(); // created first: no lost wake-up
            if self.open.get() == 0 {
                return;
            }
            notified.await;
        }
    }
}

impl Drop for OpenGuard {
    fn drop(&mut self) {
        let open = self.0.open.get() - 1;
        self.0.open.set(open);
        if open == 0 {
            self.0.none_open.notify_waiters();
        }
    }
}

/// One client: read, uppercase, write back, until the client stops sending. (`pub` so
/// tests can compare it with the hand-written state machine of ladder rung 11.)
pub async fn serve(mut stream: TcpStream, idle: impl IdleLimit) -> io::Result<()> {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = idle.within(stream.read(&mut buf)).await?;
        if n == 0 {
            break; // the client shut down its write half
        }
        buf[..n].make_ascii_uppercase();
        idle.within(stream.write_all(&buf[..n])).await?;
    }
    stream.close().await // send FIN after the last byte
}

/// How long one read or write may wait for the client. A type rather than an
/// `Option<Duration>`, so that `serve` is compiled once per policy: with [`NoLimit`] it is
/// the plain loop, as if there were no timeouts at all (no timer in the future, no check
/// per operation).
pub trait IdleLimit: Copy {
    /// Awaits `op`, failing with `TimedOut` if the limit passes first.
    fn within<T>(
        self,
        op: impl Future<Output = io::Result<T>>,
    ) -> impl Future<Output = io::Result<T>>;
}

/// No `--idle-timeout`: operations wait as long as they need.
#[derive(Clone, Copy)]
pub struct NoLimit;

impl IdleLimit for NoLimit {
    fn within<T>(
        self,
        op: impl Future<Output = io::Result<T>>,
    ) -> impl Future<Output = io::Result<T>> {
        op
    }
}

/// `--idle-timeout SECS`: a client that makes no progress for that long is disconnected.
#[derive(Clone, Copy)]
pub struct Limit(pub Duration);

impl IdleLimit for Limit {
    async fn within<T>(self, op: impl Future<Output = io::Result<T>>) -> io::Result<T> {
        timeout(self.0, op)
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "idle timeout, disconnected"))?
    }
}

/// The command line.
struct Args {
    addr: String,
    idle: Option<Duration>,
    grace: Duration,
    workers: Option<usize>,
    pin: bool,
}

/// `[ADDR] [--idle-timeout SECS] [--grace SECS] [--workers N [--pin]]`; without the
/// flags: no idle timeout, 5 s of grace, one thread.
fn parse_args() -> io::Result<Args> {
    let usage = |why: String| io::Error::new(io::ErrorKind::InvalidInput, why);
    let mut parsed = Args {
        addr: "127.0.0.1:8080".to_string(),
        idle: None,
        grace: Duration::from_secs(5),
        workers: None,
        pin: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut secs = |flag: &str| -> io::Result<Duration> {
            let secs = args
                .next()
                .ok_or_else(|| usage(format!("{flag} needs SECS")))?;
            let secs: f64 = secs
                .parse()
                .map_err(|_| usage(format!("bad SECS {secs:?}")))?;
            Duration::try_from_secs_f64(secs).map_err(|e| usage(format!("SECS: {e}")))
        };
        match arg.as_str() {
            "--idle-timeout" => parsed.idle = Some(secs("--idle-timeout")?),
            "--grace" => parsed.grace = secs("--grace")?,
            "--workers" => {
                let n = args
                    .next()
                    .ok_or_else(|| usage("--workers needs N".into()))?;
                match n.parse() {
                    Ok(n @ 1..) => parsed.workers = Some(n),
                    _ => return Err(usage(format!("--workers: bad N {n:?}"))),
                }
            }
            "--pin" => parsed.pin = true,
            _ => parsed.addr = arg,
        }
    }
    Ok(parsed)
}
