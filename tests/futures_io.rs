//! The `futures-io` feature: corio's streams driven only through `futures_io::AsyncRead`/
//! `AsyncWrite`, by `futures-util`'s extension traits and `futures_util::io::copy`.
//!
//! Run with `cargo test --features futures-io --test futures_io` (CI does).

#![cfg(feature = "futures-io")]

mod util;

use std::time::Duration;

use corio::io::AsyncFd;
use corio::net::{TcpListener, TcpStream, UnixStream};
use futures_util::io::{copy, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use util::{join2, pattern, within};

const LIMIT: Duration = Duration::from_secs(20);

/// Echoes one connection with `futures_util::io::copy` between its borrowed halves.
async fn spawn_copy_echo() -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    corio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        // `stream.split()` would pick futures' `AsyncReadExt::split(self)`: name corio's.
        let (reader, mut writer) = TcpStream::split(&stream);
        copy(reader, &mut writer).await.unwrap();
        writer.close().await.unwrap();
    });
    addr
}

/// Writes `data` and reads back as many bytes, at once (so neither side's buffers fill).
async fn round_trip<S>(stream: S, data: &[u8]) -> Vec<u8>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (mut reader, mut writer) = stream.split();
    let mut back = vec![0; data.len()];
    let (wrote, read) = join2(writer.write_all(data), reader.read_exact(&mut back)).await;
    wrote.unwrap();
    read.unwrap();
    back
}

#[test]
fn echo_round_trip_through_futures_io() {
    corio::block_on(within(LIMIT, "echo", async {
        let addr = spawn_copy_echo().await;
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(b"hello, futures-io").await.unwrap();
        stream.flush().await.unwrap();
        let mut buf = [0; 17];
        stream.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"hello, futures-io");

        // 2 MiB through `&TcpStream`, more than the socket buffers hold.
        let data = pattern(2 << 20, 7);
        assert!(round_trip(&stream, &data).await == data);

        // Closing our write side ends the echo's copy, which closes its side: EOF.
        stream.close().await.unwrap();
        let mut rest = Vec::new();
        stream.read_to_end(&mut rest).await.unwrap();
        assert!(rest.is_empty());
    }));
}

#[test]
fn close_half_closes_and_the_peer_still_answers() {
    corio::block_on(within(LIMIT, "half close", async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = corio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut got = Vec::new();
            stream.read_to_end(&mut got).await.unwrap(); // ends only at the client's FIN
            let reply = format!("got {} bytes", got.len());
            stream.write_all(reply.as_bytes()).await.unwrap();
            stream.close().await.unwrap();
            got
        });
        let mut client = TcpStream::connect(addr).await.unwrap();
        let data = pattern(300_000, 3);
        client.write_all(&data).await.unwrap();
        client.close().await.unwrap(); // FIN; reading goes on
        let mut reply = String::new();
        client.read_to_string(&mut reply).await.unwrap();
        assert_eq!(reply, "got 300000 bytes");
        assert!(server.await.unwrap() == data);
    }));
}

#[test]
fn copy_between_two_sockets() {
    corio::block_on(within(LIMIT, "proxy copy", async {
        // sink: reads everything, answers with the byte count.
        let sink = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let sink_addr = sink.local_addr().unwrap();
        let sink_task = corio::spawn(async move {
            let (mut stream, _) = sink.accept().await.unwrap();
            let mut got = Vec::new();
            stream.read_to_end(&mut got).await.unwrap();
            stream
                .write_all(format!("{}", got.len()).as_bytes())
                .await
                .unwrap();
            got
        });
        // proxy: copies client → sink with owned halves, and sink → client back.
        let front = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let front_addr = front.local_addr().unwrap();
        let proxy = corio::spawn(async move {
            let (client, _) = front.accept().await.unwrap();
            let upstream = TcpStream::connect(sink_addr).await.unwrap();
            let (mut client_r, mut client_w) = client.into_split();
            let (mut up_r, mut up_w) = upstream.into_split();
            let up = corio::spawn(async move {
                let n = copy(&mut client_r, &mut up_w).await.unwrap();
                up_w.close().await.unwrap();
                n
            });
            let down = copy(&mut up_r, &mut client_w).await.unwrap();
            client_w.close().await.unwrap();
            (up.await.unwrap(), down)
        });

        let mut client = TcpStream::connect(front_addr).await.unwrap();
        let data = pattern(4 << 20, 11);
        client.write_all(&data).await.unwrap();
        client.close().await.unwrap();
        let mut reply = String::new();
        client.read_to_string(&mut reply).await.unwrap();
        assert_eq!(reply, (4 << 20).to_string());
        assert_eq!(proxy.await.unwrap(), (4 << 20, reply.len() as u64));
        assert!(sink_task.await.unwrap() == data);
    }));
}

#[test]
fn unix_streams_halves_and_async_fd() {
    corio::block_on(within(LIMIT, "unix", async {
        // UnixStream and &UnixStream.
        let (mut a, mut b) = UnixStream::pair().unwrap();
        a.write_all(b"ping").await.unwrap();
        let mut buf = [0; 4];
        (&b).read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"ping");

        // Borrowed and owned halves of a UnixStream.
        let (_, mut bw) = UnixStream::split(&b);
        bw.write_all(b"pong").await.unwrap();
        let mut buf = [0; 4];
        a.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"pong");
        let (mut ar, mut aw) = a.into_split();
        aw.write_all(b"x").await.unwrap();
        aw.close().await.unwrap();
        let mut rest = Vec::new();
        b.read_to_end(&mut rest).await.unwrap();
        assert_eq!(rest, b"x");
        drop(b);
        assert_eq!(ar.read(&mut [0; 8]).await.unwrap(), 0);

        // AsyncFd over a plain non-blocking socket pair.
        let (x, y) = std::os::unix::net::UnixStream::pair().unwrap();
        x.set_nonblocking(true).unwrap();
        y.set_nonblocking(true).unwrap();
        let (x, y) = (AsyncFd::new(x).unwrap(), AsyncFd::new(y).unwrap());
        let data = pattern(1 << 20, 5);
        assert!(round_trip_pair(x, y, &data).await == data);
    }));
}

/// Sends `data` from `x` to `y` while reading it at `y`.
async fn round_trip_pair<X, Y>(mut x: X, mut y: Y, data: &[u8]) -> Vec<u8>
where
    X: AsyncWrite + Unpin,
    Y: AsyncRead + Unpin,
{
    let mut back = vec![0; data.len()];
    let (wrote, read) = join2(x.write_all(data), y.read_exact(&mut back)).await;
    wrote.unwrap();
    read.unwrap();
    back
}
