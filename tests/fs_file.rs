//! `corio::fs::File`: exact bytes through the blocking-pool adapter, writes that complete
//! in the background and report their errors at the next operation, seeks, read-ahead
//! undone before a write, and taking the std file back.

mod util;

use std::io::{ErrorKind, Read, SeekFrom};
use std::path::Path;
use std::sync::{Arc, Barrier, Condvar, Mutex};
use std::time::Duration;

use corio::fs::{File, OpenOptions};
use corio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
use corio::task::{spawn_blocking, MAX_THREADS};
use util::TempDir;

/// 1 MiB of bytes that differ from their neighbours, so a lost or repeated chunk shows.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

#[test]
#[cfg_attr(miri, ignore)] // pool threads and files
fn one_mebibyte_round_trips_through_many_jobs() {
    let dir = TempDir::new("fs-round-trip");
    let path = dir.path().join("data");
    let data = pattern(1 << 20);
    let back = corio::block_on(async {
        let mut file = File::create(&path).await.unwrap();
        file.set_max_buf_size(64 * 1024); // 16 write jobs for one write_all
        assert_eq!(file.max_buf_size(), 64 * 1024);
        for chunk in data.chunks(300_000) {
            file.write_all(chunk).await.unwrap();
        }
        file.flush().await.unwrap();
        drop(file);

        let mut file = File::open(&path).await.unwrap();
        let mut back = Vec::new();
        let mut buf = vec![0; 10_000];
        loop {
            let n = file.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            back.extend_from_slice(&buf[..n]);
        }
        back
    });
    assert_eq!(back.len(), data.len());
    assert!(
        back == data,
        "the bytes read back differ from those written"
    );
}

#[test]
#[cfg_attr(miri, ignore)] // pool threads and files
fn sync_all_waits_for_writes_that_were_never_flushed() {
    let dir = TempDir::new("fs-sync");
    let path = dir.path().join("data");
    corio::block_on(async {
        let file_path = path.clone();
        let mut file = File::create(file_path).await.unwrap();
        file.write_all(b"first ").await.unwrap();
        file.write_all(b"second").await.unwrap();
        file.sync_all().await.unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"first second");
        assert_eq!(file.metadata().await.unwrap().len(), 12);
    });
}

#[test]
#[cfg_attr(miri, ignore)] // pool threads and files
fn a_file_dropped_with_a_write_in_flight_still_writes_it() {
    // tokio's guarantee, and corio's: the job owns the file and finishes the write after
    // the `File` is gone. Every pool thread is held busy first, so the write is still
    // queued when the `File` drops. Nothing signals the job's end, so the test then waits
    // for the bytes (bounded); a write skipped or cancelled on drop would fail here.
    let dir = TempDir::new("fs-drop");
    let path = dir.path().join("data");
    let data = pattern(300_000);
    let all_busy = Arc::new(Barrier::new(MAX_THREADS + 1));
    let gate = Arc::new((Mutex::new(false), Condvar::new()));
    corio::block_on(async {
        let mut file = File::create(&path).await.unwrap();
        for _ in 0..MAX_THREADS {
            let (all_busy, gate) = (all_busy.clone(), gate.clone());
            drop(spawn_blocking(move || {
                all_busy.wait();
                let mut open = gate.0.lock().unwrap();
                while !*open {
                    open = gate.1.wait(open).unwrap();
                }
            }));
        }
        all_busy.wait(); // blocks this thread until every pool thread holds a gate job
        assert_eq!(
            file.write(&data).await.unwrap(),
            data.len(),
            "accepted whole"
        );
        drop(file);
        *gate.0.lock().unwrap() = true;
        gate.1.notify_all();
    });
    let written = util::wait_for(Duration::from_secs(10), Duration::from_millis(2), || {
        std::fs::read(&path).unwrap() == data
    });
    assert!(written, "the dropped file's write never reached the file");
}

#[test]
#[cfg_attr(miri, ignore)] // pool threads and files
fn a_missing_file_is_not_found() {
    let dir = TempDir::new("fs-missing");
    let path = dir.path().join("no such file");
    corio::block_on(async {
        assert_eq!(
            File::open(&path).await.unwrap_err().kind(),
            ErrorKind::NotFound
        );
        assert_eq!(
            corio::fs::read(&path).await.unwrap_err().kind(),
            ErrorKind::NotFound
        );
        let no_create = OpenOptions::new().write(true).open(&path).await;
        assert_eq!(no_create.unwrap_err().kind(), ErrorKind::NotFound);
    });
}

#[test]
#[cfg_attr(miri, ignore)] // pool threads and files
fn seeks_move_the_position_reads_start_from() {
    let dir = TempDir::new("fs-seek");
    let path = dir.path().join("digits");
    std::fs::write(&path, b"0123456789").unwrap();
    corio::block_on(async {
        let mut file = File::open(&path).await.unwrap();
        assert_eq!(file.seek(SeekFrom::Start(3)).await.unwrap(), 3);
        let mut four = [0; 4];
        file.read_exact(&mut four).await.unwrap();
        assert_eq!(&four, b"3456");
        assert_eq!(file.stream_position().await.unwrap(), 7);
        assert_eq!(file.seek(SeekFrom::Current(-2)).await.unwrap(), 5);
        let mut rest = Vec::new();
        file.read_to_end(&mut rest).await.unwrap();
        assert_eq!(rest, b"56789");
        assert_eq!(file.seek(SeekFrom::End(-1)).await.unwrap(), 9);
        file.rewind().await.unwrap();
        let mut all = Vec::new();
        file.read_to_end(&mut all).await.unwrap();
        assert_eq!(all, b"0123456789");
    });
}

/// Starts a read of 8 bytes at the start, drops it after one poll (its job goes on and
/// fills the buffer), then reads 3: 5 bytes stay read ahead of the position the caller
/// has seen. A pool thread quick enough to finish the job within that one poll hands
/// the 8 bytes out instead; then the file is rewound and the race run again.
async fn read_three_with_five_ahead(file: &mut File) -> [u8; 3] {
    let mut eight = [0; 8];
    let mut left_in_flight = false;
    for _ in 0..1000 {
        let mut read = file.read(&mut eight);
        if util::poll_once(&mut read).await.is_pending() {
            left_in_flight = true;
            break;
        }
        drop(read);
        file.rewind().await.unwrap();
    }
    assert!(left_in_flight, "every read finished within its first poll");
    let mut three = [0; 3];
    assert_eq!(file.read(&mut three).await.unwrap(), 3);
    three
}

#[test]
#[cfg_attr(miri, ignore)] // pool threads and files
fn read_ahead_is_undone_before_a_write_and_in_seeks() {
    let dir = TempDir::new("fs-read-ahead");
    let path = dir.path().join("letters");
    std::fs::write(&path, b"abcdefghij").unwrap();
    corio::block_on(async {
        let options = File::options().read(true).write(true).clone();
        let mut file = options.open(&path).await.unwrap();
        assert_eq!(&read_three_with_five_ahead(&mut file).await, b"abc");
        file.write_all(b"XY").await.unwrap();
        file.flush().await.unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"abcXYfghij");

        let mut file = options.open(&path).await.unwrap();
        assert_eq!(&read_three_with_five_ahead(&mut file).await, b"abc");
        assert_eq!(file.stream_position().await.unwrap(), 3);
        assert_eq!(file.seek(SeekFrom::Current(1)).await.unwrap(), 4);
        let mut one = [0; 1];
        file.read_exact(&mut one).await.unwrap();
        assert_eq!(&one, b"Y");
    });
}

#[test]
#[cfg_attr(miri, ignore)] // pool threads and files
fn a_failed_write_is_reported_by_the_next_flush_or_read() {
    let dir = TempDir::new("fs-write-error");
    let path = dir.path().join("read-only");
    std::fs::write(&path, b"kept").unwrap();
    corio::block_on(async {
        let mut file = File::open(&path).await.unwrap(); // opened for reading only
        assert_eq!(
            file.write(b"lost").await.unwrap(),
            4,
            "accepted before it runs"
        );
        let err = file.flush().await.unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EBADF));
        file.flush().await.unwrap(); // reported once

        assert_eq!(file.write(b"lost").await.unwrap(), 4);
        let err = file.read(&mut [0; 4]).await.unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EBADF));
        let mut kept = Vec::new();
        file.read_to_end(&mut kept).await.unwrap();
        assert_eq!(kept, b"kept");
    });
}

#[test]
#[cfg_attr(miri, ignore)] // pool threads and files
fn set_len_metadata_and_the_std_file_see_every_earlier_write() {
    let dir = TempDir::new("fs-set-len");
    let path = dir.path().join("data");
    corio::block_on(async {
        let mut file = File::create_new(&path).await.unwrap();
        file.write_all(b"0123456789").await.unwrap();
        assert_eq!(
            file.metadata().await.unwrap().len(),
            10,
            "waits for the write"
        );
        file.set_len(4).await.unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"0123");

        file.write_all(b"!").await.unwrap();
        let file = file.try_into_std().expect_err("a write is in flight");
        let mut std = file.into_std().await;
        assert_eq!(std::io::Seek::stream_position(&mut std).unwrap(), 11);
        let mut all = Vec::new();
        std::fs::File::open(&path)
            .unwrap()
            .read_to_end(&mut all)
            .unwrap();
        assert_eq!(all, b"0123\0\0\0\0\0\0!");

        let again = File::from_std(std).try_into_std().expect("idle");
        drop(again);
        let exists = File::create_new(&path).await.unwrap_err();
        assert_eq!(exists.kind(), ErrorKind::AlreadyExists);
    });
}

#[test]
#[cfg_attr(miri, ignore)] // pool threads and files
fn append_writes_at_the_end() {
    let dir = TempDir::new("fs-append");
    let path = dir.path().join("log");
    std::fs::write(&path, b"one\n").unwrap();
    corio::block_on(async {
        let mut log = OpenOptions::new().append(true).open(&path).await.unwrap();
        log.write_all(b"two\n").await.unwrap();
        log.close().await.unwrap();
    });
    assert_eq!(std::fs::read(&path).unwrap(), b"one\ntwo\n");
}

#[test]
#[cfg_attr(miri, ignore)] // opens a file
fn file_and_its_futures_are_send_like_tokios() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    fn send<T: Send>(_: &T) {}
    let path = Path::new("unused");
    send(&File::open(path));
    send(&corio::fs::read(path));
    send(&corio::fs::read_dir(path));
    let file = File::from_std(tempfile_for_types());
    send_sync(&file);
}

/// Any open std file, for the type checks above.
fn tempfile_for_types() -> std::fs::File {
    std::fs::File::open(std::env::current_exe().unwrap()).unwrap()
}
