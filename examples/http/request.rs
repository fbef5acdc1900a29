//! The request parser: bytes in, a parsed request head (or a precise error) out.
//!
//! Pure: no I/O, no allocation beyond the request target, no runtime. The connection
//! loop feeds it whatever it has buffered; the tests and `corio-bench` include this file
//! with `#[path]` and drive it directly.
//!
//! It accepts the subset of HTTP/1.1 (RFC 9112) a static file server needs: a request
//! line, header fields, and the blank line that ends them. Bodies are not read; the head
//! only says whether one was announced, so the server can refuse it.

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
pub fn parse(buf: &[u8]) -> Result<Option<(Request, usize)>, Error> {
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
    let request = fields.finish(method, target, version)?;
    Ok(Some((request, pos)))
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
        }
        Ok(())
    }

    /// The request, once the blank line has come: checks what needs every field seen.
    fn finish(self, method: Method, target: String, version: Version) -> Result<Request, Error> {
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
        Ok(Request {
            method,
            target,
            version,
            keep_alive,
            body,
        })
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

/// A connection's unparsed input: a fixed buffer of [`MAX_HEAD`] bytes into which the
/// socket reads, and from whose front complete heads are taken. Pipelined requests wait
/// here, already read, until the responses before them are sent.
///
/// Not a `corio::io::BufReader`: the parser needs a whole head in one slice, and
/// `fill_buf` reads again only once its buffer is empty, so a head split across two reads
/// would have to be copied into a buffer like this one anyway (twice the memory per
/// connection, every such byte copied twice, and no read saved).
#[derive(Debug)]
pub struct Input {
    buf: Box<[u8]>,
    filled: usize,
    /// Whether the bytes added since the last parse may complete a head (hold a `\n`, or
    /// fill the buffer): parsing again is pointless otherwise, and a client trickling a
    /// head byte by byte would cost a full re-scan per byte.
    dirty: bool,
}

impl Default for Input {
    fn default() -> Self {
        Input {
            buf: vec![0; MAX_HEAD].into_boxed_slice(),
            filled: 0,
            dirty: false,
        }
    }
}

impl Input {
    /// Where the next read goes; never empty while a head is incomplete, because a full
    /// buffer with no complete head is [`Error::HeadTooLarge`].
    pub fn space(&mut self) -> &mut [u8] {
        &mut self.buf[self.filled..]
    }

    /// Records that a read put `n` bytes into [`space`](Self::space).
    pub fn filled(&mut self, n: usize) {
        let new = &self.buf[self.filled..self.filled + n];
        self.dirty |= new.contains(&b'\n');
        self.filled += n;
        self.dirty |= self.filled == self.buf.len();
    }

    /// Whether some bytes of a next request have arrived. Blank lines between requests
    /// (which RFC 9112 lets a client send) do not count: a connection holding only those
    /// is idle, and is closed quietly rather than answered with a 408.
    pub fn is_empty(&self) -> bool {
        self.buf[..self.filled]
            .iter()
            .all(|&b| b == b'\r' || b == b'\n')
    }

    /// Takes the next complete head off the front, if there is one.
    pub fn next(&mut self) -> Result<Option<Request>, Error> {
        if !self.dirty {
            return Ok(None);
        }
        match parse(&self.buf[..self.filled])? {
            Some((request, used)) => {
                self.buf.copy_within(used..self.filled, 0);
                self.filled -= used;
                // What is left may already hold the next pipelined head.
                self.dirty = self.filled > 0;
                Ok(Some(request))
            }
            None => {
                self.dirty = false;
                Ok(None)
            }
        }
    }
}
