//! The `tokio-io` feature: tokio-util's `Framed` + `LinesCodec` over corio sockets, corio's
//! types through tokio's traits, and the adapters both ways (`TokioCompat`, `FromTokio`).
//!
//! Run with `cargo test --features tokio-io --test tokio_io_codec`.

#![cfg(feature = "tokio-io")]

mod util;

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use corio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, FromTokio, TokioCompat};
use corio::net::{TcpListener, TcpStream};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncBufRead, AsyncRead, AsyncWrite, ReadBuf};
use tokio_util::codec::{Framed, LinesCodec};

use util::{join2, pattern, within};

const LIMIT: Duration = Duration::from_secs(20);

/// A connected pair of corio TCP streams on loopback.
async fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (client, accepted) = join2(TcpStream::connect(addr), listener.accept()).await;
    (client.unwrap(), accepted.unwrap().0)
}

/// Reads through tokio's `AsyncRead` only, until end of stream.
async fn tokio_read_to_end<R: AsyncRead + Unpin>(reader: &mut R) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let mut buf = ReadBuf::new(&mut chunk);
        std::future::poll_fn(|cx| Pin::new(&mut *reader).poll_read(cx, &mut buf)).await?;
        if buf.filled().is_empty() {
            return Ok(out);
        }
        out.extend_from_slice(buf.filled());
    }
}

/// Writes all of `data` through tokio's `AsyncWrite` only, then shuts the write side down.
async fn tokio_write_all_shutdown<W: AsyncWrite + Unpin>(
    writer: &mut W,
    mut data: &[u8],
) -> std::io::Result<()> {
    while !data.is_empty() {
        let n = std::future::poll_fn(|cx| Pin::new(&mut *writer).poll_write(cx, data)).await?;
        assert!(n > 0, "poll_write accepted nothing");
        data = &data[n..];
    }
    std::future::poll_fn(|cx| Pin::new(&mut *writer).poll_flush(cx)).await?;
    std::future::poll_fn(|cx| Pin::new(&mut *writer).poll_shutdown(cx)).await
}

#[test]
#[cfg_attr(miri, ignore)]
fn framed_lines_both_ways_over_tcp() {
    corio::Runtime::new()
        .unwrap()
        .block_on(within(LIMIT, "framed lines", async {
            let (client, server) = tcp_pair().await;
            // The server answers each line with its upper-case form, then "bye" at "quit".
            let served = corio::spawn(async move {
                let mut framed = Framed::new(server, LinesCodec::new());
                let mut seen = Vec::new();
                while let Some(line) = framed.next().await {
                    let line = line.unwrap();
                    seen.push(line.clone());
                    if line == "quit" {
                        framed.send("bye").await.unwrap();
                        break;
                    }
                    framed.send(line.to_uppercase()).await.unwrap();
                }
                seen
            });
            let mut framed = Framed::new(client, LinesCodec::new());
            let long = "x".repeat(100_000);
            let mut answers = Vec::new();
            for line in ["hello", "", "corio and tokio-util", long.as_str()] {
                framed.send(line).await.unwrap();
                answers.push(framed.next().await.unwrap().unwrap());
            }
            framed.send("quit").await.unwrap();
            answers.push(framed.next().await.unwrap().unwrap());
            // The server closed after "bye": the stream of lines ends.
            assert!(framed.next().await.is_none());
            let upper_long = long.to_uppercase();
            assert_eq!(
                answers,
                [
                    "HELLO",
                    "",
                    "CORIO AND TOKIO-UTIL",
                    upper_long.as_str(),
                    "bye"
                ]
            );
            assert_eq!(
                served.await.unwrap(),
                ["hello", "", "corio and tokio-util", long.as_str(), "quit"]
            );
        }));
}

#[test]
#[cfg_attr(miri, ignore)]
fn tcp_stream_and_owned_halves_through_tokio_traits() {
    corio::Runtime::new()
        .unwrap()
        .block_on(within(LIMIT, "tokio traits", async {
            let (client, server) = tcp_pair().await;
            let data = pattern(1 << 20, 7);
            let (mut server_read, mut server_write) = server.into_split();
            // Echo with tokio's traits on corio's owned halves.
            let echo = corio::spawn(async move {
                let got = tokio_read_to_end(&mut server_read).await.unwrap();
                tokio_write_all_shutdown(&mut server_write, &got)
                    .await
                    .unwrap();
                got.len()
            });
            let (mut reader, mut writer) = client.into_split();
            let (sent, back) = join2(
                tokio_write_all_shutdown(&mut writer, &data),
                tokio_read_to_end(&mut reader),
            )
            .await;
            sent.unwrap();
            assert_eq!(echo.await.unwrap(), data.len());
            assert!(back.unwrap() == data, "echoed bytes differ");
        }));
}

#[test]
#[cfg_attr(miri, ignore)]
fn framed_lines_over_unix_stream_borrowed_halves() {
    corio::Runtime::new()
        .unwrap()
        .block_on(within(LIMIT, "unix framed", async {
            let (a, b) = corio::net::UnixStream::pair().unwrap();
            // A reader and a writer, each framed over its own borrowed half of one stream.
            let (read_a, write_a) = a.split();
            let mut lines_in = tokio_util::codec::FramedRead::new(read_a, LinesCodec::new());
            let mut lines_out = tokio_util::codec::FramedWrite::new(write_a, LinesCodec::new());
            let mut peer = Framed::new(b, LinesCodec::new());
            lines_out.send("ping").await.unwrap();
            assert_eq!(peer.next().await.unwrap().unwrap(), "ping");
            peer.send("pong").await.unwrap();
            assert_eq!(lines_in.next().await.unwrap().unwrap(), "pong");
        }));
}

#[test]
#[cfg_attr(miri, ignore)]
fn buf_reader_is_tokio_async_buf_read() {
    corio::Runtime::new()
        .unwrap()
        .block_on(within(LIMIT, "buf read", async {
            let (mut client, server) = tcp_pair().await;
            client.write_all(b"one\ntwo\nthree").await.unwrap();
            client.close().await.unwrap();
            let mut reader = BufReader::with_capacity(4, server);
            let mut lines = Vec::new();
            let mut line = Vec::new();
            loop {
                let buf = std::future::poll_fn(|cx| {
                    Pin::new(&mut reader)
                        .poll_fill_buf(cx)
                        .map_ok(|b| b.to_vec())
                })
                .await
                .unwrap();
                if buf.is_empty() {
                    break;
                }
                // Consume up to and including a newline, at most what was returned.
                let used = buf
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(buf.len(), |i| i + 1);
                line.extend_from_slice(&buf[..used]);
                Pin::new(&mut reader).consume(used);
                if line.ends_with(b"\n") {
                    lines.push(String::from_utf8(std::mem::take(&mut line)).unwrap());
                }
            }
            lines.push(String::from_utf8(line).unwrap());
            assert_eq!(lines, ["one\n", "two\n", "three"]);
        }));
}

#[test]
#[cfg_attr(miri, ignore)]
fn duplex_and_file_through_tokio_traits() {
    corio::Runtime::new()
        .unwrap()
        .block_on(within(LIMIT, "duplex and file", async {
            let (mut a, mut b) = corio::io::duplex(64);
            let data = pattern(10_000, 3);
            let (sent, got) = join2(
                tokio_write_all_shutdown(&mut a, &data),
                tokio_read_to_end(&mut b),
            )
            .await;
            sent.unwrap();
            assert!(got.unwrap() == data);

            let dir = util::TempDir::new("tokio-io-file");
            let path = dir.path().join("f");
            let mut file = corio::fs::File::create(&path).await.unwrap();
            tokio_write_all_shutdown(&mut file, b"written through tokio")
                .await
                .unwrap();
            drop(file);
            let mut file = corio::fs::File::open(&path).await.unwrap();
            assert_eq!(
                tokio_read_to_end(&mut file).await.unwrap(),
                b"written through tokio"
            );
        }));
}

/// A corio reader/writer defined outside corio: one byte per read, at most 3 per write.
struct Trickle {
    input: Vec<u8>,
    output: Vec<u8>,
    closed: bool,
}

impl corio::io::AsyncRead for Trickle {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<std::io::Result<usize>> {
        if self.input.is_empty() || buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        buf[0] = self.input.remove(0);
        Poll::Ready(Ok(1))
    }
}

impl corio::io::AsyncWrite for Trickle {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let n = buf.len().min(3);
        self.output.extend_from_slice(&buf[..n]);
        Poll::Ready(Ok(n))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_close(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        self.closed = true;
        Poll::Ready(Ok(()))
    }
}

/// A corio reader that claims more bytes than it was lent.
struct Liar;

impl corio::io::AsyncRead for Liar {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<std::io::Result<usize>> {
        Poll::Ready(Ok(buf.len() + 1))
    }
}

#[test]
#[cfg_attr(miri, ignore)]
fn tokio_compat_presents_a_corio_type_to_tokio_code() {
    corio::Runtime::new()
        .unwrap()
        .block_on(within(LIMIT, "TokioCompat", async {
            let mut compat = TokioCompat::new(Trickle {
                input: b"abcde".to_vec(),
                output: Vec::new(),
                closed: false,
            });
            assert_eq!(tokio_read_to_end(&mut compat).await.unwrap(), b"abcde");
            tokio_write_all_shutdown(&mut compat, b"0123456789")
                .await
                .unwrap();
            let inner = compat.into_inner();
            assert_eq!(inner.output, b"0123456789");
            assert!(inner.closed, "poll_shutdown must reach poll_close");

            // tokio-util's codec over the adapter: a framed line across one-byte reads.
            let trickle = Trickle {
                input: b"first\nsecond\n".to_vec(),
                output: Vec::new(),
                closed: false,
            };
            let mut framed = Framed::new(TokioCompat::new(trickle), LinesCodec::new());
            assert_eq!(framed.next().await.unwrap().unwrap(), "first");
            assert_eq!(framed.next().await.unwrap().unwrap(), "second");
            assert!(framed.next().await.is_none());
            framed.send("out").await.unwrap();
            assert_eq!(framed.get_ref().get_ref().output, b"out\n");

            // A reader's impossible count is an error, not a panic in `ReadBuf::advance`.
            let err = tokio_read_to_end(&mut TokioCompat::new(Liar))
                .await
                .unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
        }));
}

/// A tokio reader/writer: reads from a slice in chunks of 2, writes into a Vec.
struct TokioSide {
    input: &'static [u8],
    output: Vec<u8>,
    shut: bool,
}

impl AsyncRead for TokioSide {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let n = self.input.len().min(2).min(buf.remaining());
        buf.put_slice(&self.input[..n]);
        self.input = &self.input[n..];
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for TokioSide {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.output.extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        self.shut = true;
        Poll::Ready(Ok(()))
    }
}

#[test]
#[cfg_attr(miri, ignore)]
fn from_tokio_presents_a_tokio_type_to_corio_code() {
    corio::Runtime::new()
        .unwrap()
        .block_on(within(LIMIT, "FromTokio", async {
            let mut side = FromTokio::new(TokioSide {
                input: b"line one\nline two\n",
                output: Vec::new(),
                shut: false,
            });
            let mut text = String::new();
            side.read_to_string(&mut text).await.unwrap();
            assert_eq!(text, "line one\nline two\n");
            side.write_all(b"to tokio").await.unwrap();
            side.close().await.unwrap();
            let inner = side.into_inner();
            assert_eq!(inner.output, b"to tokio");
            assert!(inner.shut, "poll_close must reach poll_shutdown");

            // corio's `BufReader` and `lines()` over a tokio reader.
            let side = FromTokio::new(TokioSide {
                input: b"a\nbb\nccc",
                output: Vec::new(),
                shut: false,
            });
            let mut lines = BufReader::new(side).lines();
            let mut got = Vec::new();
            while let Some(line) = lines.next_line().await.unwrap() {
                got.push(line);
            }
            assert_eq!(got, ["a", "bb", "ccc"]);

            // Both adapters around a corio socket: bytes cross unchanged.
            let (client, server) = tcp_pair().await;
            let mut there = FromTokio::new(TokioCompat::new(client));
            let mut back = FromTokio::new(server);
            there.write_all(b"round trip").await.unwrap();
            there.close().await.unwrap();
            let mut got = Vec::new();
            back.read_to_end(&mut got).await.unwrap();
            assert_eq!(got, b"round trip");
        }));
}
