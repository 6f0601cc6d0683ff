//! Colloquy: an embeddable website chat widget.
//!
//! Flow goes one way: components call the controller ([`chat::Chat`]), which changes the state
//! ([`state`]) and runs events through the dispatcher ([`events`]), which delivers them to the
//! sinks (host handlers in every dialect, DOM events, the postMessage bridge).

pub mod agent;
pub mod chat;
pub mod components;
pub mod config;
pub mod demo;
pub mod events;
pub mod i18n;
pub mod layout;
pub mod markdown;
pub mod methods;
pub mod persist;
pub mod state;
#[cfg(test)]
mod typescript;
pub mod web;
pub mod widget;

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

/// Entry point of the widget page (`index.html`): the widget inside the iframe `embed.js`
/// made; opened directly (no embed parameters), it sends the visitor to the demo page.
pub fn start() {
    web::panic::install();
    let Some(window) = web_sys::window() else { return };
    // Loaded as a module by `embed.js` (inline mode) the page is the host's: do nothing here.
    let ours = window.document().and_then(|d| d.body()).is_some_and(|b| b.has_attribute("data-colloquy"));
    if !ours {
        return;
    }
    let location = window.location();
    match PageKind::from_query(&location.search().unwrap_or_default()) {
        PageKind::Embedded { origin } => widget::start_iframe(origin),
        PageKind::Demo => {
            let _ = location.replace("demo/");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_decides_the_page() {
        assert_eq!(
            PageKind::from_query("?embed=1&origin=https%3A%2F%2Fshop.example"),
            PageKind::Embedded { origin: "https://shop.example".into() }
        );
        assert_eq!(PageKind::from_query(""), PageKind::Demo);
        assert_eq!(PageKind::from_query("?embed=1"), PageKind::Demo);
    }
}
