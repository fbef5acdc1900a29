//! The request fields that make a file response conditional or partial — `Range`,
//! `If-Range`, `If-None-Match`, `If-Modified-Since` — parsed into [`Conditions`] while the
//! head is read, and the pure rules that decide with them (RFC 9110 §13 and §14).
//!
//! Pure, like the parser that fills it: `reply.rs` applies these to a cached file.

use super::trim;

/// What a request's conditional and range fields said. Each is `None` when absent or
/// when its value is one the server may ignore (an unparsable date, a multi-part or
/// malformed range): ignoring them means answering with the whole file, which is always
/// allowed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Conditions {
    /// The `If-None-Match` value (several fields joined with `, `).
    pub if_none_match: Option<String>,
    /// The `If-Modified-Since` date, in seconds since the Unix epoch.
    pub if_modified_since: Option<u64>,
    /// The one byte range asked for.
    pub range: Option<ByteRange>,
    /// The `If-Range` value: an entity tag or a date.
    pub if_range: Option<String>,
}

/// A single `bytes` range as sent, before the file's length is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteRange {
    /// `first-last` (`last` inclusive) or `first-` (to the end).
    From(u64, Option<u64>),
    /// `-n`: the last `n` bytes.
    Suffix(u64),
}

/// A [`ByteRange`] against a file of known length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolved {
    /// `len` bytes from `start`: a 206.
    Part { start: u64, len: u64 },
    /// No byte of the file is in the range: a 416.
    Unsatisfiable,
}

impl ByteRange {
    /// The bytes of a file of `len` bytes that this range selects.
    pub fn resolve(self, len: u64) -> Resolved {
        match self {
            ByteRange::From(first, _) if first >= len => Resolved::Unsatisfiable,
            ByteRange::From(first, last) => {
                let end = last.map_or(len - 1, |last| last.min(len - 1));
                Resolved::Part {
                    start: first,
                    len: end - first + 1,
                }
            }
            ByteRange::Suffix(0) => Resolved::Unsatisfiable,
            ByteRange::Suffix(_) if len == 0 => Resolved::Unsatisfiable,
            ByteRange::Suffix(n) => {
                let n = n.min(len);
                Resolved::Part {
                    start: len - n,
                    len: n,
                }
            }
        }
    }
}

/// A `Range` value holding exactly one well-formed `bytes` range; `None` for anything
/// else (another unit, several ranges, bad syntax, `last < first`), which the server
/// answers with the whole file.
pub fn parse_range(value: &[u8]) -> Option<ByteRange> {
    let eq = value.iter().position(|&b| b == b'=')?;
    if !value[..eq].eq_ignore_ascii_case(b"bytes") {
        return None;
    }
    let spec = trim(&value[eq + 1..]);
    if spec.contains(&b',') {
        return None; // several ranges: served whole, as RFC 9110 §14.2 allows
    }
    let dash = spec.iter().position(|&b| b == b'-')?;
    let (first, last) = (&spec[..dash], &spec[dash + 1..]);
    match (number(first), number(last)) {
        (None, Some(n)) if first.is_empty() => Some(ByteRange::Suffix(n)),
        (Some(first), None) if last.is_empty() => Some(ByteRange::From(first, None)),
        (Some(first), Some(last)) if last >= first => Some(ByteRange::From(first, Some(last))),
        _ => None,
    }
}

/// Decimal digits as a number, saturating at `u64::MAX` (a position past any file).
fn number(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(digits.iter().fold(0u64, |n, &d| {
        n.saturating_mul(10).saturating_add(u64::from(d - b'0'))
    }))
}

/// Whether an `If-None-Match` list matches `etag` by weak comparison (RFC 9110 §8.8.3.2:
/// a `W/` prefix is ignored on both sides): `*`, or any listed tag. A malformed list
/// matches nothing, so the full response is sent.
pub fn none_match(list: &str, etag: &str) -> bool {
    let etag = etag.strip_prefix("W/").unwrap_or(etag);
    let mut rest = list.as_bytes();
    loop {
        rest = trim_start(rest, b" \t,");
        if rest.is_empty() {
            return false;
        }
        if rest[0] == b'*' {
            return true;
        }
        if rest.starts_with(b"W/") {
            rest = &rest[2..];
        }
        let Some(tag_len) = quoted_len(rest) else {
            return false;
        };
        if &rest[..tag_len] == etag.as_bytes() {
            return true;
        }
        rest = &rest[tag_len..];
    }
}

/// Whether an `If-Range` value lets the range through: an entity tag that matches `etag`
/// strongly (a weak one never does), or a date equal to `last_modified`'s.
pub fn if_range_holds(value: &str, etag: &str, last_modified: u64) -> bool {
    if value.starts_with('"') || value.starts_with("W/") {
        value == etag && !etag.starts_with("W/")
    } else {
        parse_http_date(value.as_bytes()) == Some(last_modified)
    }
}

/// The length of the quoted string `"..."` at the start of `bytes`, quotes included.
fn quoted_len(bytes: &[u8]) -> Option<usize> {
    if bytes.first() != Some(&b'"') {
        return None;
    }
    let close = bytes[1..].iter().position(|&b| b == b'"')?;
    Some(close + 2)
}

/// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) as seconds since the Unix epoch;
/// `None` for anything else, including the obsolete RFC 850 and asctime forms, which a
/// server may treat as absent (the response is then unconditional, never wrong).
pub fn parse_http_date(value: &[u8]) -> Option<u64> {
    const MONTHS: [&[u8]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    let v = trim(value);
    if v.len() != 29 || &v[3..5] != b", " || &v[25..] != b" GMT" {
        return None;
    }
    let seps = [(7, b' '), (11, b' '), (16, b' '), (19, b':'), (22, b':')];
    if seps.iter().any(|&(i, c)| v[i] != c) {
        return None;
    }
    let num = |range: std::ops::Range<usize>| number(&v[range]);
    let day = num(5..7)?;
    let month = MONTHS.iter().position(|m| *m == &v[8..11])? as u64 + 1;
    let year = num(12..16)?;
    let (h, m, s) = (num(17..19)?, num(20..22)?, num(23..25)?);
    if !(1..=31).contains(&day) || year < 1970 || h > 23 || m > 59 || s > 60 {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm), the inverse of `response::http_date`.
    let (y, mo) = if month <= 2 {
        (year - 1, month + 9)
    } else {
        (year, month - 3)
    };
    let era = y / 400;
    let yoe = y - era * 400;
    let doy = (153 * mo + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = (era * 146_097 + doe).checked_sub(719_468)?;
    Some(days * 86_400 + h * 3600 + m * 60 + s)
}

/// `bytes` without any leading byte from `set`.
fn trim_start<'a>(bytes: &'a [u8], set: &[u8]) -> &'a [u8] {
    let start = bytes
        .iter()
        .position(|b| !set.contains(b))
        .unwrap_or(bytes.len());
    &bytes[start..]
}
