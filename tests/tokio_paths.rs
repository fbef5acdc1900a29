//! tokio's paths for items corio has: a program written against them compiles and the
//! items behave as corio's own.

use corio::io::{AsyncReadExt, AsyncWriteExt, ErrorKind};
use corio::net::{TcpListener, TcpStream, ToSocketAddrs};
use corio::sync::{broadcast, mpsc};
use corio::time::{Duration, Instant};

/// The shapes tokio programs write: `io::Result` as a return type, `time::Duration`,
/// `net::ToSocketAddrs` as a bound.
async fn echo_once<A: ToSocketAddrs>(addr: A) -> corio::io::Result<Vec<u8>> {
    let mut stream = TcpStream::connect(addr).await?;
    stream.write_all(b"ping").await?;
    let mut reply = vec![0; 4];
    stream.read_exact(&mut reply).await?;
    Ok(reply)
}

#[test]
#[cfg_attr(miri, ignore)] // sockets
fn io_net_and_time_paths_name_std_types_and_work() {
    corio::block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = corio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut buf = [0; 4];
            stream.read_exact(&mut buf).await.unwrap();
            stream.write_all(&buf.to_ascii_uppercase()).await.unwrap();
        });
        let started: Instant = Instant::now();
        assert_eq!(echo_once(addr).await.unwrap(), b"PING");
        server.await.unwrap();
        let waited: Duration = Duration::from_millis(1);
        corio::time::sleep(waited).await;
        assert!(started.elapsed() >= waited);
        let error: corio::io::Error = corio::io::Error::from(ErrorKind::NotFound);
        assert_eq!(error.kind(), std::io::ErrorKind::NotFound);
    });
}

#[test]
fn channel_errors_live_under_error_modules_as_on_tokio() {
    corio::block_on(async {
        let (tx, rx) = mpsc::channel::<u8>(1);
        drop(rx);
        let mpsc::error::SendError(back) = tx.send(7).await.unwrap_err();
        assert_eq!(back, 7);
        let (tx, mut rx) = broadcast::channel::<u8>(1);
        drop(tx);
        assert_eq!(
            rx.recv().await.unwrap_err(),
            broadcast::error::RecvError::Closed
        );
    });
}

#[test]
#[cfg_attr(miri, ignore)] // signals
fn signal_unix_names_the_same_signal_items() {
    let hangup: corio::signal::unix::SignalKind = corio::signal::unix::SignalKind::hangup();
    assert_eq!(hangup, corio::signal::SignalKind::hangup());
    corio::block_on(async {
        let _stream: corio::signal::unix::Signal = corio::signal::unix::signal(hangup).unwrap();
    });
}

#[test]
fn a_runtime_built_as_tokio_programs_build_one_runs_tasks() {
    let runtime = corio::runtime::Builder::new_current_thread()
        .enable_all()
        .enable_io()
        .enable_time()
        .build()
        .unwrap();
    let rt: &corio::runtime::Runtime = &runtime;
    let sum = rt.block_on(async {
        let task = corio::spawn(async { 40 });
        corio::time::sleep(Duration::from_millis(1)).await;
        task.await.unwrap() + 2
    });
    assert_eq!(sum, 42);
}
