//! `cargo xtask fuzz`: bounded libFuzzer runs (cargo-fuzz, nightly toolchain) of every target in
//! `fuzz/`: the SSE parser, the bridge decoder, the config parser, the markdown renderer, the
//! server's JWT verification and its message request. Each target starts from its committed
//! seeds (`fuzz/corpus/<target>/`, read only) plus what earlier runs found
//! (`fuzz/target/corpus/<target>/`, not committed); a crash, panic, hang (`-timeout`) or
//! out-of-memory fails the run and leaves the input in `fuzz/artifacts/<target>/`.

use crate::cmd::{capture, run, step};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The cargo-fuzz version installed when missing (0.13.1's lock file no longer builds).
pub const CARGO_FUZZ: &str = "0.13.2";

/// Every target in `fuzz/Cargo.toml`.
pub const TARGETS: &[&str] = &["sse", "bridge", "config", "markdown", "jwt", "request"];

/// Seconds per target for `cargo xtask fuzz`.
pub const DEFAULT_SECONDS: u64 = 60;

/// Seconds per target inside `cargo xtask test`: the full minute under CI (`CI` set), 15 s on a
/// developer's machine; `COLLOQUY_FUZZ_SECONDS` overrides both.
pub fn test_seconds() -> u64 {
    match std::env::var("COLLOQUY_FUZZ_SECONDS").ok().and_then(|s| s.parse().ok()) {
        Some(s) => s,
        None if std::env::var_os("CI").is_some() => DEFAULT_SECONDS,
        None => 15,
    }
}

/// What `cargo xtask fuzz [--time SECONDS] [TARGET...]` asked for.
#[derive(Debug, PartialEq, Eq)]
pub struct Plan {
    /// Seconds per target.
    pub seconds: u64,
    /// Targets, in order.
    pub targets: Vec<String>,
}

impl Plan {
    /// Reads the command's arguments (after `fuzz`).
    pub fn from_args(args: &[String]) -> Result<Plan, String> {
        let mut plan = Plan { seconds: DEFAULT_SECONDS, targets: Vec::new() };
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            if arg == "--time" {
                let value = it.next().ok_or("--time needs a number of seconds")?;
                plan.seconds = value.parse().map_err(|_| format!("--time: `{value}` is not a number of seconds"))?;
            } else if TARGETS.contains(&arg.as_str()) {
                plan.targets.push(arg.clone());
            } else {
                return Err(format!("unknown fuzz target `{arg}` (targets: {})", TARGETS.join(", ")));
            }
        }
        if plan.targets.is_empty() {
            plan.targets = TARGETS.iter().map(|t| (*t).to_owned()).collect();
        }
        if plan.seconds == 0 {
            return Err("--time must be at least 1 second".into());
        }
        Ok(plan)
    }
}

/// The workspace root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace").to_owned()
}

/// Installs cargo-fuzz, builds every target once, then runs each for `plan.seconds`, two at a
/// time.
pub fn fuzz(root: &Path, plan: &Plan) -> Result<(), String> {
    step("nightly toolchain (cargo-fuzz needs it)", || {
        let version = capture(Command::new("rustc").args(["+nightly", "--version"]))
            .ok_or("no nightly toolchain: `rustup toolchain install nightly` (cargo-fuzz needs -Z flags)")?;
        println!("    {}", version.trim());
        Ok(())
    })?;
    step("cargo-fuzz", || {
        let have = capture(Command::new("cargo").args(["fuzz", "--version"])).unwrap_or_default();
        if have.trim() == format!("cargo-fuzz {CARGO_FUZZ}") {
            println!("    {} present", have.trim());
            return Ok(());
        }
        // cargo-fuzz itself builds with stable; only the fuzz targets need nightly.
        run(Command::new("cargo").args(["+stable", "install", "cargo-fuzz", "--version", CARGO_FUZZ, "--locked"]))
    })?;
    step("build fuzz targets (nightly, debug assertions)", || run(&mut cargo_fuzz(root, "build", None)))?;
    // Two targets at a time on two cores or more: each still gets its full time on a core of
    // its own, and the whole run takes half as long.
    let parallel = std::thread::available_parallelism().map_or(1, |n| n.get().min(2));
    for group in plan.targets.chunks(parallel) {
        let names = group.join(" and ");
        step(&format!("fuzz {names} ({} s)", plan.seconds), || {
            let running = group.iter().map(|t| start_target(root, t, plan.seconds)).collect::<Result<Vec<_>, _>>()?;
            let mut failed = Vec::new();
            for (target, mut child, log) in running {
                let status = child.wait().map_err(|e| format!("fuzz {target}: {e}"))?;
                let text = std::fs::read_to_string(&log).unwrap_or_default();
                let lines: Vec<&str> = text.lines().collect();
                // libFuzzer's final statistics on success, the whole tail of the report on failure.
                let tail = if status.success() { 12 } else { 80 };
                println!("    -- {target} ({status}), the end of {}:", log.display());
                for line in &lines[lines.len().saturating_sub(tail)..] {
                    println!("    {line}");
                }
                if !status.success() {
                    failed.push(format!(
                        "fuzz {target} failed ({status}); the failing input is in fuzz/artifacts/{target}/ (replay: cargo +nightly fuzz run --fuzz-dir fuzz {target} <file>)"
                    ));
                }
            }
            if failed.is_empty() { Ok(()) } else { Err(failed.join("\n")) }
        })?;
    }
    Ok(())
}

/// Starts one bounded run of `target` in the background, its output in
/// `fuzz/target/logs/<target>.log`.
fn start_target(root: &Path, target: &str, seconds: u64) -> Result<(String, std::process::Child, PathBuf), String> {
    let work = root.join("fuzz/target/corpus").join(target);
    let logs = root.join("fuzz/target/logs");
    for dir in [&work, &logs] {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let log = logs.join(format!("{target}.log"));
    let out = std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
    let err = out.try_clone().map_err(|e| format!("{}: {e}", log.display()))?;
    let seeds = root.join("fuzz/corpus").join(target);
    let mut cmd = cargo_fuzz(root, "run", Some(target));
    // New inputs go to the first directory (not committed); the seeds are only read.
    cmd.arg(&work).arg(&seeds).arg("--").args(libfuzzer_args(seconds));
    cmd.stdin(std::process::Stdio::null()).stdout(out).stderr(err);
    println!("    $ cargo +nightly fuzz run {target} ... -max_total_time={seconds}  (log: {})", log.display());
    let child = cmd.spawn().map_err(|e| format!("cannot run cargo fuzz run {target}: {e}"))?;
    Ok((target.to_owned(), child, log))
}

/// `cargo +nightly fuzz <sub> [target]` with the options every build shares: no sanitizer (safe
/// Rust: the findings are panics, hangs and runaway memory, and ASan would halve the executions
/// per second), debug assertions on (integer overflow panics), release optimisation.
fn cargo_fuzz(root: &Path, sub: &str, target: Option<&str>) -> Command {
    let mut cmd = Command::new("cargo");
    cmd.current_dir(root).args([
        "+nightly",
        "fuzz",
        sub,
        "--fuzz-dir",
        "fuzz",
        "--sanitizer",
        "none",
        "--debug-assertions",
    ]);
    if let Some(t) = target {
        cmd.arg(t);
    }
    cmd
}

/// libFuzzer's bounds: total time, a hang is any input taking over 10 s, 2 GB of memory.
fn libfuzzer_args(seconds: u64) -> Vec<String> {
    vec![
        format!("-max_total_time={seconds}"),
        "-timeout=10".into(),
        "-rss_limit_mb=2048".into(),
        "-print_final_stats=1".into(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn reads_the_plan() {
        let all = Plan::from_args(&[]).unwrap();
        assert_eq!(all.seconds, 60);
        assert_eq!(all.targets.len(), TARGETS.len());
        let some = Plan::from_args(&args(&["--time", "5", "sse", "jwt"])).unwrap();
        assert_eq!(some, Plan { seconds: 5, targets: args(&["sse", "jwt"]) });
        assert!(Plan::from_args(&args(&["nope"])).unwrap_err().contains("unknown fuzz target"));
        assert!(Plan::from_args(&args(&["--time"])).is_err());
        assert!(Plan::from_args(&args(&["--time", "0"])).is_err());
    }

    #[test]
    fn every_target_has_seeds_and_a_manifest_entry() {
        let root = root();
        let manifest = std::fs::read_to_string(root.join("fuzz/Cargo.toml")).unwrap();
        for t in TARGETS {
            assert!(manifest.contains(&format!("name = \"{t}\"")), "{t} is not in fuzz/Cargo.toml");
            let seeds = std::fs::read_dir(root.join("fuzz/corpus").join(t)).unwrap().count();
            assert!(seeds > 0, "no seeds for {t}");
        }
    }
}
