//! `io::copy`, `copy_buf` and `copy_bidirectional` with exact bytes and counts; `duplex`,
//! `empty`, `sink` and `repeat`.

mod util;

use std::io::ErrorKind;
use std::time::Duration;

use corio::io::{self, AsyncReadExt, AsyncWriteExt, BufReader, BufWriter};
use corio::net::{TcpListener, TcpStream};

use util::{join2, pattern, poll_once, within};

const LIMIT: Duration = Duration::from_secs(20);
const MIB: usize = 1 << 20;

#[test]
#[cfg_attr(miri, ignore)]
fn an_echo_server_with_copy_returns_one_mib_exactly() {
    corio::block_on(within(LIMIT, "copy echo", async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = corio::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            let (mut rd, mut wr) = stream.split();
            let copied = io::copy(&mut rd, &mut wr).await.unwrap();
            wr.shutdown().await.unwrap();
            copied
        });
        let sent = pattern(MIB, 1);
        let client = TcpStream::connect(addr).await.unwrap();
        let (mut rd, mut wr) = client.split();
        let mut got = Vec::new();
        let (wrote, read) = join2(
            async {
                wr.write_all(&sent).await?;
                wr.shutdown().await
            },
            rd.read_to_end(&mut got),
        )
        .await;
        wrote.unwrap();
        assert_eq!(read.unwrap(), MIB);
        assert!(got == sent, "the echoed bytes differ");
        assert_eq!(server.await.unwrap(), MIB as u64);
    }));
}

#[test]
#[cfg_attr(miri, ignore)]
fn copy_flushes_a_buffered_writer_while_the_reader_waits() {
    corio::block_on(within(LIMIT, "copy flush on pending", async {
        let (mut input, mut from) = io::duplex(64);
        let (to, mut output) = io::duplex(64);
        let copy = corio::spawn(async move {
            let mut to = BufWriter::new(to);
            io::copy(&mut from, &mut to).await
        });
        // The copy cannot end (the input stays open), so "hi" reaches `output` only if
        // the copy flushes its BufWriter when the reader has nothing more.
        input.write_all(b"hi").await.unwrap();
        let mut got = [0u8; 2];
        output.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"hi");
        input.write_all(b" there").await.unwrap();
        drop(input);
        assert_eq!(copy.await.unwrap().unwrap(), 8);
        let mut rest = Vec::new();
        output.read_to_end(&mut rest).await.unwrap();
        assert_eq!(rest, b" there");
    }));
}

#[test]
fn copy_buf_writes_from_the_readers_buffer() {
    corio::block_on(async {
        let data = pattern(100_000, 2);
        let mut reader = BufReader::with_capacity(1000, &data[..]);
        let mut out = Vec::new();
        assert_eq!(io::copy_buf(&mut reader, &mut out).await.unwrap(), 100_000);
        assert!(out == data);
    });
}

/// A backend that answers only after the client's end of stream reached it: it reads
/// everything, then sends `reply_len` bytes derived from what it read, then closes.
async fn backend(listener: TcpListener, reply_len: usize) -> Vec<u8> {
    let (mut stream, _) = listener.accept().await.unwrap();
    let mut got = Vec::new();
    stream.read_to_end(&mut got).await.unwrap();
    stream.write_all(&reply(&got, reply_len)).await.unwrap();
    stream.shutdown().await.unwrap();
    got
}

fn reply(request: &[u8], len: usize) -> Vec<u8> {
    let mut out = request.len().to_be_bytes().to_vec();
    out.extend(pattern(len - out.len(), request.len() as u64));
    out
}

#[test]
#[cfg_attr(miri, ignore)]
fn copy_bidirectional_proxies_exact_bytes_and_propagates_half_close() {
    const UP: usize = 300_001;
    const DOWN: usize = 200_003;
    corio::block_on(within(LIMIT, "proxy", async {
        let backend_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let backend_addr = backend_listener.local_addr().unwrap();
        let backend = corio::spawn(backend(backend_listener, DOWN));

        let proxy_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let proxy_addr = proxy_listener.local_addr().unwrap();
        let proxy = corio::spawn(async move {
            let (mut client, _) = proxy_listener.accept().await.unwrap();
            let mut server = TcpStream::connect(backend_addr).await.unwrap();
            io::copy_bidirectional(&mut client, &mut server).await
        });

        let request = pattern(UP, 3);
        let mut client = TcpStream::connect(proxy_addr).await.unwrap();
        client.write_all(&request).await.unwrap();
        // Half-close: the backend answers only once this FIN crossed the proxy.
        client.shutdown().await.unwrap();
        let mut answer = Vec::new();
        client.read_to_end(&mut answer).await.unwrap();

        assert_eq!(proxy.await.unwrap().unwrap(), (UP as u64, DOWN as u64));
        assert!(
            backend.await.unwrap() == request,
            "the backend got other bytes"
        );
        assert_eq!(answer.len(), DOWN);
        assert!(
            answer == reply(&request, DOWN),
            "the client got other bytes"
        );
    }));
}

#[test]
fn duplex_carries_bytes_with_backpressure_then_end_of_stream() {
    corio::block_on(async {
        let (mut a, mut b) = io::duplex(4);
        // A write takes what fits.
        assert_eq!(a.write(b"abcdef").await.unwrap(), 4);
        let data = pattern(10_000, 4);
        let mut got = vec![0u8; 4];
        b.read_exact(&mut got).await.unwrap();
        assert_eq!(got, b"abcd");
        got.clear();
        let (wrote, read) = join2(
            async {
                a.write_all(&data).await?;
                a.shutdown().await
            },
            b.read_to_end(&mut got),
        )
        .await;
        wrote.unwrap();
        assert_eq!(read.unwrap(), 10_000);
        assert!(got == data);
        // Writing after shutdown fails; the other direction still works.
        assert_eq!(
            a.write(b"x").await.unwrap_err().kind(),
            ErrorKind::BrokenPipe
        );
        b.write_all(b"back").await.unwrap();
        let mut back = [0u8; 4];
        a.read_exact(&mut back).await.unwrap();
        assert_eq!(&back, b"back");
    });
}

#[test]
fn dropping_a_duplex_end_gives_eof_to_reads_and_broken_pipe_to_writes() {
    corio::block_on(async {
        let (mut a, mut b) = io::duplex(16);
        a.write_all(b"last").await.unwrap();
        drop(a);
        let mut got = Vec::new();
        b.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"last");
        let err = b.write_all(b"into the void").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BrokenPipe);
    });
}

#[test]
fn a_writer_parked_on_a_full_duplex_fails_when_the_reader_drops() {
    corio::block_on(within(LIMIT, "parked writer", async {
        let (mut a, b) = io::duplex(2);
        let mut write = Box::pin(a.write_all(b"more than two"));
        assert!(
            poll_once(&mut write).await.is_pending(),
            "two bytes fit, then it parks"
        );
        drop(b);
        let err = write.await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BrokenPipe);
    }));
}

#[test]
fn empty_sink_and_repeat() {
    corio::block_on(async {
        let mut buf = [7u8; 4];
        assert_eq!(io::empty().read(&mut buf).await.unwrap(), 0);
        let mut repeated = Vec::new();
        io::repeat(b'r')
            .take(5)
            .read_to_end(&mut repeated)
            .await
            .unwrap();
        assert_eq!(repeated, b"rrrrr");
        let copied = io::copy(&mut io::repeat(1).take(100_000), &mut io::sink())
            .await
            .unwrap();
        assert_eq!(copied, 100_000);
        assert_eq!(io::sink().write(b"abc").await.unwrap(), 3);
    });
}

#[test]
#[cfg_attr(miri, ignore)]
fn an_endless_copy_from_repeat_to_sink_still_yields_to_timers() {
    // If repeat/sink ignored the cooperative budget, the copy would never return Pending
    // and the timeout below could never fire: the runtime thread would spin forever.
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let outcome = corio::block_on(util::timeout(
            Duration::from_millis(50),
            io::copy(&mut io::repeat(0), &mut io::sink()),
        ));
        let _ = done_tx.send(outcome.is_err());
    });
    let timed_out = done_rx
        .recv_timeout(LIMIT)
        .expect("the endless copy never yielded");
    assert!(timed_out, "an endless copy cannot finish");
}
