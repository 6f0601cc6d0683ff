//! `cargo xtask bench`: size and speed figures in one report (`target/bench/report.md`). Goals
//! are stated next to the figures; nothing here fails on a slow machine.

use crate::cmd::{capture, step};
use crate::setup::Setup;
use serde_json::Value;
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// Size goal of the widget (wasm + js + css, gzipped).
const WIDGET_GOAL: u64 = 100 * 1024;
/// Size goal of embed.js (gzipped).
const EMBED_GOAL: u64 = 3 * 1024;

struct Row {
    section: &'static str,
    bench: String,
    value: String,
    note: String,
}

fn gzipped(path: &Path) -> Result<u64, String> {
    let out = Command::new("gzip").args(["-9", "-c"]).arg(path).output().map_err(|e| format!("gzip: {e}"))?;
    Ok(out.stdout.len() as u64)
}

fn kb(n: u64) -> String {
    format!("{:.1} KB", n as f64 / 1024.0)
}

fn sizes(s: &Setup, rows: &mut Vec<Row>) -> Result<(), String> {
    let dist = s.root.join("dist");
    let mut total = 0;
    // The wasm, js and css have content-hashed names: dist/manifest.json lists them.
    let manifest =
        std::fs::read_to_string(dist.join("manifest.json")).map_err(|e| format!("dist/manifest.json: {e}"))?;
    let manifest: Value = serde_json::from_str(&manifest).map_err(|e| format!("dist/manifest.json: {e}"))?;
    let name = |key: &str| manifest[key].as_str().unwrap_or(key).to_owned();
    for file in [name("wasm"), name("js"), name("css"), "index.html".to_owned()] {
        let path = dist.join(&file);
        let raw = std::fs::metadata(&path).map_err(|e| format!("{}: {e}", path.display()))?.len();
        let gz = gzipped(&path)?;
        total += gz;
        rows.push(Row {
            section: "size",
            bench: format!("widget: {file}"),
            value: kb(gz),
            note: format!("{} raw", kb(raw)),
        });
    }
    let verdict = |v: u64, goal: u64| {
        if v <= goal { "within the goal".to_owned() } else { format!("{} over the goal", kb(v - goal)) }
    };
    rows.push(Row {
        section: "size",
        bench: "widget total (gzipped), goal <= 100 KB".into(),
        value: kb(total),
        note: verdict(total, WIDGET_GOAL),
    });
    let embed = gzipped(&dist.join("embed.js"))?;
    rows.push(Row {
        section: "size",
        bench: "embed.js (gzipped), goal <= 3 KB".into(),
        value: kb(embed),
        note: verdict(embed, EMBED_GOAL),
    });
    Ok(())
}

fn parse_lines(section: &'static str, out: &str, rows: &mut Vec<Row>) {
    for line in out.lines() {
        let Ok(v) = serde_json::from_str::<Value>(line) else { continue };
        let (Some(bench), Some(value), Some(unit)) = (v["bench"].as_str(), v["value"].as_f64(), v["unit"].as_str())
        else {
            continue;
        };
        rows.push(Row { section, bench: bench.into(), value: format!("{value} {unit}"), note: String::new() });
    }
}

struct Servers(Vec<Child>);

impl Drop for Servers {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn browser(s: &Setup, rows: &mut Vec<Row>) -> Result<(), String> {
    let server = s.root.join("target/debug/colloquy-server");
    let spawn = |dir: &str, addr: &str| {
        Command::new(&server)
            .current_dir(&s.root)
            .args(["--dist", dir, "--addr", addr, "--no-api"])
            .stdout(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start the server: {e}"))
    };
    let _servers = Servers(vec![spawn("dist", "127.0.0.1:18090")?, spawn("tests/bench", "127.0.0.1:18091")?]);
    std::thread::sleep(std::time::Duration::from_millis(500));
    let out = capture(s.command("node").args([
        "tests/bench/browser.mjs",
        "http://127.0.0.1:18090",
        "http://localhost:18091",
    ]))
    .ok_or("the browser benchmark failed (run `node tests/bench/browser.mjs ...` to see why)")?;
    parse_lines("browser", &out, rows);
    Ok(())
}

/// Builds, measures, and writes the report.
pub fn bench(s: &Setup) -> Result<(), String> {
    crate::steps::build(s)?;
    let mut rows = Vec::new();
    step("sizes", || sizes(s, &mut rows))?;
    step("native benchmarks (cargo bench)", || {
        let out = capture(s.command("cargo").args(["bench", "-p", "colloquy", "--bench", "native"]))
            .ok_or("`cargo bench -p colloquy --bench native` failed")?;
        parse_lines("native", &out, &mut rows);
        Ok(())
    })?;
    step("browser benchmarks (headless Chromium)", || browser(s, &mut rows))?;
    let cpu = capture(&mut Command::new("nproc")).unwrap_or_default();
    let mut report = format!(
        "# Colloquy benchmark report\n\nRelease build; {} CPU cores. Figures, not pass/fail: the goals are \
         stated beside them.\n\n| | benchmark | figure | note |\n|---|---|---|---|\n",
        cpu.trim()
    );
    for r in &rows {
        report.push_str(&format!("| {} | {} | {} | {} |\n", r.section, r.bench, r.value, r.note));
    }
    let dir = s.root.join("target/bench");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("report.md"), &report).map_err(|e| e.to_string())?;
    println!("\n{report}\n(written to target/bench/report.md)");
    Ok(())
}
