//! `corio::sync::mpsc` reservations and `closed()`: `reserve` waits on a full channel, an
//! unused permit gives its slot back, permits reserved before a `close` still deliver,
//! `try_reserve`'s errors, owned permits, `Sender::closed`, and a producer thread that
//! reserves before it sends.

mod common_exec;

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use common_exec::{assert_send, assert_send_val, assert_sync, counting_waker, n, poll};
use common_exec::{with_watchdog, DropCounter};
use corio::sync::mpsc::{self, OwnedPermit, Permit, SendError, TryRecvError, TrySendError};

const WATCHDOG: Duration = Duration::from_secs(20);

type Reserve<'a, T> = Pin<Box<dyn Future<Output = Result<Permit<'a, T>, SendError<()>>> + 'a>>;
type Closed<'a> = Pin<Box<dyn Future<Output = ()> + 'a>>;

#[test]
fn permits_and_their_futures_are_send_and_sync() {
    assert_send::<Permit<'static, String>>();
    assert_sync::<Permit<'static, String>>();
    assert_send::<OwnedPermit<String>>();
    assert_sync::<OwnedPermit<String>>();
    let (tx, _rx) = mpsc::channel::<String>(1);
    assert_send_val(&tx.reserve());
    assert_send_val(&tx.closed());
    assert_send_val(&tx.clone().reserve_owned());
}

#[test]
fn reserve_waits_on_a_full_channel_until_a_message_is_taken() {
    let (tx, mut rx) = mpsc::channel(1);
    tx.try_send(1).unwrap();
    let (waker, wakes) = counting_waker();
    let mut reserve: Reserve<'_, i32> = Box::pin(tx.reserve());
    assert!(poll(&mut reserve, &waker).is_pending());
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(n(&wakes), 1);
    let Poll::Ready(Ok(permit)) = poll(&mut reserve, &waker) else {
        panic!("no permit")
    };
    assert_eq!(tx.capacity(), 0, "the reserved slot counts as used");
    assert!(matches!(tx.try_send(2), Err(TrySendError::Full(2))));
    permit.send(3);
    assert_eq!(rx.try_recv(), Ok(3));
    assert_eq!(tx.capacity(), 1);
}

#[test]
fn a_dropped_permit_gives_its_slot_back_and_wakes_the_next_sender() {
    let (tx, mut rx) = mpsc::channel::<i32>(1);
    let permit = tx.try_reserve().unwrap();
    assert!(matches!(tx.try_reserve(), Err(TrySendError::Full(()))));
    let (waker, wakes) = counting_waker();
    let mut reserve: Reserve<'_, i32> = Box::pin(tx.reserve());
    assert!(poll(&mut reserve, &waker).is_pending());
    drop(permit);
    assert_eq!(n(&wakes), 1, "the waiting reserve got the slot back");
    let Poll::Ready(Ok(permit)) = poll(&mut reserve, &waker) else {
        panic!("no permit")
    };
    drop(permit);
    drop(reserve);
    assert_eq!(tx.capacity(), 1);
    tx.try_send(5).unwrap();
    assert_eq!(rx.try_recv(), Ok(5));
    assert_eq!(
        rx.try_recv(),
        Err(TryRecvError::Empty),
        "the dropped permit sent nothing"
    );
}

#[test]
fn a_cancelled_reserve_holds_no_slot() {
    let (tx, mut rx) = mpsc::channel::<i32>(1);
    tx.try_send(0).unwrap();
    let (waker, _) = counting_waker();
    let mut first: Reserve<'_, i32> = Box::pin(tx.reserve());
    let (second_waker, second_wakes) = counting_waker();
    let mut second: Reserve<'_, i32> = Box::pin(tx.reserve());
    assert!(poll(&mut first, &waker).is_pending());
    assert!(poll(&mut second, &second_waker).is_pending());
    assert_eq!(rx.try_recv(), Ok(0)); // the slot goes to `first`...
    drop(first); // ...which is cancelled: it passes on to `second`
    assert_eq!(n(&second_wakes), 1);
    assert!(matches!(
        poll(&mut second, &second_waker),
        Poll::Ready(Ok(_))
    ));
}

/// Closing refuses new reservations (and wakes waiting ones with an error), but a permit
/// reserved before still delivers, and the receiver reports the end only after it.
#[test]
fn permits_reserved_before_a_close_still_deliver() {
    let (tx, mut rx) = mpsc::channel::<i32>(2);
    let permit = tx.try_reserve().unwrap();
    let unused = tx.try_reserve().unwrap();
    let (waker, wakes) = counting_waker();
    let mut waiting: Reserve<'_, i32> = Box::pin(tx.reserve());
    assert!(poll(&mut waiting, &waker).is_pending());
    rx.close();
    assert_eq!(n(&wakes), 1);
    assert!(matches!(
        poll(&mut waiting, &waker),
        Poll::Ready(Err(SendError(())))
    ));
    assert!(matches!(tx.try_reserve(), Err(TrySendError::Closed(()))));
    assert_eq!(
        rx.try_recv(),
        Err(TryRecvError::Empty),
        "two permits are still out"
    );
    permit.send(7);
    assert_eq!(rx.try_recv(), Ok(7));
    let (rx_waker, rx_wakes) = counting_waker();
    let mut recv = Box::pin(rx.recv());
    assert!(
        poll(&mut recv, &rx_waker).is_pending(),
        "one permit is still out"
    );
    drop(unused);
    assert_eq!(n(&rx_wakes), 1, "the last permit's drop ends the channel");
    assert_eq!(poll(&mut recv, &rx_waker), Poll::Ready(None));
    drop(waiting);
    corio::block_on(async {
        assert_eq!(tx.reserve().await.map(drop), Err(SendError(())));
    });
}

#[test]
fn a_permit_used_after_the_receiver_is_gone_drops_its_value() {
    let (tx, rx) = mpsc::channel(1);
    let permit = tx.try_reserve().unwrap();
    drop(rx);
    let drops = DropCounter::new();
    permit.send(drops.guard());
    assert_eq!(drops.count(), 1);
    assert!(tx.is_closed());
}

#[test]
fn owned_permits_hand_the_sender_back() {
    corio::block_on(async {
        let (tx, mut rx) = mpsc::channel::<&str>(1);
        let permit = tx.clone().reserve_owned().await.unwrap();
        let Err(TrySendError::Full(tx2)) = tx.clone().try_reserve_owned() else {
            panic!("the only slot is reserved")
        };
        let tx3 = permit.send("owned");
        assert!(tx3.same_channel(&tx2));
        assert_eq!(rx.recv().await, Some("owned"));
        let permit = tx2.try_reserve_owned().unwrap();
        let tx2 = permit.release();
        assert_eq!(tx2.capacity(), 1, "release gives the slot back");
        rx.close();
        let Err(TrySendError::Closed(_)) = tx2.try_reserve_owned() else {
            panic!("open")
        };
        assert_eq!(tx3.reserve_owned().await.map(drop), Err(SendError(())));
    });
}

#[test]
fn closed_completes_when_the_receiver_closes_or_goes() {
    for how in ["close", "drop"] {
        let (tx, mut rx) = mpsc::channel::<u8>(1);
        let (waker, wakes) = counting_waker();
        let mut closed: Closed<'_> = Box::pin(tx.closed());
        assert!(poll(&mut closed, &waker).is_pending());
        tx.try_send(1).unwrap(); // traffic is not a close
        assert_eq!(n(&wakes), 0);
        if how == "close" {
            rx.close();
        } else {
            drop(rx);
        }
        assert_eq!(n(&wakes), 1, "{how} wakes closed()");
        assert_eq!(poll(&mut closed, &waker), Poll::Ready(()), "{how}");
        drop(closed);
        corio::block_on(tx.closed()); // at once when already closed
    }
    let (utx, urx) = mpsc::unbounded_channel::<u8>();
    let (waker, wakes) = counting_waker();
    let mut closed: Closed<'_> = Box::pin(utx.closed());
    assert!(poll(&mut closed, &waker).is_pending());
    drop(urx);
    assert_eq!(n(&wakes), 1);
    assert_eq!(poll(&mut closed, &waker), Poll::Ready(()));
}

/// A producer thread reserves a slot before making each value; every value arrives, in
/// order, through a channel of four slots.
#[test]
#[cfg_attr(miri, ignore)]
fn a_producer_thread_reserves_before_it_sends() {
    const N: u64 = if cfg!(miri) { 100 } else { 5_000 };
    with_watchdog(WATCHDOG, || {
        let (tx, mut rx) = mpsc::channel(4);
        let producer = std::thread::spawn(move || {
            corio::block_on(async move {
                for i in 0..N {
                    let permit = tx.reserve().await.unwrap();
                    permit.send(i);
                }
                tx.closed().await; // until the consumer closes
            })
        });
        let received = corio::block_on(async move {
            let mut next = 0;
            while next < N {
                assert_eq!(rx.recv().await, Some(next));
                next += 1;
            }
            rx.close();
            assert_eq!(rx.recv().await, None);
            next
        });
        producer.join().unwrap();
        assert_eq!(received, N);
    });
}
