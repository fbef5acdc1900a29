//! Helpers shared by the `hello*` tests: the `hello` example as a child process, hyper's
//! HTTP/1.1 client on a corio runtime, and raw-socket request and response handling.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpStream as StdStream};
use std::time::Duration;

use bytes::Bytes;
use corio_hyper::CorioIo;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper::{Request, Response};

pub const LIMIT: Duration = Duration::from_secs(30);

/// The example servers' child-process helpers, shared with corio's own tests: finding
/// (or building) an example, starting it and reading its `listening on` line.
#[path = "../../../tests/util/server.rs"]
mod server;
pub use server::Server;

/// Starts `hello 127.0.0.1:0 ARGS..` (killed when dropped).
pub fn start_hello(args: &[&str]) -> Server {
    Server::start_with("hello", args, |_| {})
}

/// `http://ADDR/PATH` on `server`.
pub fn url(server: &Server, path: &str) -> String {
    format!("http://{}{path}", server.addr)
}

/// Deterministic bytes that are not a repeating short cycle.
pub fn pattern(len: usize) -> Vec<u8> {
    let mut x: u32 = 0x9e37_79b9;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

/// Runs `future` on a fresh corio runtime, failing the test after [`LIMIT`].
pub fn run<F: std::future::Future>(future: F) -> F::Output {
    corio::block_on(async {
        corio::time::timeout(LIMIT, future)
            .await
            .expect("the test took too long")
    })
}

/// An HTTP/1.1 connection with hyper's client over a corio socket; its connection task
/// is spawned on the current corio runtime.
pub async fn connect_h1(addr: SocketAddr) -> http1::SendRequest<Full<Bytes>> {
    let stream = corio::net::TcpStream::connect(addr).await.unwrap();
    let (sender, conn) = http1::handshake(CorioIo::new(stream)).await.unwrap();
    corio::spawn(async move { conn.await.unwrap() });
    sender
}

/// The response with its body collected.
pub async fn collect(
    response: Response<hyper::body::Incoming>,
) -> (hyper::http::response::Parts, Bytes) {
    let (parts, body) = response.into_parts();
    (parts, body.collect().await.unwrap().to_bytes())
}

/// A `GET` of `path`, with a `Host` header.
pub fn get(path: &str) -> Request<Full<Bytes>> {
    Request::get(path)
        .header("host", "test")
        .body(Full::default())
        .unwrap()
}

/// A `POST` of `body` to `path`, with a `Host` header.
pub fn post(path: &str, body: Vec<u8>) -> Request<Full<Bytes>> {
    Request::post(path)
        .header("host", "test")
        .body(Full::new(Bytes::from(body)))
        .unwrap()
}

/// Reads one response off a raw socket: the head as text, then `content-length` bytes.
pub fn read_response(reader: &mut BufReader<StdStream>) -> (String, Vec<u8>) {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        assert!(
            reader.read_line(&mut line).unwrap() > 0,
            "EOF inside a head: {head:?}"
        );
        head.push_str(&line);
        if line == "\r\n" {
            break;
        }
    }
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .map_or(0, |v| v.trim().parse().unwrap());
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    (head, body)
}

/// A plain blocking socket to `addr`, its reads bounded by [`LIMIT`].
pub fn raw_connect(addr: SocketAddr) -> StdStream {
    let stream = StdStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(LIMIT)).unwrap();
    stream
}
