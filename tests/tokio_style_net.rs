//! Programs written the way tokio's documentation writes them, with `tokio` spelled
//! `corio`: an echo server over `io::copy`, a proxy over `copy_bidirectional`, and a line
//! chat over `BufReader::lines` and `select!`. Each checks the exact bytes.
#![cfg(feature = "macros")]

use std::net::SocketAddr;

use corio::io::{self, AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use corio::net::{TcpListener, TcpStream};
use corio::sync::broadcast;

/// The echo server of tokio's tutorial: every connection copied back to itself.
async fn echo_server() -> io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    corio::spawn(async move {
        loop {
            let (socket, _) = match listener.accept().await {
                Ok(accepted) => accepted,
                Err(_) => return,
            };
            corio::spawn(async move {
                let (mut rd, mut wr) = socket.split();
                if io::copy(&mut rd, &mut wr).await.is_err() {
                    eprintln!("failed to copy");
                }
            });
        }
    });
    Ok(addr)
}

#[corio::test]
#[cfg_attr(miri, ignore)]
async fn echo_with_io_copy() -> io::Result<()> {
    let addr = echo_server().await?;
    let mut clients = Vec::new();
    for i in 0..10u8 {
        clients.push(corio::spawn(async move {
            let socket = TcpStream::connect(addr).await?;
            let message: Vec<u8> = (0..100_000u32).map(|k| (k as u8) ^ i).collect();
            let (mut rd, mut wr) = socket.split();
            let write = async {
                wr.write_all(&message).await?;
                wr.shutdown().await
            };
            let mut back = Vec::new();
            let (wrote, read) = corio::join!(write, rd.read_to_end(&mut back));
            wrote?;
            read?;
            assert_eq!(back, message);
            Ok::<_, io::Error>(back.len())
        }));
    }
    for client in clients {
        assert_eq!(client.await.unwrap()?, 100_000);
    }
    Ok(())
}

#[corio::test]
#[cfg_attr(miri, ignore)]
async fn proxy_with_copy_bidirectional() -> io::Result<()> {
    // The backend answers each line in upper case and says how much it got at the end.
    let backend = TcpListener::bind("127.0.0.1:0").await?;
    let backend_addr = backend.local_addr()?;
    corio::spawn(async move {
        let (socket, _) = backend.accept().await.unwrap();
        let (rd, mut wr) = socket.into_split();
        let mut lines = BufReader::new(rd).lines();
        let mut total = 0;
        while let Some(line) = lines.next_line().await.unwrap() {
            total += line.len() + 1;
            wr.write_all(format!("{}\n", line.to_uppercase()).as_bytes())
                .await
                .unwrap();
        }
        wr.write_all(format!("got {total} bytes\n").as_bytes())
            .await
            .unwrap();
    });

    let proxy = TcpListener::bind("127.0.0.1:0").await?;
    let proxy_addr = proxy.local_addr()?;
    let proxied = corio::spawn(async move {
        let (mut inbound, _) = proxy.accept().await?;
        let mut outbound = TcpStream::connect(backend_addr).await?;
        io::copy_bidirectional(&mut inbound, &mut outbound).await
    });

    let mut client = TcpStream::connect(proxy_addr).await?;
    let request = "hello\nproxy world\n".repeat(1000);
    client.write_all(request.as_bytes()).await?;
    client.shutdown().await?;
    let mut reply = String::new();
    client.read_to_string(&mut reply).await?;
    let expected = format!("{}got {} bytes\n", request.to_uppercase(), request.len());
    assert_eq!(reply, expected);
    let (up, down) = proxied.await.unwrap()?;
    assert_eq!((up, down), (request.len() as u64, expected.len() as u64));
    Ok(())
}

/// A chat server: each line a client sends goes to every client, prefixed with its name.
async fn chat_server() -> io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (tx, _) = broadcast::channel::<String>(64);
    corio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let tx = tx.clone();
            let mut rx = tx.subscribe();
            corio::spawn(async move {
                let (rd, mut wr) = socket.into_split();
                let mut lines = BufReader::new(rd).lines();
                let Ok(Some(name)) = lines.next_line().await else {
                    return;
                };
                loop {
                    corio::select! {
                        line = lines.next_line() => match line {
                            Ok(Some(line)) => {
                                let _ = tx.send(format!("{name}: {line}\n"));
                            }
                            _ => break,
                        },
                        said = rx.recv() => match said {
                            Ok(said) => {
                                if wr.write_all(said.as_bytes()).await.is_err() {
                                    break;
                                }
                            }
                            Err(_) => break,
                        },
                    }
                }
            });
        }
    });
    Ok(addr)
}

#[corio::test]
#[cfg_attr(miri, ignore)]
async fn line_chat_with_lines_and_select() -> io::Result<()> {
    let addr = chat_server().await?;
    let mut ann = BufReader::new(TcpStream::connect(addr).await?);
    let mut bob = BufReader::new(TcpStream::connect(addr).await?);
    ann.get_mut().write_all(b"ann\n").await?;
    bob.get_mut().write_all(b"bob\n").await?;
    // Ann speaks until Bob has heard her: that proves both are in the room.
    let mut line = String::new();
    loop {
        ann.get_mut().write_all(b"ping\n").await?;
        line.clear();
        bob.read_line(&mut line).await?;
        if line == "ann: ping\n" {
            break;
        }
    }
    // Drain Ann's own echoes of the pings, then talk.
    bob.get_mut().write_all(b"hi ann\n").await?;
    loop {
        line.clear();
        ann.read_line(&mut line).await?;
        if line != "ann: ping\n" {
            break;
        }
    }
    assert_eq!(line, "bob: hi ann\n");
    Ok(())
}
