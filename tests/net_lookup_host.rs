//! Addresses as tokio takes them: `bind`, `connect` and `lookup_host` convert literal
//! addresses at once and send names to the blocking pool, so the runtime thread never
//! waits on a resolver.

use std::net::SocketAddr;
use std::pin::pin;
use std::task::Poll;

use corio::io::{AsyncReadExt, AsyncWriteExt};
use corio::net::{lookup_host, TcpListener, TcpStream, UdpSocket};

/// Polls `future` once in the current task.
async fn first_poll<F: std::future::Future>(future: std::pin::Pin<&mut F>) -> Poll<F::Output> {
    let mut future = Some(future);
    std::future::poll_fn(|cx| Poll::Ready(future.take().unwrap().poll(cx))).await
}

#[test]
#[cfg_attr(miri, ignore)]
fn a_literal_address_resolves_at_the_first_poll() {
    corio::block_on(async {
        let lookup = pin!(lookup_host("127.0.0.1:8080"));
        let Poll::Ready(addrs) = first_poll(lookup).await else {
            panic!("a literal address waited for the resolver");
        };
        let addrs: Vec<SocketAddr> = addrs.unwrap().collect();
        assert_eq!(addrs, ["127.0.0.1:8080".parse::<SocketAddr>().unwrap()]);

        let pair = pin!(lookup_host(("::1", 9)));
        let Poll::Ready(addrs) = first_poll(pair).await else {
            panic!("an (ip, port) pair waited for the resolver");
        };
        assert_eq!(
            addrs.unwrap().collect::<Vec<_>>(),
            ["[::1]:9".parse().unwrap()]
        );
    });
}

#[test]
#[cfg_attr(miri, ignore)]
fn a_name_is_resolved_off_the_runtime_thread() {
    corio::block_on(async {
        let runtime_thread = std::thread::current().id();
        let mut lookup = pin!(lookup_host("localhost:4242"));
        // The first poll hands the name to the pool and returns: the runtime's thread is
        // free while getaddrinfo runs.
        assert!(first_poll(lookup.as_mut()).await.is_pending());
        let ticks = corio::spawn(async move {
            assert_eq!(std::thread::current().id(), runtime_thread);
            7
        });
        assert_eq!(ticks.await.unwrap(), 7);
        let addrs: Vec<SocketAddr> = lookup.await.unwrap().collect();
        assert!(!addrs.is_empty());
        assert!(
            addrs
                .iter()
                .all(|a| a.port() == 4242 && a.ip().is_loopback()),
            "{addrs:?}"
        );
    });
}

#[test]
#[cfg_attr(miri, ignore)]
fn a_string_without_a_port_is_invalid_input() {
    corio::block_on(async {
        let err = lookup_host("localhost").await.err().unwrap();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput, "{err}");
    });
}

#[test]
#[cfg_attr(miri, ignore)]
fn bind_and_connect_take_a_host_name() {
    corio::block_on(async {
        let listener = TcpListener::bind("localhost:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        assert!(addr.ip().is_loopback());
        let server = corio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            stream.write_all(b"hi").await.unwrap();
        });
        let name = format!("localhost:{}", addr.port());
        // A name that resolves to ::1 first fails on a v4-only listener and goes on.
        let mut client = TcpStream::connect(name.as_str()).await.unwrap();
        let mut buf = Vec::new();
        client.read_to_end(&mut buf).await.unwrap();
        assert_eq!(buf, b"hi");
        server.await.unwrap();

        let udp = UdpSocket::bind(("127.0.0.1", 0)).await.unwrap();
        let peer = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let peer_name = format!("localhost:{}", peer.local_addr().unwrap().port());
        // ::1 cannot be the peer of a v4 socket: connect tries the next address.
        udp.connect(peer_name.as_str()).await.unwrap();
        assert_eq!(udp.peer_addr().unwrap(), peer.local_addr().unwrap());
        udp.send(b"x").await.unwrap();
        let mut byte = [0; 1];
        assert_eq!(
            peer.recv_from(&mut byte).await.unwrap(),
            (1, udp.local_addr().unwrap())
        );
    });
}

#[test]
#[cfg_attr(miri, ignore)]
fn bind_tries_each_address_of_a_list() {
    corio::block_on(async {
        let taken = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let free = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            probe.local_addr().unwrap()
        };
        let list = [taken.local_addr().unwrap(), free];
        let listener = TcpListener::bind(&list[..]).await.unwrap();
        assert_eq!(listener.local_addr().unwrap(), free);

        let err = TcpListener::bind(&list[..1]).await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
        let none: &[SocketAddr] = &[];
        let err = TcpListener::bind(none).await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    });
}
