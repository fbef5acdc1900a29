//! `io::split`: the halves of any `AsyncRead + AsyncWrite`, used from two tasks (and, for
//! a `Send` stream, from two threads), then put back together.

mod util;

use std::time::Duration;

use corio::io::{self, AsyncReadExt, AsyncWriteExt, DuplexStream, ReadHalf, WriteHalf};
use corio::net::{TcpListener, TcpStream};

use util::{pattern, within};

const LIMIT: Duration = Duration::from_secs(20);
/// More than the loopback socket buffers hold in both directions together: the transfer
/// completes only if the two halves really run at the same time.
const TOTAL: usize = 6 << 20;

#[test]
#[cfg_attr(miri, ignore)]
fn tcp_halves_in_two_tasks_then_unsplit() {
    corio::block_on(within(LIMIT, "split TCP", async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let echo = corio::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            let (mut rd, mut wr) = stream.split();
            let n = io::copy(&mut rd, &mut wr).await.unwrap();
            wr.shutdown().await.unwrap();
            n
        });
        let stream = TcpStream::connect(addr).await.unwrap();
        let local = stream.local_addr().unwrap();
        let (mut rd, mut wr) = io::split(stream);
        assert!(rd.is_pair_of(&wr) && wr.is_pair_of(&rd));

        let sent = pattern(TOTAL, 7);
        let to_send = sent.clone();
        let writer = corio::spawn(async move {
            wr.write_all(&to_send).await.unwrap();
            wr.shutdown().await.unwrap();
            wr
        });
        let reader = corio::spawn(async move {
            let mut got = Vec::new();
            rd.read_to_end(&mut got).await.unwrap();
            (rd, got)
        });
        let wr = writer.await.unwrap();
        let (rd, got) = reader.await.unwrap();
        assert_eq!(got.len(), TOTAL);
        assert!(got == sent, "the echoed bytes differ");
        assert_eq!(echo.await.unwrap(), TOTAL as u64);

        let stream: TcpStream = rd.unsplit(wr);
        assert_eq!(stream.local_addr().unwrap(), local);
    }));
}

#[test]
#[cfg_attr(miri, ignore)]
fn duplex_halves_move_to_another_thread() {
    fn assert_send<T: Send>(_: &T) {}
    corio::block_on(within(LIMIT, "split across threads", async {
        let (near, mut far) = io::duplex(1024);
        let (mut rd, mut wr) = io::split(near);
        assert_send(&rd);
        assert_send(&wr);
        let sent = pattern(128 << 10, 8);
        let to_send = sent.clone();
        // The write half runs on another thread, in its own runtime.
        let thread = std::thread::spawn(move || {
            corio::block_on(async move {
                wr.write_all(&to_send).await.unwrap();
                wr.shutdown().await.unwrap();
                wr
            })
        });
        // `far` echoes, here; the read half reads the echo, here too.
        let echo = corio::spawn(async move {
            let (mut far_rd, mut far_wr) = io::split(&mut far);
            let n = io::copy(&mut far_rd, &mut far_wr).await.unwrap();
            far_wr.shutdown().await.unwrap();
            n
        });
        let mut got = Vec::new();
        rd.read_to_end(&mut got).await.unwrap();
        assert!(got == sent, "the echoed bytes differ");
        assert_eq!(echo.await.unwrap(), 128 << 10);
        let wr: WriteHalf<DuplexStream> = thread.join().unwrap();
        let _stream: DuplexStream = rd.unsplit(wr);
    }));
}

#[test]
#[should_panic(expected = "different streams")]
fn unsplit_of_halves_from_two_streams_panics() {
    let (a, b) = io::duplex(8);
    let (rd_a, _wr_a): (ReadHalf<DuplexStream>, _) = io::split(a);
    let (_rd_b, wr_b) = io::split(b);
    assert!(!rd_a.is_pair_of(&wr_b));
    let _ = rd_a.unsplit(wr_b);
}
