//! `examples/https.rs`: the http example behind TLS (tokio-rustls on corio, feature
//! `tokio-io`), started as a process with a certificate made here by rcgen, and fetched
//! from with a real HTTPS client (ureq with rustls) that trusts only that certificate.
//!
//! Run with `cargo test --features tokio-io --test tokio_io_https`.

#![cfg(all(feature = "tokio-io", not(corio_cross_check)))]

mod http_common;
mod util;

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;

use http_common::{file_body, Site, BIG_LEN};
use rustls::pki_types::CertificateDer;
use util::{pattern, Server};

/// The https example serving `site`, its certificate's DER, and the files it was given.
struct Https {
    server: Server,
    cert: CertificateDer<'static>,
    _files: util::TempDir,
}

impl Https {
    /// Makes a certificate for `127.0.0.1` and `localhost`, writes it and its key as PEM
    /// files, and starts the example on `site`'s root.
    fn start(site: &Site) -> Https {
        build_example();
        let made =
            rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".into()])
                .unwrap();
        let files = util::TempDir::new("https-cert");
        let (cert_path, key_path) = (files.path().join("cert.pem"), files.path().join("key.pem"));
        std::fs::write(&cert_path, made.cert.pem()).unwrap();
        std::fs::write(&key_path, made.key_pair.serialize_pem()).unwrap();
        let args = [
            "--cert",
            cert_path.to_str().unwrap(),
            "--key",
            key_path.to_str().unwrap(),
            "--root",
            site.root_arg(),
        ];
        let server = Server::start_with("https", &args, |_| {});
        Https {
            server,
            cert: made.cert.der().clone(),
            _files: files,
        }
    }

    /// A ureq agent whose TLS trusts only this server's certificate.
    fn agent(&self) -> ureq::Agent {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(self.cert.clone()).unwrap();
        let tls = rustls::ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth();
        ureq::AgentBuilder::new()
            .tls_config(Arc::new(tls))
            .timeout(Duration::from_secs(10))
            .build()
    }

    /// `https://127.0.0.1:PORT{path}`.
    fn url(&self, path: &str) -> String {
        format!("https://{}{path}", self.server.addr)
    }
}

/// Builds the https example once per test binary, with the feature it needs (`cargo test
/// --test NAME` does not build examples, so a stale one would be tested otherwise).
fn build_example() {
    static BUILT: std::sync::Once = std::sync::Once::new();
    BUILT.call_once(|| {
        let status = std::process::Command::new(env!("CARGO"))
            .args([
                "build",
                "--quiet",
                "--features",
                "tokio-io",
                "--example",
                "https",
            ])
            .status()
            .expect("run cargo build --example https");
        assert!(status.success(), "cargo build --example https failed");
    });
}

/// GET `path` and return status, Content-Type and body.
fn get(agent: &ureq::Agent, url: &str) -> (u16, String, Vec<u8>) {
    let response = match agent.get(url).call() {
        Ok(response) => response,
        Err(ureq::Error::Status(_, response)) => response,
        Err(e) => panic!("GET {url}: {e}"),
    };
    let status = response.status();
    let content_type = response.header("content-type").unwrap_or("").to_owned();
    let mut body = Vec::new();
    response.into_reader().read_to_end(&mut body).unwrap();
    (status, content_type, body)
}

#[test]
#[cfg_attr(miri, ignore)]
fn serves_files_over_tls() {
    let site = Site::new();
    let https = Https::start(&site);
    let agent = https.agent();

    let (status, content_type, body) = get(&agent, &https.url("/notes.txt"));
    assert_eq!(status, 200);
    assert_eq!(content_type, "text/plain; charset=utf-8");
    assert_eq!(body, file_body("notes.txt"));

    // Many TLS records, several of the server's 64 KiB chunks, on a kept-alive connection.
    let (status, _, body) = get(&agent, &https.url("/big.bin"));
    assert_eq!(status, 200);
    assert_eq!(body.len(), BIG_LEN);
    assert!(body == pattern(BIG_LEN, 7), "big.bin differs");

    let (status, _, _) = get(&agent, &https.url("/no/such/file"));
    assert_eq!(status, 404);
}

#[test]
#[cfg_attr(miri, ignore)]
fn bad_tls_clients_do_not_stop_the_server() {
    let site = Site::new();
    let mut https = Https::start(&site);
    let agent = https.agent();
    // Plain HTTP to the TLS port, then bytes that are no protocol at all: each gets its
    // connection closed (after an alert, or nothing), within the client's read timeout.
    for hello in [
        &b"GET /notes.txt HTTP/1.1\r\nHost: x\r\n\r\n"[..],
        &[0xff; 300][..],
    ] {
        let mut plain = http_common::connect(https.server.addr);
        plain.write_all(hello).unwrap();
        let mut answer = Vec::new();
        match plain.read_to_end(&mut answer) {
            Ok(_) => assert!(
                answer.is_empty() || answer[0] == 0x15,
                "expected nothing or a TLS alert record, got {answer:?}"
            ),
            Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}"),
        }
        assert!(!answer.starts_with(b"HTTP/"), "plain HTTP was answered");
    }
    // A client that trusts another certificate fails its handshake.
    let other = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(other.cert.der().clone()).unwrap();
    let distrusting = ureq::AgentBuilder::new()
        .tls_config(Arc::new(
            rustls::ClientConfig::builder()
                .with_root_certificates(roots)
                .with_no_client_auth(),
        ))
        .timeout(Duration::from_secs(10))
        .build();
    let err = distrusting
        .get(&https.url("/notes.txt"))
        .call()
        .unwrap_err();
    assert!(matches!(err, ureq::Error::Transport(_)), "{err}");

    // The server is still up and serves a good client.
    assert!(https.server.is_running(), "the server died");
    let (status, _, body) = get(&agent, &https.url("/index.html"));
    assert_eq!(status, 200);
    assert_eq!(body, file_body("index.html"));
}
