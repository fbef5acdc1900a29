//! The uppercase echo over UDP: every datagram comes back uppercased to its sender.
//!
//! ```text
//! cargo run --example udp [-- ADDR]        # default 127.0.0.1:8080
//! nc -u 127.0.0.1 8080                     # each line you type is one datagram
//! ```
//!
//! No connections, so no per-client task: one loop receives a datagram, answers it, and
//! waits for the next. An empty datagram is answered with an empty datagram.

use corio::net::UdpSocket;

fn main() {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".to_string());
    let result: std::io::Result<()> = corio::Runtime::new().and_then(|rt| {
        rt.block_on(async {
            let socket = UdpSocket::bind(&addr).await?;
            println!("listening on {}", socket.local_addr()?);
            let mut buf = vec![0u8; 64 * 1024]; // the largest UDP payload fits
            loop {
                let (n, peer) = socket.recv_from(&mut buf).await?;
                buf[..n].make_ascii_uppercase();
                // A peer that vanished (ICMP unreachable) is its problem, not the server's.
                if let Err(e) = socket.send_to(&buf[..n], peer).await {
                    eprintln!("reply to {peer} failed: {e}");
                }
            }
        })
    });
    if let Err(e) = result {
        eprintln!("udp: {e}");
        std::process::exit(1);
    }
}
