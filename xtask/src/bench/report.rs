//! The bench report: the goals of issue 9 with met / not met, then every figure in detail.

use super::{Figures, Options};
use serde_json::Value;
use std::fmt::Write;

fn kb(bytes: f64) -> String {
    format!("{:.1} KB", bytes / 1024.0)
}

fn ms(x: f64) -> String {
    format!("{x:.0} ms")
}

fn ratio(a: Option<f64>, b: Option<f64>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2}×", a / b),
        _ => "—".into(),
    }
}

fn verdict(met: Option<bool>) -> &'static str {
    match met {
        Some(true) => "**met**",
        Some(false) => "not met",
        None => "not measured",
    }
}

fn signed(x: f64) -> String {
    if x >= 0.0 { format!("+{x:.0} ms") } else { format!("−{:.0} ms", -x) }
}

/// One row of the goals table.
struct Goal {
    what: String,
    colloquy: String,
    peer: String,
    ratio: String,
    goal: &'static str,
    met: Option<bool>,
}

fn missing(f: &Figures, prefix: &str) -> String {
    match f.error(prefix) {
        Some(e) => format!("not measured: {e}"),
        None => "not measured".into(),
    }
}

fn stream_goal(f: &Figures, mode: &str, paced: bool) -> (String, Option<bool>) {
    let id = format!("stream.{mode}.{}", if paced { "paced" } else { "fast" });
    if let Some(t) = f.f(&format!("{id}.timedOut")) {
        return (format!("no reply within {t:.0} s"), Some(false));
    }
    let (Some(long), Some(longest), Some(total), Some(deltas)) = (
        f.f(&format!("{id}.longTasks")),
        f.f(&format!("{id}.longest")),
        f.f(&format!("{id}.totalMs")),
        f.f(&format!("{id}.deltasMin")),
    ) else {
        return (missing(f, &id), None);
    };
    let exact = f.b(&format!("{id}.textExact")).unwrap_or(false);
    let expected = f.f("stream.deltas").unwrap_or(10_000.0);
    let mut text = format!("{long:.0} long tasks");
    if long > 0.0 {
        let _ = write!(text, " (longest {})", ms(longest));
    }
    let mut met = long == 0.0;
    if paced {
        let stream = f.f(&format!("{id}.streamMs")).unwrap_or(f64::NAN);
        let pct = f.f(&format!("{id}.overheadPct")).unwrap_or(f64::NAN);
        let _ = write!(text, "; done in {} for a {} stream ({:+.1}%)", ms(total), ms(stream), pct);
        met &= pct <= 5.0;
    } else {
        let _ = write!(text, "; done in {}", ms(total));
    }
    let _ = write!(text, "; {deltas:.0} deltas delivered");
    if deltas != expected {
        let _ = write!(text, " (of {expected:.0})");
        met = false;
    }
    text.push_str(if exact { "; final text exact" } else { "; final text NOT exact" });
    met &= exact;
    (text, Some(met))
}

fn goals(f: &Figures) -> Vec<Goal> {
    let mut rows = Vec::new();
    for (mode, label) in [("inline", "inline"), ("iframe", "iframe")] {
        let (c, met) = stream_goal(f, mode, false);
        rows.push(Goal {
            what: format!("10,000-delta reply, {label}, one pre:stream:delta handler, fast server"),
            colloquy: c,
            peer: "—".into(),
            ratio: "—".into(),
            goal: "0 long tasks",
            met,
        });
    }
    for (mode, label) in [("inline", "inline"), ("iframe", "iframe")] {
        let (c, met) = stream_goal(f, mode, true);
        rows.push(Goal {
            what: format!("the same paced at 2,000 deltas/s, {label}"),
            colloquy: c,
            peer: "—".into(),
            ratio: "—".into(),
            goal: "0 long tasks; done within 5% of the stream's length",
            met,
        });
    }
    for mode in ["inline", "iframe"] {
        let id = format!("thread.{mode}");
        let (c, met) = match (f.f(&format!("{id}.paintMs")), f.f(&format!("{id}.nodes"))) {
            (Some(p), Some(n)) => (format!("{} to paint; {n:.0} DOM nodes", ms(p)), Some(p <= 100.0 && n <= 1500.0)),
            _ => (missing(f, &id), None),
        };
        rows.push(Goal {
            what: format!("loadThread of 10,000 messages, {mode}"),
            colloquy: c,
            peer: "—".into(),
            ratio: "—".into(),
            goal: "≤ 100 ms to paint; ≤ 1,500 nodes",
            met,
        });
    }
    let runs = f.f("startup.runs").unwrap_or(7.0);
    let (c, d) = (f.f("startup.colloquy.iframe"), f.f("startup.deepchat"));
    rows.push(Goal {
        what: format!("script tag → ready, iframe, cold, median of {runs:.0}"),
        colloquy: c.map(ms).unwrap_or_else(|| missing(f, "startup.colloquy.iframe")),
        peer: d.map(|d| format!("{} (first render)", ms(d))).unwrap_or_else(|| missing(f, "startup.deepchat")),
        ratio: ratio(c, d),
        goal: "≤ 150 ms and below deep-chat in the same run",
        met: c.map(|c| c <= 150.0 && d.is_some_and(|d| c < d)),
    });
    let (c, d) = (f.f("size.colloquy.widget.gzip"), f.f("size.deepchat.all.gzip"));
    rows.push(Goal {
        what: "widget bytes (wasm + js + css), gzip".into(),
        colloquy: c
            .map(|c| {
                let stretch = if c <= 150.0 * 1024.0 { " (stretch met)" } else { "" };
                format!("{}{stretch}", kb(c))
            })
            .unwrap_or_else(|| missing(f, "size.colloquy")),
        peer: d.map(kb).unwrap_or_else(|| missing(f, "size.deepchat")),
        ratio: ratio(c, d),
        goal: "≤ 200 KB (stretch 150)",
        met: c.map(|c| c <= 200.0 * 1024.0),
    });
    let (c, d) = (f.f("size.colloquy.widget.brotli"), f.f("size.deepchat.all.brotli"));
    rows.push(Goal {
        what: "widget bytes (wasm + js + css), brotli".into(),
        colloquy: c.map(kb).unwrap_or_else(|| missing(f, "size.colloquy")),
        peer: d.map(kb).unwrap_or_else(|| missing(f, "size.deepchat")),
        ratio: ratio(c, d),
        goal: "(reported)",
        met: None,
    });
    let lh = |v: &str, k: &str| -> Option<f64> {
        Some(f.f(&format!("lighthouse.{v}.{k}"))? - f.f(&format!("lighthouse.plain.{k}"))?)
    };
    let lh_text = |v: &str| -> String {
        match (lh(v, "tbt"), lh(v, "mainThread"), f.f(&format!("lighthouse.{v}.score"))) {
            (Some(t), Some(m), Some(p)) => format!("TBT {}, main thread {} (perf {p:.0})", signed(t), signed(m)),
            _ => missing(f, &format!("lighthouse.{v}")),
        }
    };
    rows.push(Goal {
        what: "Lighthouse mobile, shop page with vs without the widget".into(),
        colloquy: lh_text("colloquy"),
        peer: lh_text("deepchat"),
        ratio: match (lh("colloquy", "mainThread"), lh("deepchat", "mainThread")) {
            (Some(a), Some(b)) if b > 0.0 => format!("{:.2}× (main thread)", a / b),
            _ => "—".into(),
        },
        goal: "TBT +0, main thread ≤ +50 ms",
        met: match (lh("colloquy", "tbt"), lh("colloquy", "mainThread")) {
            (Some(t), Some(m)) => Some(t <= 0.0 && m <= 50.0),
            _ => None,
        },
    });
    rows
}

/// The goals table alone (for the README and docs/benchmarks.md).
pub fn goals_table(f: &Figures) -> String {
    let mut out = String::from("| what | Colloquy | deep-chat 2.4.2 | ratio | goal | |\n|---|---|---|---|---|---|\n");
    for g in goals(f) {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            g.what,
            g.colloquy,
            g.peer,
            g.ratio,
            g.goal,
            if g.goal == "(reported)" { "—" } else { verdict(g.met) }
        );
    }
    out
}

fn files_table(out: &mut String, f: &Figures, key: &str) {
    let Some(files) = f.notes.get(key).and_then(Value::as_array) else { return };
    out.push_str("| file | raw | gzip | brotli |\n|---|---|---|---|\n");
    for file in files {
        let n = |k: &str| file[k].as_f64().unwrap_or(0.0);
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} |",
            file["file"].as_str().unwrap_or("?"),
            kb(n("raw")),
            kb(n("gzip")),
            kb(n("brotli"))
        );
    }
    out.push('\n');
}

fn samples(f: &Figures, id: &str) -> String {
    f.samples
        .get(id)
        .and_then(Value::as_array)
        .map(|xs| xs.iter().map(|x| format!("{:.0}", x.as_f64().unwrap_or(f64::NAN))).collect::<Vec<_>>().join(", "))
        .unwrap_or_default()
}

/// The whole report.
pub fn render(f: &Figures, o: &Options, broken: &[String]) -> String {
    let cpu = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    let date =
        crate::cmd::capture(std::process::Command::new("date").args(["-u", "+%Y-%m-%d %H:%M UTC"])).unwrap_or_default();
    // Other work on the machine skews timings: say how busy it was when the report was written.
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().nth(1).map(|m5| format!(" (load average over the last 5 minutes: {m5})")))
        .unwrap_or_default();
    let mut out = format!(
        "# Colloquy benchmark report\n\n{} — release build, {cpu} CPU cores{load}, headless Chromium (Debian), everything on \
         loopback. Colloquy beside deep-chat 2.4.2 (npm) served by the same server. Figures, not pass/fail: the \
         goals of issue 9 are beside them. Start-up: median of {} cold runs (a fresh browser context each); \
         streaming and loadThread: median of {} runs; Lighthouse: median of {} runs.\n\n",
        date.trim(),
        o.runs,
        o.stream_runs,
        o.lighthouse_runs
    );
    if !broken.is_empty() {
        out.push_str("**Measurements that could not be taken:**\n\n");
        for b in broken {
            let _ = writeln!(out, "- {b}");
        }
        out.push('\n');
    }
    out.push_str("## Goals\n\n");
    out.push_str(&goals_table(f));

    out.push_str("\n## Widget bytes (what a page loads from the widget's origin)\n\n");
    out.push_str("| | raw | gzip | brotli |\n|---|---|---|---|\n");
    for (label, id) in [
        ("Colloquy: wasm", "size.colloquy.wasm"),
        ("Colloquy: js", "size.colloquy.js"),
        ("Colloquy: css", "size.colloquy.css"),
        ("Colloquy: widget (wasm + js + css)", "size.colloquy.widget"),
        ("Colloquy: embed.js", "size.colloquy.embed"),
        ("Colloquy: widget page (iframe mode)", "size.colloquy.page"),
        ("Colloquy: everything an iframe-mode host loads", "size.colloquy.all"),
        ("deep-chat: everything its page loads", "size.deepchat.all"),
    ] {
        if let (Some(r), Some(g), Some(b)) =
            (f.f(&format!("{id}.raw")), f.f(&format!("{id}.gzip")), f.f(&format!("{id}.brotli")))
        {
            let _ = writeln!(out, "| {label} | {} | {} | {} |", kb(r), kb(g), kb(b));
        }
    }
    out.push_str("\nColloquy's files:\n\n");
    files_table(&mut out, f, "size.colloquy.files");
    out.push_str("deep-chat's files:\n\n");
    files_table(&mut out, f, "size.deepchat.files");

    out.push_str("## Start-up: script tag → ready, cold cache\n\n| | median | runs (ms) |\n|---|---|---|\n");
    for (label, id) in [
        ("Colloquy, iframe (`chat:ready`, `load: \"eager\"`)", "startup.colloquy.iframe"),
        ("Colloquy, inline (`chat:ready`, `load: \"eager\"`)", "startup.colloquy.inline"),
        ("deep-chat (first render)", "startup.deepchat"),
    ] {
        let v = f.f(id).map(ms).unwrap_or_else(|| missing(f, id));
        let _ = writeln!(out, "| {label} | {v} | {} |", samples(f, id));
    }

    let deltas = f.f("stream.deltas").unwrap_or(10_000.0);
    let rate = f.f("stream.rate").unwrap_or(2_000.0);
    let _ = write!(
        out,
        "\n## Streaming over HTTP: {deltas:.0}-delta reply, one `pre:stream:delta` handler\n\nThe agent server is \
         `tests/bench/server.mjs` (written from docs/agent-protocol.md). Long tasks: > 50 ms, from a \
         `longtask` PerformanceObserver in the host page and (iframe) in the widget frame, between the send and \
         500 ms after `receive`. Total: `send()` to `receive`; stream length: the server's first to last delta.\n\n\
         | mode | server | runs | long tasks (host / frame) | longest | total | stream length | over the stream | deltas | final text |\n\
         |---|---|---|---|---|---|---|---|---|---|\n"
    );
    for mode in ["inline", "iframe"] {
        for paced in [false, true] {
            let id = format!("stream.{mode}.{}", if paced { "paced" } else { "fast" });
            let server = if paced { format!("{rate:.0} deltas/s") } else { "as fast as it can".into() };
            if let Some(t) = f.f(&format!("{id}.timedOut")) {
                let _ = writeln!(out, "| {mode} | {server} | 1 | no reply within {t:.0} s | | | | | | |");
                continue;
            }
            let Some(long) = f.f(&format!("{id}.longTasks")) else {
                let _ = writeln!(out, "| {mode} | {server} | | {} | | | | | | |", missing(f, &id));
                continue;
            };
            let split = match (f.f(&format!("{id}.longTasksHost")), f.f(&format!("{id}.longTasksFrame"))) {
                (Some(h), Some(w)) => format!(" ({h:.0} / {w:.0})"),
                _ => String::new(),
            };
            let g = |k: &str| f.f(&format!("{id}.{k}"));
            let _ = writeln!(
                out,
                "| {mode} | {server} | {} | {long:.0}{split} | {} | {} | {} | {} | {} | {} |",
                g("runs").map(|r| format!("{r:.0}")).unwrap_or("?".into()),
                g("longest").map(ms).unwrap_or_default(),
                g("totalMs").map(ms).unwrap_or_default(),
                g("streamMs").map(ms).unwrap_or_default(),
                g("overheadPct").map(|p| format!("{p:+.1}%")).unwrap_or("—".into()),
                g("deltasMin").map(|d| format!("{d:.0}")).unwrap_or_default(),
                if f.b(&format!("{id}.textExact")) == Some(true) { "exact" } else { "NOT exact" },
            );
        }
    }

    let n = f.f("thread.messages").unwrap_or(10_000.0);
    let _ = write!(
        out,
        "\n## loadThread of {n:.0} messages\n\nPaint: from the call to the animation frame after the newest message \
         entered the widget's DOM; settled: the last DOM change (none for a second after). Nodes: every node in \
         the shadow root (inline) or the widget frame's document (iframe).\n\n\
         | mode | paint | DOM settled | DOM nodes |\n|---|---|---|---|\n"
    );
    for mode in ["inline", "iframe"] {
        let id = format!("thread.{mode}");
        match (f.f(&format!("{id}.paintMs")), f.f(&format!("{id}.settledMs")), f.f(&format!("{id}.nodes"))) {
            (Some(p), Some(s), Some(nodes)) => {
                let _ = writeln!(out, "| {mode} | {} | {} | {nodes:.0} |", ms(p), ms(s));
            }
            _ => {
                let _ = writeln!(out, "| {mode} | {} | | |", missing(f, &id));
            }
        }
    }

    out.push_str(
        "\n## Lighthouse (mobile, simulated throttling) on the shop page\n\n`tests/bench/shop/`: plain; with \
         Colloquy's async snippet (default `load`, which is what hosts get); with deep-chat's module and \
         element.\n\n| page | perf | TBT | main-thread work | TTI | Δ TBT | Δ main thread | Δ TTI |\n\
         |---|---|---|---|---|---|---|---|\n",
    );
    for (label, v) in [("plain", "plain"), ("with Colloquy", "colloquy"), ("with deep-chat", "deepchat")] {
        let g = |k: &str| f.f(&format!("lighthouse.{v}.{k}"));
        let d = |k: &str| -> String {
            if v == "plain" {
                return "—".into();
            }
            match (g(k), f.f(&format!("lighthouse.plain.{k}"))) {
                (Some(a), Some(b)) => signed(a - b),
                _ => "—".into(),
            }
        };
        match (g("score"), g("tbt"), g("mainThread"), g("tti")) {
            (Some(p), Some(t), Some(m), Some(i)) => {
                let _ = writeln!(
                    out,
                    "| {label} | {p:.0} | {} | {} | {} | {} | {} | {} |",
                    ms(t),
                    ms(m),
                    ms(i),
                    d("tbt"),
                    d("mainThread"),
                    d("tti")
                );
            }
            _ => {
                let _ = writeln!(out, "| {label} | {} | | | | | | |", missing(f, &format!("lighthouse.{v}")));
            }
        }
    }
    if let Some(n) = f.f("lighthouse.outsideRequests") {
        let _ = writeln!(
            out,
            "\nRequests to hosts other than loopback during the Lighthouse runs: {n:.0} (Chromium resolves no other \
             name, so none left the machine; deep-chat asks for its Inter web font from a font CDN, which a real \
             visitor would download on top of the figures here)."
        );
    }

    out.push_str("\n## Native (cargo bench)\n\n| benchmark | figure |\n|---|---|\n");
    for (b, v) in &f.native {
        let _ = writeln!(out, "| {b} | {v} |");
    }
    out.push_str("\n## Server load (colloquy-load)\n\n| figure | value |\n|---|---|\n");
    for (b, v) in &f.load {
        let _ = writeln!(out, "| {b} | {v} |");
    }
    out
}
