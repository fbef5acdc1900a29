//! The tutorials' HTTP server (`examples/http/`) behind TLS: rustls through tokio-rustls,
//! on corio's sockets, through the `tokio-io` feature.
//!
//! ```text
//! cargo run --example https --features tokio-io -- \
//!     --cert CERT.pem --key KEY.pem [ADDR] [--root DIR]
//!     # defaults: 127.0.0.1:8443, the current directory
//! curl --cacert CERT.pem https://localhost:8443/README.md
//! ```
//!
//! CERT is a PEM file with the certificate chain, KEY a PEM file with its private key
//! (PKCS#8, PKCS#1 or SEC1). Everything after the handshake is the http example's own
//! code, included by `#[path]`: `conn::serve_stream` takes any corio stream, and
//! [`FromTokio`] makes tokio-rustls' `TlsStream` (which speaks tokio's traits) one.
//! The corio `TcpStream` under it speaks tokio's traits itself (feature `tokio-io`), so
//! tokio-rustls drives it directly; no tokio runtime runs.
//!
//! A client that fails the handshake (plain HTTP, garbage, a stall longer than the idle
//! limit) costs only its own task: the error is logged and the server goes on.

#[path = "http/cache.rs"]
mod cache;
#[path = "http/conn.rs"]
// `conn::serve` (plain TCP) is the http example's entry; this one uses `serve_stream`.
#[allow(dead_code)]
mod conn;
#[path = "http/disk.rs"]
mod disk;
#[path = "http/files.rs"]
mod files;
#[path = "http/reply.rs"]
mod reply;
#[path = "http/request.rs"]
mod request;
#[path = "http/response.rs"]
mod response;
#[path = "http/sendfile.rs"]
mod sendfile;

use std::io::{self, Write};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use corio::io::FromTokio;
use corio::net::TcpListener;
use corio::time::timeout;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

/// How long a connection may take over its handshake, and then wait for a request head
/// or stall a write.
const IDLE: Duration = Duration::from_secs(30);

fn main() {
    if let Err(e) = run() {
        eprintln!("https: {e}");
        std::process::exit(1);
    }
}

/// Loads the certificate, canonicalizes the root, and serves until killed.
fn run() -> io::Result<()> {
    let args = parse_args()?;
    let acceptor = TlsAcceptor::from(Arc::new(tls_config(&args.cert, &args.key)?));
    let root = files::canonical_root(&args.root)
        .map_err(|e| io::Error::new(e.kind(), format!("--root {}: {e}", args.root.display())))?;
    cache::configure(cache::Settings::default());
    let config = Rc::new(conn::Config {
        root: Arc::new(root),
        idle: IDLE,
    });
    let runtime = corio::Runtime::new()?;
    runtime.block_on(async {
        let listener = TcpListener::bind(&args.addr).await?;
        // Tests read this line to learn the port; as in the http example, a closed stdout
        // later is no reason to die.
        let mut stdout = io::stdout().lock();
        let _ = writeln!(stdout, "listening on {}", listener.local_addr()?)
            .and_then(|()| stdout.flush());
        drop(stdout);
        loop {
            let stream = match listener.accept().await {
                Ok((stream, _peer)) => stream,
                Err(e) => {
                    eprintln!("accept failed: {e}");
                    continue;
                }
            };
            let (acceptor, config) = (acceptor.clone(), Rc::clone(&config));
            corio::spawn(async move {
                // Responses go out in a few large records; Nagle would only delay the tail.
                if let Err(e) = stream.set_nodelay(true) {
                    eprintln!("client error: {e}");
                    return;
                }
                let tls = match timeout(config.idle, acceptor.accept(stream)).await {
                    Ok(Ok(tls)) => tls,
                    Ok(Err(e)) => return eprintln!("TLS handshake failed: {e}"),
                    Err(_) => return eprintln!("TLS handshake timed out"),
                };
                if let Err(e) = conn::serve_stream(FromTokio::new(tls), &config).await {
                    eprintln!("client error: {e}");
                }
            });
        }
    })
}

/// A rustls server configuration (TLS 1.2 and 1.3) from PEM files.
fn tls_config(cert: &PathBuf, key: &PathBuf) -> io::Result<rustls::ServerConfig> {
    let bad = |what: &PathBuf, e: &dyn std::fmt::Display| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{}: {e}", what.display()),
        )
    };
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| bad(cert, &e))?;
    if chain.is_empty() {
        return Err(bad(cert, &"no certificate in the file"));
    }
    let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| bad(key, &e))?;
    // rustls picks its crypto provider from its cargo features: ring, the only one built.
    rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(chain, key_der)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("TLS setup: {e}")))
}

/// The command line.
struct Args {
    addr: String,
    cert: PathBuf,
    key: PathBuf,
    root: PathBuf,
}

/// `--cert CERT --key KEY [ADDR] [--root DIR]`, in any order.
fn parse_args() -> io::Result<Args> {
    let usage = |why: &str| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{why}; usage: https --cert CERT --key KEY [ADDR] [--root DIR]"),
        )
    };
    let (mut addr, mut cert, mut key) = ("127.0.0.1:8443".to_owned(), None, None);
    let mut root = PathBuf::from(".");
    let mut args = std::env::args_os().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .map(PathBuf::from)
                .ok_or_else(|| usage(&format!("{name} needs a value")))
        };
        if arg == "--cert" {
            cert = Some(value("--cert")?);
        } else if arg == "--key" {
            key = Some(value("--key")?);
        } else if arg == "--root" {
            root = value("--root")?;
        } else {
            addr = arg
                .into_string()
                .map_err(|a| usage(&format!("bad address {a:?}")))?;
        }
    }
    Ok(Args {
        addr,
        cert: cert.ok_or_else(|| usage("--cert is required"))?,
        key: key.ok_or_else(|| usage("--key is required"))?,
        root,
    })
}
