//! `examples/axum.rs` as a real process: an axum `Router` on corio, driven by `ureq`
//! (HTTP/1.1) and hyper's HTTP/2 client on a corio runtime. Exact statuses, headers and
//! JSON bodies for a handler that sleeps on corio's timer, one that spawns a task and
//! awaits its `JoinHandle`, one on the blocking pool, and JSON in and out; bad input gets
//! axum's 4xx and the server goes on.

mod hello_common;

use std::time::{Duration, Instant};

use bytes::Bytes;
use corio_hyper::{CorioExecutor, CorioIo};
use hello_common::{collect, run, url, Server};
use http_body_util::Full;
use hyper::Request;

fn start_axum() -> Server {
    Server::start_with("axum", &[], |_| {})
}

/// `GET path`: the status, the content type and the body.
fn get(server: &Server, path: &str) -> (u16, String, String) {
    let response = match ureq::get(&url(server, path)).call() {
        Ok(response) | Err(ureq::Error::Status(_, response)) => response,
        Err(e) => panic!("GET {path}: {e}"),
    };
    let status = response.status();
    let content_type = response.header("content-type").unwrap_or("").to_string();
    (status, content_type, response.into_string().unwrap())
}

/// `POST path` with `body` as `content_type`: the status and the body.
fn post(server: &Server, path: &str, content_type: &str, body: &str) -> (u16, String) {
    let request = ureq::post(&url(server, path)).set("content-type", content_type);
    let response = match request.send_string(body) {
        Ok(response) | Err(ureq::Error::Status(_, response)) => response,
        Err(e) => panic!("POST {path}: {e}"),
    };
    (response.status(), response.into_string().unwrap())
}

#[test]
fn each_route_gives_its_exact_json() {
    let server = start_axum();
    let json = "application/json";
    assert_eq!(
        get(&server, "/"),
        (200, json.into(), r#"{"hello":"axum on corio"}"#.into())
    );
    let start = Instant::now();
    assert_eq!(
        get(&server, "/sleep?ms=60"),
        (
            200,
            json.into(),
            r#"{"at_least":true,"slept_ms":60}"#.into()
        )
    );
    assert!(start.elapsed() >= Duration::from_millis(60));
    assert_eq!(
        get(&server, "/spawn?n=10"),
        (200, json.into(), r#"{"n":10,"sum":55}"#.into())
    );
    assert_eq!(
        get(&server, "/blocking?n=20"),
        (200, json.into(), r#"{"fib":6765,"n":20}"#.into())
    );
    assert_eq!(
        post(&server, "/repeat", json, r#"{"text":"ab","times":3}"#),
        (200, r#"{"text":"ababab","len":6}"#.into())
    );
}

#[test]
fn bad_input_gets_a_4xx_and_the_server_goes_on() {
    let server = start_axum();
    assert_eq!(get(&server, "/sleep?ms=99999").0, 400);
    assert_eq!(get(&server, "/sleep?ms=abc").0, 400);
    assert_eq!(get(&server, "/blocking?n=91").0, 400);
    assert_eq!(get(&server, "/nowhere").0, 404);
    let json = "application/json";
    assert_eq!(post(&server, "/repeat", json, "{not json").0, 400);
    assert_eq!(post(&server, "/repeat", json, r#"{"text":"a"}"#).0, 422);
    assert_eq!(post(&server, "/repeat", "text/plain", "{}").0, 415);
    let huge = r#"{"text":"abcdefgh","times":100000}"#;
    assert_eq!(post(&server, "/repeat", json, huge).0, 413);
    assert_eq!(
        get(&server, "/spawn?n=3"),
        (200, json.into(), r#"{"n":3,"sum":6}"#.into())
    );
}

#[test]
fn many_sleeping_requests_are_served_at_once() {
    let server = start_axum();
    let addr = server.addr;
    // Twenty clients at once, each waiting on a 300 ms sleep on the server's one thread:
    // every one gets its exact answer.
    let clients: Vec<_> = (0..20)
        .map(|_| {
            std::thread::spawn(move || {
                let url = format!("http://{addr}/sleep?ms=300");
                ureq::get(&url).call().unwrap().into_string().unwrap()
            })
        })
        .collect();
    for client in clients {
        assert_eq!(
            client.join().unwrap(),
            r#"{"at_least":true,"slept_ms":300}"#
        );
    }
}

#[test]
fn http2_with_prior_knowledge_is_served_too() {
    let server = start_axum();
    run(async {
        let stream = corio::net::TcpStream::connect(server.addr).await.unwrap();
        let (mut sender, connection) =
            hyper::client::conn::http2::handshake(CorioExecutor, CorioIo::new(stream))
                .await
                .unwrap();
        corio::spawn(async move { connection.await.unwrap() });
        for (path, body) in [
            ("/", r#"{"hello":"axum on corio"}"#),
            ("/spawn?n=4", r#"{"n":4,"sum":10}"#),
        ] {
            let request = Request::get(format!("http://test{path}"))
                .body(Full::<Bytes>::default())
                .unwrap();
            let (parts, bytes) = collect(sender.send_request(request).await.unwrap()).await;
            assert_eq!(parts.status, 200);
            assert_eq!(parts.version, hyper::Version::HTTP_2);
            assert_eq!(bytes, body.as_bytes());
        }
    });
}
