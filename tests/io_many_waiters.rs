//! A crowd of tasks waiting on one direction of one socket: each waiting future owns its
//! entry in the direction's list, so parking, giving up and being woken cost each task
//! exactly what it needs — no task is polled except by the event it waits for, and once
//! the crowd is gone a lone park allocates nothing.

mod util;

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use corio::net::UdpSocket;
use corio::task::yield_now;
use util::within;

#[path = "util/counting_alloc.rs"]
mod counting_alloc;

use counting_alloc::allocations;

const WAITERS: usize = 1_000;
const LIMIT: Duration = Duration::from_secs(20);

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

async fn settle() {
    for _ in 0..5 {
        yield_now().await;
    }
}

#[test]
#[cfg_attr(miri, ignore)]
fn a_thousand_readable_waiters_are_polled_only_by_their_event() {
    corio::block_on(within(LIMIT, "a thousand waiters", async {
        let rx = Rc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
        let tx = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let to = rx.local_addr().unwrap();
        // Nothing queued yet: forget the readiness assumed at registration.
        let empty = rx.try_recv_from(&mut [0u8; 8]).unwrap_err();
        assert_eq!(empty.kind(), std::io::ErrorKind::WouldBlock);

        let mut polls = Vec::with_capacity(WAITERS);
        let mut tasks = Vec::with_capacity(WAITERS);
        for _ in 0..WAITERS {
            let count = Rc::new(Cell::new(0));
            let rx = rx.clone();
            let inner = Box::pin(async move { rx.readable().await.unwrap() });
            tasks.push(corio::spawn(Counted {
                polls: count.clone(),
                inner,
            }));
            polls.push(count);
        }
        settle().await;
        let each: Vec<usize> = polls.iter().map(|p| p.get()).collect();
        let repolled = each.iter().filter(|&&n| n != 1).count();
        assert_eq!(repolled, 0, "tasks polled again while the others parked");

        // Every other task gives up: its future (and entry) is dropped unpolled.
        let (given_up, live): (Vec<_>, Vec<_>) =
            tasks.into_iter().enumerate().partition(|(i, _)| i % 2 == 0);
        for (_, task) in &given_up {
            task.abort();
        }
        for (_, task) in given_up {
            assert!(task.await.unwrap_err().is_cancelled());
        }
        settle().await;
        let repolled = polls.iter().filter(|p| p.get() != 1).count();
        assert_eq!(repolled, 0, "tasks polled again while others gave up");

        // One event wakes each live waiter exactly once.
        tx.send_to(b"x", to).await.unwrap();
        for (i, task) in live {
            task.await.unwrap();
            assert_eq!(
                polls[i].get(),
                2,
                "live waiter {i}: one wake, for the datagram"
            );
        }
        let given_up_polls: usize = polls.iter().step_by(2).map(|p| p.get()).sum();
        assert_eq!(given_up_polls, WAITERS / 2, "a given-up waiter was polled");

        // The crowd is gone: a lone wait on the socket allocates nothing.
        let mut buf = [0u8; 8];
        assert_eq!(rx.try_recv_from(&mut buf).unwrap().0, 1);
        let empty = rx.try_recv_from(&mut buf).unwrap_err();
        assert_eq!(empty.kind(), std::io::ErrorKind::WouldBlock);
        let before = allocations();
        drop(std::hint::black_box(Box::new(0u8)));
        assert_eq!(
            allocations(),
            before + 1,
            "the counter counts this thread's allocations"
        );
        let mut lone = Box::pin(rx.readable());
        let mut lone_recv = Box::pin(rx.recv_from(&mut buf));
        let allocated = std::future::poll_fn(|cx| {
            let before = allocations();
            for _ in 0..3 {
                assert!(lone.as_mut().poll(cx).is_pending());
                assert!(lone_recv.as_mut().poll(cx).is_pending());
            }
            Poll::Ready(allocations() - before)
        })
        .await;
        assert_eq!(allocated, 0, "a lone park after the crowd allocated");
        drop(lone_recv);
        tx.send_to(b"y", to).await.unwrap();
        lone.await.unwrap();
    }));
}
