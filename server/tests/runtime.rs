//! The binary as deployed (issue 10): tokio's multi-threaded runtime, one worker thread per core
//! besides the main thread ("the runtime uses one core of two"); the start-up warning about the
//! development token endpoint.

#![cfg(target_os = "linux")]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[test]
fn the_server_runs_a_worker_thread_per_core() {
    let dist = std::env::temp_dir().join(format!("colloquy-runtime-{}", std::process::id()));
    std::fs::create_dir_all(&dist).unwrap();
    std::fs::write(dist.join("index.html"), "<html><head></head><body></body></html>").unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_colloquy-server"))
        .args(["--dist", dist.to_str().unwrap(), "--addr", "127.0.0.1:0"])
        .env_remove("COLLOQUY_JWT_SECRET")
        .env_remove("TOKIO_WORKER_THREADS")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The runtime is up once the server says where it listens.
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    assert!(line.contains("serving"), "{line}");
    let threads = std::fs::read_dir(format!("/proc/{}/task", child.id())).map(|d| d.count());
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dist);
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let threads = threads.unwrap();
    // A current-thread runtime has the main thread alone.
    assert!(threads > cores, "{threads} threads for {cores} cores: the runtime is not multi-threaded");
}

/// The dev token endpoint is announced on stderr before the server listens (issue 10: it minted
/// any `sub` without a word), and only when it is on.
#[test]
fn the_binary_warns_about_the_dev_token_endpoint() {
    let dist = std::env::temp_dir().join(format!("colloquy-devtokens-{}", std::process::id()));
    std::fs::create_dir_all(&dist).unwrap();
    std::fs::write(dist.join("index.html"), "<html><head></head><body></body></html>").unwrap();
    let stderr_of = |dev_tokens: bool| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_colloquy-server"));
        command
            .args(["--dist", dist.to_str().unwrap(), "--addr", "127.0.0.1:0"])
            .env("COLLOQUY_JWT_SECRET", "s3cret")
            .env_remove("COLLOQUY_DEV_TOKENS")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
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
    let _ = std::fs::remove_dir_all(&dist);
}
