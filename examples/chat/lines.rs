//! Splitting a byte stream into lines, with a bound on how much one line may hold.
//!
//! A client that sends megabytes without a newline must not make us buffer megabytes, so
//! [`LineBuffer`] keeps at most [`MAX_LINE`] (+1, for a `\r`) bytes of an unfinished line;
//! past that it forgets the line and drops bytes up to the next newline, which then yields
//! [`Line::TooLong`] once. The framing is plain code without I/O, so the socket reader
//! ([`read_line`]) and the stdin thread (admin.rs) share it.

use std::io;

use corio::io::AsyncReadExt;
use corio::net::ReadHalf;

/// The longest line accepted, in bytes, not counting the `\n` or `\r\n` that ends it.
pub const MAX_LINE: usize = 1024;

/// The refusal sent for a longer line.
pub const TOO_LONG: &str = "line too long (max 1024 bytes)";

/// What the framing found.
#[derive(Debug)]
pub enum Line {
    /// A complete line, without its `\n` or `\r\n`; raw bytes, maybe not UTF-8.
    Bytes(Vec<u8>),
    /// A line longer than [`MAX_LINE`]; its bytes were dropped as they came.
    TooLong,
}

/// The unfinished tail of the stream, and whether we are skipping an over-long line.
#[derive(Debug, Default)]
pub struct LineBuffer {
    /// Bytes read; those before `start` were already handed out as lines (dropped at
    /// the next `push`, so a chunk of many short lines is not shifted once per line).
    pending: Vec<u8>,
    start: usize,
    discarding: bool,
}

impl LineBuffer {
    /// Appends bytes just read.
    pub fn push(&mut self, bytes: &[u8]) {
        self.pending.drain(..self.start);
        self.start = 0;
        self.pending.extend_from_slice(bytes);
    }

    /// The next complete line, if the bytes pushed so far hold one.
    pub fn next_line(&mut self) -> Option<Line> {
        let rest = &self.pending[self.start..];
        let Some(end) = rest.iter().position(|&b| b == b'\n') else {
            // No newline yet. Keep at most one maximal line (and its '\r'); anything
            // longer is refused at its newline, so its bytes need not be kept.
            if self.discarding || rest.len() > MAX_LINE + 1 {
                self.discarding = true;
                self.pending.clear();
                self.start = 0;
            }
            return None;
        };
        let line = strip_cr(&rest[..end]).to_vec();
        self.start += end + 1;
        if std::mem::take(&mut self.discarding) || line.len() > MAX_LINE {
            return Some(Line::TooLong);
        }
        Some(Line::Bytes(line))
    }

    /// At end of stream: an unterminated last line still counts.
    pub fn finish(&mut self) -> Option<Line> {
        let line = strip_cr(&self.pending[self.start..]).to_vec();
        self.pending.clear();
        self.start = 0;
        if std::mem::take(&mut self.discarding) {
            return Some(Line::TooLong);
        }
        match line.len() {
            0 => None,
            1..=MAX_LINE => Some(Line::Bytes(line)),
            _ => Some(Line::TooLong),
        }
    }
}

/// `line` without a trailing `\r` (the `\r` of `\r\n`).
fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// The next line from a client; `None` at end of stream.
pub async fn read_line(
    input: &mut ReadHalf<'_>,
    lines: &mut LineBuffer,
) -> io::Result<Option<Line>> {
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(line) = lines.next_line() {
            return Ok(Some(line));
        }
        match input.read(&mut chunk).await? {
            0 => return Ok(lines.finish()),
            n => lines.push(&chunk[..n]),
        }
    }
}

/// Text fit to show others: invalid UTF-8 becomes U+FFFD (lossy, never an error), and so
/// does every control character but tab, so nobody can send terminal escape sequences,
/// bells or carriage returns to other people's screens, and every invisible formatting
/// character (see [`is_invisible`]), so nobody can reorder or hide text on them.
pub fn printable(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .chars()
        .map(|c| {
            if (c.is_control() && c != '\t') || is_invisible(c) {
                char::REPLACEMENT_CHARACTER
            } else {
                c
            }
        })
        .collect()
}

/// Zero-width and bidirectional formatting characters: U+00AD soft hyphen, U+200B-U+200F
/// (zero-width space, joiners, left-to-right and right-to-left marks), U+202A-U+202E
/// (bidi embeddings and overrides: U+202E shows the rest of a line backwards),
/// U+2060-U+2069 (word joiner, invisible operators, bidi isolates) and U+FEFF (zero-width
/// no-break space).
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{AD}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}'
    )
}
