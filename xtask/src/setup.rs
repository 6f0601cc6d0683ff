//! Finding and installing the tools. Each check is cheap; installs happen only when a tool is
//! missing or at the wrong version.

use crate::cmd::{capture, run, step};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Trunk versions we know work, newest first: 0.22.1 needs rustc >= 1.96.1, 0.21.14 builds with
/// older compilers.
const TRUNK_NEW: &str = "0.22.1";
const TRUNK_OLD: &str = "0.21.14";

/// Debian packages of the wasm32 fallback (TOOLCHAIN.md): rustc/cargo 1.96 with the standard
/// library's sources, and the wasm linker.
const DEBIAN_RUST: &[&str] = &["rustc-web", "cargo-web", "rust-web-src", "lld-22"];
/// Chromium, its driver, and DejaVu Sans: its Arabic and Hebrew glyphs draw the `ar` and `he`
/// locales (and the `ar` screenshot baselines) the same on every machine.
const DEBIAN_BROWSER: &[&str] = &["chromium", "chromium-driver", "fonts-dejavu-core"];
/// Extra rustflags of release wasm builds where std is built from source (see
/// [`Setup::release_command`]).
pub const RELEASE_RUSTFLAGS: &str = "-Zlocation-detail=none -Zunstable-options -Cpanic=immediate-abort";
/// Postgres, for the throwaway cluster of the server's tests (its binaries only: the
/// package's own cluster is not used).
const DEBIAN_POSTGRES: &[&str] = &["postgresql"];
const DEBWEB: &str = "debweb";

/// How wasm32 code gets its standard library.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WasmStd {
    /// The rustup target is installed for the default toolchain.
    Rustup,
    /// Debian's Rust 1.96 (toolchain `debweb`) builds std from source (`-Z build-std`).
    DebianBuildStd,
}

/// What a command needs from set-up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Needs {
    /// Chromium and chromedriver (tests only).
    pub browser: bool,
    /// Debian's postgresql (the server's tests run against a throwaway cluster).
    pub postgres: bool,
}

/// The result of set-up: where things are and how to call them.
pub struct Setup {
    /// Workspace root.
    pub root: PathBuf,
    /// How wasm32 builds get std.
    pub wasm: WasmStd,
    /// PATH with `node_modules/.bin` and cargo's bin dir first.
    path: OsString,
}

impl Setup {
    /// Finds or installs everything `needs` asks for.
    pub fn run(needs: Needs) -> Result<Setup, String> {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace").to_owned();
        let path = search_path(&root);
        let mut apt = Apt::default();
        let wasm = step("wasm32 standard library", || wasm_std(&mut apt))?;
        let setup = Setup { root, wasm, path };
        step("trunk", || setup.trunk())?;
        step("wasm-bindgen CLI", || setup.wasm_bindgen())?;
        step("npm packages (wasm-opt, Playwright, axe-core, TypeScript)", || setup.node_modules())?;
        if needs.browser {
            step("chromium + chromedriver", || apt.ensure(DEBIAN_BROWSER))?;
        }
        if needs.postgres {
            step("postgresql (for the server's tests)", || apt.ensure(DEBIAN_POSTGRES))?;
        }
        Ok(setup)
    }

    /// A command with the set-up PATH, run from the workspace root.
    pub fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        cmd.current_dir(&self.root).env("PATH", &self.path);
        cmd
    }

    /// A command whose cargo builds target wasm32 (trunk, wasm tests).
    pub fn wasm_command(&self, program: &str) -> Command {
        let mut cmd = self.command(program);
        if self.wasm == WasmStd::DebianBuildStd {
            cmd.env("RUSTUP_TOOLCHAIN", DEBWEB)
                .env("RUSTC_BOOTSTRAP", "1")
                .env("CARGO_UNSTABLE_BUILD_STD", "std,panic_abort");
        }
        cmd
    }

    /// A command for release builds of the widget (trunk): [`Self::wasm_command`], and where std
    /// is built from source (nightly flags allowed), panics that trap at once
    /// (`-Cpanic=immediate-abort`: no panic formatting or file and line strings in the wasm,
    /// 19 KB (5%) off the gzipped wasm and js). The widget reports the trap itself
    /// (`src/host/panic.rs`); debug builds and tests keep panic messages and locations.
    pub fn release_command(&self, program: &str) -> Command {
        let mut cmd = self.wasm_command(program);
        if self.wasm == WasmStd::DebianBuildStd {
            // Appended to `.cargo/config.toml`'s target rustflags (cargo merges the lists).
            cmd.env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS", RELEASE_RUSTFLAGS);
        }
        cmd
    }

    fn trunk(&self) -> Result<(), String> {
        let have = capture(self.command("trunk").arg("--version")).unwrap_or_default();
        if [TRUNK_NEW, TRUNK_OLD].iter().any(|v| have.trim() == format!("trunk {v}")) {
            println!("    {} present", have.trim());
            return Ok(());
        }
        // Trunk's own release profile is fat LTO with one codegen unit; an install does not need
        // that (it only moves files and runs tools), and it halves the cold install time.
        let fast = [
            ("CARGO_PROFILE_RELEASE_LTO", "false"),
            ("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16"),
            ("CARGO_PROFILE_RELEASE_OPT_LEVEL", "1"),
        ];
        let (toolchain, version) = match toolchain_with(1, 96, 1) {
            Some(tc) => (Some(tc), TRUNK_NEW),
            None => (None, TRUNK_OLD),
        };
        let mut cmd = self.command("cargo");
        if let Some(tc) = &toolchain {
            cmd.arg(format!("+{tc}"));
        }
        cmd.args(["install", "trunk", "--version", version, "--locked"]).envs(fast);
        run(&mut cmd)
    }

    fn wasm_bindgen(&self) -> Result<(), String> {
        let lock = std::fs::read_to_string(self.root.join("Cargo.lock")).map_err(|e| format!("Cargo.lock: {e}"))?;
        let version = locked_version(&lock, "wasm-bindgen").ok_or("Cargo.lock has no wasm-bindgen")?;
        let want = format!("wasm-bindgen {version}");
        let have = capture(self.command("wasm-bindgen").arg("--version")).unwrap_or_default();
        let runner = capture(self.command("wasm-bindgen-test-runner").arg("--version")).unwrap_or_default();
        if have.trim() == want && runner.contains(&version) {
            println!("    {want} present");
            return Ok(());
        }
        // Not `--locked`: the registry may lack the newest patch of a locked dependency.
        run(self.command("cargo").args(["install", "wasm-bindgen-cli", "--version", &version]))
    }

    fn node_modules(&self) -> Result<(), String> {
        let lock = std::fs::read(self.root.join("package-lock.json")).map_err(|e| format!("package-lock.json: {e}"))?;
        let stamp = self.root.join("node_modules/.xtask-package-lock.json");
        if std::fs::read(&stamp).ok().as_deref() == Some(&lock[..]) {
            println!("    node_modules matches package-lock.json");
            return Ok(());
        }
        run(self.command("npm").args(["ci", "--no-audit", "--no-fund"]))?;
        std::fs::write(&stamp, lock).map_err(|e| format!("{}: {e}", stamp.display()))
    }
}

/// PATH for child processes: the project's npm tools (wasm-opt 132, not Debian's 108), then
/// cargo-installed tools, then the rest.
fn search_path(root: &Path) -> OsString {
    let cargo_bin = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .map(|p| p.join("bin"));
    let mut dirs = vec![root.join("node_modules/.bin")];
    dirs.extend(cargo_bin);
    dirs.extend(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()));
    std::env::join_paths(dirs).unwrap_or_default()
}

/// The version of `name` in a Cargo.lock.
pub fn locked_version(lock: &str, name: &str) -> Option<String> {
    let needle = format!("name = \"{name}\"\n");
    let at = lock.find(&needle)? + needle.len();
    let line = lock[at..].lines().next()?;
    Some(line.strip_prefix("version = \"")?.strip_suffix('"')?.to_owned())
}

/// `rustc --version` of a rustup toolchain, as (major, minor, patch).
fn rustc_version(toolchain: Option<&str>) -> Option<(u32, u32, u32)> {
    let mut cmd = Command::new("rustc");
    if let Some(tc) = toolchain {
        cmd.arg(format!("+{tc}"));
    }
    let out = capture(cmd.arg("--version"))?;
    let version = out.split_whitespace().nth(1)?;
    let mut parts = version.split(['.', '-']).map(|p| p.parse::<u32>().ok());
    Some((parts.next()??, parts.next()??, parts.next()??))
}

/// A rustup toolchain whose rustc is at least `major.minor.patch`.
fn toolchain_with(major: u32, minor: u32, patch: u32) -> Option<String> {
    ["stable", "nightly"]
        .into_iter()
        .find(|tc| rustc_version(Some(tc)) >= Some((major, minor, patch)))
        .map(str::to_owned)
}

fn wasm_std(apt: &mut Apt) -> Result<WasmStd, String> {
    let sysroot = capture(Command::new("rustc").args(["--print", "sysroot"])).unwrap_or_default();
    if Path::new(sysroot.trim()).join("lib/rustlib/wasm32-unknown-unknown").is_dir() {
        println!("    rustup target wasm32-unknown-unknown present");
        return Ok(WasmStd::Rustup);
    }
    // `rustup target add` hangs here (its download host is unreachable): use Debian's Rust and
    // build std from source instead.
    println!("    no wasm32 target in {}; using Debian's Rust with build-std", sysroot.trim());
    apt.ensure(DEBIAN_RUST)?;
    let toolchains = capture(Command::new("rustup").args(["toolchain", "list"])).unwrap_or_default();
    if !toolchains.lines().any(|l| l.split_whitespace().next() == Some(DEBWEB)) {
        run(Command::new("rustup").args(["toolchain", "link", DEBWEB, "/usr"]))?;
    }
    let version = rustc_version(Some(DEBWEB)).ok_or("`rustc +debweb --version` failed")?;
    println!("    toolchain {DEBWEB}: rustc {}.{}.{}", version.0, version.1, version.2);
    Ok(WasmStd::DebianBuildStd)
}

/// Debian packages, installed at most with one `apt-get update` per run.
#[derive(Default)]
struct Apt {
    updated: bool,
}

impl Apt {
    fn ensure(&mut self, packages: &[&str]) -> Result<(), String> {
        let missing: Vec<&str> = packages.iter().copied().filter(|p| !installed(p)).collect();
        if missing.is_empty() {
            println!("    {} installed", packages.join(", "));
            return Ok(());
        }
        let sudo = !is_root();
        let apt = |args: &[&str]| {
            let mut cmd = Command::new(if sudo { "sudo" } else { "apt-get" });
            if sudo {
                cmd.args(["-n", "apt-get"]);
            }
            cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive");
            cmd
        };
        if !self.updated {
            run(&mut apt(&["update", "-qq"]))?;
            self.updated = true;
        }
        let mut args = vec!["install", "-y", "-qq"];
        args.extend(&missing);
        run(&mut apt(&args)).map_err(|e| format!("{e}\n(run as root, or give this user passwordless sudo)"))
    }
}

fn installed(package: &str) -> bool {
    capture(Command::new("dpkg-query").args(["-W", "-f=${Status}", package]))
        .is_some_and(|s| s.contains("install ok installed"))
}

fn is_root() -> bool {
    capture(Command::new("id").arg("-u")).is_some_and(|s| s.trim() == "0")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_locked_version() {
        let lock = "[[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.130\"\nsource = \"x\"\n\n\
                    [[package]]\nname = \"wasm-bindgen-futures\"\nversion = \"0.4.80\"\n";
        assert_eq!(locked_version(lock, "wasm-bindgen").as_deref(), Some("0.2.130"));
        assert_eq!(locked_version(lock, "wasm-bindgen-futures").as_deref(), Some("0.4.80"));
        assert_eq!(locked_version(lock, "serde"), None);
    }
}
