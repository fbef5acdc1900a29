//! The echo example with large transfers: 8 MiB of arbitrary bytes, and 8 MiB to a
//! client that reads late and slowly, so the server's writes outrun the socket buffer.

mod util;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

use util::{pattern, upper, Server};

const LIMIT: Duration = Duration::from_secs(30);
const TOTAL: usize = 8 << 20;

fn client(server: &Server) -> TcpStream {
    let c = TcpStream::connect(server.addr).unwrap();
    c.set_read_timeout(Some(LIMIT)).unwrap();
    c.set_write_timeout(Some(LIMIT)).unwrap();
    c
}

/// Sends `data` from a writer thread (then half-closes) while `read` consumes the reply
/// on this thread; returns what `read` collected.
fn exchange(c: TcpStream, data: Vec<u8>, read: impl FnOnce(&mut TcpStream) -> Vec<u8>) -> Vec<u8> {
    let mut writer = c.try_clone().unwrap();
    let w = std::thread::spawn(move || {
        // Uneven writes, so message boundaries never line up with the server's reads.
        let mut sent = 0;
        let mut size = 1000;
        while sent < data.len() {
            let end = (sent + size).min(data.len());
            writer.write_all(&data[sent..end]).unwrap();
            sent = end;
            size = size * 3 % 200_003 + 1;
        }
        writer.shutdown(Shutdown::Write).unwrap();
    });
    let mut c = c;
    let got = read(&mut c);
    w.join().unwrap();
    got
}

#[test]
fn eight_mib_of_arbitrary_bytes_echo_exactly() {
    let server = Server::start("echo");
    let data = pattern(TOTAL, 1);
    // The input really is arbitrary: NULs, high bytes and every value are there.
    let mut seen = [false; 256];
    data.iter().for_each(|&b| seen[b as usize] = true);
    assert!(seen.iter().all(|&s| s));
    let expected = upper(&data);
    let got = exchange(client(&server), data, |c| {
        let mut got = Vec::with_capacity(TOTAL);
        c.read_to_end(&mut got).unwrap();
        got
    });
    assert_eq!(got.len(), TOTAL);
    if let Some(i) = got.iter().zip(&expected).position(|(a, b)| a != b) {
        panic!(
            "first difference at byte {i}: got {:#04x}, want {:#04x}",
            got[i], expected[i]
        );
    }
}

#[test]
fn eight_mib_to_a_late_slow_reader_arrive_complete_and_in_order() {
    let server = Server::start("echo");
    let data = pattern(TOTAL, 2);
    let expected = upper(&data);
    let got = exchange(client(&server), data, |c| {
        // Read nothing for a while: the server's writes fill our receive buffer and its
        // send buffer, and its writes to us must park and resume later.
        std::thread::sleep(Duration::from_millis(300));
        let backlog = util::unread_bytes(c);
        assert!(
            backlog > 0,
            "the server sent nothing while we were not reading"
        );
        // Then read in small bursts with pauses.
        let mut got = Vec::with_capacity(TOTAL);
        let mut buf = [0u8; 1024];
        let mut reads = 0u32;
        loop {
            let n = c.read(&mut buf).unwrap();
            if n == 0 {
                return got;
            }
            got.extend_from_slice(&buf[..n]);
            reads += 1;
            if reads % 256 == 0 {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
    });
    assert_eq!(got.len(), TOTAL);
    if let Some(i) = got.iter().zip(&expected).position(|(a, b)| a != b) {
        panic!(
            "first difference at byte {i}: got {:#04x}, want {:#04x}",
            got[i], expected[i]
        );
    }
}
