//! The baseline: an echo server on raw epoll, no runtime. Level-triggered, one read and one
//! write per request, output kept per connection only when a write is short.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;

fn cvt(r: libc::c_int) -> io::Result<libc::c_int> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

fn ctl(epfd: i32, op: i32, fd: i32, events: u32) -> io::Result<()> {
    let mut ev = libc::epoll_event {
        events,
        u64: fd as u64,
    };
    // SAFETY: `ev` is a live epoll_event; the kernel copies it.
    cvt(unsafe { libc::epoll_ctl(epfd, op, fd, &mut ev) })?;
    Ok(())
}

struct Conn {
    stream: TcpStream,
    pending: Vec<u8>,
}

pub fn serve(addr: &str) -> io::Result<()> {
    let listener = TcpListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    println!("listening on {}", listener.local_addr()?);
    io::stdout().flush()?;
    // SAFETY: plain syscall.
    let epfd = cvt(unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) })?;
    let lfd = listener.as_raw_fd();
    ctl(epfd, libc::EPOLL_CTL_ADD, lfd, libc::EPOLLIN as u32)?;
    let mut conns: HashMap<i32, Conn> = HashMap::new();
    let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; 1024];
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        // SAFETY: `events` has room for 1024 entries.
        let n = unsafe { libc::epoll_wait(epfd, events.as_mut_ptr(), 1024, -1) };
        if n < 0 {
            continue; // EINTR
        }
        for ev in &events[..n as usize] {
            let fd = ev.u64 as i32;
            let bits = ev.events;
            if fd == lfd {
                while let Ok((stream, _)) = listener.accept() {
                    stream.set_nonblocking(true)?;
                    let cfd = stream.as_raw_fd();
                    ctl(epfd, libc::EPOLL_CTL_ADD, cfd, libc::EPOLLIN as u32)?;
                    conns.insert(
                        cfd,
                        Conn {
                            stream,
                            pending: Vec::new(),
                        },
                    );
                }
                continue;
            }
            let Some(conn) = conns.get_mut(&fd) else {
                continue;
            };
            let mut close = false;
            if bits & libc::EPOLLOUT as u32 != 0 {
                match conn.stream.write(&conn.pending) {
                    Ok(w) => {
                        conn.pending.drain(..w);
                        if conn.pending.is_empty() {
                            ctl(epfd, libc::EPOLL_CTL_MOD, fd, libc::EPOLLIN as u32)?;
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(_) => close = true,
                }
            } else if bits & (libc::EPOLLIN | libc::EPOLLHUP | libc::EPOLLERR) as u32 != 0 {
                match conn.stream.read(&mut buf) {
                    Ok(0) => close = true,
                    Ok(r) => {
                        buf[..r].make_ascii_uppercase();
                        match conn.stream.write(&buf[..r]) {
                            Ok(w) if w == r => {}
                            Ok(w) => {
                                conn.pending.extend_from_slice(&buf[w..r]);
                                ctl(epfd, libc::EPOLL_CTL_MOD, fd, libc::EPOLLOUT as u32)?;
                            }
                            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                                conn.pending.extend_from_slice(&buf[..r]);
                                ctl(epfd, libc::EPOLL_CTL_MOD, fd, libc::EPOLLOUT as u32)?;
                            }
                            Err(_) => close = true,
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(_) => close = true,
                }
            }
            if close {
                let _ = ctl(epfd, libc::EPOLL_CTL_DEL, fd, 0);
                conns.remove(&fd);
            }
        }
    }
}
