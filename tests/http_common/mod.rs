//! Helpers for the HTTP example's tests (`http_*.rs`): a served directory with a known
//! tree (and a secret outside it), the server started on it, and a raw HTTP/1.1 response
//! reader for tests that talk to the server through a plain `TcpStream`.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::util::{pattern, Server};

/// What the file outside the root holds: no response may ever contain it.
pub const SECRET: &[u8] = b"TOP SECRET: outside the root\n";
/// The size of `big.bin`: several 64 KiB chunks and a partial one.
pub const BIG_LEN: usize = 1024 * 1024 + 123;

/// The served files: name under the root, and the Content-Type the server must send.
pub const TYPED_FILES: &[(&str, &str)] = &[
    ("index.html", "text/html; charset=utf-8"),
    ("page.HTM", "text/html; charset=utf-8"),
    ("style.css", "text/css; charset=utf-8"),
    ("app.js", "text/javascript; charset=utf-8"),
    ("data.json", "application/json"),
    ("notes.txt", "text/plain; charset=utf-8"),
    ("image.png", "image/png"),
    ("photo.jpg", "image/jpeg"),
    ("photo.jpeg", "image/jpeg"),
    ("anim.gif", "image/gif"),
    ("logo.svg", "image/svg+xml"),
    ("favicon.ico", "image/x-icon"),
    ("module.wasm", "application/wasm"),
    ("doc.pdf", "application/pdf"),
    ("unknown.xyz", "application/octet-stream"),
    ("no_extension", "application/octet-stream"),
    ("with space.txt", "text/plain; charset=utf-8"),
    ("empty.txt", "text/plain; charset=utf-8"),
    ("sub/index.html", "text/html; charset=utf-8"),
    ("sub/deeper/file.txt", "text/plain; charset=utf-8"),
];

/// A temporary tree: `base/root` is served, `base/outside/secret.txt` must never be.
///
/// Under the root, besides [`TYPED_FILES`] and `big.bin`: `empty_dir/` (no index),
/// `inside_link.txt` (a symlink to `notes.txt`), and the escapes `escape.txt` (a symlink
/// to the secret), `escape_dir` (a symlink to `outside/`) and `sub/up` (a relative
/// symlink `../..` to `base`). Removed when dropped.
pub struct Site {
    pub base: PathBuf,
    pub root: PathBuf,
    pub outside: PathBuf,
}

impl Site {
    /// Builds the tree under a fresh directory named by pid and a counter.
    pub fn new() -> Site {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let base = std::env::temp_dir().join(format!(
            "corio-http-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&base);
        let (root, outside) = (base.join("root"), base.join("outside"));
        for dir in [
            &root,
            &outside,
            &root.join("sub/deeper"),
            &root.join("empty_dir"),
        ] {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(outside.join("secret.txt"), SECRET).unwrap();
        for (name, _) in TYPED_FILES {
            std::fs::write(root.join(name), file_body(name)).unwrap();
        }
        std::fs::write(root.join("big.bin"), pattern(BIG_LEN, 7)).unwrap();
        let link = |target: &Path, name: &str| {
            std::os::unix::fs::symlink(target, root.join(name)).unwrap();
        };
        link(Path::new("notes.txt"), "inside_link.txt");
        link(&outside.join("secret.txt"), "escape.txt");
        link(&outside, "escape_dir");
        link(Path::new("../.."), "sub/up");
        Site {
            base,
            root,
            outside,
        }
    }

    /// The root as a command-line argument.
    pub fn root_arg(&self) -> &str {
        self.root.to_str().expect("temp dir path is UTF-8")
    }

    /// Starts the http example on this root, with `extra` arguments.
    pub fn serve(&self, extra: &[&str]) -> Server {
        build_example();
        let mut args = vec!["--root", self.root_arg()];
        args.extend_from_slice(extra);
        Server::start_with("http", &args, |_| {})
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.base);
    }
}

/// Builds the http example once per test binary. `cargo test` builds examples only when
/// no `--test` filter is given, and `util::example_path` builds one only if it is
/// missing, so `cargo test --test 'http*'` would otherwise test a stale server.
fn build_example() {
    static BUILT: std::sync::Once = std::sync::Once::new();
    BUILT.call_once(|| {
        let exe = std::env::current_exe().expect("current_exe");
        let release = exe.components().any(|c| c.as_os_str() == "release");
        let mut cmd = std::process::Command::new(env!("CARGO"));
        cmd.args(["build", "--quiet", "--example", "http"]);
        if release {
            cmd.arg("--release");
        }
        let status = cmd.status().expect("run cargo build --example http");
        assert!(status.success(), "cargo build --example http failed");
    });
}

/// What a file of [`TYPED_FILES`] holds: its own name, so a wrong file shows at once
/// (and nothing for `empty.txt`).
pub fn file_body(name: &str) -> Vec<u8> {
    if name == "empty.txt" {
        Vec::new()
    } else {
        format!("this is {name}\n").into_bytes()
    }
}

/// A connection with 10 s read and write timeouts, so a server bug fails the test
/// instead of hanging it.
pub fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).expect("connect to the http example");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
        .set_write_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
}

/// A minimal `METHOD target HTTP/1.1` request with a Host header and `extra` header lines
/// (each ending in `\r\n`).
pub fn request(method: &str, target: &str, extra: &str) -> Vec<u8> {
    format!("{method} {target} HTTP/1.1\r\nHost: test\r\n{extra}\r\n").into_bytes()
}

/// One parsed response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status_line: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The value of header `name` (case-insensitive), if present exactly once.
    pub fn header(&self, name: &str) -> Option<&str> {
        let mut found = self
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name));
        let first = found.next().map(|(_, v)| v.as_str());
        assert!(found.next().is_none(), "header {name} sent twice");
        first
    }

    /// Asserts an error response exactly: status line, `text/plain` type, the body
    /// `CODE REASON\n` (none if `head_only`) with its length, and whether it says
    /// `Connection: close`.
    pub fn assert_error(&self, code: u16, reason: &str, close: bool, head_only: bool) {
        assert_eq!(self.status_line, format!("HTTP/1.1 {code} {reason}"));
        let body = format!("{code} {reason}\n");
        assert_eq!(
            self.header("Content-Type"),
            Some("text/plain; charset=utf-8")
        );
        let len = body.len().to_string();
        assert_eq!(self.header("Content-Length"), Some(len.as_str()));
        let want: &[u8] = if head_only { b"" } else { body.as_bytes() };
        assert_eq!(self.body, want, "body of the {code} response");
        let connection = self.header("Connection");
        assert_eq!(connection, close.then_some("close"), "Connection header");
        assert_eq!(self.header("Allow"), (code == 405).then_some("GET, HEAD"));
    }

    /// Asserts a 200 response with this type and body (the body absent for HEAD, the
    /// length still that of the file).
    pub fn assert_file(&self, content_type: &str, body: &[u8], head_only: bool) {
        assert_eq!(self.status_line, "HTTP/1.1 200 OK");
        assert_eq!(self.header("Content-Type"), Some(content_type));
        let len = body.len().to_string();
        assert_eq!(self.header("Content-Length"), Some(len.as_str()));
        let want: &[u8] = if head_only { b"" } else { body };
        assert!(
            self.body == want,
            "body differs ({} bytes)",
            self.body.len()
        );
    }
}

/// Reads one response: the head, then exactly Content-Length body bytes (none for the
/// answer to a HEAD request). Panics on anything malformed.
pub fn read_response(reader: &mut impl BufRead, head_request: bool) -> Response {
    let mut line = String::new();
    reader.read_line(&mut line).expect("read the status line");
    let status_line = line
        .strip_suffix("\r\n")
        .unwrap_or_else(|| panic!("status line {line:?}"))
        .to_string();
    let mut headers = Vec::new();
    loop {
        line.clear();
        reader.read_line(&mut line).expect("read a header line");
        let field = line
            .strip_suffix("\r\n")
            .unwrap_or_else(|| panic!("header line {line:?}"));
        if field.is_empty() {
            break;
        }
        let (name, value) = field.split_once(": ").expect("name: value");
        headers.push((name.to_string(), value.to_string()));
    }
    let mut response = Response {
        status_line,
        headers,
        body: Vec::new(),
    };
    let len: usize = response
        .header("Content-Length")
        .expect("Content-Length")
        .parse()
        .unwrap();
    if !head_request {
        response.body = vec![0; len];
        reader
            .read_exact(&mut response.body)
            .expect("read the body");
    }
    response
}

/// Asserts that the server has closed the connection: nothing more arrives, then EOF.
pub fn assert_closed(reader: &mut impl Read) {
    let mut rest = Vec::new();
    match reader.read_to_end(&mut rest) {
        Ok(_) => assert!(
            rest.is_empty(),
            "unexpected bytes after the response: {rest:?}"
        ),
        Err(e) => panic!("expected EOF, got {e}"),
    }
}

/// Sends `bytes` on a fresh connection and reads one response (`head_request`: it
/// answers a HEAD); returns it with the reader, for more.
pub fn exchange(
    addr: SocketAddr,
    bytes: &[u8],
    head_request: bool,
) -> (Response, BufReader<TcpStream>) {
    let mut stream = connect(addr);
    stream.write_all(bytes).expect("send the request");
    let mut reader = BufReader::new(stream);
    let response = read_response(&mut reader, head_request);
    (response, reader)
}
