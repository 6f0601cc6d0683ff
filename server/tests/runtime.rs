//! The binary runs on tokio's multi-threaded runtime: one worker thread per core besides the main
//! thread (issue 10: "the runtime uses one core of two").

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
