//! The open-loop load generator of the `rate` suite: request `k` of the run is due at
//! `start + k / rate` on connection `k % conns`, whatever the server does. One request is in
//! flight per connection; a request that falls due while its connection still waits for the
//! previous reply is queued on that connection (never dropped) and sent when the reply is
//! in. Latency runs from the *scheduled* time, so a stalled server is charged for the queue
//! it causes (no coordinated omission). One thread, its own epoll loop and a timerfd for
//! the schedule; it shares no code with the servers.

use std::io::{self, Read};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

use crate::loadgen::{write_some, LoadResult};
use crate::proc_stats;

/// The timer's token in the epoll set; connections use their index.
const TIMER: u64 = u64::MAX;

/// What to offer: connections, the total rate, the message and the two phases.
#[derive(Debug, Clone, Copy)]
pub struct Offer {
    pub conns: usize,
    /// Requests per second over all connections together.
    pub rate: u64,
    pub msg_len: usize,
    pub warmup: Duration,
    pub window: Duration,
}

/// Server CPU time over the measured window.
#[derive(Debug, Clone, Copy)]
pub struct Cpu {
    /// From the scheduler's run time of every thread (`/proc/PID/task/*/schedstat`, ns
    /// resolution); `None` where the kernel does not expose it.
    pub exact_secs: Option<f64>,
    /// From `utime + stime` in `/proc/PID/stat` (clock-tick resolution, 10 ms here).
    pub tick_secs: f64,
}

/// One window's outcome.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Requests completed inside the window; `latencies_us` from their scheduled time;
    /// `reply_us` stays empty.
    pub load: LoadResult,
    /// Requests whose scheduled time falls inside the window (by the schedule, whether or
    /// not the generator got to send them before the window closed).
    pub offered: u64,
    /// The server's CPU over the window, when its pid was given.
    pub cpu: Option<Cpu>,
    /// The generator thread's own CPU time over the window / the window: near 1.0 it, not
    /// the server, may be what holds the achieved rate down.
    pub generator_busy: f64,
}

/// Where request `k` falls in time.
struct Schedule {
    start: Instant,
    rate: u64,
    conns: u64,
}

impl Schedule {
    fn at(&self, k: u64) -> Instant {
        let ns = u128::from(k) * 1_000_000_000 / u128::from(self.rate);
        self.start + Duration::from_nanos(ns.min(u128::from(u64::MAX)) as u64)
    }

    /// How many requests fall due in `[start + from, start + to)`.
    fn due_between(&self, from: Duration, to: Duration) -> u64 {
        // Request k is due at or after `start + t` when k * 1e9 / rate >= t in ns, that is
        // from k = ceil(t * rate / 1e9) on.
        let first = |t: Duration| {
            let scaled = t.as_nanos() * u128::from(self.rate);
            scaled.div_ceil(1_000_000_000).min(u128::from(u64::MAX)) as u64
        };
        first(to).saturating_sub(first(from))
    }

    /// The due time of connection `conn`'s `nth` request.
    fn of_conn(&self, conn: usize, nth: u64) -> Instant {
        self.at(conn as u64 + nth * self.conns)
    }
}

struct Conn {
    stream: TcpStream,
    /// A request is on the wire and its reply not yet wholly read.
    busy: bool,
    /// When the request on the wire was due.
    due_at: Instant,
    /// Requests that fell due on this connection, and those sent.
    due: u64,
    sent: u64,
    written: usize,
    received: usize,
}

impl Conn {
    fn send(&mut self, due_at: Instant, message: &[u8]) -> io::Result<()> {
        self.busy = true;
        self.due_at = due_at;
        self.sent += 1;
        self.received = 0;
        self.written = write_some(&mut self.stream, message, 0)?;
        Ok(())
    }
}

/// A one-shot CLOCK_MONOTONIC timerfd, re-armed for each wait (arming clears its count).
struct Timer(OwnedFd);

impl Timer {
    fn new() -> io::Result<Timer> {
        // SAFETY: plain syscall; no pointers.
        let fd = unsafe {
            libc::timerfd_create(
                libc::CLOCK_MONOTONIC,
                libc::TFD_NONBLOCK | libc::TFD_CLOEXEC,
            )
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` was just created and is owned by nobody else.
        Ok(Timer(unsafe { OwnedFd::from_raw_fd(fd) }))
    }

    /// Fires once after `after` (at least 1 ns: a zero value would disarm it).
    fn arm(&self, after: Duration) -> io::Result<()> {
        let after = after.max(Duration::from_nanos(1));
        let spec = libc::itimerspec {
            it_interval: libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            },
            it_value: libc::timespec {
                tv_sec: after.as_secs() as libc::time_t,
                tv_nsec: after.subsec_nanos() as libc::c_long,
            },
        };
        // SAFETY: `spec` is live for the call; the old value is not asked for.
        let r =
            unsafe { libc::timerfd_settime(self.0.as_raw_fd(), 0, &spec, std::ptr::null_mut()) };
        if r < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
}

/// An epoll instance closed on drop.
struct Epoll(OwnedFd);

impl Epoll {
    fn new() -> io::Result<Epoll> {
        // SAFETY: plain syscall.
        let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` was just created and is owned by nobody else.
        Ok(Epoll(unsafe { OwnedFd::from_raw_fd(fd) }))
    }

    fn add(&self, fd: RawFd, token: u64) -> io::Result<()> {
        let mut ev = libc::epoll_event {
            events: libc::EPOLLIN as u32,
            u64: token,
        };
        // SAFETY: `ev` is live; the kernel copies it.
        if unsafe { libc::epoll_ctl(self.0.as_raw_fd(), libc::EPOLL_CTL_ADD, fd, &mut ev) } < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Waits without a timeout (the timer bounds it); returns how many events came.
    fn wait(&self, events: &mut [libc::epoll_event]) -> io::Result<usize> {
        let max = events.len().min(i32::MAX as usize) as i32;
        // SAFETY: `events` has room for `max` entries.
        let n = unsafe { libc::epoll_wait(self.0.as_raw_fd(), events.as_mut_ptr(), max, -1) };
        if n < 0 {
            let e = io::Error::last_os_error();
            return if e.kind() == io::ErrorKind::Interrupted {
                Ok(0)
            } else {
                Err(e)
            };
        }
        Ok(n as usize)
    }
}

/// Run time of every thread of `pid`, in ns (`None` if schedstat is missing).
fn run_ns(pid: u32) -> Option<u64> {
    let mut total = 0u64;
    for entry in std::fs::read_dir(format!("/proc/{pid}/task")).ok()? {
        let tid = entry.ok()?.file_name();
        let path = format!("/proc/{pid}/task/{}/schedstat", tid.to_string_lossy());
        let stat = std::fs::read_to_string(path).ok()?;
        total += stat.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(total)
}

/// CPU time of the calling thread.
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is live for the call.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(
        ts.tv_sec.max(0) as u64,
        ts.tv_nsec.clamp(0, 999_999_999) as u32,
    )
}

fn cpu_sample(pid: u32) -> (Option<u64>, f64) {
    (run_ns(pid), proc_stats::cpu_secs(pid))
}

/// Asks the kernel for the finest timer slack on this thread, so sends leave on time
/// (the default slack lets a timer fire up to 50 µs late).
pub fn tighten_timer_slack() {
    // SAFETY: PR_SET_TIMERSLACK takes an integer; it affects only the calling thread.
    unsafe { libc::prctl(libc::PR_SET_TIMERSLACK, 1 as libc::c_ulong, 0, 0, 0) };
}

/// Opens `offer.conns` connections to `addr` and runs the schedule through the warm-up and
/// the window; samples `server`'s CPU at the window's edges when given.
pub fn run(addr: SocketAddr, offer: Offer, server: Option<u32>) -> io::Result<Outcome> {
    if offer.conns == 0 || offer.rate == 0 || offer.msg_len == 0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "connections, rate and message length must be positive",
        ));
    }
    let message: Vec<u8> = (0..offer.msg_len).map(|i| b'a' + (i % 26) as u8).collect();
    let expected = message.to_ascii_uppercase();
    let epoll = Epoll::new()?;
    let timer = Timer::new()?;
    epoll.add(timer.0.as_raw_fd(), TIMER)?;
    let mut table = Vec::with_capacity(offer.conns);
    for i in 0..offer.conns {
        let stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        stream.set_nonblocking(true)?;
        epoll.add(stream.as_raw_fd(), i as u64)?;
        table.push(Conn {
            stream,
            busy: false,
            due_at: Instant::now(),
            due: 0,
            sent: 0,
            written: 0,
            received: 0,
        });
    }
    let plan = Schedule {
        start: Instant::now(),
        rate: offer.rate,
        conns: offer.conns as u64,
    };
    let measure_from = plan.start + offer.warmup;
    let measure_to = measure_from + offer.window;
    let expect = (offer.rate as f64 * offer.window.as_secs_f64() * 1.05) as usize + 16;
    let mut load = LoadResult {
        requests: 0,
        total_requests: 0,
        elapsed: offer.window,
        latencies_us: Vec::with_capacity(expect),
        reply_us: Vec::new(),
        unstamped: 0,
        corrupt: 0,
    };
    let offered = plan.due_between(offer.warmup, offer.warmup + offer.window);
    let mut cpu_from = None;
    let mut cpu = None;
    let mut own_from = Duration::ZERO;
    let generator_busy;
    let mut next = 0u64;
    let mut armed = None;
    let mut buf = vec![0u8; offer.msg_len];
    let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; 1024];
    loop {
        let now = Instant::now();
        if now >= measure_from && cpu_from.is_none() {
            cpu_from = Some(server.map(cpu_sample));
            own_from = thread_cpu();
        }
        if now >= measure_to {
            generator_busy = (thread_cpu().saturating_sub(own_from)).as_secs_f64()
                / offer.window.as_secs_f64().max(1e-9);
            if let (Some(pid), Some(Some((ns0, ticks0)))) = (server, cpu_from) {
                let (ns1, ticks1) = cpu_sample(pid);
                cpu = Some(Cpu {
                    exact_secs: ns0.zip(ns1).map(|(a, b)| b.saturating_sub(a) as f64 / 1e9),
                    tick_secs: ticks1 - ticks0,
                });
            }
            break;
        }
        // Hand out every request that fell due.
        while plan.at(next) <= now {
            let due_at = plan.at(next);
            let c = &mut table[(next % plan.conns) as usize];
            c.due += 1;
            if !c.busy {
                c.send(due_at, &message)?;
            }
            next += 1;
        }
        let mut deadline = plan.at(next).min(measure_to);
        if cpu_from.is_none() {
            deadline = deadline.min(measure_from);
        }
        if armed != Some(deadline) {
            timer.arm(deadline.saturating_duration_since(now))?;
            armed = Some(deadline);
        }
        let n = epoll.wait(&mut events)?;
        for ev in &events[..n] {
            if ev.u64 == TIMER {
                continue;
            }
            let i = ev.u64 as usize;
            let c = &mut table[i];
            if c.busy && c.written < offer.msg_len {
                c.written += write_some(&mut c.stream, &message, c.written)?;
            }
            let want = if c.busy {
                offer.msg_len - c.received
            } else {
                offer.msg_len // bytes nobody asked for: read and count them as corrupt
            };
            let got = match c.stream.read(&mut buf[..want]) {
                Ok(0) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the server closed a connection",
                    ))
                }
                Ok(k) => k,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) => return Err(e),
            };
            if !c.busy || buf[..got] != expected[c.received..c.received + got] {
                load.corrupt += 1;
            }
            if !c.busy {
                continue;
            }
            c.received += got;
            if c.received < offer.msg_len {
                continue;
            }
            let done = Instant::now();
            c.busy = false;
            load.total_requests += 1;
            if done >= measure_from && done < measure_to {
                load.requests += 1;
                let us = (done - c.due_at).as_micros().min(u128::from(u32::MAX)) as u32;
                load.latencies_us.push(us);
            }
            if c.sent < c.due {
                let due_at = plan.of_conn(i, c.sent);
                c.send(due_at, &message)?;
            }
        }
    }
    load.latencies_us.sort_unstable();
    Ok(Outcome {
        load,
        offered,
        cpu,
        generator_busy,
    })
}

#[cfg(test)]
#[path = "gen_tests.rs"]
mod tests;
