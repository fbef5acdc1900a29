//! The echo protocol's data: what the server answers ([`upper`]), deterministic test
//! bytes ([`pattern`]), and one blocking round trip ([`echo_round_trip`]).

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::time::Duration;

/// The ASCII-uppercase of `bytes`, as the echo server answers.
pub fn upper(bytes: &[u8]) -> Vec<u8> {
    bytes.to_ascii_uppercase()
}

/// `len` deterministic pseudo-random bytes (xorshift64*): every byte value shows up,
/// NUL and `>= 0x80` included, and different seeds give different streams.
pub fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        out.extend_from_slice(&state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    out.truncate(len);
    out
}

/// One blocking round trip through the echo server on a fresh connection: send `msg`,
/// half-close, read to EOF. Every step has a 10 s timeout.
pub fn echo_round_trip(addr: SocketAddr, msg: &[u8]) -> Vec<u8> {
    let mut client = std::net::TcpStream::connect(addr).expect("connect to the echo server");
    client
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    client
        .set_write_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    client.write_all(msg).expect("send to the echo server");
    client.shutdown(std::net::Shutdown::Write).unwrap();
    let mut reply = Vec::new();
    client
        .read_to_end(&mut reply)
        .expect("read the echo server's reply");
    reply
}
