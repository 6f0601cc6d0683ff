//! `colloquy-load`: a bounded load generator for `cargo xtask bench`. Against a colloquy-server
//! running on loopback, for each concurrency level it runs that many clients, each on its own
//! keep-alive connection, each sending a message and reading the whole SSE reply, again and again
//! until the level's time or reply budget is spent. It prints one JSON object: per level the
//! replies per second and the p50/p99 time to the first event (request sent to the first body
//! byte of the reply).
//!
//! ```text
//! colloquy-load [--addr 127.0.0.1:8080] [--levels 1,16,64,256] [--seconds 3] [--max-replies 5000]
//!               [--text hi] [--token JWT]
//! ```
//!
//! Run the server so that the load measures the server, not the scripted agent's pacing or the
//! per-address caps (all clients come from 127.0.0.1):
//!
//! ```text
//! COLLOQUY_THINK_MS=0 COLLOQUY_CHUNK_MS=0 colloquy-server --dist dist --addr 127.0.0.1:18090 \
//!   --max-streams-per-address 1000 --max-connections-per-address 1000
//! colloquy-load --addr 127.0.0.1:18090
//! ```
//!
//! Only loopback addresses are accepted. Each level stops after `--seconds` or `--max-replies`
//! replies, whichever comes first; one reply may take at most 10 s. Answers `429`/`503` are
//! counted as `refused`, transport failures as `errors`.

use axum::body::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

struct Config {
    addr: SocketAddr,
    levels: Vec<usize>,
    seconds: f64,
    max_replies: usize,
    text: String,
    token: Option<String>,
}

fn usage() -> ! {
    eprintln!(
        "usage: colloquy-load [--addr 127.0.0.1:8080] [--levels 1,16,64,256] [--seconds 3] [--max-replies 5000] [--text hi] [--token JWT]"
    );
    std::process::exit(2);
}

fn config() -> Config {
    let mut c = Config {
        addr: "127.0.0.1:8080".parse().expect("valid"),
        levels: vec![1, 16, 64, 256],
        seconds: 3.0,
        max_replies: 5_000,
        text: "hi".into(),
        token: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().unwrap_or_else(|| usage());
        match flag.as_str() {
            "--addr" => c.addr = value.parse().unwrap_or_else(|_| usage()),
            "--levels" => {
                c.levels = value.split(',').map(|l| l.trim().parse().unwrap_or_else(|_| usage())).collect();
            }
            "--seconds" => c.seconds = value.parse().unwrap_or_else(|_| usage()),
            "--max-replies" => c.max_replies = value.parse().unwrap_or_else(|_| usage()),
            "--text" => c.text = value,
            "--token" => c.token = Some(value),
            _ => usage(),
        }
    }
    if !c.addr.ip().is_loopback() {
        eprintln!("colloquy-load: only loopback addresses (this is a bench, not an attack tool)");
        std::process::exit(2);
    }
    if c.levels.iter().any(|&l| l == 0 || l > 1_024) || !(0.1..=60.0).contains(&c.seconds) {
        eprintln!("colloquy-load: levels must be 1..=1024 and --seconds 0.1..=60");
        std::process::exit(2);
    }
    c
}

#[derive(Default)]
struct Tally {
    first_event: std::sync::Mutex<Vec<Duration>>,
    replies: AtomicUsize,
    refused: AtomicUsize,
    errors: AtomicUsize,
}

enum Outcome {
    Reply(Duration),
    Refused,
}

/// One message and its whole reply on `sender`'s connection.
async fn one(
    sender: &mut hyper::client::conn::http1::SendRequest<Full<Bytes>>,
    c: &Config,
    conversation: &str,
    n: usize,
) -> Result<Outcome, String> {
    let body = json!({"id": format!("m{n}"), "text": c.text}).to_string();
    let mut request = Request::post(format!("/api/conversations/{conversation}/messages"))
        .header("host", c.addr.to_string())
        .header("content-type", "application/json")
        .header("accept", "text/event-stream");
    if let Some(token) = &c.token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let request = request.body(Full::new(Bytes::from(body))).map_err(|e| e.to_string())?;
    sender.ready().await.map_err(|e| e.to_string())?;
    let sent = Instant::now();
    let response = sender.send_request(request).await.map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let mut body = response.into_body();
    let mut first = None;
    let mut text = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| e.to_string())?;
        if let Some(data) = frame.data_ref() {
            first.get_or_insert_with(|| sent.elapsed());
            text.extend_from_slice(data);
        }
    }
    match status {
        200 if text.windows(11).any(|w| w == b"event: done") => Ok(Outcome::Reply(first.unwrap_or_default())),
        200 => Err("the reply ended without done".into()),
        429 | 503 => Ok(Outcome::Refused),
        other => Err(format!("HTTP {other}")),
    }
}

/// One client: its own connection, messages one after another until the level ends.
async fn client(c: Arc<Config>, tally: Arc<Tally>, level: usize, index: usize, deadline: Instant) {
    let mut n = 0;
    let conversation = format!("load-{level}-{index}-{}", std::process::id());
    'connect: while Instant::now() < deadline && tally.replies.load(Ordering::Relaxed) < c.max_replies {
        let Ok(stream) = tokio::net::TcpStream::connect(c.addr).await else {
            tally.errors.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let Ok((mut sender, connection)) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await else {
            tally.errors.fetch_add(1, Ordering::Relaxed);
            continue;
        };
        tokio::spawn(connection);
        while Instant::now() < deadline && tally.replies.load(Ordering::Relaxed) < c.max_replies {
            n += 1;
            match tokio::time::timeout(Duration::from_secs(10), one(&mut sender, &c, &conversation, n)).await {
                Ok(Ok(Outcome::Reply(first))) => {
                    tally.replies.fetch_add(1, Ordering::Relaxed);
                    tally.first_event.lock().expect("tally").push(first);
                }
                Ok(Ok(Outcome::Refused)) => {
                    tally.refused.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Ok(Err(_)) | Err(_) => {
                    tally.errors.fetch_add(1, Ordering::Relaxed);
                    continue 'connect;
                }
            }
        }
        return;
    }
}

fn percentile(sorted: &[Duration], p: usize) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[(sorted.len() - 1) * p / 100].as_secs_f64() * 1_000.0
}

async fn level(c: Arc<Config>, concurrency: usize) -> Value {
    let tally = Arc::new(Tally::default());
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(c.seconds);
    let clients: Vec<_> =
        (0..concurrency).map(|i| tokio::spawn(client(c.clone(), tally.clone(), concurrency, i, deadline))).collect();
    for client in clients {
        let _ = client.await;
    }
    let seconds = start.elapsed().as_secs_f64();
    let mut first = std::mem::take(&mut *tally.first_event.lock().expect("tally"));
    first.sort();
    let replies = tally.replies.load(Ordering::Relaxed);
    let round = |x: f64| (x * 1_000.0).round() / 1_000.0;
    json!({
        "concurrency": concurrency,
        "replies": replies,
        "refused": tally.refused.load(Ordering::Relaxed),
        "errors": tally.errors.load(Ordering::Relaxed),
        "seconds": round(seconds),
        "repliesPerSecond": round(replies as f64 / seconds),
        "firstEventMs": {"p50": round(percentile(&first, 50)), "p99": round(percentile(&first, 99))},
    })
}

#[tokio::main]
async fn main() {
    let c = Arc::new(config());
    let mut levels = Vec::new();
    for &concurrency in &c.levels {
        levels.push(level(c.clone(), concurrency).await);
    }
    let report = json!({"addr": c.addr.to_string(), "text": c.text, "levels": levels});
    println!("{}", serde_json::to_string_pretty(&report).expect("json"));
}
