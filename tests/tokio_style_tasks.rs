//! Programs written the way tokio's documentation writes them, with `tokio` spelled
//! `corio`: a file round trip through `fs`, a `JoinSet` of 1,000 tasks, and a
//! configuration reloaded through `watch`. Each checks exact values.
#![cfg(feature = "macros")]

mod util;

use std::time::Duration;

use corio::fs;
use corio::io::{self, AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use corio::sync::watch;
use corio::task::JoinSet;
use util::TempDir;

#[corio::test]
#[cfg_attr(miri, ignore)]
async fn file_round_trip_with_fs() -> io::Result<()> {
    let dir = TempDir::new("tokio-style-fs");
    let path = dir.path().join("notes.txt");

    let mut file = fs::File::create(&path).await?;
    for i in 0..1000 {
        file.write_all(format!("line {i}\n").as_bytes()).await?;
    }
    file.flush().await?;
    drop(file);

    let file = fs::File::open(&path).await?;
    let mut lines = BufReader::new(file).lines();
    let mut count = 0;
    while let Some(line) = lines.next_line().await? {
        assert_eq!(line, format!("line {count}"));
        count += 1;
    }
    assert_eq!(count, 1000);

    fs::write(dir.path().join("copy.txt"), fs::read(&path).await?).await?;
    let mut copy = String::new();
    fs::File::open(dir.path().join("copy.txt"))
        .await?
        .read_to_string(&mut copy)
        .await?;
    assert_eq!(copy, fs::read_to_string(&path).await?);
    assert_eq!(fs::metadata(&path).await?.len(), copy.len() as u64);

    fs::remove_file(&path).await?;
    let err = fs::read(&path).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
    Ok(())
}

#[corio::test]
#[cfg_attr(miri, ignore)]
async fn join_set_of_a_thousand_tasks() {
    let mut set = JoinSet::new();
    for i in 0..1000u64 {
        set.spawn(async move {
            // Half the tasks wait a little, so they finish out of spawn order.
            if i % 2 == 0 {
                corio::time::sleep(Duration::from_millis(i % 7)).await;
            }
            i * i
        });
    }
    assert_eq!(set.len(), 1000);
    let mut seen = vec![false; 1000];
    let mut sum = 0;
    while let Some(result) = set.join_next().await {
        let square = result.unwrap();
        let root = (square as f64).sqrt() as usize;
        assert!(
            !std::mem::replace(&mut seen[root], true),
            "{root} joined twice"
        );
        sum += square;
    }
    assert!(seen.iter().all(|&s| s));
    assert_eq!(sum, (0..1000u64).map(|i| i * i).sum::<u64>());
    assert!(set.is_empty());
}

#[derive(Clone, Debug, PartialEq)]
struct Config {
    version: u32,
    greeting: String,
}

#[corio::test]
#[cfg_attr(miri, ignore)]
async fn config_reload_through_watch() {
    let (tx, rx) = watch::channel(Config {
        version: 0,
        greeting: "hello".into(),
    });
    let mut workers = JoinSet::new();
    for _ in 0..3 {
        let mut rx = rx.clone();
        workers.spawn(async move {
            let mut greetings = Vec::new();
            while rx.changed().await.is_ok() {
                let config = rx.borrow_and_update().clone();
                greetings.push(config.greeting.clone());
                if config.version == 100 {
                    break;
                }
            }
            (rx.borrow().version, greetings)
        });
    }
    drop(rx);
    for version in 1..=100 {
        tx.send(Config {
            version,
            greeting: format!("hello v{version}"),
        })
        .unwrap();
        // Every worker sees the reload before the next one, or some are coalesced:
        // yielding lets them run, as a real reloader would between file changes.
        corio::task::yield_now().await;
    }
    while let Some(done) = workers.join_next().await {
        let (version, greetings) = done.unwrap();
        assert_eq!(version, 100);
        assert_eq!(greetings.last().map(String::as_str), Some("hello v100"));
        assert!(!greetings.is_empty() && greetings.len() <= 100);
    }
    // With every receiver gone, a send reports the value back.
    let err = tx
        .send(Config {
            version: 101,
            greeting: "nobody".into(),
        })
        .unwrap_err();
    assert_eq!(err.0.version, 101);
}
