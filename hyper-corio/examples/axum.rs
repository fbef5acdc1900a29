//! An axum application on corio: axum's `Router` is a tower `Service`, served by
//! hyper-util's HTTP/1 + HTTP/2 server over corio sockets, one corio task per connection.
//!
//! ```text
//! cargo run -p corio-hyper --example axum [-- ADDR]
//! curl http://127.0.0.1:8080/                        # {"hello":"axum on corio"}
//! curl http://127.0.0.1:8080/sleep?ms=50             # sleeps on corio's timer
//! curl http://127.0.0.1:8080/spawn?n=10              # spawns a task, awaits its JoinHandle
//! curl http://127.0.0.1:8080/blocking?n=20           # runs on corio's blocking pool
//! curl -H 'content-type: application/json' -d '{"text":"hi","times":3}' http://127.0.0.1:8080/repeat
//! curl --http2-prior-knowledge http://127.0.0.1:8080/
//! ```
//!
//! axum requires handlers whose futures are `Send`; on corio they run on the thread that
//! accepted the connection, and what they await (`corio::time::sleep`, a `JoinHandle`)
//! is `Send`, so they qualify. axum is used without its `tokio` feature: nothing of tokio's
//! runtime starts.

use std::io::{self, Write};
use std::time::{Duration, Instant};

use axum::extract::Query;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use corio_hyper::{CorioExecutor, CorioIo, CorioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// The application: five routes, each using one corio facility.
fn app() -> Router {
    Router::new()
        .route(
            "/",
            get(|| async { Json(json!({ "hello": "axum on corio" })) }),
        )
        .route("/sleep", get(sleep))
        .route("/spawn", get(spawn))
        .route("/blocking", get(blocking))
        .route("/repeat", post(repeat))
}

#[derive(Deserialize)]
struct Millis {
    ms: u64,
}

/// Sleeps `ms` milliseconds (at most 10 s) on corio's timer; says how long it took.
async fn sleep(Query(Millis { ms }): Query<Millis>) -> Result<Json<Value>, StatusCode> {
    if ms > 10_000 {
        return Err(StatusCode::BAD_REQUEST);
    }
    let start = Instant::now();
    corio::time::sleep(Duration::from_millis(ms)).await;
    let waited = start.elapsed().as_millis() as u64;
    Ok(Json(json!({ "slept_ms": ms, "at_least": waited >= ms })))
}

#[derive(Deserialize)]
struct Count {
    n: u64,
}

/// Spawns a task that sums `1..=n` and awaits its `JoinHandle`.
async fn spawn(Query(Count { n }): Query<Count>) -> Result<Json<Value>, StatusCode> {
    let task = corio::spawn(async move { (1..=n).sum::<u64>() });
    let sum = task.await.map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    Ok(Json(json!({ "n": n, "sum": sum })))
}

/// Computes Fibonacci(`n`) (at most 90) on the blocking pool.
async fn blocking(Query(Count { n }): Query<Count>) -> Result<Json<Value>, StatusCode> {
    if n > 90 {
        return Err(StatusCode::BAD_REQUEST);
    }
    let fib = corio::task::spawn_blocking(move || {
        let (mut a, mut b) = (0u64, 1u64);
        for _ in 0..n {
            (a, b) = (b, a + b);
        }
        a
    });
    let value = fib.await.map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    Ok(Json(json!({ "n": n, "fib": value })))
}

#[derive(Deserialize)]
struct RepeatIn {
    text: String,
    times: usize,
}

#[derive(Serialize)]
struct RepeatOut {
    text: String,
    len: usize,
}

/// JSON in, JSON out: `text` repeated `times` times (the result at most 64 KiB).
async fn repeat(Json(input): Json<RepeatIn>) -> Result<Json<RepeatOut>, StatusCode> {
    match input.text.len().checked_mul(input.times) {
        Some(len) if len <= 64 * 1024 => {}
        _ => return Err(StatusCode::PAYLOAD_TOO_LARGE),
    }
    let text = input.text.repeat(input.times);
    Ok(Json(RepeatOut {
        len: text.len(),
        text,
    }))
}

fn main() {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    if let Err(e) = corio::block_on(serve(&addr)) {
        eprintln!("axum: {e}");
        std::process::exit(1);
    }
}

/// Accepts connections and serves each with hyper-util's auto builder (HTTP/1.1, or
/// HTTP/2 when the client opens with its preface).
async fn serve(addr: &str) -> io::Result<()> {
    let listener = corio::net::TcpListener::bind(addr).await?;
    println!("listening on {}", listener.local_addr()?);
    io::stdout().flush()?;
    let service = TowerToHyperService::new(app());
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                eprintln!("accept: {e}");
                continue;
            }
        };
        let service = service.clone();
        corio::spawn(async move {
            let mut builder = auto::Builder::new(CorioExecutor);
            builder.http1().timer(CorioTimer);
            let connection = builder.serve_connection(CorioIo::new(stream), service);
            if let Err(e) = connection.await {
                eprintln!("connection: {e}");
            }
        });
    }
}
