//! The binary stops cleanly on SIGTERM: a reply in flight finishes, then the process exits 0.

#![cfg(unix)]

mod common;

use common::{Dist, server};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

#[test]
fn sigterm_lets_the_reply_in_flight_finish_then_exits() {
    let dist = Dist::new("sigterm");
    let mut child = server(&dist, &["--drain-ms", "5000"])
        .env("COLLOQUY_THINK_MS", "0")
        .env("COLLOQUY_CHUNK_MS", "20")
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr = line.rsplit("http://").next().unwrap().trim().to_owned();
    let mut stream = TcpStream::connect(&addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let body = r#"{"id":"m1","text":"/long 40"}"#;
    let request = format!(
        "POST /api/conversations/t1/messages HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&seen).contains("event: delta") {
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "the stream started");
        seen.extend_from_slice(&buf[..n]);
    }
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let _ = stream.read_to_end(&mut seen);
    let reply = String::from_utf8_lossy(&seen);
    assert!(reply.contains("event: done") && !reply.contains("event: error"), "{reply}");
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "{status}");
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(8), "the server exits");
        std::thread::sleep(Duration::from_millis(50));
    }
}
