//! A future that gives up waiting on a shared socket takes its entry off the list of
//! waiters (`reactor/waiter.rs`): a crowd of `recv_from`s or `accept`s
//! dropped by their timeouts neither piles up nor disturbs the task still waiting, and a
//! task's other future on the same direction stays listed.

mod util;

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use corio::net::{TcpListener, TcpStream, UdpSocket};
use corio::task::yield_now;
use util::{poll_once, within};

const LIMIT: Duration = Duration::from_secs(20);
/// A crowd: were given-up entries kept, or the list shed when long, the live waiter would
/// be woken by it.
const GIVE_UPS: usize = 1_000;

/// Counts the polls of the future it wraps.
struct Counted<F> {
    polls: Rc<Cell<usize>>,
    inner: Pin<Box<F>>,
}

impl<F: Future> Future for Counted<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.polls.set(self.polls.get() + 1);
        self.inner.as_mut().poll(cx)
    }
}

fn counted<F: Future>(inner: F) -> (Rc<Cell<usize>>, Counted<F>) {
    let polls = Rc::new(Cell::new(0));
    let inner = Box::pin(inner);
    (polls.clone(), Counted { polls, inner })
}

/// Spawns `n` tasks that each start waiting with `wait()` and give up after one poll;
/// returns once all have finished.
async fn give_up_many<F: Future + 'static>(n: usize, wait: impl Fn() -> F) {
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let mut future = Box::pin(wait());
            corio::spawn(async move { poll_once(&mut future).await.is_pending() })
        })
        .collect();
    for task in tasks {
        assert!(task.await.unwrap(), "nothing was there to receive");
    }
}

#[test]
fn receivers_that_give_up_leave_the_one_still_waiting_undisturbed() {
    corio::block_on(within(LIMIT, "udp give-ups", async {
        let rx = Rc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
        let (polls, waiter) = counted({
            let rx = rx.clone();
            async move {
                let mut buf = [0u8; 16];
                let (n, _) = rx.recv_from(&mut buf).await.unwrap();
                buf[..n].to_vec()
            }
        });
        let waiter = corio::spawn(waiter);
        yield_now().await;
        assert_eq!(polls.get(), 1);

        give_up_many(GIVE_UPS, || {
            let rx = rx.clone();
            async move { rx.recv_from(&mut [0u8; 16]).await.map(|(n, _)| n) }
        })
        .await;
        for _ in 0..3 {
            yield_now().await;
        }
        assert_eq!(polls.get(), 1, "the live receiver was woken by the crowd");

        let tx = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        tx.send_to(b"at last", rx.local_addr().unwrap())
            .await
            .unwrap();
        assert_eq!(waiter.await.unwrap(), b"at last");
        assert_eq!(polls.get(), 2, "one wake, for the datagram");
    }));
}

#[test]
fn accepts_that_give_up_leave_the_one_still_accepting_undisturbed() {
    corio::block_on(within(LIMIT, "accept give-ups", async {
        let listener = Rc::new(TcpListener::bind("127.0.0.1:0").await.unwrap());
        let addr = listener.local_addr().unwrap();
        let (polls, acceptor) = counted({
            let listener = listener.clone();
            async move { listener.accept().await.map(|(_, peer)| peer) }
        });
        let acceptor = corio::spawn(acceptor);
        yield_now().await;

        give_up_many(GIVE_UPS, || {
            let listener = listener.clone();
            async move { listener.accept().await.map(|(_, peer)| peer) }
        })
        .await;
        for _ in 0..3 {
            yield_now().await;
        }
        assert_eq!(polls.get(), 1, "the live acceptor was woken by the crowd");

        let client = TcpStream::connect(addr).await.unwrap();
        assert_eq!(
            acceptor.await.unwrap().unwrap(),
            client.local_addr().unwrap()
        );
        assert_eq!(polls.get(), 2);
    }));
}

/// One task waits with `wait()`, a crowd of others gives up on the same thing; the one
/// still waiting is polled once until `trigger` makes it ready, then once more.
async fn live_waiter_undisturbed<F, T>(wait: impl Fn() -> F, trigger: impl Future<Output = ()>) -> T
where
    F: Future<Output = T> + 'static,
    T: 'static,
{
    let (polls, live) = counted(wait());
    let live = corio::spawn(live);
    yield_now().await;
    give_up_many(GIVE_UPS, &wait).await;
    for _ in 0..3 {
        yield_now().await;
    }
    assert_eq!(polls.get(), 1, "the live waiter was woken by the crowd");
    trigger.await;
    let out = live.await.unwrap();
    assert_eq!(polls.get(), 2, "one wake, for the event");
    out
}

#[test]
fn stream_readable_waits_that_give_up_leave_the_live_one_undisturbed() {
    corio::block_on(within(LIMIT, "stream readable give-ups", async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let server = Rc::new(listener.accept().await.unwrap().0);
        // Nothing to read yet: clear the readiness assumed at registration.
        let err = server.try_read(&mut [0u8; 8]).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
        let readable = || {
            let server = server.clone();
            async move { server.readable().await.unwrap() }
        };
        let trigger = async { client.try_write(b"x").map(|n| assert_eq!(n, 1)).unwrap() };
        live_waiter_undisturbed(readable, trigger).await;
    }));
}

#[test]
fn async_fd_readable_waits_that_give_up_leave_the_live_one_undisturbed() {
    use std::io::Write;
    corio::block_on(within(LIMIT, "AsyncFd readable give-ups", async {
        let (r, mut w) = util::pipe();
        let r = Rc::new(corio::io::AsyncFd::new(r).unwrap());
        // Nothing to read yet: clear the readiness assumed at registration.
        let err = r
            .try_read_with(|mut file| std::io::Read::read(&mut file, &mut [0u8; 8]))
            .unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
        let readable = || {
            let r = r.clone();
            async move { r.readable().await.unwrap() }
        };
        let trigger = async move { w.write_all(b"x").unwrap() };
        live_waiter_undisturbed(readable, trigger).await;
    }));
}

#[test]
fn dropping_one_of_a_tasks_two_waits_keeps_the_other_listed() {
    corio::block_on(within(LIMIT, "two waits, one task", async {
        let rx = Rc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
        // A second task waits on the same direction too.
        let other = corio::spawn({
            let rx = rx.clone();
            async move { rx.readable().await.unwrap() }
        });
        yield_now().await;

        let mut given_up = Box::pin(recv_from_owned(&rx));
        let mut kept = Box::pin(rx.readable());
        assert!(poll_once(&mut given_up).await.is_pending());
        assert!(poll_once(&mut kept).await.is_pending());
        drop(given_up); // must take only its own entry, not this task's waker

        let tx = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        tx.send_to(b"x", rx.local_addr().unwrap()).await.unwrap();
        kept.await.unwrap();
        other.await.unwrap();
    }));
}

/// `recv_from` with its own buffer, so the future borrows only `rx`.
async fn recv_from_owned(rx: &UdpSocket) -> std::io::Result<usize> {
    rx.recv_from(&mut [0u8; 16]).await.map(|(n, _)| n)
}
