//! `examples/hello.rs` under concurrency: `ureq` clients on 16 plain threads, and twelve
//! HTTP/2 streams on one connection, each request from its own corio task (through
//! `CorioIo` and `CorioExecutor`).

mod hello_common;

use std::io::Read;

use bytes::Bytes;
use corio_hyper::{demo::HELLO, CorioExecutor, CorioIo};
use hello_common::{collect, pattern, run, start_hello, url, LIMIT};
use http_body_util::Full;
use hyper::client::conn::http2;
use hyper::{Method, Request, StatusCode};

#[test]
fn concurrent_clients_from_threads() {
    let server = start_hello(&[]);
    let threads: Vec<_> = (0..16)
        .map(|t| {
            let url = url(&server, "/");
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
fn http2_streams_run_as_corio_tasks() {
    let server = start_hello(&["--http2"]);
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
