//! The poll(2) backend has no FD_SETSIZE: it serves connections whose descriptor numbers
//! are well past 1024, the wall select(2) hits (001_ac775e21223f34ef.txt, 多路复用).

mod util;

use std::os::fd::AsRawFd;

use corio::io::{AsyncReadExt, AsyncWriteExt};
use corio::net::{TcpListener, TcpStream};
use corio::{Backend, Runtime};

const CLIENTS: usize = 1_100;

#[test]
fn poll_backend_serves_more_than_1024_connections() {
    let limit = util::raise_fd_limit(4 * CLIENTS as u64 + 64);
    if limit < 2 * CLIENTS as u64 + 64 {
        println!("SKIPPED: RLIMIT_NOFILE is {limit}, too low for {CLIENTS} connections");
        return;
    }
    let runtime = Runtime::builder().backend(Backend::Poll).build().unwrap();
    assert_eq!(runtime.backend_name(), "poll");
    let (served, highest_fd) = runtime.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        // Server: accept every client, hold all of them open at once, then answer each.
        let server = corio::spawn(async move {
            let mut streams = Vec::with_capacity(CLIENTS);
            for _ in 0..CLIENTS {
                streams.push(listener.accept().await.unwrap().0);
            }
            let highest = streams.iter().map(|s| s.as_raw_fd()).max().unwrap();
            let mut handles = Vec::new();
            for mut stream in streams {
                handles.push(corio::spawn(async move {
                    let mut buf = [0u8; 16];
                    let n = stream.read(&mut buf).await.unwrap();
                    buf[..n].make_ascii_uppercase();
                    stream.write_all(&buf[..n]).await.unwrap();
                }));
            }
            for h in handles {
                h.await.unwrap();
            }
            highest
        });
        let mut clients = Vec::new();
        for i in 0..CLIENTS {
            clients.push(corio::spawn(async move {
                let mut stream = TcpStream::connect(addr).await.unwrap();
                let msg = format!("client {i}");
                stream.write_all(msg.as_bytes()).await.unwrap();
                let mut reply = vec![0u8; msg.len()];
                stream.read_exact(&mut reply).await.unwrap();
                assert_eq!(reply, msg.to_ascii_uppercase().into_bytes());
            }));
        }
        let mut served = 0;
        for c in clients {
            c.await.unwrap();
            served += 1;
        }
        (served, server.await.unwrap())
    });
    assert_eq!(served, CLIENTS);
    assert!(
        highest_fd > 1024,
        "highest fd was {highest_fd}: not past FD_SETSIZE"
    );
}
