//! The seam's contract, checked on each backend this OS has: what each one reports, and
//! when, for the same sequence of socket states.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::time::Duration;

use super::{Backend, Event, Interest, Readiness, Selector, Token};

const SHORT: Option<Duration> = Some(Duration::from_millis(50));

fn backends() -> Vec<Backend> {
    [Backend::Epoll, Backend::Poll, Backend::Kqueue]
        .into_iter()
        .filter(|b| b.selector().is_ok())
        .collect()
}

/// A connected pair of blocking std sockets.
fn pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let a = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (b, _) = listener.accept().unwrap();
    (a, b)
}

fn readable_events(selector: &dyn Selector, token: Token) -> usize {
    let mut events: Vec<Event> = Vec::new();
    selector.select(&mut events, SHORT).unwrap();
    events
        .iter()
        .filter(|e| e.token == token && e.readiness.intersects(Readiness::READABLE))
        .count()
}

#[test]
#[cfg_attr(miri, ignore)]
fn unread_data_is_reported_once_until_rearmed_on_every_backend() {
    for backend in backends() {
        let selector = backend.selector().unwrap();
        let (mut a, b) = pair();
        let token = Token(7);
        selector
            .register(b.as_raw_fd(), token, Interest::READABLE)
            .unwrap();
        a.write_all(b"x").unwrap();
        assert_eq!(
            readable_events(&*selector, token),
            1,
            "{backend}: first report"
        );
        // Nobody read: an edge backend has no new edge; poll(2) disarmed what it reported.
        assert_eq!(
            readable_events(&*selector, token),
            0,
            "{backend}: no repeat"
        );
        selector
            .rearm(b.as_raw_fd(), token, Interest::READABLE)
            .unwrap();
        let after_rearm = readable_events(&*selector, token);
        match backend {
            // Level semantics: still readable, so reported again once re-armed.
            Backend::Poll => assert_eq!(after_rearm, 1, "{backend}: level after rearm"),
            // Edge semantics: rearm is a no-op; only new data makes a new edge.
            _ => assert_eq!(after_rearm, 0, "{backend}: edge ignores rearm"),
        }
        a.write_all(b"y").unwrap();
        if backend != Backend::Poll {
            assert_eq!(readable_events(&*selector, token), 1, "{backend}: new edge");
        }
        selector.deregister(b.as_raw_fd()).unwrap();
    }
}

#[test]
#[cfg_attr(miri, ignore)]
fn registering_the_same_fd_twice_is_an_error_and_the_first_keeps_working() {
    for backend in backends() {
        let selector = backend.selector().unwrap();
        let (mut a, mut b) = pair();
        selector
            .register(b.as_raw_fd(), Token(1), Interest::READABLE)
            .unwrap();
        let err = selector
            .register(b.as_raw_fd(), Token(2), Interest::READABLE)
            .unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists, "{backend}");
        a.write_all(b"z").unwrap();
        assert_eq!(readable_events(&*selector, Token(1)), 1, "{backend}");
        let mut buf = [0u8; 1];
        b.read_exact(&mut buf).unwrap();
        selector.deregister(b.as_raw_fd()).unwrap();
    }
}

#[test]
#[cfg_attr(miri, ignore)]
fn no_event_after_deregister() {
    for backend in backends() {
        let selector = backend.selector().unwrap();
        let (mut a, b) = pair();
        selector
            .register(b.as_raw_fd(), Token(3), Interest::BOTH)
            .unwrap();
        selector.deregister(b.as_raw_fd()).unwrap();
        a.write_all(b"late").unwrap();
        let mut events = Vec::new();
        selector.select(&mut events, SHORT).unwrap();
        assert!(events.is_empty(), "{backend}: {events:?}");
    }
}

#[test]
#[cfg_attr(miri, ignore)]
fn peer_half_close_is_read_closed_not_write_closed() {
    for backend in backends() {
        let selector = backend.selector().unwrap();
        let (a, b) = pair();
        selector
            .register(b.as_raw_fd(), Token(4), Interest::READABLE)
            .unwrap();
        a.shutdown(std::net::Shutdown::Write).unwrap();
        let mut events = Vec::new();
        selector.select(&mut events, SHORT).unwrap();
        let ready = events
            .iter()
            .find(|e| e.token == Token(4))
            .expect("an event")
            .readiness;
        assert!(
            ready.intersects(Readiness::READ_CLOSED),
            "{backend}: {ready:?}"
        );
        assert!(
            !ready.intersects(Readiness::WRITE_CLOSED),
            "{backend}: {ready:?}"
        );
        selector.deregister(b.as_raw_fd()).unwrap();
    }
}

#[test]
#[cfg_attr(miri, ignore)]
fn timeout_is_honoured_and_rounds_sub_millisecond_up() {
    assert_eq!(super::timeout_ms(Some(Duration::from_micros(1))), 1);
    assert_eq!(super::timeout_ms(Some(Duration::from_micros(1500))), 2);
    assert_eq!(super::timeout_ms(Some(Duration::ZERO)), 0);
    assert_eq!(super::timeout_ms(None), -1);
    assert_eq!(super::timeout_ms(Some(Duration::MAX)), libc::c_int::MAX);
    for backend in backends() {
        let selector = backend.selector().unwrap();
        let start = std::time::Instant::now();
        let mut events = Vec::new();
        selector
            .select(&mut events, Some(Duration::from_millis(20)))
            .unwrap();
        assert!(events.is_empty());
        assert!(start.elapsed() >= Duration::from_millis(20), "{backend}");
    }
}

#[test]
fn backend_names_parse_and_unknown_names_are_clear_errors() {
    for b in [Backend::Epoll, Backend::Poll, Backend::Kqueue] {
        assert_eq!(Backend::from_name(b.name()).unwrap(), b);
    }
    assert_eq!(Backend::from_name(" POLL ").unwrap(), Backend::Poll);
    let err = Backend::from_name("select").unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert!(
        err.to_string().contains("expected epoll, poll or kqueue"),
        "{err}"
    );
    #[cfg(target_os = "linux")]
    {
        let err = Backend::Kqueue
            .selector()
            .err()
            .expect("no kqueue on Linux");
        assert_eq!(err.kind(), std::io::ErrorKind::Unsupported);
        assert!(err.to_string().contains("not available on linux"), "{err}");
    }
}
