//! `corio::fs`'s free functions and `read_dir`: std's results and error kinds, from the
//! blocking pool.

mod util;

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::future::Future;
use std::io::ErrorKind;
use std::os::unix::fs::MetadataExt;
use std::pin::pin;
use std::task::{Context, Poll};

use corio::fs;
use util::TempDir;

#[test]
#[cfg_attr(miri, ignore)] // pool threads and files
fn write_read_and_read_to_string_give_the_exact_bytes() {
    let dir = TempDir::new("fs-ops-rw");
    let path = dir.path().join("text");
    corio::block_on(async {
        fs::write(&path, "héllo\n").await.unwrap();
        assert_eq!(fs::read(&path).await.unwrap(), "héllo\n".as_bytes());
        assert_eq!(fs::read_to_string(&path).await.unwrap(), "héllo\n");
        fs::write(&path, vec![b'o', b'k']).await.unwrap(); // truncates
        assert_eq!(fs::read(&path).await.unwrap(), b"ok");
    });
}

#[test]
#[cfg_attr(miri, ignore)] // pool threads and files
fn read_to_string_on_bad_utf8_is_invalid_data() {
    let dir = TempDir::new("fs-ops-utf8");
    let path = dir.path().join("binary");
    std::fs::write(&path, [b'a', 0xff, 0xfe, b'b']).unwrap();
    corio::block_on(async {
        let err = fs::read_to_string(&path).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidData);
        assert_eq!(fs::read(&path).await.unwrap(), [b'a', 0xff, 0xfe, b'b']);
    });
}

#[test]
#[cfg_attr(miri, ignore)] // pool threads and files
fn read_dir_lists_exactly_the_names_across_batches() {
    // 40 files and one directory: more than one batch of entries.
    let dir = TempDir::new("fs-ops-read-dir");
    let mut expected: BTreeSet<OsString> = (0..40).map(|i| format!("file-{i:02}").into()).collect();
    for name in &expected {
        std::fs::write(dir.path().join(name), name.as_encoded_bytes()).unwrap();
    }
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    expected.insert("sub".into());

    let (names, kinds) = corio::block_on(async {
        let mut entries = fs::read_dir(dir.path()).await.unwrap();
        let (mut names, mut kinds) = (BTreeSet::new(), Vec::new());
        while let Some(entry) = entries.next_entry().await.unwrap() {
            assert_eq!(entry.path(), dir.path().join(entry.file_name()));
            let file_type = entry.file_type().await.unwrap();
            let metadata = entry.metadata().await.unwrap();
            assert_eq!(file_type.is_dir(), metadata.is_dir());
            assert_eq!(entry.ino(), metadata.ino());
            if file_type.is_file() {
                assert_eq!(metadata.len(), entry.file_name().len() as u64);
            }
            kinds.push((entry.file_name(), file_type.is_dir()));
            assert!(names.insert(entry.file_name()), "listed twice");
        }
        assert!(
            entries.next_entry().await.unwrap().is_none(),
            "stays at the end"
        );
        (names, kinds)
    });
    assert_eq!(names, expected);
    let dirs: Vec<_> = kinds.iter().filter(|(_, is_dir)| *is_dir).collect();
    assert_eq!(dirs, [&(OsString::from("sub"), true)]);
}

#[test]
#[cfg_attr(miri, ignore)] // pool threads and files
fn directories_are_made_and_removed_with_std_errors() {
    let dir = TempDir::new("fs-ops-dirs");
    let deep = dir.path().join("a/b/c");
    corio::block_on(async {
        let err = fs::create_dir(&deep).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound, "no parent");
        fs::create_dir_all(&deep).await.unwrap();
        fs::create_dir_all(&deep).await.unwrap(); // exists: fine
        let err = fs::create_dir(&deep).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AlreadyExists);
        assert!(fs::metadata(&deep).await.unwrap().is_dir());

        fs::write(deep.join("f"), "x").await.unwrap();
        let err = fs::remove_dir(&deep).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::DirectoryNotEmpty);
        fs::remove_file(deep.join("f")).await.unwrap();
        fs::remove_dir(&deep).await.unwrap();
        assert!(!fs::try_exists(&deep).await.unwrap());
        fs::remove_dir_all(dir.path().join("a")).await.unwrap();
        assert!(!fs::try_exists(dir.path().join("a")).await.unwrap());
        let err = fs::remove_file(dir.path().join("a")).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
    });
}

#[test]
#[cfg_attr(miri, ignore)] // pool threads and files
fn rename_copy_links_and_permissions_do_what_std_does() {
    let dir = TempDir::new("fs-ops-links");
    let p = |name: &str| dir.path().join(name);
    corio::block_on(async {
        fs::write(p("orig"), "twelve bytes").await.unwrap();
        assert_eq!(fs::copy(p("orig"), p("copy")).await.unwrap(), 12);
        assert_eq!(fs::read(p("copy")).await.unwrap(), b"twelve bytes");

        fs::rename(p("copy"), p("moved")).await.unwrap();
        assert!(!fs::try_exists(p("copy")).await.unwrap());
        assert_eq!(fs::read(p("moved")).await.unwrap(), b"twelve bytes");

        fs::hard_link(p("orig"), p("hard")).await.unwrap();
        assert_eq!(fs::metadata(p("orig")).await.unwrap().nlink(), 2);

        fs::symlink("orig", p("soft")).await.unwrap();
        assert_eq!(
            fs::read_link(p("soft")).await.unwrap(),
            std::path::Path::new("orig")
        );
        assert!(fs::symlink_metadata(p("soft"))
            .await
            .unwrap()
            .file_type()
            .is_symlink());
        assert!(fs::metadata(p("soft")).await.unwrap().is_file());
        let canonical = std::fs::canonicalize(p("orig")).unwrap();
        assert_eq!(fs::canonicalize(p("soft")).await.unwrap(), canonical);

        let mut perm = fs::metadata(p("orig")).await.unwrap().permissions();
        perm.set_readonly(true);
        fs::set_permissions(p("orig"), perm).await.unwrap();
        assert!(fs::metadata(p("orig"))
            .await
            .unwrap()
            .permissions()
            .readonly());
        let err = fs::read_link(p("orig")).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "not a link");
    });
}

#[test]
#[cfg_attr(miri, ignore)] // pool threads and files
fn polled_outside_a_runtime_an_fs_future_fails_instead_of_panicking() {
    let mut read = pin!(fs::read("/"));
    let waker = futures_task::noop_waker();
    match read.as_mut().poll(&mut Context::from_waker(&waker)) {
        Poll::Ready(Err(e)) => assert!(e.to_string().contains("corio runtime"), "{e}"),
        other => panic!("expected an error, got {other:?}"),
    }
}
