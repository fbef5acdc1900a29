//! hyper 1.x serving HTTP on corio.
//!
//! ```text
//! cargo run -p corio-hyper --example hello [-- [--http2] [--header-timeout-ms N] [ADDR]]
//! curl http://127.0.0.1:8080/                      # Hello from hyper on corio
//! curl --data-binary @file http://127.0.0.1:8080/  # the body back
//! curl --http2-prior-knowledge http://127.0.0.1:8080/   # with --http2
//! ```
//!
//! Prints `listening on ADDR` first (ADDR defaults to 127.0.0.1:8080). One corio task per
//! connection runs hyper's own connection state machine over [`CorioIo`]; HTTP/1.1 gets
//! [`CorioTimer`] for its header read timeout (30 s, or `--header-timeout-ms`), HTTP/2
//! (`--http2`, prior knowledge, no TLS) spawns its streams through [`CorioExecutor`].

use std::io::{self, Write};
use std::time::Duration;

use corio_hyper::{demo, CorioExecutor, CorioIo, CorioTimer};
use hyper::server::conn::{http1, http2};
use hyper::service::service_fn;

struct Options {
    addr: String,
    http2: bool,
    header_timeout: Duration,
}

fn options() -> Result<Options, String> {
    let mut options = Options {
        addr: "127.0.0.1:8080".into(),
        http2: false,
        header_timeout: Duration::from_secs(30),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--http2" => options.http2 = true,
            "--header-timeout-ms" => {
                let ms = args.next().and_then(|v| v.parse().ok());
                let ms = ms.ok_or("--header-timeout-ms takes a number of milliseconds")?;
                options.header_timeout = Duration::from_millis(ms);
            }
            flag if flag.starts_with('-') => return Err(format!("unknown option {flag}")),
            addr => options.addr = addr.to_string(),
        }
    }
    Ok(options)
}

fn main() -> io::Result<()> {
    let options = match options() {
        Ok(options) => options,
        Err(e) => {
            eprintln!("hello: {e}\nusage: hello [--http2] [--header-timeout-ms N] [ADDR]");
            std::process::exit(2);
        }
    };
    corio::block_on(async {
        let listener = corio::net::TcpListener::bind(options.addr.as_str()).await?;
        println!("listening on {}", listener.local_addr()?);
        io::stdout().flush()?;

        let mut h1 = http1::Builder::new();
        h1.timer(CorioTimer)
            .header_read_timeout(options.header_timeout);
        let mut h2 = http2::Builder::new(CorioExecutor);
        h2.timer(CorioTimer);

        loop {
            let (stream, _) = match listener.accept().await {
                Ok(accepted) => accepted,
                Err(e) => {
                    eprintln!("accept: {e}"); // the listener backs off by itself
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let io = CorioIo::new(stream);
            let service = service_fn(demo::hello);
            if options.http2 {
                let conn = h2.serve_connection(io, service);
                corio::spawn(async move {
                    if let Err(e) = conn.await {
                        eprintln!("connection: {e}");
                    }
                });
            } else {
                let conn = h1.serve_connection(io, service);
                corio::spawn(async move {
                    if let Err(e) = conn.await {
                        eprintln!("connection: {e}");
                    }
                });
            }
        }
    })
}
