//! A backend of the user's own, plugged in through `Builder::selector`: here a wrapper
//! that counts the calls the runtime makes, over the built-in poll(2) backend.

use std::cell::Cell;
use std::io;
use std::os::fd::RawFd;
use std::rc::Rc;
use std::time::Duration;

use corio::io::{AsyncReadExt, AsyncWriteExt};
use corio::net::{TcpListener, TcpStream};
use corio::sys::{Backend, Event, Interest, Selector, Token};

#[derive(Default)]
struct Counts {
    register: Cell<usize>,
    deregister: Cell<usize>,
    select: Cell<usize>,
}

struct Counting {
    inner: Box<dyn Selector>,
    counts: Rc<Counts>,
}

impl Selector for Counting {
    fn register(&self, fd: RawFd, token: Token, interest: Interest) -> io::Result<()> {
        self.counts.register.set(self.counts.register.get() + 1);
        self.inner.register(fd, token, interest)
    }
    fn rearm(&self, fd: RawFd, token: Token, interest: Interest) -> io::Result<()> {
        self.inner.rearm(fd, token, interest)
    }
    fn deregister(&self, fd: RawFd) -> io::Result<()> {
        self.counts.deregister.set(self.counts.deregister.get() + 1);
        self.inner.deregister(fd)
    }
    fn select(&self, events: &mut Vec<Event>, timeout: Option<Duration>) -> io::Result<()> {
        self.counts.select.set(self.counts.select.get() + 1);
        self.inner.select(events, timeout)
    }
    fn name(&self) -> &'static str {
        "counting-poll"
    }
}

#[test]
fn a_custom_selector_runs_the_runtime_and_sees_every_registration() {
    let counts = Rc::new(Counts::default());
    let for_builder = counts.clone();
    let runtime = corio::Runtime::builder()
        .selector(move || {
            Ok(Box::new(Counting {
                inner: Backend::Poll.selector()?,
                counts: for_builder.clone(),
            }))
        })
        .build()
        .unwrap();
    assert_eq!(runtime.backend_name(), "counting-poll");
    // The doorbell is registered when the runtime is built.
    assert_eq!(counts.register.get(), 1);

    let reply = runtime.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = corio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 5];
            stream.read_exact(&mut buf).await.unwrap();
            buf.make_ascii_uppercase();
            stream.write_all(&buf).await.unwrap();
        });
        let mut client = TcpStream::connect(addr).await.unwrap();
        client.write_all(b"hello").await.unwrap();
        let mut reply = [0u8; 5];
        client.read_exact(&mut reply).await.unwrap();
        server.await.unwrap();
        reply
    });
    assert_eq!(&reply, b"HELLO");
    // Doorbell + listener + accepted stream + client stream.
    assert_eq!(counts.register.get(), 4);
    // Listener and accepted stream were dropped with the server task; the client with the
    // block_on future.
    assert_eq!(counts.deregister.get(), 3);
    assert!(counts.select.get() >= 1);
}

#[test]
fn a_failing_custom_selector_is_an_error_from_build() {
    let err = corio::Runtime::builder()
        .selector(|| Err(io::Error::other("no such device")))
        .build()
        .unwrap_err();
    assert_eq!(err.to_string(), "no such device");
}
