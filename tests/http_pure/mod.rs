//! The HTTP example's pure modules, included from `examples/http/` for the tests that drive
//! them directly (`http_parser.rs`, `http_routing.rs`), and a parse helper both use.
#![allow(dead_code)]

#[path = "../../examples/http/files.rs"]
pub mod files;
#[path = "../../examples/http/request.rs"]
pub mod request;
#[path = "../../examples/http/response.rs"]
pub mod response;

use request::{parse, Request};

/// A minimal valid request head.
pub const SIMPLE: &[u8] = b"GET /index.html HTTP/1.1\r\nHost: example\r\n\r\n";

/// Parses a head that must be complete and valid, and checks it was all used.
pub fn parse_all(bytes: &[u8]) -> Request {
    let (request, used) = parse(bytes)
        .unwrap_or_else(|e| panic!("{:?}: {e:?}", String::from_utf8_lossy(bytes)))
        .expect("complete");
    assert_eq!(used, bytes.len());
    request
}
