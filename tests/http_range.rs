//! The HTTP example's conditional and partial responses, exactly: `Range` (206, 416, a
//! multi-range or malformed one served whole), `If-Range`, `ETag` and `Last-Modified`
//! with `If-None-Match` (lists, `*`, weak tags) and `If-Modified-Since` (304), HEAD on all
//! of them, and a pipeline mixing every kind answered in order on one connection. Then
//! the same through curl, a real client.
#![cfg(unix)]

mod http_common;
mod util;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::Command;

use http_common::{connect, file_body, request, Site, BIG_LEN};
use util::pattern;

/// One response, its head kept whole so that tests compare exact lines.
#[derive(Debug)]
struct Reply {
    status: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        let mut all = self
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name));
        let first = all.next().map(|(_, v)| v.as_str());
        assert!(all.next().is_none(), "{name} sent twice");
        first
    }

    /// The header names in order, `Date` left out (its value changes every second).
    fn names(&self) -> Vec<&str> {
        let names = self.headers.iter().map(|(n, _)| n.as_str());
        names.filter(|n| *n != "Date").collect()
    }
}

/// Reads one response: the body is Content-Length bytes, none for HEAD and for a 304
/// (which carries no Content-Length).
fn read_reply(reader: &mut impl BufRead, head: bool) -> Reply {
    let mut line = String::new();
    reader.read_line(&mut line).expect("status line");
    let status = line.strip_suffix("\r\n").expect("CRLF").to_string();
    let mut headers = Vec::new();
    loop {
        line.clear();
        reader.read_line(&mut line).expect("header line");
        let field = line
            .strip_suffix("\r\n")
            .unwrap_or_else(|| panic!("{line:?}"));
        if field.is_empty() {
            break;
        }
        let (n, v) = field.split_once(": ").expect("name: value");
        headers.push((n.to_string(), v.to_string()));
    }
    let mut reply = Reply {
        status,
        headers,
        body: Vec::new(),
    };
    if !head && reply.status != "HTTP/1.1 304 Not Modified" {
        let len: usize = reply
            .header("Content-Length")
            .expect("length")
            .parse()
            .unwrap();
        reply.body = vec![0; len];
        reader.read_exact(&mut reply.body).expect("body");
    }
    reply
}

/// Sends one request (with `extra` header lines) on a fresh connection, reads the reply.
fn ask(site_addr: std::net::SocketAddr, method: &str, target: &str, extra: &str) -> Reply {
    let mut stream = connect(site_addr);
    stream.write_all(&request(method, target, extra)).unwrap();
    read_reply(&mut BufReader::new(stream), method == "HEAD")
}

/// The head lines every 200/206 of a file carries, in order, after `Date`.
const FILE_FIELDS: [&str; 5] = [
    "Server",
    "Content-Type",
    "Last-Modified",
    "ETag",
    "Accept-Ranges",
];

#[test]
#[cfg_attr(miri, ignore)]
fn single_ranges_give_206_and_unsatisfiable_ones_416() {
    let site = Site::new();
    let server = site.serve(&[]);
    let notes = file_body("notes.txt"); // "this is notes.txt\n": 18 bytes
    let len = notes.len();
    let cases: [(&str, usize, usize); 5] = [
        ("bytes=0-3", 0, 3),
        ("bytes=5-", 5, len - 1),
        ("bytes=-4", len - 4, len - 1),
        ("bytes=2-1000", 2, len - 1),
        ("BYTES=0-0", 0, 0),
    ];
    let whole = ask(server.addr, "HEAD", "/notes.txt", "");
    for (range, first, last) in cases {
        let r = ask(
            server.addr,
            "GET",
            "/notes.txt",
            &format!("Range: {range}\r\n"),
        );
        assert_eq!(r.status, "HTTP/1.1 206 Partial Content", "{range}");
        let mut names = FILE_FIELDS.to_vec();
        names.extend(["Content-Range", "Content-Length"]);
        assert_eq!(r.names(), names, "{range}");
        let want_range = format!("bytes {first}-{last}/{len}");
        assert_eq!(r.header("Content-Range"), Some(want_range.as_str()));
        let n = (last - first + 1).to_string();
        assert_eq!(r.header("Content-Length"), Some(n.as_str()));
        assert_eq!(r.body, &notes[first..=last], "{range}");
        // RFC 9110 §14.2: range handling is defined for GET only, so HEAD ignores it and
        // gets the whole file's head.
        let head = ask(
            server.addr,
            "HEAD",
            "/notes.txt",
            &format!("Range: {range}\r\n"),
        );
        assert_eq!(head.status, "HTTP/1.1 200 OK", "HEAD {range}");
        assert_eq!(head.names(), whole.names(), "HEAD {range}");
        assert_eq!(head.header("Content-Length"), Some("18"), "HEAD {range}");
        assert_eq!(head.body, b"", "HEAD {range}");
    }
    // Past the end, or an empty suffix: 416, naming the length.
    for range in ["bytes=18-", "bytes=100-200", "bytes=-0"] {
        let r = ask(
            server.addr,
            "GET",
            "/notes.txt",
            &format!("Range: {range}\r\n"),
        );
        assert_eq!(r.status, "HTTP/1.1 416 Range Not Satisfiable", "{range}");
        assert_eq!(r.header("Content-Range"), Some("bytes */18"));
        assert_eq!(r.body, b"416 Range Not Satisfiable\n");
        let head = ask(
            server.addr,
            "HEAD",
            "/notes.txt",
            &format!("Range: {range}\r\n"),
        );
        assert_eq!(
            (head.status.as_str(), head.names()),
            ("HTTP/1.1 200 OK", whole.names())
        );
    }
    // Several ranges, another unit, bad syntax, two Range fields: the whole file.
    for extra in [
        "Range: bytes=0-1,4-5\r\n",
        "Range: items=0-1\r\n",
        "Range: bytes=5-2\r\n",
        "Range: bytes=a-b\r\n",
        "Range: bytes=0-1\r\nRange: bytes=2-3\r\n",
    ] {
        let r = ask(server.addr, "GET", "/notes.txt", extra);
        assert_eq!(r.status, "HTTP/1.1 200 OK", "{extra}");
        assert_eq!(r.body, notes, "{extra}");
    }
    // A range of the big file, sent by sendfile from an offset.
    let big = pattern(BIG_LEN, 7);
    let r = ask(
        server.addr,
        "GET",
        "/big.bin",
        "Range: bytes=70000-900000\r\n",
    );
    assert_eq!(r.status, "HTTP/1.1 206 Partial Content");
    assert_eq!(
        r.header("Content-Range"),
        Some(format!("bytes 70000-900000/{BIG_LEN}").as_str())
    );
    assert!(r.body == big[70_000..=900_000], "range of big.bin differs");
}

#[test]
#[cfg_attr(miri, ignore)]
fn etags_and_dates_give_304_with_if_none_match_first() {
    let site = Site::new();
    let server = site.serve(&[]);
    let full = ask(server.addr, "GET", "/notes.txt", "");
    let etag = full.header("ETag").expect("ETag").to_string();
    let date = full
        .header("Last-Modified")
        .expect("Last-Modified")
        .to_string();
    assert!(
        etag.starts_with('"') && etag.ends_with('"') && etag.len() > 2,
        "{etag}"
    );
    assert_eq!(date.len(), 29, "{date}");

    let not_modified = [
        format!("If-None-Match: {etag}\r\n"),
        format!("If-None-Match: W/{etag}\r\n"),
        "If-None-Match: *\r\n".to_string(),
        format!("If-None-Match: \"x\", {etag}\r\n"),
        format!("If-None-Match: \"x\"\r\nIf-None-Match: W/{etag}\r\n"),
        format!("If-Modified-Since: {date}\r\n"),
        "If-Modified-Since: Fri, 31 Dec 9999 23:59:59 GMT\r\n".to_string(),
        // If-None-Match decides when both are present.
        format!("If-None-Match: {etag}\r\nIf-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT\r\n"),
        // A 304 wins over a range.
        format!("If-None-Match: {etag}\r\nRange: bytes=0-1\r\n"),
    ];
    for extra in &not_modified {
        for method in ["GET", "HEAD"] {
            let r = ask(server.addr, method, "/notes.txt", extra);
            assert_eq!(r.status, "HTTP/1.1 304 Not Modified", "{method} {extra}");
            assert_eq!(r.names(), ["Server", "Last-Modified", "ETag"], "{extra}");
            assert_eq!(r.header("ETag"), Some(etag.as_str()));
            assert_eq!(r.header("Last-Modified"), Some(date.as_str()));
        }
    }
    let modified = [
        "If-None-Match: \"other\"\r\n".to_string(),
        "If-None-Match: \"other\", W/\"x\"\r\n".to_string(),
        format!("If-None-Match: \"other\"\r\nIf-Modified-Since: {date}\r\n"),
        "If-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT\r\n".to_string(),
        "If-Modified-Since: yesterday\r\n".to_string(),
        // The quotes belong to the tag: a bare value is no match.
        format!("If-None-Match: {}\r\n", etag.trim_matches('"')),
    ];
    for extra in &modified {
        let r = ask(server.addr, "GET", "/notes.txt", extra);
        assert_eq!(r.status, "HTTP/1.1 200 OK", "{extra}");
        assert_eq!(r.body, file_body("notes.txt"), "{extra}");
    }
    // If-Range: the range only while the validator still matches.
    let r = ask(
        server.addr,
        "GET",
        "/notes.txt",
        &format!("Range: bytes=0-3\r\nIf-Range: {etag}\r\n"),
    );
    assert_eq!(
        (r.status.as_str(), &r.body[..]),
        ("HTTP/1.1 206 Partial Content", &b"this"[..])
    );
    let r = ask(
        server.addr,
        "GET",
        "/notes.txt",
        &format!("Range: bytes=0-3\r\nIf-Range: {date}\r\n"),
    );
    assert_eq!(r.status, "HTTP/1.1 206 Partial Content");
    for stale in [
        "\"old\"",
        "Thu, 01 Jan 1970 00:00:00 GMT",
        &format!("W/{etag}"),
    ] {
        let r = ask(
            server.addr,
            "GET",
            "/notes.txt",
            &format!("Range: bytes=0-3\r\nIf-Range: {stale}\r\n"),
        );
        assert_eq!(
            (r.status.as_str(), r.body.len()),
            ("HTTP/1.1 200 OK", 18),
            "{stale}"
        );
    }
}

#[test]
#[cfg_attr(miri, ignore)]
fn a_pipeline_of_every_kind_is_answered_in_order() {
    let site = Site::new();
    let server = site.serve(&[]);
    let etag = ask(server.addr, "HEAD", "/style.css", "")
        .header("ETag")
        .unwrap()
        .to_string();
    let big = pattern(BIG_LEN, 7);
    let mut stream = connect(server.addr);
    let mut all = Vec::new();
    let steps: Vec<(&str, &str, String)> = vec![
        ("GET", "/notes.txt", String::new()),                   // miss
        ("GET", "/notes.txt", String::new()),                   // hit
        ("HEAD", "/big.bin", String::new()),                    // miss, no body
        ("GET", "/big.bin", "Range: bytes=-100000\r\n".into()), // sendfile from an offset
        ("GET", "/style.css", format!("If-None-Match: {etag}\r\n")), // 304
        ("GET", "/app.js", "Range: bytes=15-\r\n".into()),      // 416
        ("GET", "/nope.txt", String::new()),                    // 404
        ("GET", "/big.bin", String::new()),                     // the whole, by sendfile
        ("GET", "/sub", String::new()),                         // 301
        ("GET", "/data.json", "Range: bytes=0-3\r\n".into()),   // 206 from cached bytes
        ("GET", "/notes.txt", "Connection: close\r\n".into()),  // the last
    ];
    for (method, target, extra) in &steps {
        all.extend_from_slice(&request(method, target, extra));
    }
    stream.write_all(&all).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut got = Vec::new();
    for (method, _, _) in &steps {
        got.push(read_reply(&mut reader, *method == "HEAD"));
    }
    let status: Vec<&str> = got.iter().map(|r| &r.status[9..12]).collect();
    assert_eq!(
        status,
        ["200", "200", "200", "206", "304", "416", "404", "200", "301", "206", "200"]
    );
    assert_eq!(got[0].body, file_body("notes.txt"));
    assert_eq!(got[1].body, file_body("notes.txt"));
    assert_eq!(
        got[2].header("Content-Length"),
        Some(BIG_LEN.to_string().as_str())
    );
    assert!(got[3].body == big[BIG_LEN - 100_000..], "suffix of big.bin");
    let app_len = file_body("app.js").len();
    assert_eq!(
        got[5].header("Content-Range"),
        Some(format!("bytes */{app_len}").as_str())
    );
    assert_eq!(got[6].body, b"404 Not Found\n");
    assert!(got[7].body == big, "big.bin differs");
    assert_eq!(got[8].header("Location"), Some("/sub/"));
    assert_eq!(got[9].body, &file_body("data.json")[..4]);
    assert_eq!(got[10].header("Connection"), Some("close"));
    let mut rest = Vec::new();
    reader
        .read_to_end(&mut rest)
        .expect("EOF after Connection: close");
    assert!(rest.is_empty(), "bytes after the last response: {rest:?}");
}

/// curl's output (body, or what `-w` writes) for these arguments.
fn curl(args: &[&str]) -> Vec<u8> {
    let out = Command::new("curl")
        .arg("-sS")
        .args(args)
        .output()
        .expect("run curl");
    assert!(
        out.status.success(),
        "curl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
#[cfg_attr(miri, ignore)]
fn curl_gets_ranges_and_304s() {
    if Command::new("curl").arg("--version").output().is_err() {
        eprintln!("curl not installed: skipped");
        return;
    }
    let site = Site::new();
    let server = site.serve(&[]);
    let url = format!("http://{}/big.bin", server.addr);
    let big = pattern(BIG_LEN, 7);
    assert!(
        curl(&["-r", "1000-70999", &url]) == big[1000..71_000],
        "curl -r"
    );
    assert!(
        curl(&["-r", "-10", &url]) == big[BIG_LEN - 10..],
        "curl -r -10"
    );
    // curl -C: resume a transfer from where a file left off.
    let dir = util::TempDir::new("http-range-curl");
    let part = dir.path().join("part.bin");
    std::fs::write(&part, &big[..300_000]).unwrap();
    curl(&["-C", "-", "-o", part.to_str().unwrap(), &url]);
    assert!(
        std::fs::read(&part).unwrap() == big,
        "curl -C - resumed wrongly"
    );
    // curl -z DATE sends If-Modified-Since; an ETag saved by --etag-save comes back.
    let head = curl(&["-sI", &url]);
    let head = String::from_utf8(head).unwrap();
    let date = head
        .lines()
        .find_map(|l| l.strip_prefix("Last-Modified: "))
        .unwrap()
        .trim();
    let code = |extra: &[&str]| {
        let mut args = vec!["-o", "/dev/null", "-w", "%{http_code}"];
        args.extend_from_slice(extra);
        args.push(&url);
        String::from_utf8(curl(&args)).unwrap()
    };
    assert_eq!(code(&["-z", date]), "304");
    assert_eq!(code(&["-z", "Thu, 01 Jan 1970 00:00:00 GMT"]), "200");
    let etags = dir.path().join("etag");
    let etags = etags.to_str().unwrap();
    assert_eq!(code(&["--etag-save", etags]), "200");
    assert_eq!(code(&["--etag-compare", etags]), "304");
    let _ = TcpStream::connect(server.addr); // the server still accepts
}
