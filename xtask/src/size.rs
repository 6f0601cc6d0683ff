//! The widget's size: what a visitor downloads (wasm + js + css in `dist/`, everything but
//! `embed.js`, which has a budget of its own), gzipped at level 9. Size is deterministic, so the
//! budget is a test: `cargo xtask test` fails above it.

use crate::cmd::step;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The goal for the widget (wasm + js + css, gzipped). Not met yet: see `BUDGET`.
pub const GOAL: u64 = 200 * 1024;
/// The budget `cargo xtask test` enforces: the last measured size plus a little room, so the
/// widget cannot grow unnoticed. Lower it whenever the widget shrinks; it meets `GOAL` once the
/// goal is reached.
///
/// It was 345 KB (332 KB measured) before the last round's branches (virtual list, loader, panic
/// notice, XSS hardening) were merged together: the merged widget measured 390 KB, which no
/// branch had measured alone, and issue 11 (four locales, copy buttons, phones, unread) took it
/// to 399.7 KB. Raised to hold it there; the goal stays 200 KB.
///
/// Release panics trap at once (`-Cpanic=immediate-abort`, no location strings): 384.5 KB; then
/// issue 12's live channel (the conversation's event stream, reconnection, dedup) added 7.5 KB:
/// 392.0 KB measured merged. The hand-off's visitor signals (typing, read receipts, the end of a
/// handed-off conversation) and the demo agent's `thinkMs` took it to 394.4 KB.
pub const BUDGET: u64 = 396 * 1024;
/// embed.js, gzipped: the only script every host page downloads. Its goal is 3 KB; the loading
/// modes' placeholder launcher and the stream bookkeeping took it to about 4.3 KB (not met), so
/// the budget holds it there until the bridge code is split out.
///
/// Issue 11 added, on the host page: the placeholder's names in seven locales and the widget's
/// language negotiation (about 210 bytes gzipped); following the visual viewport and the safe area
/// on phones, and the iframe's clipboard permission (about 220 bytes); the opt-in unread title
/// marker and notifications (about 210 bytes). Measured merged: 5,194 bytes.
pub const EMBED_BUDGET: u64 = 5248;

/// Gzipped size of a file (`gzip -9`).
pub fn gzipped(path: &Path) -> Result<u64, String> {
    let out = Command::new("gzip").args(["-9", "-c"]).arg(path).output().map_err(|e| format!("gzip: {e}"))?;
    if !out.status.success() {
        return Err(format!("gzip {} failed", path.display()));
    }
    Ok(out.stdout.len() as u64)
}

/// The widget's files in `dist`: every `.wasm`, `.js` and `.css` at its top level but `embed.js`
/// (hashed names included), sorted.
pub fn widget_files(dist: &Path) -> Result<Vec<PathBuf>, String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dist)
        .map_err(|e| format!("{}: {e} (build first)", dist.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("wasm" | "js" | "css")))
        .filter(|p| p.file_name().and_then(|n| n.to_str()) != Some("embed.js"))
        .collect();
    files.sort();
    if !files.iter().any(|p| p.extension().is_some_and(|e| e == "wasm")) {
        return Err(format!("no .wasm in {}", dist.display()));
    }
    Ok(files)
}

/// The size budget step: the widget and embed.js, gzipped, against their budgets.
pub fn check(root: &Path) -> Result<(), String> {
    step("size budget (gzipped widget and embed.js)", || {
        let dist = root.join("dist");
        let mut total = 0;
        for file in widget_files(&dist)? {
            let gz = gzipped(&file)?;
            println!("    {:>8.1} KB  {}", gz as f64 / 1024.0, file.display());
            total += gz;
        }
        let embed = gzipped(&dist.join("embed.js"))?;
        let kb = |n: u64| format!("{:.1} KB", n as f64 / 1024.0);
        println!(
            "    widget {} (budget {}, goal {}); embed.js {} (budget {})",
            kb(total),
            kb(BUDGET),
            kb(GOAL),
            kb(embed),
            kb(EMBED_BUDGET)
        );
        if total > BUDGET {
            return Err(format!("the widget is {} gzipped, over its budget of {}", kb(total), kb(BUDGET)));
        }
        if embed > EMBED_BUDGET {
            return Err(format!("embed.js is {} gzipped, over its budget of {}", kb(embed), kb(EMBED_BUDGET)));
        }
        Ok(())
    })
}
