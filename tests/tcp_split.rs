//! `TcpStream::split` and `into_split`: a reader and a writer on one connection at the
//! same time, and what dropping each owned half does.

mod util;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener as StdListener};
use std::time::Duration;

use corio::io::{AsyncReadExt, AsyncWriteExt};
use corio::net::{TcpListener, TcpStream};

use util::{join2, pattern, upper, within};

const LIMIT: Duration = Duration::from_secs(20);
/// More than the loopback socket buffers can hold in both directions together, so the
/// transfer completes only if reading and writing really proceed at once.
const TOTAL: usize = 6 << 20;

/// Spawns an uppercase echo peer on a corio listener in the current runtime; returns its
/// address. It serves one connection, then finishes.
async fn spawn_echo_peer() -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    corio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut buf = vec![0u8; 8 * 1024];
        loop {
            let n = stream.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            buf[..n].make_ascii_uppercase();
            stream.write_all(&buf[..n]).await.unwrap();
        }
        stream.close().await.unwrap();
    });
    addr
}

/// Writes `data` in uneven pieces (1 byte up to 64 KiB), to exercise partial writes.
async fn write_in_pieces(w: &mut (impl corio::io::AsyncWrite + Unpin), data: &[u8]) {
    let mut sent = 0;
    let mut size = 1;
    while sent < data.len() {
        let end = (sent + size).min(data.len());
        w.write_all(&data[sent..end]).await.unwrap();
        sent = end;
        size = (size * 7 + 3) % (64 * 1024) + 1;
    }
}

#[test]
fn into_split_halves_in_two_tasks_echo_every_byte() {
    corio::block_on(async {
        let addr = spawn_echo_peer().await;
        let stream = within(LIMIT, "connect", TcpStream::connect(addr))
            .await
            .unwrap();
        let (mut read_half, mut write_half) = stream.into_split();
        assert_eq!(read_half.peer_addr().unwrap(), addr);
        assert_eq!(write_half.peer_addr().unwrap(), addr);
        let data = pattern(TOTAL, 11);
        let expected = upper(&data);
        let writer = corio::spawn(async move {
            write_in_pieces(&mut write_half, &data).await;
            drop(write_half); // FIN: the echo peer reads EOF and closes
        });
        let reader = corio::spawn(async move {
            let mut got = Vec::with_capacity(TOTAL);
            read_half.read_to_end(&mut got).await.unwrap();
            got
        });
        let (w, got) = within(LIMIT, "split echo", join2(writer, reader)).await;
        w.unwrap();
        let got = got.unwrap();
        assert_eq!(got.len(), TOTAL);
        assert!(got == expected, "echoed bytes differ");
    });
}

#[test]
fn borrowed_split_reads_and_writes_at_once_in_one_task() {
    corio::block_on(async {
        let addr = spawn_echo_peer().await;
        let stream = within(LIMIT, "connect", TcpStream::connect(addr))
            .await
            .unwrap();
        let (mut r, mut w) = stream.split();
        let data = pattern(TOTAL, 12);
        let write = async {
            write_in_pieces(&mut w, &data).await;
            w.close().await.unwrap();
        };
        let read = async {
            let mut got = Vec::with_capacity(TOTAL);
            r.read_to_end(&mut got).await.unwrap();
            got
        };
        let ((), got) = within(LIMIT, "borrowed split echo", join2(write, read)).await;
        assert_eq!(got.len(), TOTAL);
        assert!(got == upper(&data), "echoed bytes differ");
    });
}

#[test]
fn dropping_owned_write_half_sends_eof_while_read_half_keeps_working() {
    let listener = StdListener::bind("127.0.0.1:0").unwrap();
    corio::block_on(async {
        let stream = within(
            LIMIT,
            "connect",
            TcpStream::connect(listener.local_addr().unwrap()),
        )
        .await
        .unwrap();
        let (mut peer, _) = listener.accept().unwrap();
        peer.set_read_timeout(Some(LIMIT)).unwrap();
        let (mut read_half, mut write_half) = stream.into_split();
        write_half.write_all(b"bye").await.unwrap();
        drop(write_half);

        // The peer sees the bytes, then EOF: the drop shut the write side down.
        let mut got = Vec::new();
        peer.read_to_end(&mut got).unwrap();
        assert_eq!(got, b"bye");

        // The socket itself is still open: the read half gets what the peer sends next.
        peer.write_all(b"still here").unwrap();
        let mut buf = [0u8; 10];
        within(
            LIMIT,
            "read after the write half dropped",
            read_half.read_exact(&mut buf),
        )
        .await
        .unwrap();
        assert_eq!(&buf, b"still here");
        peer.shutdown(Shutdown::Write).unwrap();
        let mut rest = Vec::new();
        within(
            LIMIT,
            "EOF on the read half",
            read_half.read_to_end(&mut rest),
        )
        .await
        .unwrap();
        assert!(rest.is_empty());
    });
}

#[test]
fn dropping_owned_read_half_leaves_the_write_half_usable() {
    let listener = StdListener::bind("127.0.0.1:0").unwrap();
    corio::block_on(async {
        let stream = within(
            LIMIT,
            "connect",
            TcpStream::connect(listener.local_addr().unwrap()),
        )
        .await
        .unwrap();
        let (mut peer, _) = listener.accept().unwrap();
        peer.set_read_timeout(Some(LIMIT)).unwrap();
        let (read_half, mut write_half) = stream.into_split();
        drop(read_half);
        write_half.write_all(b"one").await.unwrap();
        write_half.write_all(b" two").await.unwrap();
        write_half.close().await.unwrap();
        let mut got = Vec::new();
        peer.read_to_end(&mut got).unwrap();
        assert_eq!(got, b"one two");
        // Dropping the last half closes the socket: the peer's next write is answered
        // with RST, and writes after that fail.
        drop(write_half);
        peer.write_all(b"anyone there?").unwrap();
        assert!(
            util::wait_hangup(&peer, LIMIT),
            "no RST: the socket stayed open after both halves were dropped"
        );
        let err = peer.write_all(b"again").unwrap_err();
        assert!(
            matches!(
                err.kind(),
                std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset
            ),
            "write after the RST gave {err:?}"
        );
    });
}
