//! The test clock: `pause`, `resume`, `advance`, `Builder::start_paused` and
//! `#[corio::test(start_paused = true)]`. Time moves only by `advance` or auto-advance,
//! sockets keep working while paused, and misuse panics with a clear message.

mod time_common;

use std::cell::Cell;
use std::rc::Rc;

use corio::io::{AsyncReadExt, AsyncWriteExt};
use corio::net::{TcpListener, TcpStream, UdpSocket};
use corio::runtime::{Builder, Runtime};
use corio::time::{advance, interval, pause, resume, sleep, timeout, Duration, Elapsed, Instant};
use time_common::with_watchdog;

fn paused() -> Runtime {
    Builder::new_current_thread()
        .start_paused(true)
        .build()
        .unwrap()
}

/// A 30 s timeout on a future that never completes elapses at once in real time, with the
/// runtime's clock exactly 30 s on.
#[test]
fn a_30_second_timeout_takes_no_real_time() {
    let wall = std::time::Instant::now();
    with_watchdog(Duration::from_secs(5), || {
        paused().block_on(async {
            let start = Instant::now();
            let result = timeout(Duration::from_secs(30), std::future::pending::<()>()).await;
            assert_eq!(result, Err::<(), Elapsed>(corio_elapsed().await));
            assert_eq!(Instant::now() - start, Duration::from_secs(30));
        })
    });
    assert!(
        wall.elapsed() < Duration::from_secs(1),
        "{:?}",
        wall.elapsed()
    );
}

/// An `Elapsed` value to compare with (its constructor is private, as tokio's is).
async fn corio_elapsed() -> Elapsed {
    timeout(Duration::ZERO, std::future::pending::<()>())
        .await
        .unwrap_err()
}

/// Spawns a task that sleeps `ms` (its deadline taken now) and then sets a flag.
fn sleeper(ms: u64) -> Rc<Cell<bool>> {
    let done = Rc::new(Cell::new(false));
    let flag = done.clone();
    let sleep = sleep(Duration::from_millis(ms));
    corio::spawn(async move {
        sleep.await;
        flag.set(true);
    });
    done
}

/// `advance(10ms)` fires a 10 ms sleep and not a 20 ms one, whether the clock was paused
/// at the runtime's start or at an arbitrary instant (`pause`, off the millisecond grid).
#[test]
#[cfg_attr(miri, ignore)]
fn advance_fires_what_is_due_and_nothing_later() {
    for start_paused in [true, false] {
        let rt = if start_paused {
            paused()
        } else {
            Runtime::new().unwrap()
        };
        rt.block_on(async {
            if !start_paused {
                std::thread::sleep(Duration::from_micros(300)); // off the tick grid
                pause();
            }
            let start = Instant::now();
            let (ten, twenty) = (sleeper(10), sleeper(20));
            corio::task::yield_now().await; // both arm their timers
            advance(Duration::from_millis(10)).await;
            assert_eq!((ten.get(), twenty.get()), (true, false), "{start_paused}");
            assert_eq!(Instant::now() - start, Duration::from_millis(10));
            advance(Duration::from_millis(9)).await;
            assert!(!twenty.get());
            advance(Duration::from_millis(1)).await;
            assert!(twenty.get());
            assert_eq!(Instant::now() - start, Duration::from_millis(20));
        });
    }
}

/// An interval's ticks come at exact virtual instants, and the clock reads them.
#[test]
fn interval_ticks_at_exact_instants() {
    paused().block_on(async {
        let start = Instant::now();
        let mut every = interval(Duration::from_millis(250));
        for n in 0..6u32 {
            let tick = every.tick().await;
            assert_eq!(tick, start + Duration::from_millis(250) * n);
            assert_eq!(Instant::now(), tick);
        }
    });
}

/// While paused with a far timer pending, a datagram is still received: the idle turn
/// checks I/O before jumping the clock, so the hour-long sleep has not fired.
#[test]
#[cfg_attr(miri, ignore)]
fn udp_is_seen_while_paused() {
    paused().block_on(async {
        let start = Instant::now();
        let hour = sleeper(3_600_000);
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let to = b.local_addr().unwrap();
        let receiver = corio::spawn(async move {
            let mut buf = [0u8; 16];
            let (n, _) = b.recv_from(&mut buf).await.unwrap();
            buf[..n].to_vec()
        });
        corio::task::yield_now().await; // the receiver parks on its socket
        a.send_to(b"paused", to).await.unwrap();
        assert_eq!(receiver.await.unwrap(), b"paused");
        assert!(!hour.get());
        assert_eq!(Instant::now(), start);
    });
}

/// A TCP echo inside a 30 s timeout completes while paused, with no time passing.
#[test]
#[cfg_attr(miri, ignore)]
fn tcp_echo_completes_while_paused() {
    paused().block_on(async {
        let start = Instant::now();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        corio::spawn(async move {
            let (mut conn, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 64];
            let n = conn.read(&mut buf).await.unwrap();
            conn.write_all(&buf[..n]).await.unwrap();
        });
        let exchange = async {
            let mut client = TcpStream::connect(addr).await.unwrap();
            client.write_all(b"echo while paused").await.unwrap();
            let mut back = [0u8; 17];
            client.read_exact(&mut back).await.unwrap();
            back
        };
        let back = timeout(Duration::from_secs(30), exchange).await.unwrap();
        assert_eq!(&back, b"echo while paused");
        assert_eq!(Instant::now(), start);
    });
}

/// The attribute starts the runtime paused: an hour's sleep returns at once.
#[cfg(feature = "macros")]
#[corio::test(start_paused = true)]
async fn the_test_attribute_starts_paused() {
    let wall = std::time::Instant::now();
    let start = Instant::now();
    advance(Duration::from_secs(1)).await; // panics unless the clock is paused
    sleep(Duration::from_secs(3600)).await;
    assert_eq!(start.elapsed(), Duration::from_secs(3601));
    assert!(wall.elapsed() < Duration::from_secs(1));
}

/// `resume` lets time run again from where the paused clock was: it never goes back, and
/// sleeps take real time again.
#[test]
#[cfg_attr(miri, ignore)]
fn resume_goes_on_from_the_paused_time() {
    paused().block_on(async {
        advance(Duration::from_secs(3600)).await;
        let paused_at = Instant::now();
        resume();
        assert!(Instant::now() >= paused_at);
        let wall = std::time::Instant::now();
        sleep(Duration::from_millis(20)).await;
        assert!(wall.elapsed() >= Duration::from_millis(20));
        assert!(Instant::now() >= paused_at + Duration::from_millis(20));
    });
}

/// The clock is the runtime's: it stays paused across `block_on` calls.
#[test]
#[cfg_attr(miri, ignore)]
fn the_clock_stays_paused_across_block_on() {
    let rt = paused();
    let first = rt.block_on(async { Instant::now() });
    std::thread::sleep(Duration::from_millis(5));
    let second = rt.block_on(async { Instant::now() });
    assert_eq!(first, second);
    // Outside the runtime the clock is std's.
    assert!(Instant::now() > first);
}

#[test]
#[should_panic(expected = "corio::time::advance: the clock is not paused")]
fn advance_without_a_paused_clock_panics() {
    Runtime::new()
        .unwrap()
        .block_on(advance(Duration::from_millis(1)));
}

#[test]
#[should_panic(expected = "corio::time::pause called outside a corio runtime")]
fn pause_outside_a_runtime_panics() {
    pause();
}

#[test]
#[should_panic(expected = "corio::time::pause: the clock is already paused")]
fn pausing_twice_panics() {
    paused().block_on(async { pause() });
}

#[test]
#[should_panic(expected = "corio::time::resume: the clock is not paused")]
fn resume_without_pause_panics() {
    Runtime::new().unwrap().block_on(async { resume() });
}
