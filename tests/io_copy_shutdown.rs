//! `stream.shutdown().await` on a `TcpStream` (tokio's `AsyncWriteExt::shutdown`): the
//! peer reads end of stream after the bytes sent, and this side can still read.

mod util;

use std::io::{Read, Write};
use std::net::TcpListener as StdListener;
use std::time::Duration;

use corio::io::{AsyncReadExt, AsyncWriteExt};
use corio::net::TcpStream;

use util::within;

const LIMIT: Duration = Duration::from_secs(20);

#[test]
#[cfg_attr(miri, ignore)]
fn shutdown_makes_the_peer_read_eof_and_keeps_the_read_side() {
    let listener = StdListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let peer = std::thread::spawn(move || {
        let (mut peer, _) = listener.accept().unwrap();
        peer.set_read_timeout(Some(LIMIT)).unwrap();
        let mut got = Vec::new();
        // Ends only at the FIN that `shutdown` sends.
        peer.read_to_end(&mut got).unwrap();
        peer.write_all(b"after your EOF").unwrap();
        got
    });
    corio::block_on(within(LIMIT, "shutdown", async {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(b"bye").await.unwrap();
        stream.shutdown().await.unwrap();
        let mut reply = Vec::new();
        stream.read_to_end(&mut reply).await.unwrap();
        assert_eq!(reply, b"after your EOF");
    }));
    assert_eq!(peer.join().unwrap(), b"bye");
}
