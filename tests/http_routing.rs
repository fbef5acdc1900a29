//! The HTTP example's pure parts after the parser, included from `examples/http/` and
//! driven directly: the path decoder (every spelling of `..`), routing, response heads,
//! media types and the date.
#![cfg(unix)]

mod http_pure;

use http_pure::files::{content_type, decode_path, Refused};
use http_pure::response;
use http_pure::response::{route, Conn, FileRequest, Route, Status};
use http_pure::{parse_all, SIMPLE};
use std::path::{Path, PathBuf};

#[test]
fn decode_path_keeps_plain_names_and_refuses_climbing() {
    let ok: &[(&str, &str)] = &[
        ("/", ""),
        ("/index.html", "index.html"),
        ("/a//b/./c/", "a/b/c"),
        ("/a%20b/%41", "a b/A"),
        ("/a../b...", "a../b..."),
        ("/x?y=/../../z#frag", "x"),
        ("/%252e%252e", "%2e%2e"),
        ("/a%5c..%5cb", "a\\..\\b"),
    ];
    for (target, want) in ok {
        assert_eq!(decode_path(target), Ok(PathBuf::from(want)), "{target}");
    }
    let bad = [
        "/..",
        "/../x",
        "/a/../b",
        "/a/..",
        "/%2e%2e",
        "/%2E%2e/",
        "/.%2E",
        "/%2e./x",
        "/a%2fb",
        "/a%2F..%2Fb",
        "/%00",
        "/a%00b",
        "/%",
        "/%4",
        "/%g0",
        "x",
        "",
        "*",
        "http://h/",
    ];
    for target in bad {
        assert_eq!(decode_path(target), Err(Refused::BadPath), "{target}");
    }
    // Dot-files and dot-directories are not served, however the dot is spelled.
    for target in [
        "/...",
        "/..a/a..",
        "/.git/config",
        "/.env",
        "/a/.hidden",
        "/%2egit/HEAD",
    ] {
        assert_eq!(decode_path(target), Err(Refused::NotFound), "{target}");
    }
    // 8-bit names decode to the raw bytes, as Unix file names are.
    use std::os::unix::ffi::OsStrExt;
    assert_eq!(decode_path("/%ff").unwrap().as_os_str().as_bytes(), b"\xff");
}

#[test]
fn routing_decides_from_the_head() {
    let req = |bytes: &[u8]| parse_all(bytes);
    let file = |path: &str, with_body, conn| Route::File {
        file: FileRequest {
            path: PathBuf::from(path),
            with_body,
            slash: false,
        },
        conn,
    };
    assert_eq!(route(&req(SIMPLE)), file("index.html", true, Conn::Open));
    assert_eq!(
        route(&req(b"HEAD /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")),
        file("a", false, Conn::KeepAlive)
    );
    assert_eq!(
        route(&req(b"POST /a HTTP/1.1\r\nHost: h\r\n\r\n")),
        Route::Error(Status::MethodNotAllowed, Conn::Open)
    );
    assert_eq!(
        route(&req(
            b"POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\n"
        )),
        Route::Error(Status::MethodNotAllowed, Conn::Close)
    );
    assert_eq!(
        route(&req(
            b"GET /a HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\n"
        )),
        Route::Error(Status::ContentTooLarge, Conn::Close)
    );
    assert_eq!(
        route(&req(
            b"GET /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n"
        )),
        Route::Error(Status::NotImplemented, Conn::Close)
    );
    assert_eq!(
        route(&req(
            b"GET /%2e%2e HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
        )),
        Route::Error(Status::BadRequest, Conn::Close)
    );
}

#[test]
fn response_heads_are_exact() {
    let mut out = Vec::new();
    response::head(
        &mut out,
        Status::MethodNotAllowed,
        "text/plain",
        7,
        Conn::Close,
    );
    let text = String::from_utf8(out).unwrap();
    let date_line = text.lines().nth(1).unwrap();
    assert!(
        date_line.starts_with("Date: ") && date_line.ends_with(" GMT"),
        "{date_line}"
    );
    let without_date = text.replace(&format!("{date_line}\r\n"), "");
    assert_eq!(
        without_date,
        "HTTP/1.1 405 Method Not Allowed\r\nServer: corio-http\r\nContent-Type: text/plain\r\n\
         Content-Length: 7\r\nAllow: GET, HEAD\r\nConnection: close\r\n\r\n"
    );
}

#[test]
fn media_types_and_dates() {
    let cases = [
        ("a.html", "text/html; charset=utf-8"),
        ("A.HTML", "text/html; charset=utf-8"),
        ("x.tar.gz", "application/gzip"),
        ("logo.svg", "image/svg+xml"),
        ("app.wasm", "application/wasm"),
        ("README", "application/octet-stream"),
        (".bashrc", "application/octet-stream"),
    ];
    for (name, want) in cases {
        assert_eq!(content_type(Path::new(name)), want, "{name}");
    }
    assert_eq!(
        &response::http_date(784_111_777),
        b"Sun, 06 Nov 1994 08:49:37 GMT"
    );
    assert_eq!(&response::http_date(0), b"Thu, 01 Jan 1970 00:00:00 GMT");
    assert_eq!(
        &response::http_date(951_782_400),
        b"Tue, 29 Feb 2000 00:00:00 GMT"
    );
    assert_eq!(response::http_date(u64::MAX).len(), 29);
}
