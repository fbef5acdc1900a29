//! The tutorials' interactive client: sends each line typed on stdin to the echo server
//! and prints the reply.
//!
//! ```text
//! cargo run --example client [-- ADDR]   # default 127.0.0.1:8080
//! ```
//!
//! Like the tutorial's client it is one loop: read a line, send it, wait for the reply.
//! Reading stdin blocks the thread, which is harmless here because this program has a
//! single task and nothing else to do while the user types. Blank lines are skipped, as
//! in the tutorial.

use std::io::BufRead;

use corio::io::{AsyncReadExt, AsyncWriteExt};
use corio::net::TcpStream;

fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    corio::block_on(async {
        let mut stream = TcpStream::connect(addr.as_str()).await?;
        eprintln!("connected to {}", stream.peer_addr()?);
        let stdin = std::io::stdin();
        let mut reply = Vec::new();
        for line in stdin.lock().lines() {
            let line = line?;
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            stream.write_all(line.as_bytes()).await?;
            // The server answers byte for byte, so wait for exactly as many bytes.
            reply.resize(line.len(), 0);
            stream.read_exact(&mut reply).await?;
            println!("{}", String::from_utf8_lossy(&reply));
        }
        stream.close().await
    })
}
