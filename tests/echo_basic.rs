//! The echo example, driven as a user would: a real process, real sockets.

mod util;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};

use util::{upper, Server};

#[test]
fn answers_in_uppercase_and_closes_after_half_close() {
    let server = Server::start("echo");
    let mut client = TcpStream::connect(server.addr).unwrap();
    let input = b"hello, corio! \x00\xff\x80 mixed Case 123\n";
    client.write_all(input).unwrap();
    client.shutdown(Shutdown::Write).unwrap();
    let mut reply = Vec::new();
    client.read_to_end(&mut reply).unwrap();
    assert_eq!(reply, upper(input));
}
