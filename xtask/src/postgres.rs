//! A throwaway Postgres cluster for the server's tests: Debian's `postgresql` binaries
//! (installed by set-up when missing), `initdb` in a temporary directory, `pg_ctl start` on a
//! free loopback port (as the `postgres` user when run as root: Postgres refuses root), trust
//! authentication on loopback only, no fsync. Stopped and removed when dropped.

use crate::cmd::{capture, run};
use std::path::PathBuf;
use std::process::Command;

/// The environment variable the server's tests read the URL from.
pub const TEST_ENV: &str = "COLLOQUY_TEST_POSTGRES";

/// A running cluster.
pub struct Cluster {
    dir: PathBuf,
    bin: PathBuf,
    user: Option<String>,
    /// `postgres://colloquy@127.0.0.1:PORT/postgres` (the role may create databases).
    pub url: String,
}

/// The newest `/usr/lib/postgresql/<version>/bin` with `initdb` and `pg_ctl`.
fn bin_dir() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| Some((e.file_name().to_str()?.parse::<u32>().ok()?, e.path().join("bin"))))
        .filter(|(_, bin)| bin.join("initdb").is_file() && bin.join("pg_ctl").is_file())
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    Ok(listener.local_addr().map_err(|e| e.to_string())?.port())
}

impl Cluster {
    /// Starts a cluster (Debian's `postgresql` must be installed: see set-up).
    pub fn start() -> Result<Cluster, String> {
        let bin = bin_dir().ok_or("no /usr/lib/postgresql/*/bin/initdb (is Debian's postgresql installed?)")?;
        let root = capture(Command::new("id").arg("-u")).is_some_and(|s| s.trim() == "0");
        let user = root.then(|| "postgres".to_owned());
        let dir = std::env::temp_dir().join(format!("colloquy-pg-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        if let Some(user) = &user {
            run(Command::new("chown").args([user.as_str(), dir.to_str().unwrap_or_default()]))?;
        }
        let port = free_port()?;
        let cluster = Cluster { url: format!("postgres://colloquy@127.0.0.1:{port}/postgres"), dir, bin, user };
        let data = cluster.dir.join("data");
        let data = data.to_str().unwrap_or_default();
        run(cluster.command("initdb").args(["-D", data, "-U", "colloquy", "--auth=trust", "-E", "UTF8", "--no-sync"]))?;
        let socket_dir = cluster.dir.to_str().unwrap_or_default();
        let settings =
            format!("-p {port} -k {socket_dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200");
        let log = cluster.dir.join("log");
        run(cluster.command("pg_ctl").args([
            "-D",
            data,
            "-o",
            &settings,
            "-l",
            log.to_str().unwrap_or_default(),
            "-w",
            "-t",
            "60",
            "start",
        ]))
        .map_err(|e| format!("{e}\n{}", std::fs::read_to_string(&log).unwrap_or_default()))?;
        println!("    Postgres on 127.0.0.1:{port} ({TEST_ENV}={})", cluster.url);
        Ok(cluster)
    }

    /// A command of the cluster's binaries, as its user.
    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        match &self.user {
            Some(user) => {
                let mut cmd = Command::new("runuser");
                cmd.args(["-u", user, "--"]).arg(&path).current_dir(&self.dir);
                cmd
            }
            None => {
                let mut cmd = Command::new(&path);
                cmd.current_dir(&self.dir);
                cmd
            }
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.dir.join("data");
        let _ = self
            .command("pg_ctl")
            .args(["-D", data.to_str().unwrap_or_default(), "-m", "immediate", "-w", "stop"])
            .stdout(std::process::Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
