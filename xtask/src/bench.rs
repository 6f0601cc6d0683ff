//! `cargo xtask bench`: Colloquy's size and speed figures beside deep-chat's (npm, pinned), in one
//! run, written to `target/bench/report.md` with the goals of issue 9 beside them.
//!
//! Figures, not pass/fail: the command fails only when a measurement could not be taken (then the
//! report still lists everything else, and names what is missing and why). Everything runs on
//! loopback: `colloquy-server` serves the release build and deep-chat's files from one directory
//! (`target/bench/www`), `tests/bench/server.mjs` serves the host pages and an agent server written
//! from docs/agent-protocol.md, and headless Chromium (Debian's) measures
//! (`tests/bench/browser.mjs`, `tests/bench/lighthouse.mjs`).

use crate::cmd::{capture, run, step};
use crate::setup::Setup;
use serde_json::{Map, Value};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where the widget's files (and deep-chat's) are served.
const WIDGET_ADDR: &str = "127.0.0.1:18090";
/// Host pages (another site: `localhost`, not `127.0.0.1`).
const HOST_PORT: u16 = 18091;
/// The bench's own agent server.
const AGENT_PORT: u16 = 18092;
/// colloquy-server with its API, for the load generator.
const API_ADDR: &str = "127.0.0.1:18093";
/// deep-chat's files inside the served directory.
const DEEP_CHAT_DIR: &str = "deep-chat";
/// Concurrent clients of the server load figures.
const LOAD_CLIENTS: [u32; 4] = [1, 16, 64, 256];

/// How much to measure (`cargo xtask bench --help`).
#[derive(Clone, Debug)]
pub struct Options {
    /// Cold start-up runs per variant (median reported).
    pub runs: u32,
    /// Runs of each streaming and loadThread figure.
    pub stream_runs: u32,
    /// Lighthouse runs per shop page variant.
    pub lighthouse_runs: u32,
    /// Skip the release build (use the dist/ that is there).
    pub no_build: bool,
    /// Sections to run (all when empty): sizes, startup, stream, thread, lighthouse, native, load.
    pub only: Vec<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options { runs: 7, stream_runs: 3, lighthouse_runs: 3, no_build: false, only: Vec::new() }
    }
}

/// Usage of `cargo xtask bench`.
pub const USAGE: &str = "\
usage: cargo xtask bench [--runs N] [--stream-runs N] [--lighthouse-runs N] [--quick] [--no-build]
                         [--only sizes,startup,stream,thread,lighthouse,native,load]
  --runs N             cold start-up runs per variant, median reported (default 7)
  --stream-runs N      runs of each streaming and loadThread figure (default 3)
  --lighthouse-runs N  Lighthouse runs per shop page variant (default 3)
  --quick              --runs 3 --stream-runs 1 --lighthouse-runs 1
  --no-build           measure the dist/ that is there
  --only LIST          run only these sections";

impl Options {
    /// Parses the arguments after `bench`.
    pub fn parse(args: &[String]) -> Result<Options, String> {
        let mut o = Options::default();
        let mut it = args.iter();
        let num = |v: Option<&String>, name: &str| -> Result<u32, String> {
            v.and_then(|v| v.parse().ok()).filter(|n| *n > 0).ok_or(format!("{name} needs a positive number"))
        };
        while let Some(a) = it.next() {
            match a.as_str() {
                "--runs" => o.runs = num(it.next(), a)?,
                "--stream-runs" => o.stream_runs = num(it.next(), a)?,
                "--lighthouse-runs" => o.lighthouse_runs = num(it.next(), a)?,
                "--quick" => {
                    o.runs = 3;
                    o.stream_runs = 1;
                    o.lighthouse_runs = 1;
                }
                "--no-build" => o.no_build = true,
                "--only" => {
                    o.only = it.next().ok_or("--only needs a list")?.split(',').map(str::to_owned).collect();
                }
                other => return Err(format!("unknown bench option `{other}`")),
            }
        }
        Ok(o)
    }

    fn wants(&self, section: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|s| s == section)
    }
}

/// All figures of a run: id -> value, and why a measurement is missing.
#[derive(Default)]
struct Figures {
    values: Map<String, Value>,
    samples: Map<String, Value>,
    notes: Map<String, Value>,
    errors: Vec<(String, String)>,
    native: Vec<(String, String)>,
    load: Vec<(String, String)>,
}

impl Figures {
    fn merge(&mut self, v: Value) {
        for (key, target) in [("figures", &mut self.values), ("samples", &mut self.samples), ("notes", &mut self.notes)]
        {
            if let Some(m) = v.get(key).and_then(Value::as_object) {
                target.extend(m.clone());
            }
        }
        if let Some(m) = v.get("errors").and_then(Value::as_object) {
            for (k, e) in m {
                self.errors.push((k.clone(), e.as_str().unwrap_or_default().to_owned()));
            }
        }
    }

    fn f(&self, id: &str) -> Option<f64> {
        self.values.get(id).and_then(Value::as_f64)
    }

    fn b(&self, id: &str) -> Option<bool> {
        self.values.get(id).and_then(Value::as_bool)
    }

    fn error(&self, prefix: &str) -> Option<&str> {
        self.errors.iter().find(|(k, _)| k.starts_with(prefix)).map(|(_, e)| e.as_str())
    }
}

/// Child processes killed when the bench ends, however it ends.
struct Servers(Vec<Child>);

impl Drop for Servers {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn wait_for_port(addr: &str, what: &str) -> Result<(), String> {
    let sa: SocketAddr = addr.parse().map_err(|e| format!("{addr}: {e}"))?;
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(15) {
        if TcpStream::connect_timeout(&sa, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!("{what} did not start listening on {addr}"))
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::create_dir_all(to).map_err(|e| format!("{}: {e}", to.display()))?;
    for entry in std::fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))? {
        let entry = entry.map_err(|e| e.to_string())?;
        let target = to.join(entry.file_name());
        if entry.file_type().map_err(|e| e.to_string())?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target).map_err(|e| format!("{}: {e}", target.display()))?;
        }
    }
    Ok(())
}

/// `target/bench/www`: the release build and deep-chat's dist/, served by one server.
fn stage(s: &Setup) -> Result<(), String> {
    let www = s.root.join("target/bench/www");
    if www.exists() {
        std::fs::remove_dir_all(&www).map_err(|e| format!("{}: {e}", www.display()))?;
    }
    copy_dir(&s.root.join("dist"), &www)?;
    let deep = s.root.join("node_modules/deep-chat/dist");
    if !deep.join("deepChat.bundle.js").exists() {
        return Err("node_modules/deep-chat/dist/deepChat.bundle.js is missing (npm ci)".into());
    }
    copy_dir(&deep, &www.join(DEEP_CHAT_DIR))
}

fn servers(s: &Setup) -> Result<Servers, String> {
    let server = s.root.join("target/debug/colloquy-server");
    let mut children = Servers(Vec::new());
    children.0.push(
        Command::new(&server)
            .current_dir(&s.root)
            .args(["--dist", "target/bench/www", "--addr", WIDGET_ADDR, "--no-api"])
            // The shop page embeds the widget, which calls the bench's agent server: without
            // these the widget page refuses its host (issue 10's allowed origins) and its CSP
            // refuses the agent.
            .args(["--allowed-origins", &format!("http://localhost:{HOST_PORT}")])
            .args(["--agent-origins", &format!("http://127.0.0.1:{AGENT_PORT}")])
            .stdout(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", server.display()))?,
    );
    children.0.push(
        s.command("node")
            .args(["tests/bench/server.mjs", "--widget", &format!("http://{WIDGET_ADDR}")])
            .args(["--host-port", &HOST_PORT.to_string(), "--agent-port", &AGENT_PORT.to_string()])
            .args(["--max-seconds", "3600"])
            .stdout(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start tests/bench/server.mjs: {e}"))?,
    );
    wait_for_port(WIDGET_ADDR, "colloquy-server")?;
    wait_for_port(&format!("127.0.0.1:{HOST_PORT}"), "tests/bench/server.mjs")?;
    wait_for_port(&format!("127.0.0.1:{AGENT_PORT}"), "tests/bench/server.mjs (agent)")?;
    Ok(children)
}

/// Runs a Node bench script that writes its JSON to `out`; its progress goes to the terminal.
fn node_script(s: &Setup, script: &str, args: &[String], out: &Path, figures: &mut Figures) -> Result<(), String> {
    let _ = std::fs::remove_file(out);
    let mut cmd = s.command("node");
    cmd.arg(script).args(args).arg("--out").arg(out).env("CHROME_PATH", "/usr/bin/chromium");
    let status = run(&mut cmd);
    let text = std::fs::read_to_string(out).map_err(|e| format!("{script} wrote no figures ({e})"))?;
    figures.merge(serde_json::from_str(&text).map_err(|e| format!("{}: {e}", out.display()))?);
    status
}

fn parse_lines(out: &str) -> Vec<(String, String)> {
    let mut rows = Vec::new();
    for line in out.lines() {
        let Ok(v) = serde_json::from_str::<Value>(line) else { continue };
        let (Some(bench), Some(value), Some(unit)) = (v["bench"].as_str(), v["value"].as_f64(), v["unit"].as_str())
        else {
            continue;
        };
        rows.push((bench.to_owned(), format!("{value} {unit}")));
    }
    rows
}

/// Server throughput and time to first event at 1/16/64/256 clients, from `colloquy-load`
/// (server/src/bin/colloquy-load.rs) against a release colloquy-server with the scripted agent
/// unpaced and the per-address caps raised (all clients come from 127.0.0.1).
fn load(s: &Setup, figures: &mut Figures) -> Result<(), String> {
    run(s.command("cargo").args(["build", "--release", "-p", "colloquy-server", "--bins"]))?;
    let server = s.root.join("target/release/colloquy-server");
    let _api = Servers(vec![
        Command::new(&server)
            .current_dir(&s.root)
            .args(["--dist", "dist", "--addr", API_ADDR])
            .args(["--max-streams-per-address", "1000", "--max-connections-per-address", "1000"])
            .env("COLLOQUY_THINK_MS", "0")
            .env("COLLOQUY_CHUNK_MS", "0")
            .stdout(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", server.display()))?,
    ]);
    wait_for_port(API_ADDR, "colloquy-server (API)")?;
    let levels: Vec<String> = LOAD_CLIENTS.iter().map(|c| c.to_string()).collect();
    let out = capture(Command::new(s.root.join("target/release/colloquy-load")).current_dir(&s.root).args([
        "--addr",
        API_ADDR,
        "--levels",
        &levels.join(","),
    ]))
    .ok_or("colloquy-load failed")?;
    let report: Value = serde_json::from_str(&out).map_err(|e| format!("colloquy-load printed no report: {e}"))?;
    for level in report["levels"].as_array().into_iter().flatten() {
        let clients = level["concurrency"].as_u64().unwrap_or(0);
        let figure = format!(
            "{:.0} replies/s; first event p50 {:.2} ms, p99 {:.2} ms; refused {}, errors {}",
            level["repliesPerSecond"].as_f64().unwrap_or(0.0),
            level["firstEventMs"]["p50"].as_f64().unwrap_or(0.0),
            level["firstEventMs"]["p99"].as_f64().unwrap_or(0.0),
            level["refused"],
            level["errors"],
        );
        figures.load.push((format!("{clients} concurrent clients"), figure));
    }
    Ok(())
}

/// Builds, measures, and writes the report.
pub fn bench(s: &Setup, o: &Options) -> Result<(), String> {
    if !o.no_build {
        crate::steps::build(s)?;
    }
    let dir = s.root.join("target/bench");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let mut figures = Figures::default();
    let mut broken: Vec<String> = Vec::new();
    let mut note = |r: Result<(), String>, what: &str| {
        if let Err(e) = r {
            broken.push(format!("{what}: {e}"));
        }
    };

    if o.wants("native") {
        let r = step("native benchmarks (cargo bench)", || {
            let out = capture(s.command("cargo").args(["bench", "-p", "colloquy", "--bench", "native"]))
                .ok_or("`cargo bench -p colloquy --bench native` failed")?;
            figures.native = parse_lines(&out);
            Ok(())
        });
        note(r, "native");
    }
    if o.wants("load") {
        let r = step("server load (colloquy-load)", || load(s, &mut figures));
        note(r, "server load");
    }

    let browser_sections: Vec<&str> =
        ["sizes", "startup", "stream", "thread"].into_iter().filter(|x| o.wants(x)).collect();
    if !browser_sections.is_empty() || o.wants("lighthouse") {
        step("stage dist/ and deep-chat in target/bench/www", || stage(s))?;
        let _servers = step("start the loopback servers", || servers(s))?;
        if !browser_sections.is_empty() {
            let args: Vec<String> = vec![
                "--widget".into(),
                format!("http://{WIDGET_ADDR}"),
                "--host".into(),
                format!("http://localhost:{HOST_PORT}"),
                "--agent".into(),
                format!("http://127.0.0.1:{AGENT_PORT}"),
                "--runs".into(),
                o.runs.to_string(),
                "--stream-runs".into(),
                o.stream_runs.to_string(),
                "--only".into(),
                browser_sections.join(","),
            ];
            let r = step("browser figures (headless Chromium)", || {
                node_script(s, "tests/bench/browser.mjs", &args, &dir.join("browser.json"), &mut figures)
            });
            note(r, "browser");
        }
        if o.wants("lighthouse") {
            let args: Vec<String> = vec![
                "--host".into(),
                format!("http://localhost:{HOST_PORT}"),
                "--runs".into(),
                o.lighthouse_runs.to_string(),
            ];
            let r = step("Lighthouse (mobile) on the shop page", || {
                node_script(s, "tests/bench/lighthouse.mjs", &args, &dir.join("lighthouse.json"), &mut figures)
            });
            note(r, "Lighthouse");
        }
    }
    for (k, e) in &figures.errors {
        broken.push(format!("{k}: {e}"));
    }

    let report = report::render(&figures, o, &broken);
    std::fs::write(dir.join("report.md"), &report).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("goals.md"), report::goals_table(&figures)).map_err(|e| e.to_string())?;
    println!("\n{report}\n(written to target/bench/report.md; the goals table alone to target/bench/goals.md)");
    if broken.is_empty() {
        Ok(())
    } else {
        Err(format!("{} measurement(s) could not be taken:\n  {}", broken.len(), broken.join("\n  ")))
    }
}

mod report;
