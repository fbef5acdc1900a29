//! The request parser: bytes in, a parsed request head (or a precise error) out.
//!
//! Pure: no I/O, no allocation beyond the request target, no runtime. The connection
//! loop feeds it whatever it has buffered; the tests and `corio-bench` include this file
//! with `#[path]` and drive it directly.
//!
//! It accepts the subset of HTTP/1.1 (RFC 9112) a static file server needs: a request
//! line, header fields, and the blank line that ends them. Bodies are not read; the head
//! only says whether one was announced, so the server can refuse it.

// Both are children of this file, found beside it wherever it is included from (the
// example, the https example, the tests, the bench).
#[path = "conditions.rs"]
pub mod conditions;
#[path = "input.rs"]
mod input;

use conditions::Conditions;
// Some includers (the routing tests) use only the parser.
#[allow(unused_imports)]
pub use input::Input;

/// The largest request head (request line, header fields, blank line) accepted: 431 past it.
pub const MAX_HEAD: usize = 8 * 1024;
/// The most header fields accepted: 431 past it.
pub const MAX_HEADERS: usize = 64;
/// The longest request target accepted: 414 past it.
pub const MAX_TARGET: usize = 4 * 1024;
/// A request line still unfinished at this length can only hold an over-long target.
const MAX_REQUEST_LINE: usize = MAX_TARGET + 64;

/// The request method. Only GET and HEAD are served; every other valid token is `Other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Other,
}

/// The protocol version: `HTTP/1.0`, or `HTTP/1.1` (which `HTTP/1.x` for x > 1 means too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    Http10,
    Http11,
}

/// Whether the head announced a body (which this server never reads).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    None,
    /// `Content-Length: n` with n > 0.
    Length(u64),
    /// Any `Transfer-Encoding`: the body's length is unknown until it is decoded.
    Encoded,
}

/// A parsed request head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: Method,
    /// The request target in origin form (`/path?query`): an absolute-form target
    /// (`http://host/path`) is reduced to its path here. Visible ASCII only.
    pub target: String,
    pub version: Version,
    /// Whether the client expects the connection to stay open after the response.
    pub keep_alive: bool,
    pub body: Body,
}

/// Why a head was refused; each maps to one status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// 400 Bad Request, with what was wrong.
    Bad(&'static str),
    /// 414 URI Too Long.
    UriTooLong,
    /// 431 Request Header Fields Too Large (the head, or the number of fields).
    HeadTooLarge,
    /// 505 HTTP Version Not Supported (a well-formed version other than 1.x).
    VersionNotSupported,
}

/// Parses the request head at the start of `buf`.
///
/// `Ok(Some((request, used)))`: a complete head of `used` bytes (what follows is the
/// next pipelined request). `Ok(None)`: a valid beginning, send more. `Err`: refuse the
/// request and close. Limits are checked on incomplete input too, so a client cannot make
/// the server buffer more than [`MAX_HEAD`] bytes waiting for an end that never comes.
#[allow(dead_code)] // the servers use `parse_with_conditions`; the tests use this
pub fn parse(buf: &[u8]) -> Result<Option<(Request, usize)>, Error> {
    Ok(parse_with_conditions(buf)?.map(|(request, _, used)| (request, used)))
}

/// [`parse`], also returning what the conditional and range fields said.
pub fn parse_with_conditions(buf: &[u8]) -> Result<Option<(Request, Conditions, usize)>, Error> {
    // RFC 9112 §2.2: ignore empty lines before the request line (they count to the limit).
    let mut pos = 0;
    while let Some(rest) = buf.get(pos..) {
        if rest.starts_with(b"\r\n") {
            pos += 2;
        } else if rest.starts_with(b"\n") {
            pos += 1;
        } else {
            break;
        }
    }
    if pos >= MAX_HEAD {
        return Err(Error::HeadTooLarge);
    }
    let Some((line, next)) = next_line(buf, pos)? else {
        return if buf.len() - pos > MAX_REQUEST_LINE {
            Err(Error::UriTooLong)
        } else if buf.len() >= MAX_HEAD {
            Err(Error::HeadTooLarge) // blank lines, then the start of a request line
        } else {
            Ok(None)
        };
    };
    let (method, target, version) = request_line(line)?;
    let mut fields = Fields::default();
    pos = next;
    loop {
        if pos > MAX_HEAD {
            return Err(Error::HeadTooLarge);
        }
        let Some((line, next)) = next_line(buf, pos)? else {
            return if buf.len() >= MAX_HEAD {
                Err(Error::HeadTooLarge)
            } else {
                Ok(None)
            };
        };
        pos = next;
        if line.is_empty() {
            break;
        }
        fields.count += 1;
        if fields.count > MAX_HEADERS {
            return Err(Error::HeadTooLarge);
        }
        fields.add(line)?;
    }
    if pos > MAX_HEAD {
        return Err(Error::HeadTooLarge);
    }
    let (request, conditions) = fields.finish(method, target, version)?;
    Ok(Some((request, conditions, pos)))
}

/// The line starting at `start` without its `\n` or `\r\n`, and where the next line
/// starts; `None` if no `\n` has arrived yet. A bare `\r` inside a line is refused: some
/// parsers end lines there and some do not, which is how requests get smuggled.
fn next_line(buf: &[u8], start: usize) -> Result<Option<(&[u8], usize)>, Error> {
    let rest = &buf[start..];
    let Some(nl) = rest.iter().position(|&b| b == b'\n') else {
        return Ok(None);
    };
    let line = rest[..nl].strip_suffix(b"\r").unwrap_or(&rest[..nl]);
    if line.contains(&b'\r') {
        return Err(Error::Bad("bare CR in the request head"));
    }
    Ok(Some((line, start + nl + 1)))
}

/// `method SP request-target SP HTTP-version`, with exactly one space between parts.
fn request_line(line: &[u8]) -> Result<(Method, String, Version), Error> {
    let mut parts = line.split(|&b| b == b' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Error::Bad("the request line is not METHOD TARGET VERSION"));
    };
    if method.is_empty() || !method.iter().all(|&b| is_tchar(b)) {
        return Err(Error::Bad("bad method"));
    }
    let method = match method {
        b"GET" => Method::Get,
        b"HEAD" => Method::Head,
        _ => Method::Other, // methods are case-sensitive: "get" is not GET
    };
    if target.len() > MAX_TARGET {
        return Err(Error::UriTooLong);
    }
    let target = origin_form(target)?;
    Ok((method, target, version_of(version)?))
}

/// The target as an origin-form string: `/path?query` as sent, the path of an
/// absolute-form `http://host/path?query` (servers must accept that form, RFC 9112
/// §3.2.2), or `*`. Only visible ASCII is allowed (no spaces, controls, NUL or 8-bit).
fn origin_form(target: &[u8]) -> Result<String, Error> {
    if target.is_empty() || !target.iter().all(|b| (0x21..=0x7e).contains(b)) {
        return Err(Error::Bad("bad request target"));
    }
    let path = if target.starts_with(b"/") || target == b"*" {
        target
    } else {
        let lower = target.to_ascii_lowercase();
        let scheme = [&b"http://"[..], b"https://"]
            .into_iter()
            .find(|s| lower.starts_with(s))
            .ok_or(Error::Bad("bad request target"))?;
        let after = &target[scheme.len()..];
        match after.iter().position(|&b| b == b'/' || b == b'?') {
            Some(i) if after[i] == b'/' => &after[i..],
            Some(i) => return Ok(format!("/{}", ascii(&after[i..]))),
            None => b"/",
        }
    };
    Ok(ascii(path))
}

/// Bytes already checked to be ASCII, as a `String`.
fn ascii(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| b as char).collect()
}

/// `HTTP/d.d`: 1.0, or 1.1 for any 1.x with x >= 1; another major version is 505, and
/// anything not of that shape is 400.
fn version_of(version: &[u8]) -> Result<Version, Error> {
    let [b'H', b'T', b'T', b'P', b'/', major, b'.', minor] = *version else {
        return Err(Error::Bad("bad HTTP version"));
    };
    if !major.is_ascii_digit() || !minor.is_ascii_digit() {
        return Err(Error::Bad("bad HTTP version"));
    }
    match (major, minor) {
        (b'1', b'0') => Ok(Version::Http10),
        (b'1', _) => Ok(Version::Http11),
        _ => Err(Error::VersionNotSupported),
    }
}

/// `tchar` from RFC 9110 §5.6.2: the characters of methods and field names.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// What the header fields said, gathered as they are read.
#[derive(Default)]
struct Fields {
    count: usize,
    hosts: usize,
    close: bool,
    keep_alive: bool,
    content_length: Option<u64>,
    transfer_encoding: bool,
    /// How many `Range` fields came: a second one makes the range ignored.
    ranges: usize,
    conditions: Conditions,
}

impl Fields {
    /// Checks one `name: value` line and records the fields the server acts on.
    fn add(&mut self, line: &[u8]) -> Result<(), Error> {
        if line[0] == b' ' || line[0] == b'\t' {
            return Err(Error::Bad("obsolete line folding"));
        }
        let colon = line
            .iter()
            .position(|&b| b == b':')
            .ok_or(Error::Bad("a header line without a colon"))?;
        let name = &line[..colon];
        // No space before the colon either (RFC 9112 §5.1: reject, smuggling again).
        if name.is_empty() || !name.iter().all(|&b| is_tchar(b)) {
            return Err(Error::Bad("bad header name"));
        }
        let value = trim(&line[colon + 1..]);
        if !value.iter().all(|&b| b == b'\t' || b >= 0x20 && b != 0x7f) {
            return Err(Error::Bad("bad header value"));
        }
        if name.eq_ignore_ascii_case(b"host") {
            self.hosts += 1;
        } else if name.eq_ignore_ascii_case(b"connection") {
            for option in value.split(|&b| b == b',').map(trim) {
                self.close |= option.eq_ignore_ascii_case(b"close");
                self.keep_alive |= option.eq_ignore_ascii_case(b"keep-alive");
            }
        } else if name.eq_ignore_ascii_case(b"content-length") {
            let n = content_length(value)?;
            if self.content_length.is_some_and(|old| old != n) {
                return Err(Error::Bad("conflicting Content-Length fields"));
            }
            self.content_length = Some(n);
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            self.transfer_encoding = true;
        } else {
            self.add_condition(name, value);
        }
        Ok(())
    }

    /// Records `Range`, `If-Range`, `If-None-Match` and `If-Modified-Since` (the value is
    /// already checked to be visible ASCII, tabs and obs-text). What cannot be used is
    /// dropped: the answer is then the whole file, as if the field were absent.
    fn add_condition(&mut self, name: &[u8], value: &[u8]) {
        let text = || String::from_utf8_lossy(value).into_owned();
        let c = &mut self.conditions;
        if name.eq_ignore_ascii_case(b"range") {
            self.ranges += 1;
            c.range = conditions::parse_range(value).filter(|_| self.ranges == 1);
        } else if name.eq_ignore_ascii_case(b"if-none-match") {
            match &mut c.if_none_match {
                Some(list) => {
                    list.push_str(", ");
                    list.push_str(&text());
                }
                None => c.if_none_match = Some(text()),
            }
        } else if name.eq_ignore_ascii_case(b"if-modified-since") {
            c.if_modified_since = conditions::parse_http_date(value);
        } else if name.eq_ignore_ascii_case(b"if-range") {
            c.if_range = Some(text());
        }
    }

    /// The request, once the blank line has come: checks what needs every field seen.
    fn finish(
        self,
        method: Method,
        target: String,
        version: Version,
    ) -> Result<(Request, Conditions), Error> {
        match (version, self.hosts) {
            (Version::Http11, 1) | (Version::Http10, 0 | 1) => {}
            (Version::Http11, 0) => return Err(Error::Bad("HTTP/1.1 requires a Host header")),
            _ => return Err(Error::Bad("more than one Host header")),
        }
        let body = match (self.transfer_encoding, self.content_length) {
            (true, Some(_)) => {
                return Err(Error::Bad("both Transfer-Encoding and Content-Length"));
            }
            (true, None) => Body::Encoded,
            (false, Some(n)) if n > 0 => Body::Length(n),
            (false, _) => Body::None,
        };
        let keep_alive = match version {
            Version::Http11 => !self.close,
            Version::Http10 => self.keep_alive && !self.close,
        };
        let request = Request {
            method,
            target,
            version,
            keep_alive,
            body,
        };
        Ok((request, self.conditions))
    }
}

/// A Content-Length value: decimal digits only (no sign, no list), at most 18 of them so
/// it always fits a `u64`.
fn content_length(value: &[u8]) -> Result<u64, Error> {
    if value.is_empty() || value.len() > 18 || !value.iter().all(u8::is_ascii_digit) {
        return Err(Error::Bad("bad Content-Length"));
    }
    Ok(value.iter().fold(0, |n, &d| n * 10 + u64::from(d - b'0')))
}

/// `bytes` without leading and trailing spaces and tabs (HTTP's optional whitespace).
fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != b' ' && b != b'\t');
    let Some(start) = start else { return &[] };
    let end = bytes
        .iter()
        .rposition(|&b| b != b' ' && b != b'\t')
        .unwrap_or(start);
    &bytes[start..=end]
}
