//! `readable().await` + `try_read`, the do-it-yourself loop: a `WouldBlock` from `try_read`
//! clears readiness, so the next `readable().await` parks until new data instead of
//! returning at once forever (a busy loop).

use std::cell::Cell;
use std::io::Write;
use std::rc::Rc;

use corio::net::{TcpListener, TcpStream};

#[test]
fn try_read_would_block_makes_readable_wait_for_new_data() {
    corio::block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut peer = std::net::TcpStream::connect(addr).unwrap();
        let (stream, _) = listener.accept().await.unwrap();
        let wakeups = Rc::new(Cell::new(0u32));
        let counted = wakeups.clone();
        let reader = corio::spawn(async move {
            let mut got = Vec::new();
            let mut buf = [0u8; 8];
            while got.len() < 6 {
                stream.readable().await.unwrap();
                counted.set(counted.get() + 1);
                match stream.try_read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                    Err(e) => panic!("try_read: {e}"),
                }
            }
            got
        });
        // Let the reader find nothing buffered and park; without the clear on WouldBlock
        // it would instead wake on every one of these 50 turns.
        for _ in 0..50 {
            corio::task::yield_now().await;
        }
        let parked_after = wakeups.get();
        peer.write_all(b"abc").unwrap();
        peer.write_all(b"def").unwrap();
        let got = reader.await.unwrap();
        assert_eq!(got, b"abcdef");
        // One wake-up for the optimistic first try, then one or two for the data (extra
        // events are allowed, a spin is not: 50 yields would show up as ~50 wake-ups).
        assert!(
            parked_after <= 1,
            "the reader spun while nothing was buffered: {parked_after}"
        );
        assert!(wakeups.get() <= 5, "wake-ups: {}", wakeups.get());
    });
}

#[test]
fn try_write_and_try_read_round_trip_without_awaiting_io() {
    corio::block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let client = corio::spawn(async move { TcpStream::connect(addr).await.unwrap() });
        let (server, _) = listener.accept().await.unwrap();
        let client = client.await.unwrap();
        client.writable().await.unwrap();
        assert_eq!(client.try_write(b"ping").unwrap(), 4);
        let mut buf = [0u8; 4];
        let mut n = 0;
        while n < 4 {
            server.readable().await.unwrap();
            match server.try_read(&mut buf[n..]) {
                Ok(k) => n += k,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => panic!("try_read: {e}"),
            }
        }
        assert_eq!(&buf, b"ping");
    });
}
