//! Build, demo and test steps. Every step prints what it runs and how long it took; a summary
//! closes every command.

use crate::cmd::{capture, print_timings, run, step};
use crate::setup::Setup;
use std::process::Command;

/// Builds the release widget (dist/), the demo bundle (dist/demo/) and the server.
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
    step("build server", || run(s.command("cargo").args(["build", "-p", "colloquy-server"])))
}

/// Builds, then serves `dist/` on 127.0.0.1:`port` until interrupted; with `api`, the reference
/// server's agent API too, and the demo page on the HTTP agent.
pub fn demo(s: &Setup, port: u16, api: bool) -> Result<(), String> {
    build(s)?;
    let addr = format!("127.0.0.1:{port}");
    let page = if api { format!("http://{addr}/demo/?agent=http") } else { format!("http://{addr}/") };
    println!("\nColloquy demo: open {page} (Ctrl-C stops)");
    print_timings();
    let server = s.root.join("target/debug/colloquy-server");
    let mut cmd = s.command(server.to_str().unwrap_or("target/debug/colloquy-server"));
    cmd.args(["--dist", "dist", "--addr", &addr]);
    if !api {
        cmd.arg("--no-api");
    }
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
