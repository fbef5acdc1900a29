//! `examples/hello.rs` as a real process, serving HTTP/1.1 to hyper's own client on a
//! corio runtime (through `CorioIo`), `ureq`, and raw sockets: exact body and head bytes,
//! keep-alive, a 1 MiB echo, and the 413 past the echo limit.

mod hello_common;

use std::io::{BufReader, Read, Write};

use corio_hyper::demo::HELLO;
use hello_common::{
    collect, connect_h1, get, pattern, post, raw_connect, read_response, run, start_hello, url,
};
use hyper::StatusCode;

#[test]
fn get_gives_the_exact_body_and_headers() {
    let server = start_hello(&[]);
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
    let server = start_hello(&[]);
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
    let server = start_hello(&[]);
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
    let response = ureq::post(&url(&server, "/echo"))
        .send_bytes(&data)
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut body = Vec::new();
    response.into_reader().read_to_end(&mut body).unwrap();
    assert!(body == data, "the echoed body differs (ureq)");
}

#[test]
fn a_body_over_the_echo_limit_gets_413_not_unbounded_memory() {
    let server = start_hello(&[]);
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
    let response = ureq::get(&url(&server, "/")).call().unwrap();
    assert_eq!(response.status(), 200);
}
