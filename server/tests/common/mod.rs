//! What the binary tests share: a widget directory of one page, and the deployed binary serving
//! it on a free loopback port.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A temporary widget directory with an empty `index.html`, removed when dropped.
pub struct Dist(PathBuf);

impl Dist {
    /// A fresh directory named after the test (`colloquy-<name>-<pid>`).
    pub fn new(name: &str) -> Dist {
        let dir = std::env::temp_dir().join(format!("colloquy-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("index.html"), "<html><head></head><body></body></html>").unwrap();
        Dist(dir)
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Dist {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `colloquy-server` serving `dist` on `127.0.0.1:0` with `extra` arguments: no JWT secret from
/// the environment, a store of its own (the default file is shared by every server of this
/// user), stdout piped (its first line says where it listens), stderr discarded unless the test
/// pipes it.
pub fn server(dist: &Dist, extra: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_colloquy-server"));
    command
        .args(["--dist", dist.path().to_str().unwrap(), "--addr", "127.0.0.1:0"])
        .args(extra)
        .env_remove("COLLOQUY_JWT_SECRET")
        .env("COLLOQUY_DATABASE", "sqlite::memory:")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    command
}
