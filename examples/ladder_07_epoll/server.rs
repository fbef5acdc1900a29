//! The epoll server itself (Linux only); `main.rs` holds the lesson.

use std::collections::HashMap;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

/// How much one `read` takes at most.
const BUF: usize = 16 * 1024;

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Level,
    Edge,
    EdgeReadOnce,
}

pub fn main() {
    if let Err(e) = run() {
        eprintln!("ladder_07_epoll: {e}");
        std::process::exit(1);
    }
}

fn run() -> io::Result<()> {
    let (mut addr, mut mode) = ("127.0.0.1:8080".to_string(), Mode::Level);
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--edge" => mode = Mode::Edge,
            "--edge-read-once" => mode = Mode::EdgeReadOnce,
            _ => addr = arg,
        }
    }
    let listener = TcpListener::bind(&addr)?;
    listener.set_nonblocking(true)?;
    let lfd = listener.as_raw_fd();
    let epoll = Epoll::new()?;
    // Edge-triggered on the listener too, so accept_all must (and does) drain it.
    let et = if mode == Mode::Level {
        0
    } else {
        libc::EPOLLET
    };
    epoll.ctl(libc::EPOLL_CTL_ADD, lfd, (libc::EPOLLIN | et) as u32)?;
    println!("listening on {}", listener.local_addr()?);
    io::stdout().flush()?;

    // Each registration's token is its fd, so an event leads straight to its connection.
    let mut conns: HashMap<RawFd, Conn> = HashMap::new();
    let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; 256];
    let mut buf = vec![0u8; BUF];
    loop {
        let n = epoll.wait(&mut events)?; // only the ready ones come back
        for ev in &events[..n] {
            let fd = ev.u64 as RawFd;
            if fd == lfd {
                accept_all(&listener, &epoll, mode, &mut conns);
                continue;
            }
            let Some(c) = conns.get_mut(&fd) else {
                continue;
            };
            let step = match mode {
                Mode::Level => c.level(&mut buf),
                Mode::Edge => c.drain(&mut buf),
                Mode::EdgeReadOnce => c.level(&mut buf), // the mistake: see the module doc
            };
            let step = step.and_then(|()| c.update_interest(&epoll, mode));
            let done = match step {
                Ok(()) => c.finished(),
                Err(e) => {
                    eprintln!("client error: {e}");
                    true
                }
            };
            if done {
                // Closing the last descriptor of a socket also removes it from the epoll
                // interest list; a finished client gets FIN.
                conns.remove(&fd);
            }
        }
    }
}

/// Accepts every waiting client (until `EAGAIN`, as edge triggering requires).
fn accept_all(listener: &TcpListener, epoll: &Epoll, mode: Mode, conns: &mut HashMap<RawFd, Conn>) {
    loop {
        match listener.accept() {
            Ok((stream, _peer)) => {
                let (fd, mut c) = (stream.as_raw_fd(), Conn::new(stream));
                c.interest = c.wanted(mode);
                let added = c.stream.set_nonblocking(true);
                match added.and_then(|()| epoll.ctl(libc::EPOLL_CTL_ADD, fd, c.interest)) {
                    Ok(()) => drop(conns.insert(fd, c)),
                    Err(e) => eprintln!("client error: {e}"),
                }
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => return,
            // Out of descriptors, say. In level mode the listener is reported again at
            // once (a retry loop); in edge mode only when the next client arrives.
            Err(e) => return eprintln!("accept failed: {e}"),
        }
    }
}

/// An epoll instance: the interest list lives in the kernel, behind this descriptor.
struct Epoll(OwnedFd);

impl Epoll {
    fn new() -> io::Result<Epoll> {
        // SAFETY: epoll_create1 takes no pointers; a non-negative result is a new fd we own.
        let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: fd was just returned to us open, and nothing else owns it.
        Ok(Epoll(unsafe { OwnedFd::from_raw_fd(fd) }))
    }

    /// Adds or changes the registration of `fd`; the event's token is the fd itself.
    fn ctl(&self, op: libc::c_int, fd: RawFd, events: u32) -> io::Result<()> {
        let mut ev = libc::epoll_event {
            events,
            u64: fd as u64,
        };
        // SAFETY: `ev` is a live epoll_event; the kernel copies it before returning.
        if unsafe { libc::epoll_ctl(self.0.as_raw_fd(), op, fd, &mut ev) } < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Sleeps until something is ready (no timeout); returns how many events were filled.
    fn wait(&self, events: &mut [libc::epoll_event]) -> io::Result<usize> {
        loop {
            // SAFETY: `events` is a live, writable array of `events.len()` epoll_events.
            let n = unsafe {
                libc::epoll_wait(
                    self.0.as_raw_fd(),
                    events.as_mut_ptr(),
                    events.len() as _,
                    -1,
                )
            };
            if n >= 0 {
                return Ok(n as usize);
            }
            let e = io::Error::last_os_error();
            if e.kind() != ErrorKind::Interrupted {
                return Err(e);
            }
        }
    }
}

/// One client: the uppercased bytes we still owe it, whether it stopped sending, and the
/// events it is registered for (so `epoll_ctl` is called only when that changes).
struct Conn {
    stream: TcpStream,
    out: Vec<u8>,
    sent: usize,
    eof: bool,
    interest: u32,
}

impl Conn {
    fn new(stream: TcpStream) -> Conn {
        Conn {
            stream,
            out: Vec::new(),
            sent: 0,
            eof: false,
            interest: 0,
        }
    }

    fn wants_write(&self) -> bool {
        self.sent < self.out.len()
    }

    /// Read only when the last reply is fully sent (backpressure on a client that never reads).
    fn wants_read(&self) -> bool {
        !self.eof && !self.wants_write()
    }

    fn finished(&self) -> bool {
        self.eof && !self.wants_write()
    }

    /// What to wait for next. Level: exactly one of IN or OUT. Edge: IN always (an edge
    /// missed while we were not interested would be lost), OUT only while output is pending.
    fn wanted(&self, mode: Mode) -> u32 {
        let (inn, out) = (libc::EPOLLIN as u32, libc::EPOLLOUT as u32);
        match (mode, self.wants_write()) {
            (Mode::Level, true) => out,
            (Mode::Level, false) => inn,
            (_, true) => inn | out | libc::EPOLLET as u32,
            (_, false) => inn | libc::EPOLLET as u32,
        }
    }

    /// One `epoll_ctl(MOD)` syscall, only when the wanted events changed.
    fn update_interest(&mut self, epoll: &Epoll, mode: Mode) -> io::Result<()> {
        let wanted = self.wanted(mode);
        if wanted != self.interest && !self.finished() {
            epoll.ctl(libc::EPOLL_CTL_MOD, self.stream.as_raw_fd(), wanted)?;
            self.interest = wanted;
        }
        Ok(())
    }

    /// Level-triggered handling: one write attempt or one read per event. If bytes are
    /// left over, epoll_wait reports the socket again.
    fn level(&mut self, buf: &mut [u8]) -> io::Result<()> {
        if self.wants_read() {
            self.read_once(buf)?;
        }
        self.flush()
    }

    /// Edge-triggered handling: go on until the kernel says `EAGAIN` (or the client is done),
    /// because no new event comes for data or buffer space that is already there.
    fn drain(&mut self, buf: &mut [u8]) -> io::Result<()> {
        loop {
            self.flush()?;
            if !self.wants_read() {
                return Ok(()); // send buffer full (EPOLLOUT will call us) or client done
            }
            if !self.read_once(buf)? {
                return Ok(()); // read hit EAGAIN: the next edge comes with new data
            }
        }
    }

    /// One `read`; its bytes, uppercased, become the pending output. False on `EAGAIN`.
    fn read_once(&mut self, buf: &mut [u8]) -> io::Result<bool> {
        match self.stream.read(buf) {
            Ok(0) => self.eof = true,
            Ok(n) => {
                self.out.clear();
                self.out.extend(buf[..n].iter().map(u8::to_ascii_uppercase));
                self.sent = 0;
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(false),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
        Ok(true)
    }

    /// Sends until done or `EAGAIN`; a partial write leaves the rest pending. (std's
    /// `write` on a socket is `send(2)` with `MSG_NOSIGNAL`: a reset peer gives `EPIPE`,
    /// never `SIGPIPE`.)
    fn flush(&mut self) -> io::Result<()> {
        while self.wants_write() {
            match self.stream.write(&self.out[self.sent..]) {
                Ok(n) => self.sent += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}
