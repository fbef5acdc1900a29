//! The `tokio-io` feature: tokio-rustls client and server on corio TCP streams, with a
//! certificate made in the test by rcgen. No tokio runtime runs: corio's reactor wakes
//! every TLS read and write.
//!
//! Run with `cargo test --features tokio-io --test tokio_io_tls`.

#![cfg(all(feature = "tokio-io", not(corio_cross_check)))]

mod util;

use std::io::ErrorKind;
use std::sync::Arc;
use std::time::Duration;

use corio::io::{AsyncReadExt, AsyncWriteExt, FromTokio};
use corio::net::{TcpListener, TcpStream};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use tokio_rustls::{TlsAcceptor, TlsConnector};

use util::{join2, pattern, within};

const LIMIT: Duration = Duration::from_secs(20);

/// A self-signed certificate for `localhost`, and a connector that trusts it.
fn tls_pair() -> (TlsAcceptor, TlsConnector) {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert: CertificateDer<'static> = made.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(made.key_pair.serialize_der()));
    let server = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key)
        .unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert).unwrap();
    let client = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    (
        TlsAcceptor::from(Arc::new(server)),
        TlsConnector::from(Arc::new(client)),
    )
}

/// A listener on loopback and its address.
async fn listen() -> (TcpListener, std::net::SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    (listener, addr)
}

#[test]
#[cfg_attr(miri, ignore)]
fn tls_bytes_both_ways() {
    corio::Runtime::new()
        .unwrap()
        .block_on(within(LIMIT, "TLS echo", async {
            let (acceptor, connector) = tls_pair();
            let (listener, addr) = listen().await;
            let to_server = pattern(3 << 20, 11);
            let to_client = pattern(1 << 20, 12);
            let (expect_in, reply) = (to_server.clone(), to_client.clone());
            // The server reads the whole upload (until the client's close_notify), checks
            // it, then sends its own bytes and closes.
            let server = corio::spawn(async move {
                let (stream, _) = listener.accept().await.unwrap();
                let tls = acceptor.accept(stream).await.unwrap();
                let mut tls = FromTokio::new(tls);
                let mut got = Vec::new();
                tls.read_to_end(&mut got).await.unwrap();
                tls.write_all(&reply).await.unwrap();
                tls.close().await.unwrap();
                got == expect_in
            });
            let stream = TcpStream::connect(addr).await.unwrap();
            let name = ServerName::try_from("localhost").unwrap();
            let tls = connector.connect(name, stream).await.unwrap();
            // The client speaks corio's traits through the adapter too; the TLS stream below
            // drives the corio socket through tokio's traits.
            let (reader, writer) = corio::io::split(FromTokio::new(tls));
            let (mut reader, mut writer) = (reader, writer);
            let (sent, back) = join2(
                async {
                    writer.write_all(&to_server).await?;
                    writer.close().await
                },
                async {
                    let mut back = Vec::new();
                    reader.read_to_end(&mut back).await.map(|_| back)
                },
            )
            .await;
            sent.unwrap();
            let back = back.unwrap();
            assert_eq!(back.len(), to_client.len());
            assert!(back == to_client, "bytes from the server differ");
            assert!(server.await.unwrap(), "bytes from the client differ");
        }));
}

#[test]
#[cfg_attr(miri, ignore)]
fn wrong_server_name_fails_on_both_sides() {
    corio::Runtime::new()
        .unwrap()
        .block_on(within(LIMIT, "wrong name", async {
            let (acceptor, connector) = tls_pair();
            let (listener, addr) = listen().await;
            let server = corio::spawn(async move {
                let (stream, _) = listener.accept().await.unwrap();
                acceptor.accept(stream).await.map(|_| ())
            });
            let stream = TcpStream::connect(addr).await.unwrap();
            let name = ServerName::try_from("not-localhost.example").unwrap();
            let err = connector.connect(name, stream).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidData, "{err}");
            let inner = err
                .get_ref()
                .and_then(|e| e.downcast_ref::<rustls::Error>());
            assert!(
                matches!(inner, Some(rustls::Error::InvalidCertificate(_))),
                "client error {err:?}"
            );
            assert!(format!("{err}").contains("not valid for name"), "{err}");
            // The server's handshake ends in an error too, not a hang: the client's alert.
            // tokio-rustls makes one last write for it; corio's sockets write vectored, so
            // that write carries every queued record, the alert included (with only the
            // first record, a ChangeCipherSpec, the server saw `UnexpectedEof` instead).
            let err = server.await.unwrap().unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidData, "server error {err:?}");
        }));
}

#[test]
#[cfg_attr(miri, ignore)]
fn garbage_handshake_fails_and_the_server_serves_the_next_client() {
    corio::Runtime::new()
        .unwrap()
        .block_on(within(LIMIT, "garbage", async {
            let (acceptor, connector) = tls_pair();
            let (listener, addr) = listen().await;
            let server = corio::spawn(async move {
                let mut outcomes = Vec::new();
                for _ in 0..2 {
                    let (stream, _) = listener.accept().await.unwrap();
                    match acceptor.accept(stream).await {
                        Ok(tls) => {
                            let mut tls = FromTokio::new(tls);
                            tls.write_all(b"served").await.unwrap();
                            tls.close().await.unwrap();
                            outcomes.push(Ok(()));
                        }
                        Err(e) => outcomes.push(Err(e.kind())),
                    }
                }
                outcomes
            });
            // Plain HTTP where a ClientHello belongs.
            let mut plain = TcpStream::connect(addr).await.unwrap();
            plain
                .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                .await
                .unwrap();
            // The server gives up on it: whatever it sends (an alert, or nothing), it closes.
            let mut answer = Vec::new();
            let _ = plain.read_to_end(&mut answer).await;
            let stream = TcpStream::connect(addr).await.unwrap();
            let name = ServerName::try_from("localhost").unwrap();
            let mut tls = FromTokio::new(connector.connect(name, stream).await.unwrap());
            let mut got = Vec::new();
            tls.read_to_end(&mut got).await.unwrap();
            assert_eq!(got, b"served");
            assert_eq!(server.await.unwrap(), [Err(ErrorKind::InvalidData), Ok(())]);
        }));
}
