//! Colloquy: an embeddable website chat widget.
//!
//! Flow goes one way: components call the controller ([`chat::Chat`]), which changes the state
//! ([`state`]) and runs events through the dispatcher ([`events`]), which delivers them to the
//! sinks (host handlers in every dialect, DOM events, the postMessage bridge).

#![warn(missing_docs)]

pub mod agent;
pub mod chat;
pub mod components;
pub mod config;
pub mod demo;
pub mod dom;
pub mod events;
pub mod hooks;
pub mod host;
pub mod i18n;
pub mod layout;
pub mod markdown;
pub mod methods;
pub mod persist;
#[cfg(test)]
mod typescript;
pub mod widget;

pub use chat::state;

/// What the page at this URL is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PageKind {
    /// The widget inside an iframe created by `embed.js`, talking to `origin`.
    Embedded {
        /// The host page's origin (pinned).
        origin: String,
    },
    /// The standalone demo page.
    Demo,
}

impl PageKind {
    /// Decides from the query string (`?embed=1&origin=...`).
    pub fn from_query(search: &str) -> PageKind {
        let mut embed = false;
        let mut origin = None;
        for pair in search.trim_start_matches('?').split('&') {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match key {
                "embed" => embed = true,
                "origin" => origin = percent_decode(value),
                _ => {}
            }
        }
        match (embed, origin) {
            (true, Some(origin)) if !origin.is_empty() => PageKind::Embedded { origin },
            _ => PageKind::Demo,
        }
    }
}

/// Percent-decodes a query value.
fn percent_decode(value: &str) -> Option<String> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Whether the widget page may start for the host `origin`: `allowed` is the content of the
/// page's `<meta name="colloquy-allowed-origins">` (space-separated origins, set by the server
/// from its allowed-origins setting); without the meta, any host may.
pub fn host_allowed(allowed: Option<&str>, origin: &str) -> bool {
    allowed.is_none_or(|list| list.split_whitespace().any(|o| o == origin))
}

/// Entry point of the widget page (`index.html`): the widget inside the iframe `embed.js`
/// made; opened directly (no embed parameters), it sends the visitor to the demo page.
pub fn start() {
    host::panic::install();
    let Some(window) = web_sys::window() else { return };
    // Loaded as a module by `embed.js` (inline mode) the page is the host's: do nothing here.
    let ours = window.document().and_then(|d| d.body()).is_some_and(|b| b.has_attribute("data-colloquy"));
    if !ours {
        return;
    }
    let location = window.location();
    match PageKind::from_query(&location.search().unwrap_or_default()) {
        PageKind::Embedded { origin } => {
            let meta = window.document().and_then(|d| d.query_selector("meta[name=colloquy-allowed-origins]").ok()?);
            let allowed = meta.and_then(|m| m.get_attribute("content"));
            if !host_allowed(allowed.as_deref(), &origin) {
                let text = format!("Colloquy: {origin} is not an allowed origin for this widget; it will not start.");
                web_sys::console::error_1(&text.into());
                return;
            }
            widget::start_iframe(origin)
        }
        PageKind::Demo => {
            let _ = location.replace("demo/");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// "Components never call host JavaScript", checked by reading their imports: no component
    /// names `crate::host` (the bridge, JS values, storage), `js_sys::Function` or `Reflect::apply`.
    #[test]
    fn components_never_reach_the_host() {
        for (path, source) in sources(&["src/components"]) {
            for banned in ["crate::host", "js_sys::Function", "Reflect::apply", "dispatcher"] {
                assert!(!source.contains(banned), "{path} uses {banned}");
            }
        }
        // Hooks are the components' browser plumbing (DOM listeners may be `js_sys::Function`s).
        for (path, source) in sources(&["src/hooks"]) {
            for banned in ["crate::host", "Reflect::apply", "dispatcher"] {
                assert!(!source.contains(banned), "{path} uses {banned}");
            }
        }
    }

    /// The single-writer rule (issue 13, item 2): state write halves are private to `crate::chat`
    /// (the compiler checks that); `Chat::stage`, the fixtures' way in, is not used by the widget
    /// itself: components, hooks, the instance methods, start-up and the host side go through
    /// `Chat`'s intents.
    #[test]
    fn only_fixtures_stage_state() {
        let widget =
            sources(&["src/components", "src/hooks", "src/host", "src/methods.rs", "src/widget.rs", "src/lib.rs"]);
        assert!(widget.len() > 10, "{} files", widget.len());
        for (path, source) in widget {
            let code = source.split("#[cfg(test)]").next().unwrap_or_default();
            assert!(!code.contains(".stage("), "{path} writes state through Chat::stage");
        }
    }

    /// Dialect knowledge lives in the dialect mapping only (issue 13, item 3): the dispatcher reads
    /// stickiness and history replay as properties of `Api` and names no dialect of its own.
    #[test]
    fn the_dispatcher_names_no_dialect() {
        for (path, source) in sources(&["src/events/dispatcher.rs"]) {
            let code: String = source
                .split("#[cfg(test)]")
                .next()
                .unwrap_or_default()
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .collect::<Vec<_>>()
                .join("\n");
            assert!(code.contains("is_sticky(") && code.contains("replays_history("), "{path}");
            for banned in ["Api::Chask", "Api::Sa", "Api::ChatSpark", "onReady", "saEvents", "chatspark", "watsonx"] {
                assert!(!code.contains(banned), "{path} names the dialect {banned}");
            }
        }
    }

    /// Ids are unguessable (issue 10, item 2): the browser runtime fills them from
    /// `crypto.getRandomValues` (the controller draws every id from `Runtime::fill_random`, see
    /// `chat::tests::ids_come_from_the_secure_random_source`), and nothing in the widget or in
    /// `embed.js` uses `Math.random`.
    #[test]
    fn no_math_random_anywhere() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let host = std::fs::read_to_string(root.join("src/host/mod.rs")).unwrap();
        let fill = &host[host.find("fn fill_random").expect("BrowserRuntime::fill_random")..];
        assert!(fill[..fill.find("\n    }").unwrap()].contains("get_random_values"), "fill_random uses crypto");
        let mut dirs = vec![root.join("src"), root.join("public")];
        let mut seen = 0;
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()) {
                if entry.is_dir() {
                    dirs.push(entry);
                } else if entry.extension().is_some_and(|e| e == "rs" || e == "js") && !entry.ends_with("src/lib.rs") {
                    let text = std::fs::read_to_string(&entry).unwrap();
                    // Code only: comments may name what is not used.
                    let text: String = text
                        .lines()
                        .filter(|l| !["//", "/*", "*"].iter().any(|c| l.trim_start().starts_with(c)))
                        .collect();
                    seen += 1;
                    for banned in ["Math.random", "Math::random"] {
                        assert!(!text.contains(banned), "{} uses {banned}", entry.display());
                    }
                }
            }
        }
        assert!(seen > 50, "{seen} files");
    }

    /// (path, text) of each `.rs` file under `paths` (files or folders, from the crate root).
    fn sources(paths: &[&str]) -> Vec<(String, String)> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut out = Vec::new();
        for path in paths.iter().map(|p| root.join(p)) {
            let files: Vec<std::path::PathBuf> = if path.is_dir() {
                std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()).collect()
            } else {
                vec![path]
            };
            for file in files.into_iter().filter(|f| f.extension().is_some_and(|e| e == "rs")) {
                out.push((file.display().to_string(), std::fs::read_to_string(&file).unwrap()));
            }
        }
        out
    }

    #[test]
    fn the_query_decides_the_page() {
        assert_eq!(
            PageKind::from_query("?embed=1&origin=https%3A%2F%2Fshop.example"),
            PageKind::Embedded { origin: "https://shop.example".into() }
        );
        assert_eq!(PageKind::from_query(""), PageKind::Demo);
        assert_eq!(PageKind::from_query("?embed=1"), PageKind::Demo);
    }

    #[test]
    fn the_widget_starts_only_for_listed_hosts() {
        let list = Some("https://a.example http://localhost:18081");
        assert!(host_allowed(list, "https://a.example"));
        assert!(host_allowed(list, "http://localhost:18081"));
        assert!(!host_allowed(list, "https://evil.example"));
        assert!(!host_allowed(list, "https://a.example.evil.example"));
        assert!(!host_allowed(Some(""), "https://a.example"));
        assert!(host_allowed(None, "https://anyone.example"), "no meta: no list");
    }
}
