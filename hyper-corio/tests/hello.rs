//! `examples/hello.rs` as a real process, driven by real HTTP clients: hyper's own client
//! on a corio runtime (HTTP/1.1 and HTTP/2, through `CorioIo` and `CorioExecutor`),
//! `ureq` from plain threads, and raw sockets for exact bytes and malformed requests.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream as StdStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use corio_hyper::{demo::HELLO, CorioExecutor, CorioIo};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::{http1, http2};
use hyper::{Method, Request, Response, StatusCode};

const LIMIT: Duration = Duration::from_secs(30);

/// The example server, killed on drop.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    /// Starts `hello ARGS.. 127.0.0.1:0` and reads its `listening on` line.
    fn start(args: &[&str]) -> Server {
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

    fn url(&self, path: &str) -> String {
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
fn example_path(name: &str) -> PathBuf {
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
fn pattern(len: usize) -> Vec<u8> {
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
fn run<F: std::future::Future>(future: F) -> F::Output {
    corio::block_on(async {
        corio::time::timeout(LIMIT, future)
            .await
            .expect("the test took too long")
    })
}

/// An HTTP/1.1 connection with hyper's client over a corio socket; its connection task
/// is spawned on the current corio runtime.
async fn connect_h1(addr: SocketAddr) -> http1::SendRequest<Full<Bytes>> {
    let stream = corio::net::TcpStream::connect(addr).await.unwrap();
    let (sender, conn) = http1::handshake(CorioIo::new(stream)).await.unwrap();
    corio::spawn(async move { conn.await.unwrap() });
    sender
}

/// The response with its body collected.
async fn collect(
    response: Response<hyper::body::Incoming>,
) -> (hyper::http::response::Parts, Bytes) {
    let (parts, body) = response.into_parts();
    (parts, body.collect().await.unwrap().to_bytes())
}

fn get(path: &str) -> Request<Full<Bytes>> {
    Request::get(path)
        .header("host", "test")
        .body(Full::default())
        .unwrap()
}

fn post(path: &str, body: Vec<u8>) -> Request<Full<Bytes>> {
    Request::post(path)
        .header("host", "test")
        .body(Full::new(Bytes::from(body)))
        .unwrap()
}

/// Reads one response off a raw socket: the head as text, then `content-length` bytes.
fn read_response(reader: &mut BufReader<StdStream>) -> (String, Vec<u8>) {
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

fn raw_connect(addr: SocketAddr) -> StdStream {
    let stream = StdStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(LIMIT)).unwrap();
    stream
}

#[test]
fn get_gives_the_exact_body_and_headers() {
    let server = Server::start(&[]);
    run(async {
        let mut sender = connect_h1(server.addr).await;
        let (parts, body) = collect(sender.send_request(get("/")).await.unwrap()).await;
        assert_eq!(parts.status, StatusCode::OK);
        assert_eq!(parts.version, hyper::Version::HTTP_11);
        let mut names: Vec<&str> = parts.headers.keys().map(|k| k.as_str()).collect();
        names.sort_unstable();
        assert_eq!(names, ["content-length", "content-type", "date"]);
        assert_eq!(parts.headers["content-type"], "text/plain; charset=utf-8");
        assert_eq!(parts.headers["content-length"], "25");
        assert!(parts.headers["date"].to_str().unwrap().ends_with(" GMT"));
        assert_eq!(body, HELLO.as_bytes());

        let (parts, body) = collect(sender.send_request(get("/nope")).await.unwrap()).await;
        assert_eq!(parts.status, StatusCode::NOT_FOUND);
        assert_eq!(body, "not found\n");
    });

    // The same on the wire, byte for byte (but the date's value).
    let mut stream = raw_connect(server.addr);
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap(); // the server closes: Connection: close
    let date_start = reply.find("date: ").expect("a date header") + "date: ".len();
    let date_end = date_start + reply[date_start..].find("\r\n").unwrap();
    assert_eq!(date_end - date_start, "Sun, 06 Nov 1994 08:49:37 GMT".len());
    let reply = format!("{}<date>{}", &reply[..date_start], &reply[date_end..]);
    assert_eq!(
        reply,
        "HTTP/1.1 200 OK\r\n\
         content-type: text/plain; charset=utf-8\r\n\
         connection: close\r\n\
         content-length: 25\r\n\
         date: <date>\r\n\
         \r\n\
         Hello from hyper on corio"
    );
}

#[test]
fn keep_alive_serves_many_requests_on_one_connection() {
    let server = Server::start(&[]);
    run(async {
        // One hyper client connection: were it closed after any response, the next
        // `send_request` would fail.
        let mut sender = connect_h1(server.addr).await;
        for i in 0..20 {
            sender.ready().await.unwrap();
            if i % 2 == 0 {
                let (parts, body) = collect(sender.send_request(get("/")).await.unwrap()).await;
                assert_eq!(parts.status, StatusCode::OK);
                assert_eq!(body, HELLO.as_bytes());
            } else {
                let data = format!("request {i}").into_bytes();
                let (parts, body) = collect(
                    sender
                        .send_request(post("/echo", data.clone()))
                        .await
                        .unwrap(),
                )
                .await;
                assert_eq!(parts.status, StatusCode::OK);
                assert_eq!(body, data);
            }
        }
    });

    // And on one raw socket, in order: no `connection: close`, the socket stays open.
    let stream = raw_connect(server.addr);
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    for i in 0..5 {
        let body = format!("body {i}");
        write!(
            writer,
            "POST /e HTTP/1.1\r\nHost: test\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let (head, got) = read_response(&mut reader);
        assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
        assert!(!head.contains("connection: close"), "{head}");
        assert_eq!(got, body.as_bytes());
    }
}

#[test]
fn post_echoes_a_one_mebibyte_body() {
    let server = Server::start(&[]);
    let data = pattern(1 << 20);
    run(async {
        let mut sender = connect_h1(server.addr).await;
        let (parts, body) = collect(
            sender
                .send_request(post("/echo", data.clone()))
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(parts.status, StatusCode::OK);
        assert_eq!(parts.headers["content-type"], "application/octet-stream");
        assert_eq!(
            parts.headers["content-length"],
            (1 << 20).to_string().as_str()
        );
        assert!(body == data, "the echoed body differs");
    });

    // The same through ureq, a client that shares no code with hyper.
    let response = ureq::post(&server.url("/echo")).send_bytes(&data).unwrap();
    assert_eq!(response.status(), 200);
    let mut body = Vec::new();
    response.into_reader().read_to_end(&mut body).unwrap();
    assert!(body == data, "the echoed body differs (ureq)");
}

#[test]
fn a_body_over_the_echo_limit_gets_413_not_unbounded_memory() {
    let server = Server::start(&[]);
    let data = pattern(corio_hyper::demo::MAX_ECHO + 1);
    run(async {
        let mut sender = connect_h1(server.addr).await;
        let response = sender.send_request(post("/echo", data)).await;
        // hyper may answer before it has sent the whole body; either way no echo.
        if let Ok(response) = response {
            let (parts, _) = collect(response).await;
            assert_eq!(parts.status, StatusCode::PAYLOAD_TOO_LARGE);
        }
    });
    // The server is still serving.
    let response = ureq::get(&server.url("/")).call().unwrap();
    assert_eq!(response.status(), 200);
}

#[test]
fn concurrent_clients_from_threads() {
    let server = Server::start(&[]);
    let threads: Vec<_> = (0..16)
        .map(|t| {
            let url = server.url("/");
            std::thread::spawn(move || {
                let agent = ureq::AgentBuilder::new().timeout(LIMIT).build(); // keeps alive
                for i in 0..25 {
                    if (t + i) % 3 == 0 {
                        let data = pattern(1000 + 97 * t + i);
                        let response = agent.post(&url).send_bytes(&data).unwrap();
                        let mut body = Vec::new();
                        response.into_reader().read_to_end(&mut body).unwrap();
                        assert!(body == data, "thread {t} request {i}: echo differs");
                    } else {
                        let response = agent.get(&url).call().unwrap();
                        assert_eq!(response.status(), 200);
                        assert_eq!(response.into_string().unwrap(), HELLO);
                    }
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
}

#[test]
fn a_malformed_request_gets_400_and_the_server_serves_others() {
    let server = Server::start(&[]);
    // A client mid-request when the bad one arrives, finished afterwards.
    let mut waiting = raw_connect(server.addr);
    waiting.write_all(b"GET / HTTP/1.1\r\nHost: te").unwrap();

    for garbage in [
        &b"GARBAGE\r\n\r\n"[..],
        b"GET / HTTP/1.1\r\nHost: test\r\nBad Header Line\r\n\r\n",
        b"GET / HTTP/9.9\r\n\r\n",
    ] {
        let mut bad = raw_connect(server.addr);
        bad.write_all(garbage).unwrap();
        let mut reply = String::new();
        bad.read_to_string(&mut reply).unwrap(); // then the server closes
        assert!(
            reply.starts_with("HTTP/1.1 400 Bad Request\r\n"),
            "{:?} got {reply:?}",
            String::from_utf8_lossy(garbage)
        );
    }

    waiting.write_all(b"st\r\n\r\n").unwrap();
    let (head, body) = read_response(&mut BufReader::new(waiting));
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"));
    assert_eq!(body, HELLO.as_bytes());
    let response = ureq::get(&server.url("/")).call().unwrap();
    assert_eq!(response.into_string().unwrap(), HELLO);
}

#[test]
fn header_read_timeout_closes_slow_and_idle_connections() {
    let server = Server::start(&["--header-timeout-ms", "300"]);

    // Half a head, then nothing: closed once the timeout passes, without a response.
    let start = Instant::now();
    let mut slow = raw_connect(server.addr);
    slow.write_all(b"GET / HTTP/1.1\r\nHost: test\r\n").unwrap();
    let mut reply = Vec::new();
    let _ = slow.read_to_end(&mut reply); // EOF (or a reset) when the server gives up
    let took = start.elapsed();
    assert!(reply.is_empty(), "{:?}", String::from_utf8_lossy(&reply));
    assert!(took >= Duration::from_millis(250), "closed after {took:?}");
    assert!(took < Duration::from_secs(10), "closed after {took:?}");

    // A kept-alive connection waits for its next head under the same clock.
    let stream = raw_connect(server.addr);
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    writer
        .write_all(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
        .unwrap();
    let (head, _) = read_response(&mut reader);
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"));
    let idle_from = Instant::now();
    let mut rest = Vec::new();
    let _ = reader.read_to_end(&mut rest);
    assert!(rest.is_empty());
    let idle = idle_from.elapsed();
    assert!(
        idle >= Duration::from_millis(250) && idle < Duration::from_secs(10),
        "{idle:?}"
    );

    // Prompt clients are served as usual meanwhile.
    let response = ureq::get(&server.url("/")).call().unwrap();
    assert_eq!(response.into_string().unwrap(), HELLO);
}

#[test]
fn http2_streams_run_as_corio_tasks() {
    let server = Server::start(&["--http2"]);
    run(async {
        let stream = corio::net::TcpStream::connect(server.addr).await.unwrap();
        let (sender, conn) = http2::handshake(CorioExecutor, CorioIo::new(stream))
            .await
            .unwrap();
        corio::spawn(async move { conn.await.unwrap() });
        // Twelve concurrent streams on one connection, each request from its own task.
        let tasks: Vec<_> = (0..12)
            .map(|i| {
                let mut sender = sender.clone();
                corio::spawn(async move {
                    sender.ready().await.unwrap();
                    let request = if i % 2 == 0 {
                        Request::get("http://test/").body(Full::default()).unwrap()
                    } else {
                        Request::builder()
                            .method(Method::POST)
                            .uri("http://test/echo")
                            .body(Full::new(Bytes::from(pattern(100_000 + i))))
                            .unwrap()
                    };
                    let (parts, body) = collect(sender.send_request(request).await.unwrap()).await;
                    assert_eq!(parts.version, hyper::Version::HTTP_2);
                    assert_eq!(parts.status, StatusCode::OK);
                    if i % 2 == 0 {
                        assert_eq!(body, HELLO.as_bytes());
                    } else {
                        assert!(body == pattern(100_000 + i), "stream {i}: echo differs");
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
    });
}
