//! The HTTP example through a real client (`ureq`): what a browser-like user sees.
//! GET and HEAD of every kind of file, directories, 404 and 405, many requests on one
//! agent's kept-alive connections, and many clients at once.
#![cfg(unix)]

mod http_common;
mod util;

use std::io::Read;
use std::time::Duration;

use http_common::{file_body, Site, BIG_LEN, TYPED_FILES};
use util::pattern;

/// An agent (connection pool) with timeouts, so a server bug fails instead of hanging.
fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(10))
        .build()
}

/// Status, Content-Type, Content-Length and body of a response, error statuses included.
fn fetch(agent: &ureq::Agent, method: &str, url: &str) -> (u16, String, String, Vec<u8>) {
    let response = match agent.request(method, url).call() {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{method} {url}: {e}"),
    };
    let status = response.status();
    let content_type = response.header("Content-Type").unwrap_or("").to_string();
    let length = response.header("Content-Length").unwrap_or("").to_string();
    let mut body = Vec::new();
    response.into_reader().read_to_end(&mut body).unwrap();
    (status, content_type, length, body)
}

#[test]
fn get_serves_every_file_with_its_content_type_and_length() {
    let site = Site::new();
    let server = site.serve(&[]);
    let agent = agent();
    for (name, content_type) in TYPED_FILES {
        let url = format!("http://{}/{}", server.addr, name.replace(' ', "%20"));
        let (status, ty, len, body) = fetch(&agent, "GET", &url);
        let want = file_body(name);
        assert_eq!(status, 200, "{name}");
        assert_eq!(ty, *content_type, "{name}");
        assert_eq!(len, want.len().to_string(), "{name}");
        assert_eq!(body, want, "{name}");
    }
}

#[test]
fn head_sends_the_headers_of_get_and_no_body() {
    let site = Site::new();
    let server = site.serve(&[]);
    let agent = agent();
    for name in ["index.html", "big.bin", "empty.txt"] {
        let url = format!("http://{}/{name}", server.addr);
        let (status, ty, len, body) = fetch(&agent, "HEAD", &url);
        let (_, get_ty, get_len, get_body) = fetch(&agent, "GET", &url);
        assert_eq!(status, 200);
        assert_eq!((ty, &len), (get_ty, &get_len), "{name}");
        assert_eq!(len, get_body.len().to_string());
        assert!(body.is_empty(), "HEAD {name} had a body");
    }
}

#[test]
fn a_large_file_arrives_whole_across_many_chunks() {
    let site = Site::new();
    let server = site.serve(&[]);
    let (status, ty, len, body) =
        fetch(&agent(), "GET", &format!("http://{}/big.bin", server.addr));
    assert_eq!((status, ty.as_str()), (200, "application/octet-stream"));
    assert_eq!(len, BIG_LEN.to_string());
    assert!(body == pattern(BIG_LEN, 7), "big.bin differs");
}

#[test]
fn directories_serve_their_index_or_404() {
    let site = Site::new();
    let server = site.serve(&[]);
    let agent = agent();
    let base = format!("http://{}", server.addr);
    for path in ["/", "/index.html", "/?q=1", "/./"] {
        let (status, ty, _, body) = fetch(&agent, "GET", &format!("{base}{path}"));
        assert_eq!(
            (status, ty.as_str()),
            (200, "text/html; charset=utf-8"),
            "{path}"
        );
        assert_eq!(body, file_body("index.html"), "{path}");
    }
    for path in ["/sub", "/sub/", "/sub//"] {
        let (status, _, _, body) = fetch(&agent, "GET", &format!("{base}{path}"));
        assert_eq!(status, 200, "{path}");
        assert_eq!(body, file_body("sub/index.html"), "{path}");
    }
    for path in [
        "/empty_dir/",
        "/empty_dir",
        "/missing.html",
        "/sub/missing/",
        "/notes.txt/x",
    ] {
        let (status, ty, _, body) = fetch(&agent, "GET", &format!("{base}{path}"));
        assert_eq!(
            (status, ty.as_str()),
            (404, "text/plain; charset=utf-8"),
            "{path}"
        );
        assert_eq!(body, b"404 Not Found\n", "{path}");
    }
}

#[test]
fn a_symlink_inside_the_root_is_followed() {
    let site = Site::new();
    let server = site.serve(&[]);
    let url = format!("http://{}/inside_link.txt", server.addr);
    let (status, ty, _, body) = fetch(&agent(), "GET", &url);
    assert_eq!((status, ty.as_str()), (200, "text/plain; charset=utf-8"));
    assert_eq!(body, file_body("notes.txt"));
}

#[test]
fn other_methods_get_405_with_allow() {
    let site = Site::new();
    let server = site.serve(&[]);
    let agent = agent();
    let url = format!("http://{}/index.html", server.addr);
    for method in ["POST", "PUT", "DELETE", "OPTIONS", "PATCH"] {
        let response = match agent.request(method, &url).call() {
            Err(ureq::Error::Status(405, r)) => r,
            other => panic!("{method}: {other:?}"),
        };
        assert_eq!(response.header("Allow"), Some("GET, HEAD"));
        assert_eq!(response.into_string().unwrap(), "405 Method Not Allowed\n");
    }
}

#[test]
fn one_agent_makes_many_requests_over_kept_alive_connections() {
    let site = Site::new();
    let server = site.serve(&[]);
    let agent = agent();
    for i in 0..60 {
        let (name, _) = TYPED_FILES[i % TYPED_FILES.len()];
        let url = format!("http://{}/{}", server.addr, name.replace(' ', "%20"));
        let (status, _, _, body) = fetch(&agent, "GET", &url);
        assert_eq!(
            (status, body),
            (200, file_body(name)),
            "request {i}: {name}"
        );
    }
}

#[test]
fn many_clients_at_once_each_get_the_right_bytes() {
    let site = Site::new();
    let server = site.serve(&[]);
    let addr = server.addr;
    let clients: Vec<_> = (0..8)
        .map(|c| {
            std::thread::spawn(move || {
                let agent = agent();
                for i in 0..15 {
                    if (c + i) % 5 == 0 {
                        let url = format!("http://{addr}/big.bin");
                        let (status, _, _, body) = fetch(&agent, "GET", &url);
                        assert_eq!(status, 200);
                        assert!(body == pattern(BIG_LEN, 7), "client {c}: big.bin differs");
                    } else {
                        let (name, _) = TYPED_FILES[(c * 7 + i) % TYPED_FILES.len()];
                        let url = format!("http://{addr}/{}", name.replace(' ', "%20"));
                        let (status, _, _, body) = fetch(&agent, "GET", &url);
                        assert_eq!((status, body), (200, file_body(name)), "client {c}");
                    }
                }
            })
        })
        .collect();
    for client in clients {
        client.join().expect("a client thread failed");
    }
}
