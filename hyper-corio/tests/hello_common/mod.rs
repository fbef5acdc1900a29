//! Helpers shared by the `hello*` tests: the `hello` example as a child process, hyper's
//! HTTP/1.1 client on a corio runtime, and raw-socket request and response handling.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpStream as StdStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use bytes::Bytes;
use corio_hyper::CorioIo;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper::{Request, Response};

pub const LIMIT: Duration = Duration::from_secs(30);

/// The example server, killed on drop.
pub struct Server {
    pub child: Child,
    pub addr: SocketAddr,
}

impl Server {
    /// Starts `hello ARGS.. 127.0.0.1:0` and reads its `listening on` line.
    pub fn start(args: &[&str]) -> Server {
        let mut child = Command::new(example_path("hello"))
            .args(args)
            .arg("127.0.0.1:0")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn the hello example");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .parse()
            .unwrap();
        Server { child, addr }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// target/<profile>/deps/<test> → target/<profile>/examples/<name> (`cargo test` builds
/// the package's examples first; built here if missing).
pub fn example_path(name: &str) -> PathBuf {
    let mut path = std::env::current_exe().unwrap();
    path.pop();
    if path.ends_with("deps") {
        path.pop();
    }
    path.push("examples");
    path.push(name);
    if !path.exists() {
        let status = Command::new(env!("CARGO"))
            .args(["build", "-p", "corio-hyper", "--example", name])
            .status()
            .unwrap();
        assert!(status.success(), "cargo build --example {name} failed");
    }
    path
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
