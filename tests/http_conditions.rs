//! The HTTP example's conditional and range field values, driven directly (pure, in
//! `examples/http/conditions.rs`): which `Range` values are one satisfiable range, which
//! are ignored, which are 416; dates back from their text; entity-tag lists.
#![cfg(unix)]

mod http_pure;

use http_pure::request::conditions::{
    if_range_holds, none_match, parse_http_date, parse_range, ByteRange, Resolved,
};
use http_pure::response::http_date;

#[test]
fn ranges_parse_and_resolve_exactly() {
    let part = |start, len| Resolved::Part { start, len };
    let cases: [(&str, Option<ByteRange>); 12] = [
        ("bytes=0-9", Some(ByteRange::From(0, Some(9)))),
        ("bytes=5-", Some(ByteRange::From(5, None))),
        ("bytes=-3", Some(ByteRange::Suffix(3))),
        ("Bytes= 1-1 ", Some(ByteRange::From(1, Some(1)))),
        (
            "bytes=99999999999999999999999-",
            Some(ByteRange::From(u64::MAX, None)),
        ),
        ("bytes=3-2", None),
        ("bytes=0-1,3-4", None),
        ("bytes=-", None),
        ("bytes=1", None),
        ("bytes=+1-2", None),
        ("items=0-1", None),
        ("bytes 0-1", None),
    ];
    for (value, want) in cases {
        assert_eq!(parse_range(value.as_bytes()), want, "{value}");
    }
    let resolved = [
        (ByteRange::From(0, Some(9)), 100, part(0, 10)),
        (ByteRange::From(90, Some(200)), 100, part(90, 10)),
        (ByteRange::From(99, None), 100, part(99, 1)),
        (ByteRange::From(100, None), 100, Resolved::Unsatisfiable),
        (ByteRange::Suffix(30), 100, part(70, 30)),
        (ByteRange::Suffix(300), 100, part(0, 100)),
        (ByteRange::Suffix(0), 100, Resolved::Unsatisfiable),
        (ByteRange::Suffix(5), 0, Resolved::Unsatisfiable),
        (ByteRange::From(0, None), 0, Resolved::Unsatisfiable),
    ];
    for (range, len, want) in resolved {
        assert_eq!(range.resolve(len), want, "{range:?} of {len}");
    }
}

#[test]
fn dates_and_entity_tags() {
    for secs in [0, 784_111_777, 951_782_400, 1_700_000_000, 253_402_300_799] {
        let text = http_date(secs);
        assert_eq!(
            parse_http_date(&text),
            Some(secs),
            "{}",
            String::from_utf8_lossy(&text)
        );
    }
    for bad in [
        "Sunday, 06-Nov-94 08:49:37 GMT", // RFC 850: treated as absent
        "Sun Nov  6 08:49:37 1994",       // asctime: likewise
        "Sun, 06 Nov 1994 08:49:37 UTC",
        "Sun, 32 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 24:00:00 GMT",
        "Sun, 06 Foo 1994 08:49:37 GMT",
        "",
    ] {
        assert_eq!(parse_http_date(bad.as_bytes()), None, "{bad}");
    }
    let tag = "\"1a-2b-3c\"";
    for list in [
        "\"1a-2b-3c\"",
        "W/\"1a-2b-3c\"",
        "*",
        "\"x\", \"1a-2b-3c\"",
        " ,\"a,b\" ,W/\"1a-2b-3c\"",
    ] {
        assert!(none_match(list, tag), "{list}");
    }
    for list in ["\"1a-2b-3d\"", "1a-2b-3c", "\"1a-2b-3c", "", "\"a,b\""] {
        assert!(!none_match(list, tag), "{list}");
    }
    assert!(if_range_holds(tag, tag, 5));
    assert!(!if_range_holds("W/\"1a-2b-3c\"", tag, 5));
    assert!(if_range_holds("Thu, 01 Jan 1970 00:00:05 GMT", tag, 5));
    assert!(!if_range_holds("Thu, 01 Jan 1970 00:00:06 GMT", tag, 5));
}
