//! Directories in the HTTP example: named with a trailing `/` they serve their
//! `index.html`; named without one they answer 301 to the name with it, so the index's
//! relative links resolve inside the directory (`examples/http/files.rs`, `open` and
//! `directory_location`). The redirect is built from the decoded path, never echoed from
//! the request, and only for directories inside the root.
#![cfg(unix)]

mod http_common;
mod util;

use std::io::Write;

use http_common::{exchange, file_body, read_response, request, Site};

/// Sends `method target` and asserts a 301 to `location`.
fn assert_moved(addr: std::net::SocketAddr, method: &str, target: &str, location: &str) {
    let head = method == "HEAD";
    let (response, _) = exchange(addr, &request(method, target, ""), head);
    response.assert_error(301, "Moved Permanently", false, head);
    assert_eq!(
        response.header("Location"),
        Some(location),
        "{method} {target}"
    );
}

#[test]
fn a_directory_without_its_slash_is_redirected_to_it() {
    let site = Site::new();
    let server = site.serve(&[]);
    assert_moved(server.addr, "GET", "/sub", "/sub/");
    assert_moved(server.addr, "HEAD", "/sub", "/sub/");
    assert_moved(server.addr, "GET", "/sub/deeper", "/sub/deeper/");
    // The query is not carried over, and neither are empty or `.` segments.
    assert_moved(server.addr, "GET", "/sub?page=2", "/sub/");
    assert_moved(server.addr, "GET", "/./sub//deeper", "/sub/deeper/");
    // A directory without an index is still redirected; with its slash it is not found.
    assert_moved(server.addr, "GET", "/empty_dir", "/empty_dir/");
    let (response, _) = exchange(server.addr, &request("GET", "/empty_dir/", ""), false);
    response.assert_error(404, "Not Found", false, false);
}

#[test]
fn with_its_slash_a_directory_serves_its_index_and_the_root_is_never_moved() {
    let site = Site::new();
    let server = site.serve(&[]);
    for (target, file) in [
        ("/sub/", "sub/index.html"),
        ("/", "index.html"),
        ("/?q", "index.html"),
    ] {
        let (response, _) = exchange(server.addr, &request("GET", target, ""), false);
        response.assert_file("text/html; charset=utf-8", &file_body(file), false);
    }
}

#[test]
fn the_location_is_percent_encoded_and_never_leaves_the_site() {
    let site = Site::new();
    std::fs::create_dir(site.root.join("a b")).unwrap();
    std::fs::create_dir(site.root.join("é")).unwrap();
    std::fs::create_dir(site.root.join("evil.example")).unwrap();
    let server = site.serve(&[]);
    assert_moved(server.addr, "GET", "/a%20b", "/a%20b/");
    assert_moved(server.addr, "GET", "/%C3%A9", "/%C3%A9/");
    // `//host` in the request is a path here, and the Location stays one: a single `/`.
    assert_moved(server.addr, "GET", "//evil.example", "/evil.example/");
}

#[test]
fn a_link_to_a_directory_outside_the_root_is_not_found_not_moved() {
    let site = Site::new();
    let server = site.serve(&[]);
    for target in ["/escape_dir", "/escape_dir/", "/sub/up"] {
        let (response, _) = exchange(server.addr, &request("GET", target, ""), false);
        response.assert_error(404, "Not Found", false, false);
    }
}

#[test]
fn the_connection_stays_open_after_a_redirect() {
    let site = Site::new();
    let server = site.serve(&[]);
    let (first, mut reader) = exchange(server.addr, &request("GET", "/sub", ""), false);
    first.assert_error(301, "Moved Permanently", false, false);
    reader
        .get_mut()
        .write_all(&request("GET", "/sub/", ""))
        .unwrap();
    let second = read_response(&mut reader, false);
    second.assert_file(
        "text/html; charset=utf-8",
        &file_body("sub/index.html"),
        false,
    );
}
