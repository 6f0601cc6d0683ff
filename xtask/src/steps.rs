//! Build, demo and test steps. Every step prints what it runs and how long it took; a summary
//! closes every command.

use crate::cmd::{capture, print_timings, run, step};
use crate::setup::Setup;
use std::process::Command;

/// Builds the release widget (dist/), the demo bundle (dist/demo/), the agent console
/// (dist/console/) and the server.
pub fn build(s: &Setup) -> Result<(), String> {
    step("build widget (trunk, release)", || run(s.release_command("trunk").args(["build", "--release"])))?;
    step("build demo bundle (trunk, release)", || {
        run(s.release_command("trunk").args([
            "build",
            "demo/index.html",
            "--release",
            "--dist",
            "dist/demo",
            "--public-url",
            "./",
        ]))
    })?;
    // After the widget: its build empties dist/. The console's dependencies are the widget's
    // (same features), so only the console crate itself compiles here.
    step("build agent console (trunk, release)", || {
        run(s.release_command("trunk").args([
            "build",
            "console/index.html",
            "--release",
            "--dist",
            "dist/console",
            "--public-url",
            "./",
        ]))
    })?;
    step("build server", || run(s.command("cargo").args(["build", "-p", "colloquy-server"])))
}

/// A random secret for the demo's tokens (a fresh one per run: tokens of an earlier run stop
/// working).
fn demo_secret() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut out = String::new();
    for _ in 0..4 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos());
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out
}

/// Builds, then serves `dist/` on 127.0.0.1:`port` until interrupted; with `api`, the reference
/// server's agent API too, and the demo page on the HTTP agent.
pub fn demo(s: &Setup, port: u16, api: bool) -> Result<(), String> {
    build(s)?;
    let addr = format!("127.0.0.1:{port}");
    let page = if api { format!("http://{addr}/demo/?agent=http") } else { format!("http://{addr}/") };
    let server = s.root.join("target/debug/colloquy-server");
    let server = server.to_str().unwrap_or("target/debug/colloquy-server");
    let mut cmd = s.command(server);
    cmd.args(["--dist", "dist", "--addr", &addr]);
    println!("\nColloquy demo: open {page} (Ctrl-C stops)");
    if api {
        // Agent tokens need a secret; the demo page gets its visitor tokens from the
        // development endpoint (POST /api/token). The store is in memory: nothing outlives the
        // run.
        let secret = demo_secret();
        cmd.env("COLLOQUY_JWT_SECRET", &secret).env("COLLOQUY_DEV_TOKENS", "1").args([
            "--database",
            "sqlite::memory:",
            "--handoff",
            "queue",
        ]);
        let mut token = s.command(server);
        token.args(["token", "--agent", "Demo agent"]).env("COLLOQUY_JWT_SECRET", &secret);
        let token = capture(&mut token).ok_or("colloquy-server token --agent failed")?;
        println!("Agent console: open http://{addr}/console/ and sign in with this agent token (8 hours):");
        println!("\n{}\n", token.trim());
        println!("Type /handoff in the demo's chat to queue the conversation for the console.");
    } else {
        cmd.arg("--no-api");
    }
    print_timings();
    run(&mut cmd)
}

/// Every test layer; stops at the first failing one.
pub fn test(s: &Setup) -> Result<(), String> {
    step("format check (cargo fmt --check)", || {
        if capture(s.command("cargo").args(["fmt", "--version"])).is_none() {
            println!("    rustfmt is not installed; skipped");
            return Ok(());
        }
        run(s.command("cargo").args(["fmt", "--all", "--check"]))
    })?;
    step("lint (cargo clippy -D warnings)", || {
        if capture(s.command("cargo").args(["clippy", "--version"])).is_none() {
            println!("    clippy is not installed; skipped");
            return Ok(());
        }
        run(s.command("cargo").args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]))
    })?;
    // The server's tests run against both stores: SQLite, and Postgres in this throwaway
    // cluster (kept for the whole run; stopped and removed at the end).
    let postgres = step("Postgres: a throwaway cluster on a free loopback port", crate::postgres::Cluster::start)?;
    step("layer 1: native tests (cargo test --workspace)", || {
        run(s.command("cargo").args(["test", "--workspace"]).env(crate::postgres::TEST_ENV, &postgres.url))
    })?;
    let seconds = crate::fuzz::test_seconds();
    let all = crate::fuzz::TARGETS.iter().map(|t| (*t).to_owned()).collect();
    crate::fuzz::fuzz(&s.root, &crate::fuzz::Plan { seconds, targets: all })?;
    step("TypeScript: the example host script against public/colloquy.d.ts", || {
        run(s.command("npx").args(["tsc", "-p", "tests/types"]))
    })?;
    step("layer 2: wasm tests in headless Chromium (wasm-bindgen-test)", || {
        let mut cmd = s.wasm_command("cargo");
        cmd.args(["test", "-p", "colloquy", "--target", "wasm32-unknown-unknown"]);
        for test in wasm_test_targets(s)? {
            cmd.args(["--test", &test]);
        }
        cmd.env("CHROMEDRIVER", "/usr/bin/chromedriver").env("WASM_BINDGEN_TEST_TIMEOUT", "120");
        run(&mut cmd)
    })?;
    build(s)?;
    // The size budget is checked after Playwright, so one run reports both.
    let playwright = step("layer 3: Playwright against the release build", || {
        run(s
            .command("npx")
            .args(["playwright", "test", "--config", "tests/e2e/playwright.config.ts"])
            .env("CI", "1")
            .env(crate::postgres::TEST_ENV, &postgres.url)
            .env("COLLOQUY_SERVER", s.root.join("target/debug/colloquy-server")))
    });
    let size = crate::size::check(&s.root);
    playwright.and(size)
}

/// Regenerates `public/colloquy.d.ts` (the test that checks it writes it when blessed).
pub fn types() -> Result<(), String> {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    step("generate public/colloquy.d.ts", || {
        run(Command::new("cargo")
            .current_dir(&root)
            .args(["test", "-p", "colloquy", "--lib", "typescript"])
            .env("COLLOQUY_BLESS", "1"))
    })
}

/// The wasm-bindgen-test files: every `tests/*.rs`.
fn wasm_test_targets(s: &Setup) -> Result<Vec<String>, String> {
    let dir = s.root.join("tests");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.strip_suffix(".rs")).map(str::to_owned))
        .collect();
    names.sort();
    Ok(names)
}
