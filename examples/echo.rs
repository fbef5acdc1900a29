//! The uppercase echo server from the tutorials, on corio.
//!
//! Every byte a client sends comes back in ASCII uppercase (other bytes unchanged). When
//! the client shuts down its write half, the server finishes sending and closes.
//!
//! ```text
//! cargo run --example echo [-- ADDR]     # default 127.0.0.1:8080
//! nc 127.0.0.1 8080                      # or: cargo run --example client
//! ```

use corio::io::{AsyncReadExt, AsyncWriteExt};
use corio::net::{TcpListener, TcpStream};

fn main() {
    let addr = std::env::args().nth(1);
    if let Err(e) = run(addr.as_deref().unwrap_or("127.0.0.1:8080")) {
        eprintln!("echo: {e}");
        std::process::exit(1);
    }
}

fn run(addr: &str) -> std::io::Result<()> {
    // The OS backend comes from CORIO_BACKEND (epoll, poll, kqueue) or the OS default.
    let runtime = corio::Runtime::new()?;
    runtime.block_on(async {
        let listener = TcpListener::bind(addr)?;
        println!("listening on {}", listener.local_addr()?);
        loop {
            match listener.accept().await {
                Ok((stream, _peer)) => {
                    corio::spawn(async move {
                        if let Err(e) = serve(stream).await {
                            eprintln!("client error: {e}");
                        }
                    });
                }
                // Out of descriptors, say: report it and go on; the listener pauses
                // before its next attempt, so this loop never spins.
                Err(e) => eprintln!("accept failed: {e}"),
            }
        }
    })
}

/// One client: read, uppercase, write back, until the client stops sending.
async fn serve(mut stream: TcpStream) -> std::io::Result<()> {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            break; // the client shut down its write half
        }
        buf[..n].make_ascii_uppercase();
        stream.write_all(&buf[..n]).await?;
    }
    stream.close().await // send FIN after the last byte
}
