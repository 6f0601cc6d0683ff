//! Process and timing helpers shared by every xtask command: named steps with their
//! durations, and running or capturing commands. (A leaf module: it uses nothing of the crate.)

use std::cell::RefCell;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

thread_local! {
    static TIMINGS: RefCell<Vec<(String, Duration, bool)>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` as a named step, printing its start, its duration, and recording both.
pub fn step<T>(name: &str, f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    println!("\n==> {name}");
    let start = Instant::now();
    let result = f();
    let took = start.elapsed();
    let ok = result.is_ok();
    println!("<== {name}: {} in {}", if ok { "done" } else { "FAILED" }, fmt(took));
    TIMINGS.with(|t| t.borrow_mut().push((name.to_owned(), took, ok)));
    result
}

/// Prints the durations of every step so far.
pub fn print_timings() {
    TIMINGS.with(|t| {
        let t = t.borrow();
        if t.is_empty() {
            return;
        }
        println!("\nxtask summary:");
        for (name, took, ok) in t.iter() {
            println!("  {:>9}  {}{name}", fmt(*took), if *ok { "" } else { "FAILED " });
        }
        let total: Duration = t.iter().map(|(_, d, _)| *d).sum();
        println!("  {:>9}  total", fmt(total));
    });
}

fn fmt(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 60.0 { format!("{s:.1}s") } else { format!("{}m{:02}s", (s / 60.0) as u64, s as u64 % 60) }
}

/// Runs a command with inherited output; fails on a non-zero exit.
pub fn run(cmd: &mut Command) -> Result<(), String> {
    let mut shown = cmd.get_program().to_string_lossy().into_owned();
    for arg in cmd.get_args() {
        shown.push(' ');
        shown.push_str(&arg.to_string_lossy());
    }
    println!("    $ {shown}");
    let status = cmd.status().map_err(|e| format!("cannot run {shown}: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("`{shown}` failed ({status})")) }
}

/// Runs a command quietly and returns its stdout, if it ran and succeeded.
pub fn capture(cmd: &mut Command) -> Option<String> {
    let out = cmd.stdin(Stdio::null()).stderr(Stdio::null()).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}
