//! The answer to a request for a cached file: 200, 206, 304 or 416, decided from the
//! request's [`Conditions`] (RFC 9110 §13.2.2's order: `If-None-Match`, else
//! `If-Modified-Since`; then `Range`, under `If-Range`), and its head's bytes. Pure: the
//! connection loops (`conn.rs`, and its tokio port) send the head and the body it names.
//!
//! HEAD gets exactly the head a GET without `Range` would: RFC 9110 §14.2 defines range
//! handling for GET only, and a server must ignore `Range` on any other method.

use std::io::Write;

use super::cache::Entry;
use super::request::conditions::{self, Conditions, Resolved};
use super::response::{now_http_date, Conn, Status};

/// The body bytes of the file to send after the head: `len` bytes from `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Body {
    pub offset: u64,
    pub len: u64,
}

/// Appends the response head for `entry` to `out` (and the whole body of a 416), and
/// returns the file bytes still to send: none for HEAD, a 304 or a 416.
pub fn file_response(
    out: &mut Vec<u8>,
    entry: &Entry,
    conditions: &Conditions,
    with_body: bool,
    conn: Conn,
) -> Option<Body> {
    let not_modified = match (&conditions.if_none_match, conditions.if_modified_since) {
        (Some(list), _) => conditions::none_match(list, &entry.etag),
        (None, Some(since)) => entry.mtime <= since,
        (None, None) => false,
    };
    if not_modified {
        status_and_date(out, Status::NotModified);
        out.extend_from_slice(b"Server: corio-http\r\nLast-Modified: ");
        out.extend_from_slice(&entry.last_modified);
        out.extend_from_slice(b"\r\nETag: ");
        out.extend_from_slice(entry.etag.as_bytes());
        out.extend_from_slice(b"\r\n");
        end_head(out, conn);
        return None;
    }
    let range = conditions
        .range
        .filter(|_| with_body)
        .filter(|_| match &conditions.if_range {
            Some(value) => conditions::if_range_holds(value, &entry.etag, entry.mtime),
            None => true,
        });
    let body = match range.map(|range| range.resolve(entry.len)) {
        None => {
            status_and_date(out, Status::Ok);
            out.extend_from_slice(&entry.fields);
            out.extend_from_slice(&entry.length_field);
            Body {
                offset: 0,
                len: entry.len,
            }
        }
        Some(Resolved::Part { start, len }) => {
            status_and_date(out, Status::PartialContent);
            out.extend_from_slice(&entry.fields);
            let end = start + len - 1;
            // Writing to a Vec cannot fail.
            let _ = write!(
                out,
                "Content-Range: bytes {start}-{end}/{}\r\nContent-Length: {len}\r\n",
                entry.len
            );
            Body { offset: start, len }
        }
        Some(Resolved::Unsatisfiable) => {
            const TEXT: &str = "416 Range Not Satisfiable\n";
            status_and_date(out, Status::RangeNotSatisfiable);
            let _ = write!(
                out,
                "Server: corio-http\r\nContent-Range: bytes */{}\r\n\
                 Content-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\n",
                entry.len,
                TEXT.len()
            );
            end_head(out, conn);
            if with_body {
                out.extend_from_slice(TEXT.as_bytes());
            }
            return None;
        }
    };
    end_head(out, conn);
    (with_body && body.len > 0).then_some(body)
}

/// The status line (no formatting for the statuses sent here) and the `Date` line
/// (formatted at most once a second).
fn status_and_date(out: &mut Vec<u8>, status: Status) {
    let line: &[u8] = match status {
        Status::Ok => b"HTTP/1.1 200 OK\r\nDate: ",
        Status::PartialContent => b"HTTP/1.1 206 Partial Content\r\nDate: ",
        Status::NotModified => b"HTTP/1.1 304 Not Modified\r\nDate: ",
        _ => {
            let (code, reason) = status.line();
            let _ = write!(out, "HTTP/1.1 {code} {reason}\r\nDate: ");
            b""
        }
    };
    out.extend_from_slice(line);
    out.extend_from_slice(&now_http_date());
    out.extend_from_slice(b"\r\n");
}

/// The `Connection` line when it says something, and the blank line.
fn end_head(out: &mut Vec<u8>, conn: Conn) {
    match conn {
        Conn::Open => {}
        Conn::KeepAlive => out.extend_from_slice(b"Connection: keep-alive\r\n"),
        Conn::Close => out.extend_from_slice(b"Connection: close\r\n"),
    }
    out.extend_from_slice(b"\r\n");
}
