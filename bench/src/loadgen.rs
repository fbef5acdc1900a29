//! The load generator: N connections, each a closed loop of "send a message, wait for its
//! uppercase echo". One thread, its own epoll loop; it shares no code with the servers.

use std::io::{self, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use crate::rx_stamp;

/// What one measured window produced.
#[derive(Debug, Clone)]
pub struct LoadResult {
    /// Requests completed inside the window.
    pub requests: u64,
    /// Requests completed in all, warm-up included.
    pub total_requests: u64,
    /// The window's length.
    pub elapsed: Duration,
    /// Round-trip latencies of those requests, in microseconds, sorted.
    pub latencies_us: Vec<u32>,
    /// For the same requests, from the send until the whole reply was in the load
    /// generator's socket (kernel receive stamp, `rx_stamp.rs`): the server's share of
    /// the round trip, without the wait for the load generator to read it. Sorted.
    pub reply_us: Vec<u32>,
    /// Measured requests without a usable receive stamp (the kernel gave none, or the
    /// wall clock stepped back): `reply_us` is that much shorter than `latencies_us`.
    pub unstamped: u64,
    /// Replies whose bytes were not the uppercase of what was sent (must be 0).
    pub corrupt: u64,
}

impl LoadResult {
    /// Requests per second.
    pub fn rps(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    /// The `q`-quantile round-trip latency in microseconds (0 if none).
    pub fn quantile(&self, q: f64) -> u32 {
        quantile(&self.latencies_us, q)
    }

    /// The `q`-quantile of the time until the reply was in the socket (0 if none).
    pub fn reply_quantile(&self, q: f64) -> u32 {
        quantile(&self.reply_us, q)
    }
}

/// The `q`-quantile of sorted `v` (0 if empty).
fn quantile(v: &[u32], q: f64) -> u32 {
    if v.is_empty() {
        return 0;
    }
    v[((v.len() as f64 - 1.0) * q).round() as usize]
}

struct Conn {
    stream: TcpStream,
    sent_at: Instant,
    /// `sent_at` on the clock of the kernel's receive stamps.
    sent_wall: i64,
    /// The receive stamp of the last segment read.
    last_stamp: Option<i64>,
    received: usize,
    written: usize,
}

/// Pins the calling thread to `cpu` (ignored where the machine lacks it).
pub fn pin_to_cpu(cpu: usize) {
    // SAFETY: cpu_set_t is plain data; CPU_SET writes inside it; sched_setaffinity reads it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

/// Opens `conns` connections to `addr`, runs `warmup`, then measures for `window`.
pub fn run(
    addr: SocketAddr,
    conns: usize,
    msg_len: usize,
    warmup: Duration,
    window: Duration,
) -> io::Result<LoadResult> {
    let message: Vec<u8> = (0..msg_len).map(|i| b'a' + (i % 26) as u8).collect();
    let expected = message.to_ascii_uppercase();
    let mut streams = Vec::with_capacity(conns);
    for _ in 0..conns {
        let s = TcpStream::connect(addr)?;
        s.set_nodelay(true)?;
        s.set_nonblocking(true)?;
        // Without stamps the run still measures round trips; the reply columns stay empty.
        let _ = rx_stamp::enable(s.as_raw_fd());
        streams.push(s);
    }
    // SAFETY: plain syscall.
    let epfd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
    if epfd < 0 {
        return Err(io::Error::last_os_error());
    }
    let mut table: Vec<Conn> = Vec::with_capacity(conns);
    for (i, stream) in streams.into_iter().enumerate() {
        let mut ev = libc::epoll_event {
            events: libc::EPOLLIN as u32,
            u64: i as u64,
        };
        // SAFETY: `ev` is live; the kernel copies it.
        if unsafe { libc::epoll_ctl(epfd, libc::EPOLL_CTL_ADD, stream.as_raw_fd(), &mut ev) } < 0 {
            return Err(io::Error::last_os_error());
        }
        table.push(Conn {
            stream,
            sent_at: Instant::now(),
            sent_wall: 0,
            last_stamp: None,
            received: 0,
            written: 0,
        });
    }
    let mut buf = vec![0u8; msg_len.max(16 * 1024)];
    let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; 1024];
    let start = Instant::now();
    for c in table.iter_mut() {
        c.sent_at = Instant::now();
        c.sent_wall = rx_stamp::now_ns();
        c.written = write_some(&mut c.stream, &message, 0)?;
    }
    let measure_from = start + warmup;
    let measure_to = measure_from + window;
    let mut result = LoadResult {
        requests: 0,
        total_requests: 0,
        elapsed: window,
        latencies_us: Vec::with_capacity(1 << 20),
        reply_us: Vec::with_capacity(1 << 20),
        unstamped: 0,
        corrupt: 0,
    };
    loop {
        let now = Instant::now();
        if now >= measure_to {
            break;
        }
        let timeout = (measure_to - now).as_millis().max(1) as i32;
        // SAFETY: `events` has room for 1024 entries.
        let n = unsafe { libc::epoll_wait(epfd, events.as_mut_ptr(), 1024, timeout) };
        if n < 0 {
            continue;
        }
        for ev in &events[..n as usize] {
            let c = &mut table[ev.u64 as usize];
            if c.written < msg_len {
                c.written += write_some(&mut c.stream, &message, c.written)?;
            }
            let got = match rx_stamp::recv(c.stream.as_raw_fd(), &mut buf[..msg_len - c.received]) {
                Ok((0, _)) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "server closed",
                    ))
                }
                Ok((k, stamp)) => {
                    c.last_stamp = stamp;
                    k
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) => return Err(e),
            };
            if buf[..got] != expected[c.received..c.received + got] {
                result.corrupt += 1;
            }
            c.received += got;
            if c.received == msg_len {
                let done = Instant::now();
                result.total_requests += 1;
                if done >= measure_from && done < measure_to {
                    result.requests += 1;
                    let us = (done - c.sent_at).as_micros().min(u32::MAX as u128) as u32;
                    result.latencies_us.push(us);
                    match c.last_stamp.map(|stamp| (stamp - c.sent_wall) / 1_000) {
                        Some(reply @ 0..) => {
                            result.reply_us.push(reply.min(i64::from(u32::MAX)) as u32)
                        }
                        _ => result.unstamped += 1,
                    }
                }
                c.received = 0;
                c.sent_at = done;
                c.sent_wall = rx_stamp::now_ns();
                c.written = write_some(&mut c.stream, &message, 0)?;
            }
        }
    }
    // SAFETY: closing the epoll fd we created.
    unsafe { libc::close(epfd) };
    result.latencies_us.sort_unstable();
    result.reply_us.sort_unstable();
    Ok(result)
}

/// Writes what the socket takes of `message[from..]`; a full buffer is not an error.
pub fn write_some(stream: &mut TcpStream, message: &[u8], from: usize) -> io::Result<usize> {
    match stream.write(&message[from..]) {
        Ok(k) => Ok(k),
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(0),
        Err(e) => Err(e),
    }
}
