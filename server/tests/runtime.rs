//! The binary as deployed (issue 10): tokio's multi-threaded runtime, one worker thread per core
//! besides the main thread ("the runtime uses one core of two"); the start-up warning about the
//! development token endpoint; a provider's error text and the upstream URL in the server's log,
//! never in the browser's stream.

#![cfg(target_os = "linux")]

mod common;

use common::{Dist, server};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Stdio;
use std::time::Duration;

#[test]
fn the_server_runs_a_worker_thread_per_core() {
    let dist = Dist::new("runtime");
    let mut child = server(&dist, &[]).env_remove("TOKIO_WORKER_THREADS").spawn().unwrap();
    // The runtime is up once the server says where it listens.
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    assert!(line.contains("serving"), "{line}");
    let threads = std::fs::read_dir(format!("/proc/{}/task", child.id())).map(|d| d.count());
    let _ = child.kill();
    let _ = child.wait();
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let threads = threads.unwrap();
    // A current-thread runtime has the main thread alone.
    assert!(threads > cores, "{threads} threads for {cores} cores: the runtime is not multi-threaded");
}

/// The dev token endpoint is announced on stderr before the server listens (issue 10: it minted
/// any `sub` without a word), and only when it is on.
#[test]
fn the_binary_warns_about_the_dev_token_endpoint() {
    let dist = Dist::new("devtokens");
    let stderr_of = |dev_tokens: bool| {
        let mut command = server(&dist, &[]);
        command.env("COLLOQUY_JWT_SECRET", "s3cret").env_remove("COLLOQUY_DEV_TOKENS").stderr(Stdio::piped());
        if dev_tokens {
            command.env("COLLOQUY_DEV_TOKENS", "1");
        }
        let mut child = command.spawn().unwrap();
        // The warning is written before the listening line.
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        assert!(line.contains("serving"), "{line}");
        let _ = child.kill();
        let output = child.wait_with_output().unwrap();
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    let on = stderr_of(true);
    assert!(on.contains("WARNING") && on.contains("ANY subject"), "{on}");
    let off = stderr_of(false);
    assert!(!off.contains("WARNING"), "{off}");
}

/// A fake provider on 127.0.0.1 that answers every request with `401` and an error text naming
/// the key and the organisation; returns its address.
fn refusing_provider() -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            // Read the head and the announced body, then answer.
            let mut seen = Vec::new();
            let mut buf = [0u8; 4096];
            while let Ok(n) = stream.read(&mut buf) {
                if n == 0 {
                    break;
                }
                seen.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&seen).to_ascii_lowercase();
                if let Some(end) = text.find("\r\n\r\n") {
                    let length = text[..end]
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    if seen.len() >= end + 4 + length {
                        break;
                    }
                }
            }
            let body = "Incorrect API key provided: sk-pr0vider (org S3CRET-ORG)";
            let _ = write!(
                stream,
                "HTTP/1.1 401 Unauthorized\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    addr
}

/// Issue 10, item 3: "the upstream URL and any provider error text are logged on the server, never
/// sent to the browser". The deployed binary, proxying a provider that refuses: the visitor's
/// stream holds only the generic error, and the server's stderr names the upstream (without the
/// query, where some providers put keys) and carries the provider's own text.
#[test]
fn a_provider_error_goes_to_the_server_log_and_not_to_the_browser() {
    let provider = refusing_provider();
    let dist = Dist::new("upstream-log");
    let mut child = server(&dist, &[])
        .env("COLLOQUY_UPSTREAM_URL", format!("http://{provider}/v1/chat/completions?api-key=sekrit"))
        .env("COLLOQUY_UPSTREAM_KEY", "sk-configured")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The reader stays open while the server runs (it prints the upstream's summary next).
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let addr = line.trim().rsplit("http://").next().unwrap().to_owned();
    assert!(line.contains("serving"), "{line}");

    let body = r#"{"id":"m1","text":"hi"}"#;
    let mut visitor = TcpStream::connect(&addr).unwrap();
    visitor.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        visitor,
        "POST /api/conversations/log1/messages HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    let read = visitor.read_to_string(&mut answer);
    let _ = child.kill();
    let output = child.wait_with_output().unwrap();
    drop(stdout);
    let log = String::from_utf8_lossy(&output.stderr).into_owned();

    assert!(answer.starts_with("HTTP/1.1 200") && answer.contains("SEND_ERROR"), "{read:?} {answer} {log}");
    for secret in ["sk-pr0vider", "S3CRET-ORG", "Incorrect API key", "sekrit", "sk-configured", &provider.to_string()] {
        assert!(!answer.contains(secret), "{secret:?} reached the browser: {answer}");
    }
    assert!(log.contains("Incorrect API key provided: sk-pr0vider (org S3CRET-ORG)"), "{log}");
    assert!(log.contains(&format!("http://{provider}/v1/chat/completions")), "{log}");
    assert!(log.contains("401"), "{log}");
    assert!(!log.contains("sekrit") && !log.contains("sk-configured"), "the key stays out of the log too: {log}");
}
