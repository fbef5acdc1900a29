//! `BufReader` and `AsyncBufReadExt` over real sockets: lines, delimiters, lines split
//! across writes, the last line without `\n`, invalid UTF-8 (the error carries the
//! bytes), `take` bounding a line, cancellation, and a peer that resets.

mod util;

use std::io::{ErrorKind, Write as _};
use std::net::TcpListener as StdListener;
use std::pin::Pin;
use std::string::FromUtf8Error;
use std::task::{Context, Poll};
use std::time::Duration;

use corio::future::race;
use corio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader};
use corio::net::{TcpStream, UnixStream};
use corio::sync::mpsc;

use util::{join2, within};

const LIMIT: Duration = Duration::from_secs(20);

/// Sends a copy of every successful read's bytes on a channel, so a test knows exactly
/// which chunks the buffered reader pulled from the socket, and when.
struct Recording<R> {
    inner: R,
    reads: mpsc::UnboundedSender<Vec<u8>>,
}

impl<R: AsyncRead + Unpin> AsyncRead for Recording<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(n)) = polled {
            let _ = self.reads.send(buf[..n].to_vec());
        }
        polled
    }
}

fn recording<R>(inner: R) -> (Recording<R>, mpsc::UnboundedReceiver<Vec<u8>>) {
    let (reads, rx) = mpsc::unbounded_channel();
    (Recording { inner, reads }, rx)
}

/// The bytes an `InvalidData` error from `read_line`/`lines` carries.
fn carried_bytes(err: std::io::Error) -> Vec<u8> {
    assert_eq!(err.kind(), ErrorKind::InvalidData, "{err}");
    err.into_inner()
        .expect("the error carries its source")
        .downcast::<FromUtf8Error>()
        .expect("the source is a FromUtf8Error")
        .into_bytes()
}

#[test]
#[cfg_attr(miri, ignore)]
fn read_line_and_read_until_return_exact_bytes() {
    corio::block_on(within(LIMIT, "read_line/read_until", async {
        let (mut writer, reader) = UnixStream::pair().unwrap();
        writer
            .write_all(b"alpha\nbeta\r\ngamma;delta;tail")
            .await
            .unwrap();
        writer.shutdown().await.unwrap();
        let mut reader = BufReader::new(reader);

        let mut line = String::new();
        assert_eq!(reader.read_line(&mut line).await.unwrap(), 6);
        assert_eq!(line, "alpha\n");
        // read_line appends.
        assert_eq!(reader.read_line(&mut line).await.unwrap(), 6);
        assert_eq!(line, "alpha\nbeta\r\n");

        let mut seg = Vec::new();
        assert_eq!(reader.read_until(b';', &mut seg).await.unwrap(), 6);
        assert_eq!(seg, b"gamma;");
        assert_eq!(reader.read_until(b';', &mut seg).await.unwrap(), 6);
        assert_eq!(seg, b"gamma;delta;");
        // End of stream without the delimiter: what is left, then 0.
        assert_eq!(reader.read_until(b';', &mut seg).await.unwrap(), 4);
        assert_eq!(seg, b"gamma;delta;tail");
        assert_eq!(reader.read_until(b';', &mut seg).await.unwrap(), 0);
        assert_eq!(reader.read_line(&mut line).await.unwrap(), 0);
        assert_eq!(line, "alpha\nbeta\r\n");
    }));
}

#[test]
#[cfg_attr(miri, ignore)]
fn a_line_split_across_three_writes_and_a_last_line_without_newline() {
    corio::block_on(within(LIMIT, "lines over chunked writes", async {
        let (mut writer, reader) = UnixStream::pair().unwrap();
        let (reader, mut reads) = recording(reader);
        let mut lines = BufReader::new(reader).lines();
        let chunks: [&[u8]; 3] = [b"hel", b"lo wo", b"rld\n"];
        let feed = async {
            // Each chunk goes out only once the reader has pulled the previous one, so
            // the line really reaches the reader in three reads.
            for chunk in chunks {
                writer.write_all(chunk).await.unwrap();
                assert_eq!(reads.recv().await.unwrap(), chunk);
            }
        };
        let (line, ()) = join2(lines.next_line(), feed).await;
        assert_eq!(line.unwrap().as_deref(), Some("hello world"));

        writer.write_all(b"last").await.unwrap();
        writer.shutdown().await.unwrap();
        assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("last"));
        assert_eq!(lines.next_line().await.unwrap(), None);
        assert_eq!(lines.next_line().await.unwrap(), None);
        assert_eq!(reads.recv().await.unwrap(), b"last");
    }));
}

#[test]
#[cfg_attr(miri, ignore)]
fn read_line_on_invalid_utf8_keeps_buf_and_hands_the_bytes_back() {
    corio::block_on(within(LIMIT, "read_line invalid UTF-8", async {
        let (mut writer, reader) = UnixStream::pair().unwrap();
        writer.write_all(b"ok\n\xff\xfebad\nafter\n").await.unwrap();
        writer.shutdown().await.unwrap();
        let mut reader = BufReader::new(reader);
        let mut line = String::new();
        assert_eq!(reader.read_line(&mut line).await.unwrap(), 3);
        let err = reader.read_line(&mut line).await.unwrap_err();
        assert_eq!(line, "ok\n", "buf is left as it was");
        assert_eq!(carried_bytes(err), b"\xff\xfebad\n");
        // The bad line was consumed: the next call reads the next line.
        assert_eq!(reader.read_line(&mut line).await.unwrap(), 6);
        assert_eq!(line, "ok\nafter\n");
        assert_eq!(reader.read_line(&mut line).await.unwrap(), 0);
    }));
}

#[test]
#[cfg_attr(miri, ignore)]
fn lines_on_invalid_utf8_gives_invalid_data_then_goes_on() {
    corio::block_on(within(LIMIT, "lines invalid UTF-8", async {
        let (mut writer, reader) = UnixStream::pair().unwrap();
        writer.write_all(b"ok\r\n\xc3(\r\nafter").await.unwrap();
        writer.shutdown().await.unwrap();
        let mut lines = BufReader::new(reader).lines();
        assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("ok"));
        let err = lines.next_line().await.unwrap_err();
        assert_eq!(carried_bytes(err), b"\xc3(\r\n");
        assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("after"));
        assert_eq!(lines.next_line().await.unwrap(), None);
    }));
}

#[test]
fn read_to_string_on_invalid_utf8_keeps_buf_and_hands_the_bytes_back() {
    corio::block_on(async {
        let mut text = String::from("x");
        let mut reader: &[u8] = b"abc\xff";
        let err = reader.read_to_string(&mut text).await.unwrap_err();
        assert_eq!(text, "x");
        assert_eq!(carried_bytes(err), b"abc\xff");

        let mut reader: &[u8] = "déjà".as_bytes();
        assert_eq!(reader.read_to_string(&mut text).await.unwrap(), 6);
        assert_eq!(text, "xdéjà");
    });
}

#[test]
#[cfg_attr(miri, ignore)]
fn take_bounds_a_long_line_and_leaves_the_rest() {
    corio::block_on(within(LIMIT, "take bounds a line", async {
        let (mut writer, reader) = UnixStream::pair().unwrap();
        let mut sent = vec![b'a'; 100];
        sent.extend_from_slice(b"\nnext\n");
        writer.write_all(&sent).await.unwrap();
        writer.shutdown().await.unwrap();
        let mut reader = BufReader::with_capacity(32, reader);

        let mut line = String::new();
        let n = (&mut reader).take(16).read_line(&mut line).await.unwrap();
        assert_eq!(n, 16);
        assert_eq!(
            line,
            "a".repeat(16),
            "stops at the limit, no newline: too long"
        );
        // Skip the rest of the long line, then read on normally.
        let mut rest = Vec::new();
        assert_eq!(reader.read_until(b'\n', &mut rest).await.unwrap(), 85);
        line.clear();
        assert_eq!(reader.read_line(&mut line).await.unwrap(), 5);
        assert_eq!(line, "next\n");
    }));
}

#[test]
#[cfg_attr(miri, ignore)]
fn cancelled_next_line_keeps_the_partial_line_and_read_line_keeps_buf() {
    corio::block_on(within(LIMIT, "cancellation", async {
        let (mut writer, reader) = UnixStream::pair().unwrap();
        let (reader, mut reads) = recording(reader);
        let mut lines = BufReader::new(reader).lines();

        writer.write_all(b"par").await.unwrap();
        // Race next_line against "the reader pulled `par`": the latter wins, next_line is
        // dropped holding a partial line.
        let won = race(async { lines.next_line().await.map(|_| false) }, async {
            assert_eq!(reads.recv().await.unwrap(), b"par");
            Ok(true)
        })
        .await;
        assert!(won.unwrap(), "next_line cannot finish without a newline");
        writer.write_all(b"tial\n").await.unwrap();
        assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("partial"));
        assert_eq!(reads.recv().await.unwrap(), b"tial\n");

        // read_line dropped mid-line: buf keeps its contents, the partial bytes are lost.
        let mut reader = lines.into_inner();
        writer.write_all(b"lost").await.unwrap();
        let mut line = String::from("keep");
        let won = race(
            async { reader.read_line(&mut line).await.map(|_| false) },
            async {
                assert_eq!(reads.recv().await.unwrap(), b"lost");
                Ok(true)
            },
        )
        .await;
        assert!(won.unwrap());
        assert_eq!(line, "keep");
    }));
}

#[test]
fn large_reads_bypass_the_buffer_and_small_ones_fill_it() {
    /// Records the length of every buffer lent to `poll_read`.
    struct Lent<'a> {
        data: &'a [u8],
        lens: Vec<usize>,
    }
    impl AsyncRead for Lent<'_> {
        fn poll_read(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut [u8],
        ) -> Poll<std::io::Result<usize>> {
            self.lens.push(buf.len());
            Pin::new(&mut self.data).poll_read(cx, buf)
        }
    }
    corio::block_on(async {
        let data: Vec<u8> = (0..64).collect();
        let mut reader = BufReader::with_capacity(
            8,
            Lent {
                data: &data,
                lens: vec![],
            },
        );
        let mut big = [0u8; 16];
        assert_eq!(reader.read(&mut big).await.unwrap(), 16);
        assert_eq!(big[..], data[..16]);
        assert_eq!(
            reader.get_ref().lens,
            [16],
            "read straight into the caller's buffer"
        );

        let mut small = [0u8; 3];
        assert_eq!(reader.read(&mut small).await.unwrap(), 3);
        assert_eq!(small[..], data[16..19]);
        assert_eq!(
            reader.get_ref().lens,
            [16, 8],
            "one buffer-full from the source"
        );
        assert_eq!(reader.buffer(), &data[19..24]);
        // Buffered bytes come first even for a large read.
        assert_eq!(reader.read(&mut big).await.unwrap(), 5);
        assert_eq!(big[..5], data[19..24]);
        assert_eq!(reader.fill_buf().await.unwrap(), &data[24..32]);
        reader.consume(8);
        assert_eq!(reader.get_ref().lens, [16, 8, 8]);
    });
}

#[test]
fn split_yields_segments_without_the_separator() {
    corio::block_on(async {
        let mut segments = BufReader::with_capacity(4, &b"a,bc,,def"[..]).split(b',');
        let mut got = Vec::new();
        while let Some(seg) = segments.next_segment().await.unwrap() {
            got.push(seg);
        }
        assert_eq!(got, [&b"a"[..], b"bc", b"", b"def"]);
    });
}

#[test]
#[cfg_attr(miri, ignore)]
fn a_buf_reader_over_a_reset_peer_returns_the_error() {
    let listener = StdListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (read_tx, read_rx) = std::sync::mpsc::channel::<()>();
    let peer = std::thread::spawn(move || {
        let (mut peer, _) = listener.accept().unwrap();
        peer.write_all(b"first\n").unwrap();
        read_rx
            .recv_timeout(LIMIT)
            .expect("the client never read the first line");
        util::reset(peer);
    });
    corio::block_on(within(LIMIT, "reset peer", async {
        let stream = TcpStream::connect(addr).await.unwrap();
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        assert_eq!(reader.read_line(&mut line).await.unwrap(), 6);
        assert_eq!(line, "first\n");
        read_tx.send(()).unwrap();
        line.clear();
        let err = reader.read_line(&mut line).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionReset, "{err}");
        assert_eq!(line, "");
    }));
    peer.join().unwrap();
}
