//! Splitting a byte stream into lines, with a bound on how much one line may hold.
//!
//! A client that sends megabytes without a newline must not make us buffer megabytes, so
//! [`LineReader`] keeps at most [`MAX_LINE`] (+1, for a `\r`) bytes of an unfinished line;
//! past that it forgets the line and drops bytes up to the next newline, which then yields
//! [`Line::TooLong`] once. It reads through any [`AsyncBufRead`] (a corio `BufReader` over
//! a client's socket, or over stdin in admin.rs): it scans the bytes `fill_buf` shows for
//! `\n`, copies what it keeps of the line, and `consume`s what it scanned, so many short
//! lines in one read cost one read and no shifting. `AsyncBufReadExt::lines` would not do:
//! its lines are unbounded.

use std::io;

use corio::io::{AsyncBufRead, AsyncBufReadExt};

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

/// Bounded lines from a buffered reader.
#[derive(Debug)]
pub struct LineReader<R> {
    input: R,
    /// The unfinished line so far, without its `\n`: at most `MAX_LINE + 1` bytes.
    line: Vec<u8>,
    /// The unfinished line outgrew that: its bytes are dropped up to its newline.
    too_long: bool,
}

impl<R: AsyncBufRead + Unpin> LineReader<R> {
    /// Lines from `input`.
    pub fn new(input: R) -> Self {
        LineReader {
            input,
            line: Vec::new(),
            too_long: false,
        }
    }

    /// The next line; `None` at end of stream, where an unterminated last line still
    /// counts.
    ///
    /// Cancel safe: the only wait is `fill_buf`, which consumes nothing, and a partial
    /// line stays here for the next call.
    pub async fn next_line(&mut self) -> io::Result<Option<Line>> {
        loop {
            let buf = self.input.fill_buf().await?;
            if buf.is_empty() {
                let line = self.take();
                return Ok(match line {
                    Line::Bytes(bytes) if bytes.is_empty() => None,
                    line => Some(line),
                });
            }
            let newline = buf.iter().position(|&b| b == b'\n');
            let part = &buf[..newline.unwrap_or(buf.len())];
            if !self.too_long {
                if self.line.len() + part.len() > MAX_LINE + 1 {
                    // Longer than any accepted line even with its `\r`: refused at its
                    // newline, so its bytes need not be kept.
                    self.too_long = true;
                    self.line.clear();
                } else {
                    self.line.extend_from_slice(part);
                }
            }
            let used = newline.map_or(buf.len(), |i| i + 1);
            self.input.consume(used);
            if newline.is_some() {
                return Ok(Some(self.take()));
            }
        }
    }

    /// The line gathered so far, without a trailing `\r`; starts the next one.
    fn take(&mut self) -> Line {
        let mut line = std::mem::take(&mut self.line);
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        if std::mem::take(&mut self.too_long) || line.len() > MAX_LINE {
            return Line::TooLong;
        }
        Line::Bytes(line)
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
