//! What to answer: the status codes, the decision for a parsed request ([`route`]), and
//! the response head's bytes ([`head`], [`error`], [`moved`]). Pure, like the parser: the
//! connection loop only moves these bytes.

use std::cell::Cell;
use std::io::Write;
use std::path::PathBuf;

use super::files::{self, Refused};
use super::request::{self, Body, Method, Request, Version};

/// The statuses this server sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    PartialContent,
    MovedPermanently,
    NotModified,
    BadRequest,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    RequestTimeout,
    ContentTooLarge,
    UriTooLong,
    RangeNotSatisfiable,
    HeaderFieldsTooLarge,
    InternalError,
    NotImplemented,
    VersionNotSupported,
}

impl Status {
    /// The status line's code and reason phrase.
    pub fn line(self) -> (u16, &'static str) {
        match self {
            Status::Ok => (200, "OK"),
            Status::PartialContent => (206, "Partial Content"),
            Status::MovedPermanently => (301, "Moved Permanently"),
            Status::NotModified => (304, "Not Modified"),
            Status::BadRequest => (400, "Bad Request"),
            Status::Forbidden => (403, "Forbidden"),
            Status::NotFound => (404, "Not Found"),
            Status::MethodNotAllowed => (405, "Method Not Allowed"),
            Status::RequestTimeout => (408, "Request Timeout"),
            Status::ContentTooLarge => (413, "Content Too Large"),
            Status::UriTooLong => (414, "URI Too Long"),
            Status::RangeNotSatisfiable => (416, "Range Not Satisfiable"),
            Status::HeaderFieldsTooLarge => (431, "Request Header Fields Too Large"),
            Status::InternalError => (500, "Internal Server Error"),
            Status::NotImplemented => (501, "Not Implemented"),
            Status::VersionNotSupported => (505, "HTTP Version Not Supported"),
        }
    }
}

impl From<request::Error> for Status {
    fn from(e: request::Error) -> Status {
        match e {
            request::Error::Bad(_) => Status::BadRequest,
            request::Error::UriTooLong => Status::UriTooLong,
            request::Error::HeadTooLarge => Status::HeaderFieldsTooLarge,
            request::Error::VersionNotSupported => Status::VersionNotSupported,
        }
    }
}

impl From<Refused> for Status {
    fn from(r: Refused) -> Status {
        match r {
            Refused::BadPath => Status::BadRequest,
            Refused::NotFound => Status::NotFound,
            Refused::Forbidden => Status::Forbidden,
            Refused::Failed => Status::InternalError,
            Refused::Directory => Status::MovedPermanently,
        }
    }
}

/// The `Connection` header a response carries, and whether the server closes after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conn {
    /// HTTP/1.1's default: stay open, say nothing.
    Open,
    /// HTTP/1.0 with `Connection: keep-alive`: stay open, and say so (1.0 needs it).
    KeepAlive,
    /// Close after this response: `Connection: close`.
    Close,
}

impl Conn {
    /// What a request asked for, unless the server must close anyway (`force_close`).
    pub fn for_request(request: &Request, force_close: bool) -> Conn {
        match (request.keep_alive && !force_close, request.version) {
            (false, _) => Conn::Close,
            (true, Version::Http11) => Conn::Open,
            (true, Version::Http10) => Conn::KeepAlive,
        }
    }

    /// Whether the connection stays open after the response.
    pub fn stays_open(self) -> bool {
        self != Conn::Close
    }
}

/// What to do with a parsed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Answer with an error status and a short text body.
    Error(Status, Conn),
    /// Serve a file (see [`FileRequest`]).
    File { file: FileRequest, conn: Conn },
}

/// The file a request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRequest {
    /// Relative to the root, from [`files::decode_path`].
    pub path: PathBuf,
    /// GET (true) or HEAD (false): whether the body is sent.
    pub with_body: bool,
    /// The target's path ended in `/` (a directory is served only so named).
    pub slash: bool,
}

/// Decides the answer to `request` from its head alone. Methods first (405 names the
/// allowed ones), then bodies, which this server never reads: a `Content-Length` body
/// gets 413 and a `Transfer-Encoding` one 501, and the connection closes because the
/// unread body would otherwise be taken for the next request. Then the path.
pub fn route(request: &Request) -> Route {
    let has_body = request.body != Body::None;
    let with_body = match request.method {
        Method::Get => true,
        Method::Head => false,
        Method::Other => {
            let conn = Conn::for_request(request, has_body);
            return Route::Error(Status::MethodNotAllowed, conn);
        }
    };
    match request.body {
        Body::None => {}
        Body::Length(_) => return Route::Error(Status::ContentTooLarge, Conn::Close),
        Body::Encoded => return Route::Error(Status::NotImplemented, Conn::Close),
    }
    match files::decode_path(&request.target) {
        Ok(path) => Route::File {
            file: FileRequest {
                path,
                with_body,
                slash: request
                    .target
                    .split(['?', '#'])
                    .next()
                    .unwrap_or("")
                    .ends_with('/'),
            },
            conn: Conn::for_request(request, false),
        },
        Err(refused) => Route::Error(refused.into(), Conn::for_request(request, false)),
    }
}

/// Appends a response head to `out`: status line, `Date`, `Server`, `Content-Type`,
/// `Content-Length`, `Allow` on a 405, and `Connection` when it says something.
pub fn head(out: &mut Vec<u8>, status: Status, content_type: &str, len: u64, conn: Conn) {
    head_with(out, status, content_type, len, conn, None);
}

/// [`head`], with a `Location` header when `location` is given.
fn head_with(
    out: &mut Vec<u8>,
    status: Status,
    content_type: &str,
    len: u64,
    conn: Conn,
    location: Option<&str>,
) {
    let (code, reason) = status.line();
    // Writing to a Vec cannot fail.
    let _ = write!(out, "HTTP/1.1 {code} {reason}\r\nDate: ");
    out.extend_from_slice(&now_http_date());
    let _ = write!(
        out,
        "\r\nServer: corio-http\r\nContent-Type: {content_type}\r\nContent-Length: {len}\r\n"
    );
    if status == Status::MethodNotAllowed {
        out.extend_from_slice(b"Allow: GET, HEAD\r\n");
    }
    if let Some(location) = location {
        let _ = write!(out, "Location: {location}\r\n");
    }
    match conn {
        Conn::Open => {}
        Conn::KeepAlive => out.extend_from_slice(b"Connection: keep-alive\r\n"),
        Conn::Close => out.extend_from_slice(b"Connection: close\r\n"),
    }
    out.extend_from_slice(b"\r\n");
}

/// Appends a whole error response: the head and, unless `head_only` (a HEAD request), a
/// one-line text body such as `404 Not Found\n`.
pub fn error(out: &mut Vec<u8>, status: Status, conn: Conn, head_only: bool) {
    short(out, status, conn, head_only, None);
}

/// Appends a 301 to `location` (from [`files::directory_location`]), shaped like an error
/// response: a one-line text body unless `head_only`.
pub fn moved(out: &mut Vec<u8>, location: &str, conn: Conn, head_only: bool) {
    short(
        out,
        Status::MovedPermanently,
        conn,
        head_only,
        Some(location),
    );
}

fn short(out: &mut Vec<u8>, status: Status, conn: Conn, head_only: bool, location: Option<&str>) {
    let (code, reason) = status.line();
    let body = format!("{code} {reason}\n");
    let text = "text/plain; charset=utf-8";
    match location {
        None => head(out, status, text, body.len() as u64, conn),
        Some(_) => head_with(out, status, text, body.len() as u64, conn, location),
    }
    if !head_only {
        out.extend_from_slice(body.as_bytes());
    }
}

/// The current time as an HTTP-date, formatted at most once a second per thread.
pub fn now_http_date() -> [u8; 29] {
    thread_local! {
        static CACHE: Cell<(u64, [u8; 29])> = const { Cell::new((u64::MAX, [0; 29])) };
    }
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    CACHE.with(|cache| {
        let (cached_secs, cached) = cache.get();
        if cached_secs == secs {
            return cached;
        }
        let date = http_date(secs);
        cache.set((secs, date));
        date
    })
}

/// `secs` since the Unix epoch as an IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
pub fn http_date(secs: u64) -> [u8; 29] {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = secs / 86_400;
    let rem = secs % 86_400;
    // Civil-from-days (Howard Hinnant's algorithm), with day 0 = 1970-01-01, a Thursday.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = (yoe + era * 400 + i64::from(month <= 2)).clamp(0, 9999);
    let text = format!(
        "{}, {day:02} {} {year:04} {:02}:{:02}:{:02} GMT",
        DAYS[(days % 7) as usize],
        MONTHS[(month - 1) as usize],
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    );
    let mut out = [b' '; 29];
    out.copy_from_slice(&text.as_bytes()[..29]);
    out
}
