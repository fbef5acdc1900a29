//! Ladder rung 10: callbacks on an event loop, over corio's backend layer (`corio::sys`).
//!
//! The Rust twin of the `selectors` example in `001_ac775e21223f34ef.txt` (### selectors):
//! `sel.register(conn, selectors.EVENT_READ, read)` stores a callback with each socket, and
//! the main loop is `for key, mask in sel.select(): key.data(key.fileobj, mask)`. Here
//! [`EventLoop::register`] stores a boxed closure with each fd, and [`EventLoop::run`] calls
//! the closure of every fd that an event names. No corio executor, no futures, no `async`:
//! only a [`corio::sys::Selector`], chosen like corio's runtime chooses one (`CORIO_BACKEND`
//! = `epoll`, `poll` or `kqueue`, else the OS default).
//!
//! **What it fixes** (from rung 7). The loop no longer knows what a connection is: it maps
//! a token to a callback, so accepting, reading and writing are separate functions instead
//! of branches of one big `match`, and the same code runs on every backend corio has.
//!
//! **What it costs** — 回调之痛 in `003_a894e32a53ba1020.txt`: 可读性差, 共享状态管理困难,
//! 异常处理困难. `serve` in `examples/echo.rs` is ten lines; here the same logic is
//! spread over `on_accept`, `on_readable`, `on_writable` and `Conn::flush`:
//!
//! - *Shared state by hand.* A callback returns after every step, so nothing can live on
//!   its stack. The buffer, how many bytes are pending and how many are sent live in a
//!   [`Conn`] behind `Rc<RefCell<..>>`, cloned into each callback that may touch it.
//! - *Nested callbacks.* When a reply does not fit the socket, the read callback installs a
//!   write callback ([`EventLoop::modify`], Python's `sel.modify`); when the reply is out,
//!   the write callback re-installs the read callback *and calls it by hand*: bytes that
//!   arrived meanwhile announced themselves with an edge the loop filtered out, and an
//!   edge-triggered backend will not announce them again. (Leave that call out and the
//!   8 MiB check of the ladder suite stalls on epoll, yet passes on poll(2).)
//! - *Errors far from their cause.* A callback cannot `?` into the code that queued the
//!   bytes; it returns its error to the loop, which knows only a token: it prints the error
//!   and drops the connection, unable to say which step failed. The accept callback must
//!   swallow its own errors, or the loop would drop the listener.
//! - *No fairness, no timers.* A client that keeps sending (and reading) keeps its callback
//!   looping; out of descriptors, the accept callback can only retry at the next event.
//!   corio caps the first with its coop budget and backs off from the second with a timer.
//!
//! **The edge-triggered contract.** corio's selectors report a direction when it *becomes*
//! ready (epoll `EPOLLET`, kqueue `EV_CLEAR`; poll(2) disarms a direction after reporting
//! it). So every callback drains until `WouldBlock` and then calls [`EventLoop::rearm`]: a
//! no-op on epoll and kqueue, required on poll(2).
//!
//! ```text
//! cargo run --example ladder_10_callbacks [-- ADDR]   # default 127.0.0.1:8080
//! CORIO_BACKEND=poll cargo run --example ladder_10_callbacks
//! ```

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::{AsRawFd, RawFd};
use std::rc::Rc;

use corio::sys::{Event, Interest, Readiness, Selector, Token};

/// How much one `read` takes at most (as in `echo`).
const BUF: usize = 16 * 1024;

/// What the loop calls when an fd it watches becomes ready: Python's `key.data`.
type Callback = Box<dyn FnMut(&mut EventLoop, Token, Readiness) -> io::Result<()>>;

fn main() {
    if let Err(e) = run() {
        eprintln!("ladder_10_callbacks: {e}");
        std::process::exit(1);
    }
}

fn run() -> io::Result<()> {
    let addr = std::env::args().nth(1);
    let addr = addr.as_deref().unwrap_or("127.0.0.1:8080");
    // Honours CORIO_BACKEND without building a runtime: only the backend is used.
    let selector = corio::Builder::new().chosen_backend()?.selector()?;
    let mut lp = EventLoop::new(selector);

    let listener = TcpListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    let local = listener.local_addr()?;
    let fd = listener.as_raw_fd();
    let on_accept = move |lp: &mut EventLoop, token, _| on_accept(lp, token, &listener);
    lp.register(fd, Interest::READABLE, Box::new(on_accept))?;
    println!("listening on {local}");
    io::stdout().flush()?;
    lp.run()
}

/// `selectors.DefaultSelector` and the `while True` loop around it, in one.
pub struct EventLoop {
    selector: Box<dyn Selector>,
    entries: HashMap<Token, Entry>,
    next_token: u64,
}

/// One registration: the fd, which events reach its callback, and the callback (taken out
/// while it runs, since it needs `&mut EventLoop` itself).
struct Entry {
    fd: RawFd,
    interest: Interest,
    callback: Option<Callback>,
}

impl EventLoop {
    fn new(selector: Box<dyn Selector>) -> EventLoop {
        EventLoop {
            selector,
            entries: HashMap::new(),
            next_token: 0,
        }
    }

    /// `sel.register(fd, events, callback)`. The selector watches both directions, since
    /// edge-triggered backends fix what they report at registration; `interest` says which
    /// events reach `callback`. Tokens are never reused, so an event still in flight for an
    /// fd unregistered earlier in the same batch finds no entry and is dropped.
    pub fn register(&mut self, fd: RawFd, interest: Interest, cb: Callback) -> io::Result<Token> {
        let token = Token(self.next_token);
        self.next_token += 1;
        self.selector.register(fd, token, Interest::BOTH)?;
        let entry = Entry {
            fd,
            interest,
            callback: Some(cb),
        };
        self.entries.insert(token, entry);
        Ok(token)
    }

    /// `sel.modify(fd, events, callback)`: wait for `interest` now, with a new callback.
    pub fn modify(&mut self, token: Token, interest: Interest, cb: Callback) -> io::Result<()> {
        let entry = self.entries.get_mut(&token).ok_or(ErrorKind::NotFound)?;
        entry.interest = interest;
        entry.callback = Some(cb);
        self.selector.rearm(entry.fd, token, interest)
    }

    /// After `WouldBlock`: report `interest` again once ready (poll(2) needs this).
    pub fn rearm(&mut self, token: Token, interest: Interest) -> io::Result<()> {
        let entry = self.entries.get(&token).ok_or(ErrorKind::NotFound)?;
        self.selector.rearm(entry.fd, token, interest)
    }

    /// `sel.unregister(fd)`. The callback, and the socket it owns, is dropped only after
    /// the fd has left the selector: deregister first, close second.
    pub fn unregister(&mut self, token: Token) -> io::Result<()> {
        match self.entries.remove(&token) {
            Some(entry) => self.selector.deregister(entry.fd),
            None => Ok(()),
        }
    }

    /// `while True: for key, mask in sel.select(): key.data(key.fileobj, mask)`.
    pub fn run(&mut self) -> io::Result<()> {
        let mut events = Vec::with_capacity(1024);
        loop {
            events.clear();
            self.selector.select(&mut events, None)?;
            for &Event { token, readiness } in &events {
                self.dispatch(token, readiness);
            }
        }
    }

    fn dispatch(&mut self, token: Token, ready: Readiness) {
        let Some(entry) = self.entries.get_mut(&token) else {
            return; // unregistered earlier in this batch
        };
        let wanted = (entry.interest.is_readable() && ready.intersects(Readiness::READ_SIDE))
            || (entry.interest.is_writable() && ready.intersects(Readiness::WRITE_SIDE));
        // Check before taking the callback out: one dropped here would close its socket.
        let Some(mut callback) = entry.callback.take_if(|_| wanted) else {
            return;
        };
        if let Err(e) = callback(self, token, ready) {
            // Far from its cause: all the loop knows is a token.
            eprintln!("client error: {e}");
            if let Err(e) = self.unregister(token) {
                eprintln!("unregister failed: {e}");
            }
        } else if let Some(entry) = self.entries.get_mut(&token) {
            // Put it back, unless it unregistered itself or installed another callback.
            entry.callback.get_or_insert(callback);
        }
    }
}

/// One client's state, carried by hand between callbacks (an `async fn` keeps it in its
/// own frame): what `serve`'s locals `buf` and `n`, and `write_all`'s progress, hold.
pub struct Conn {
    stream: TcpStream,
    /// Bytes read and uppercased in place; `buf[written..n]` is still to send.
    buf: Vec<u8>,
    n: usize,
    written: usize,
}

impl Conn {
    /// Sends the pending reply: `Ok(true)` once all of it is out, `Ok(false)` on
    /// `WouldBlock` with the rest still pending.
    fn flush(&mut self) -> io::Result<bool> {
        while self.written < self.n {
            match self.stream.write(&self.buf[self.written..self.n]) {
                Ok(0) => return Err(ErrorKind::WriteZero.into()),
                Ok(k) => self.written += k,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }
}

/// The listener's callback: Python's `accept(sock, mask)`, draining the accept queue.
fn on_accept(lp: &mut EventLoop, token: Token, listener: &TcpListener) -> io::Result<()> {
    loop {
        match listener.accept() {
            Ok((stream, _peer)) => {
                if let Err(e) = add_client(lp, stream) {
                    eprintln!("client error: {e}");
                }
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) if e.kind() == ErrorKind::ConnectionAborted => {}
            // Out of descriptors, say: no timer to pause with, so retry at the next event
            // (at once on poll(2), when the next client arrives on epoll).
            Err(e) => {
                eprintln!("accept failed: {e}");
                break;
            }
        }
    }
    // Returning an error would make the loop drop the listener: report it here instead.
    if let Err(e) = lp.rearm(token, Interest::READABLE) {
        eprintln!("rearm listener: {e}");
    }
    Ok(())
}

fn add_client(lp: &mut EventLoop, stream: TcpStream) -> io::Result<()> {
    stream.set_nonblocking(true)?;
    let fd = stream.as_raw_fd();
    let buf = vec![0; BUF];
    let conn = Rc::new(RefCell::new(Conn {
        stream,
        buf,
        n: 0,
        written: 0,
    }));
    // A backend reports the state at registration (data already there included).
    lp.register(fd, Interest::READABLE, reader(conn))?;
    Ok(())
}

/// The read callback: one more handle on the connection's shared state.
fn reader(conn: Rc<RefCell<Conn>>) -> Callback {
    Box::new(move |lp, token, _ready| on_readable(lp, token, &conn))
}

/// The write callback: another handle on the same state.
fn writer(conn: Rc<RefCell<Conn>>) -> Callback {
    Box::new(move |lp, token, _ready| on_writable(lp, token, &conn))
}

/// Reads until `WouldBlock`, answering each read before the next (so a client that does not
/// read its replies is not read either). Python's `read(conn, mask)`, which hoped
/// `conn.send(data)` would not block.
fn on_readable(lp: &mut EventLoop, token: Token, conn: &Rc<RefCell<Conn>>) -> io::Result<()> {
    let mut guard = conn.borrow_mut();
    let c = &mut *guard;
    loop {
        match c.stream.read(&mut c.buf) {
            // Half-closed, and nothing is pending: unregistering drops this callback after
            // it returns, and with it the last handle on the socket, which closes (FIN).
            Ok(0) => return lp.unregister(token),
            Ok(n) => {
                c.buf[..n].make_ascii_uppercase();
                (c.n, c.written) = (n, 0);
                if !c.flush()? {
                    // The reply did not fit: the rest is sent by another callback.
                    return lp.modify(token, Interest::WRITABLE, writer(conn.clone()));
                }
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                return lp.rearm(token, Interest::READABLE);
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Sends the rest of a reply; once it is out, goes back to reading — by hand, at once.
fn on_writable(lp: &mut EventLoop, token: Token, conn: &Rc<RefCell<Conn>>) -> io::Result<()> {
    if !conn.borrow_mut().flush()? {
        return lp.rearm(token, Interest::WRITABLE);
    }
    lp.modify(token, Interest::READABLE, reader(conn.clone()))?;
    // Bytes that arrived while we waited to write raised an edge we ignored; no event
    // will come for them again, so read now.
    on_readable(lp, token, conn)
}
