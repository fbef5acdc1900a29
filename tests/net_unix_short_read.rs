//! A short `recv` on a Unix stream socket does not mean its queue is drained: Linux ends a
//! `recv` early, bytes still queued, after a message that carried `SCM_RIGHTS`. A reader that
//! took the short read for "drained" would park on an edge-triggered backend (epoll,
//! kqueue) with those bytes waiting and no event left to announce them.
//!
//! Each test runs on the OS's edge-triggered backend and on poll(2), named explicitly so the
//! result does not depend on `CORIO_BACKEND`.

mod util;

use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream as StdUnixStream;
use std::time::Duration;

use corio::io::{AsyncRead, AsyncReadExt};
use corio::net::UnixStream;
use corio::{Backend, Runtime};

/// How long the read after the short one may take; the bytes are already queued, so a
/// working reader answers at once and only a parked one runs into this.
const WATCHDOG: Duration = Duration::from_secs(5);

/// The backends to try: the OS default (edge-triggered where it has one) and poll(2); none
/// off Linux, whose `recv` rule (where a read stops) these tests depend on.
fn backends() -> Vec<Backend> {
    if !cfg!(target_os = "linux") {
        eprintln!("skipped: where a Unix stream recv stops around SCM_RIGHTS is Linux's rule");
        return Vec::new();
    }
    let mut backends = vec![Backend::os_default()];
    if !backends.contains(&Backend::Poll) {
        backends.push(Backend::Poll);
    }
    backends
}

/// Sends `bytes` on `socket` in one `sendmsg` with `passed` attached as `SCM_RIGHTS`.
fn send_with_fd(socket: &StdUnixStream, bytes: &[u8], passed: RawFd) {
    let fd_len = std::mem::size_of::<libc::c_int>() as libc::c_uint;
    // SAFETY: CMSG_SPACE only computes a size.
    let space = unsafe { libc::CMSG_SPACE(fd_len) } as usize;
    // u64 words: the control buffer must be aligned for `cmsghdr`.
    let mut control = vec![0u64; space.div_ceil(8)];
    let mut iov = libc::iovec {
        iov_base: bytes.as_ptr() as *mut libc::c_void,
        iov_len: bytes.len(),
    };
    // SAFETY: msghdr is a plain C struct for which all-zero bytes are a valid value.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = space as _;
    // SAFETY: `msg` names a control buffer of `space` bytes, room for one header carrying
    // one fd, so CMSG_FIRSTHDR is non-null and CMSG_DATA points at 4 writable bytes.
    unsafe {
        let cmsg = libc::CMSG_FIRSTHDR(&msg);
        assert!(!cmsg.is_null());
        (*cmsg).cmsg_level = libc::SOL_SOCKET;
        (*cmsg).cmsg_type = libc::SCM_RIGHTS;
        (*cmsg).cmsg_len = libc::CMSG_LEN(fd_len) as _;
        std::ptr::write_unaligned(libc::CMSG_DATA(cmsg).cast::<libc::c_int>(), passed);
    }
    // SAFETY: `msg` and everything it points at (iov, bytes, control) outlive the call.
    let sent = unsafe { libc::sendmsg(socket.as_raw_fd(), &msg, 0) };
    assert_eq!(
        sent,
        bytes.len() as isize,
        "sendmsg: {}",
        std::io::Error::last_os_error()
    );
}

/// Parks `reader` on an empty socket, then has the peer send "hello" with an fd attached and
/// "world" plainly, and reads with a 64-byte buffer: the first read must give exactly
/// "hello" (the kernel stops there), the second exactly "world" before the watchdog, and
/// the third end of stream once the peer has closed.
async fn read_past_a_passed_fd<R: AsyncRead + Unpin>(mut reader: R, peer: StdUnixStream) {
    let passed = std::fs::File::open("/dev/null").unwrap();
    let mut buf = [0u8; 64];
    // `join2` polls the read first: it finds the socket empty and parks before the peer
    // sends, so both messages arrive under one readiness event, the only one an
    // edge-triggered backend gives.
    let (first, ()) = util::join2(reader.read(&mut buf), async {
        send_with_fd(&peer, b"hello", passed.as_raw_fd());
        std::io::Write::write_all(&mut &peer, b"world").unwrap();
    })
    .await;
    assert_eq!(first.unwrap(), 5);
    assert_eq!(&buf[..5], b"hello");
    let second = util::timeout(WATCHDOG, reader.read(&mut buf)).await;
    let n = second
        .expect("the read after the short one parked with \"world\" queued")
        .unwrap();
    assert_eq!(&buf[..n], b"world");
    // Nothing else was queued: once the peer closes, the next read is end of stream.
    drop(peer);
    let end = util::timeout(WATCHDOG, reader.read(&mut buf)).await;
    assert_eq!(end.expect("end of stream never came").unwrap(), 0);
}

#[test]
#[cfg_attr(miri, ignore)]
fn scm_rights_short_read_does_not_park_the_stream_with_bytes_queued() {
    for backend in backends() {
        eprintln!("backend: {backend}");
        let runtime = Runtime::builder().backend(backend).build().unwrap();
        runtime.block_on(async {
            let (ours, peer) = StdUnixStream::pair().unwrap();
            let stream = UnixStream::from_std(ours).unwrap();
            read_past_a_passed_fd(stream, peer).await;
        });
    }
}

#[test]
#[cfg_attr(miri, ignore)]
fn scm_rights_short_read_does_not_park_a_read_half_with_bytes_queued() {
    for backend in backends() {
        eprintln!("backend: {backend}");
        let runtime = Runtime::builder().backend(backend).build().unwrap();
        runtime.block_on(async {
            let (ours, peer) = StdUnixStream::pair().unwrap();
            let stream = UnixStream::from_std(ours).unwrap();
            let (read_half, _write_half) = stream.into_split();
            read_past_a_passed_fd(read_half, peer).await;
        });
    }
}
