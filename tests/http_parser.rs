//! The HTTP example's request parser, included from `examples/http/` and driven directly:
//! every prefix, pipelining, keep-alive, bodies, limits, malformed input, random bytes,
//! and a connection's `Input` buffer.
#![cfg(unix)]

mod http_pure;
mod util;

use http_pure::request::{
    parse, Body, Error, Input, Method, Request, Version, MAX_HEAD, MAX_HEADERS,
};
use http_pure::response::route;
use http_pure::{parse_all, SIMPLE};

/// The parse error for `bytes`.
fn parse_err(bytes: &[u8]) -> Error {
    match parse(bytes) {
        Err(e) => e,
        Ok(r) => panic!("{:?} parsed: {r:?}", String::from_utf8_lossy(bytes)),
    }
}

#[test]
fn a_simple_get_parses() {
    let request = parse_all(SIMPLE);
    assert_eq!(
        request,
        Request {
            method: Method::Get,
            target: "/index.html".into(),
            version: Version::Http11,
            keep_alive: true,
            body: Body::None,
        }
    );
}

#[test]
fn every_prefix_of_a_valid_head_asks_for_more() {
    let head = b"HEAD /a%20b?x=1 HTTP/1.1\r\nHost: h\r\nUser-Agent: t\r\nAccept: */*\r\n\r\n";
    for len in 0..head.len() {
        assert_eq!(parse(&head[..len]), Ok(None), "prefix of {len} bytes");
    }
    assert_eq!(parse_all(head).method, Method::Head);
}

#[test]
fn pipelined_heads_are_taken_one_at_a_time() {
    let mut bytes = SIMPLE.to_vec();
    bytes.extend_from_slice(b"\r\n\r\nGET /two HTTP/1.0\r\n\r\nGET /thr");
    let (first, used) = parse(&bytes).unwrap().unwrap();
    assert_eq!((first.target.as_str(), used), ("/index.html", SIMPLE.len()));
    let rest = &bytes[used..];
    let (second, used2) = parse(rest).unwrap().unwrap();
    assert_eq!((second.target.as_str(), second.keep_alive), ("/two", false));
    assert_eq!(parse(&rest[used2..]), Ok(None));

    // The same through a connection's Input, fed a few bytes at a time.
    let mut input = Input::default();
    let mut targets = Vec::new();
    for chunk in bytes.chunks(7) {
        input.space()[..chunk.len()].copy_from_slice(chunk);
        input.filled(chunk.len());
        while let Some(request) = input.next().unwrap() {
            targets.push(request.target);
        }
    }
    assert_eq!(targets, ["/index.html", "/two"]);
    assert!(!input.is_empty(), "the partial third head stays buffered");
}

#[test]
fn keep_alive_follows_version_and_connection_tokens() {
    let cases: &[(&[u8], bool)] = &[
        (b"GET / HTTP/1.1\r\nHost: h\r\n\r\n", true),
        (
            b"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
            false,
        ),
        (
            b"GET / HTTP/1.1\r\nHost: h\r\nconnection:  Keep-Alive , CLOSE \r\n\r\n",
            false,
        ),
        (b"GET / HTTP/1.0\r\n\r\n", false),
        (b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true),
        (
            b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\nHost: h\r\n\r\n",
            true,
        ),
        (b"GET / HTTP/1.2\r\nHost: h\r\n\r\n", true),
    ];
    for (bytes, keep) in cases {
        assert_eq!(
            parse_all(bytes).keep_alive,
            *keep,
            "{:?}",
            String::from_utf8_lossy(bytes)
        );
    }
}

#[test]
fn line_endings_leading_blank_lines_and_absolute_form() {
    let lf_only = parse_all(b"\n\r\nGET /x HTTP/1.1\nHost: h\n\n");
    assert_eq!(lf_only.target, "/x");
    let absolute = parse_all(b"GET HTTP://example.com:80/a/b?q HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_eq!(absolute.target, "/a/b?q");
    let bare = parse_all(b"GET http://example.com HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_eq!(bare.target, "/");
    let query = parse_all(b"GET http://example.com?x HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_eq!(query.target, "/?x");
}

#[test]
fn bodies_are_recognised() {
    let get = |extra: &str| {
        parse(format!("GET / HTTP/1.1\r\nHost: h\r\n{extra}\r\n").as_bytes())
            .map(|r| r.map(|(r, _)| r.body))
    };
    assert_eq!(get("Content-Length: 0\r\n"), Ok(Some(Body::None)));
    assert_eq!(get("Content-Length: 12\r\n"), Ok(Some(Body::Length(12))));
    assert_eq!(
        get("Content-Length: 7\r\ncontent-length: 7\r\n"),
        Ok(Some(Body::Length(7)))
    );
    assert_eq!(
        get("Transfer-Encoding: chunked\r\n"),
        Ok(Some(Body::Encoded))
    );
    for bad in ["-1", "1,1", "0x10", "", " ", "99999999999999999999", "1 2"] {
        let field = format!("Content-Length: {bad}\r\n");
        assert!(matches!(get(&field), Err(Error::Bad(_))), "{bad:?}");
    }
}

#[test]
fn malformed_heads_are_refused_with_their_status() {
    let bad: &[&[u8]] = &[
        b"GET /\r\n\r\n",
        b"GET  / HTTP/1.1\r\nHost: h\r\n\r\n",
        b"GET / HTTP/1.1 \r\nHost: h\r\n\r\n",
        b" GET / HTTP/1.1\r\nHost: h\r\n\r\n",
        b"GET\t/ HTTP/1.1\r\nHost: h\r\n\r\n",
        b"GE@T / HTTP/1.1\r\nHost: h\r\n\r\n",
        b"GET / HTTP/1.1.1\r\nHost: h\r\n\r\n",
        b"GET / HTTP/a.1\r\nHost: h\r\n\r\n",
        b"GET / HTTPS/1.1\r\nHost: h\r\n\r\n",
        b"GET /\x7f HTTP/1.1\r\nHost: h\r\n\r\n",
        b"GET /\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n",
        b"GET ftp://x/ HTTP/1.1\r\nHost: h\r\n\r\n",
        b"GET / HTTP/1.1\rHost: h\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: h\r\nBad Name: v\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: h\r\nX:\x01\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: h\r\nX: a\x7fb\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: h\r\n\tfolded\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: h\r\nnocolon\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: h\r\n\r\r\n",
        b"GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n",
    ];
    for bytes in bad {
        assert!(
            matches!(parse_err(bytes), Error::Bad(_)),
            "{:?}",
            String::from_utf8_lossy(bytes)
        );
    }
    assert_eq!(parse_err(b"GET / HTTP/2.0\r\n"), Error::VersionNotSupported);
    assert_eq!(parse_err(b"GET / HTTP/0.9\r\n"), Error::VersionNotSupported);
    // Obs-text (8-bit bytes) is allowed in values, a tab too.
    let fine = parse_all(b"GET / HTTP/1.1\r\nHost: h\r\nX-Name: caf\xc3\xa9\tok\r\n\r\n");
    assert_eq!(fine.target, "/");
}

#[test]
fn limits_hold_on_complete_and_incomplete_input() {
    let long_target = format!("GET /{} HTTP/1.1\r\nHost: h\r\n\r\n", "a".repeat(5000));
    assert_eq!(parse_err(long_target.as_bytes()), Error::UriTooLong);
    assert_eq!(
        parse_err(&long_target.as_bytes()[..4500]),
        Error::UriTooLong
    );
    assert_eq!(parse_err(&vec![b'G'; 4200]), Error::UriTooLong);

    // A head of exactly MAX_HEAD bytes is fine; one more byte is not.
    let frame = "GET / HTTP/1.1\r\nHost: h\r\nX: \r\n\r\n".len();
    let exact = format!(
        "GET / HTTP/1.1\r\nHost: h\r\nX: {}\r\n\r\n",
        "v".repeat(MAX_HEAD - frame)
    );
    assert_eq!(parse_all(exact.as_bytes()).target, "/");
    let over = format!(
        "GET / HTTP/1.1\r\nHost: h\r\nX: {}\r\n\r\n",
        "v".repeat(MAX_HEAD - frame + 1)
    );
    assert_eq!(parse_err(over.as_bytes()), Error::HeadTooLarge);
    assert_eq!(parse_err(&over.as_bytes()[..MAX_HEAD]), Error::HeadTooLarge);
    assert_eq!(parse(&over.as_bytes()[..MAX_HEAD - 1]), Ok(None));
    assert_eq!(
        parse_err(&b"\r\n".repeat(MAX_HEAD / 2)),
        Error::HeadTooLarge
    );
    // A full buffer never asks for more: a connection's Input would have no room left.
    let mut blank_then_start = b"\r\n".repeat(MAX_HEAD / 2 - 1);
    blank_then_start.extend_from_slice(b"\rX");
    assert_eq!(parse_err(&blank_then_start), Error::HeadTooLarge);

    let fields = |n: usize| {
        let lines: String = (0..n).map(|i| format!("X-{i}: {i}\r\n")).collect();
        format!("GET / HTTP/1.1\r\nHost: h\r\n{lines}\r\n")
    };
    assert!(parse(fields(MAX_HEADERS - 1).as_bytes()).unwrap().is_some());
    assert_eq!(
        parse_err(fields(MAX_HEADERS).as_bytes()),
        Error::HeadTooLarge
    );
}

/// Random bytes, and random corruptions of a valid head, never panic; whatever parses
/// consumed a sane length and a visible-ASCII target.
#[test]
fn random_input_never_panics() {
    let valid = b"GET /a/b?c HTTP/1.1\r\nHost: h\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
    for seed in 0..3000u64 {
        let noise = util::pattern(64 + (seed as usize % 200), seed);
        let mut mutated = valid.to_vec();
        for (i, &b) in noise.iter().take(4).enumerate() {
            let at = (noise[i + 4] as usize * 7 + seed as usize) % mutated.len();
            mutated[at] = b;
        }
        for bytes in [&noise[..], &mutated[..]] {
            if let Ok(Some((request, used))) = parse(bytes) {
                assert!(used <= bytes.len());
                assert!(request.target.bytes().all(|b| (0x21..=0x7e).contains(&b)));
                let _ = route(&request);
            }
        }
    }
}

/// Whatever arrives, an `Input` that asks for more bytes has room for them: the
/// connection loop never reads into an empty buffer (which would look like EOF).
#[test]
fn input_always_has_room_when_it_asks_for_more() {
    let mut valid = SIMPLE.to_vec();
    valid.extend_from_slice(&b"\r\n".repeat(3000));
    valid.extend_from_slice(b"\rGET / HTTP/1.1\r\nHost: h\r\n");
    for seed in 0..200u64 {
        let noise = util::pattern(20_000, seed);
        let stream: &[u8] = if seed % 2 == 0 { &noise } else { &valid };
        let mut input = Input::default();
        let mut at = 0;
        'feed: while at < stream.len() {
            loop {
                match input.next() {
                    Ok(Some(_)) => continue,
                    Ok(None) => break,
                    Err(_) => break 'feed,
                }
            }
            let space = input.space();
            assert!(!space.is_empty(), "seed {seed}: no room at byte {at}");
            let n = space
                .len()
                .min(1 + (noise[at % noise.len()] as usize * 13) % 700);
            let n = n.min(stream.len() - at);
            space[..n].copy_from_slice(&stream[at..at + n]);
            input.filled(n);
            at += n;
        }
    }
}
