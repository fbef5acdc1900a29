//! Unix socket paths as raw bytes: a path that is not UTF-8 binds, connects and is
//! reported back byte for byte; the longest path `sun_path` holds works, and one byte
//! more is refused with `InvalidInput` by both `bind` and `connect`, creating nothing.

mod util;

use std::ffi::OsStr;
use std::io::ErrorKind;
use std::mem::{offset_of, size_of};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use corio::io::{AsyncReadExt, AsyncWriteExt};
use corio::net::{UnixListener, UnixStream};
use util::{within, TempDir};

const LIMIT: Duration = Duration::from_secs(20);

/// Room in `sun_path`, terminating NUL included (108 on Linux).
fn sun_path_len() -> usize {
    size_of::<libc::sockaddr_un>() - offset_of!(libc::sockaddr_un, sun_path)
}

/// `dir/` followed by `fill` repeated so the whole path is `len` bytes.
fn path_of_len(dir: &Path, fill: u8, len: usize) -> PathBuf {
    let mut bytes = dir.as_os_str().as_bytes().to_vec();
    bytes.push(b'/');
    assert!(
        bytes.len() < len,
        "temp dir too long for this test: {dir:?}"
    );
    bytes.resize(len, fill);
    PathBuf::from(OsStr::from_bytes(&bytes))
}

/// The names in `dir`, as raw bytes.
fn entries(dir: &Path) -> Vec<Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().as_bytes().to_vec())
        .collect()
}

/// Binds at `path`, connects, and checks every address and a round trip both ways.
async fn bind_connect_and_round_trip(path: &Path) {
    let listener = UnixListener::bind(path).unwrap();
    assert_eq!(listener.local_addr().unwrap().as_pathname(), Some(path));
    let file_type = std::fs::symlink_metadata(path).unwrap().file_type();
    assert!(file_type.is_socket());

    let mut client = UnixStream::connect(path).await.unwrap();
    let (mut server, from) = listener.accept().await.unwrap();
    assert_eq!(client.peer_addr().unwrap().as_pathname(), Some(path));
    assert_eq!(server.local_addr().unwrap().as_pathname(), Some(path));
    assert!(client.local_addr().unwrap().is_unnamed());
    assert!(from.is_unnamed());
    assert!(server.peer_addr().unwrap().is_unnamed());

    let payload = util::pattern(100_000, 11); // more than one read's worth
    let ((), got) = util::join2(
        async {
            client.write_all(&payload).await.unwrap();
            client.close().await.unwrap(); // end of stream for the server
        },
        async {
            let mut got = Vec::new();
            server.read_to_end(&mut got).await.unwrap();
            server.write_all(&util::upper(&got)).await.unwrap();
            got
        },
    )
    .await;
    assert_eq!(got, payload);
    let mut reply = vec![0u8; payload.len()];
    client.read_exact(&mut reply).await.unwrap();
    assert_eq!(reply, util::upper(&payload));
}

#[test]
fn a_non_utf8_path_binds_connects_and_reports_the_same_bytes() {
    let dir = TempDir::new("unix-non-utf8");
    let path = dir.path().join(OsStr::from_bytes(b"sock-\xff\xfe-\x80.s"));
    assert!(path.to_str().is_none(), "the path must not be UTF-8");
    corio::block_on(within(LIMIT, "non-UTF-8 path", async {
        bind_connect_and_round_trip(&path).await;
    }));
    assert_eq!(entries(dir.path()), vec![b"sock-\xff\xfe-\x80.s".to_vec()]);
}

#[test]
fn the_longest_path_that_fits_works_and_one_byte_more_is_invalid_input() {
    let dir = TempDir::new("unix-long");
    let longest = sun_path_len() - 1; // 107 on Linux: room for the NUL
    corio::block_on(within(LIMIT, "path lengths", async {
        // One byte too long: refused whole, never truncated to a shorter name.
        let too_long = path_of_len(dir.path(), b'b', longest + 1);
        let bind = UnixListener::bind(&too_long).unwrap_err();
        assert_eq!(bind.kind(), ErrorKind::InvalidInput, "{bind}");
        let connect = UnixStream::connect(&too_long).await.unwrap_err();
        assert_eq!(connect.kind(), ErrorKind::InvalidInput, "{connect}");
        assert_eq!(entries(dir.path()), Vec::<Vec<u8>>::new());

        // Exactly as long as fits, with a non-UTF-8 byte at the very end.
        let mut bytes = path_of_len(dir.path(), b'a', longest)
            .into_os_string()
            .into_vec();
        *bytes.last_mut().unwrap() = 0xff;
        let fits = PathBuf::from(OsStr::from_bytes(&bytes));
        assert_eq!(fits.as_os_str().len(), longest);
        bind_connect_and_round_trip(&fits).await;
    }));
}
