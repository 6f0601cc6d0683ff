//! `cargo xtask <command>`: set-up, build, demo and tests of Colloquy on a bare machine.
//!
//! Every tool is found or installed here, and skipped when the right version is present:
//! a wasm32 standard library, trunk, the wasm-bindgen CLI (the version in Cargo.lock), wasm-opt
//! (npm `binaryen`), Debian's chromium + chromium-driver, and the npm packages of the browser
//! tests. README.md explains why each path exists.

mod bench;
mod cmd;
mod fuzz;
mod postgres;
mod setup;
mod size;
mod steps;

use setup::Needs;
use std::process::ExitCode;

const BROWSER: Needs = Needs { browser: true, postgres: true };
const NO_BROWSER: Needs = Needs { browser: false, postgres: false };

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  setup            install what is missing (wasm32 std, trunk, wasm-bindgen, wasm-opt, chromium, npm packages)
  build            setup, then build the release widget and demo into dist/
  demo [--port N] [--server]
                   setup, build, and serve the demo page on http://127.0.0.1:8080
                   (--server: with the reference agent server's API, and the demo on the HTTP agent)
  test             setup, build, and run every test layer (native, wasm in Chromium, Playwright)
  fuzz [--time SECONDS] [TARGET...]
                   bounded fuzzing (cargo-fuzz, nightly) of every target in fuzz/, 60 s each
  types            regenerate public/colloquy.d.ts from the Rust types
  postgres COMMAND...
                   run COMMAND with a throwaway Postgres cluster (its URL in COLLOQUY_TEST_POSTGRES),
                   e.g. `cargo xtask postgres cargo test -p colloquy-server`
  bench [options]  build, then measure Colloquy beside deep-chat into target/bench/report.md
                   (`cargo xtask bench --help` for the options)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("setup") => setup::Setup::run(BROWSER).map(|_| ()),
        Some("build") => setup::Setup::run(NO_BROWSER).and_then(|s| steps::build(&s)),
        Some("demo") => {
            let port = match args.iter().position(|a| a == "--port").and_then(|i| args.get(i + 1)) {
                Some(p) => match p.parse::<u16>() {
                    Ok(p) => p,
                    Err(_) => return usage_error("--port needs a number"),
                },
                None => 8080,
            };
            let server = args.iter().any(|a| a == "--server");
            setup::Setup::run(NO_BROWSER).and_then(|s| steps::demo(&s, port, server))
        }
        Some("test") => setup::Setup::run(BROWSER).and_then(|s| steps::test(&s)),
        Some("types") => steps::types(),
        Some("postgres") if args.len() > 1 => postgres::Cluster::start().and_then(|pg| {
            cmd::run(std::process::Command::new(&args[1]).args(&args[2..]).env(postgres::TEST_ENV, &pg.url))
        }),
        Some("fuzz") => match fuzz::Plan::from_args(&args[1..]) {
            Ok(plan) => fuzz::fuzz(&fuzz::root(), &plan),
            Err(e) => return usage_error(&e),
        },
        Some("bench") => {
            if args.iter().any(|a| a == "--help" || a == "-h") {
                println!("{}", bench::USAGE);
                return ExitCode::SUCCESS;
            }
            match bench::Options::parse(&args[1..]) {
                Ok(o) => setup::Setup::run(BROWSER).and_then(|s| bench::bench(&s, &o)),
                Err(e) => return usage_error(&format!("{e}\n\n{}", bench::USAGE)),
            }
        }
        Some("-h" | "--help" | "help") | None => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some(other) => return usage_error(&format!("unknown command `{other}`")),
    };
    cmd::print_timings();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("\nxtask: {e}");
            ExitCode::FAILURE
        }
    }
}

fn usage_error(msg: &str) -> ExitCode {
    eprintln!("xtask: {msg}\n\n{USAGE}");
    ExitCode::from(2)
}
