//! Mirroring what a host handler rendered (cross-origin `hostElement` fallback) into the widget,
//! through an allowlist. `embed.js` sends the host element's children as the host page parsed
//! them (a [`MirrorNode`] tree), so nothing is parsed a second time under other rules (a
//! `<noscript>` is raw text in a page that runs scripts but markup in an inert parse, and a
//! stray `<!--` inside one would otherwise swallow the content after it). [`sanitize`] keeps
//! only known-safe elements and attributes: no scripts, no event handlers, no `style`, links
//! only to http(s)/mailto (opening in a new tab with `rel="noopener noreferrer"`), images only
//! from http(s). [`mirror`] then builds the result with `createElement` (never `innerHTML`).

use crate::host::bridge::MirrorNode;
use std::collections::HashMap;
use wasm_bindgen::JsCast;

const ELEMENTS: &[&str] = &[
    "a",
    "b",
    "blockquote",
    "br",
    "caption",
    "code",
    "dd",
    "div",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "small",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
];
/// Dropped with everything inside them.
const DROPPED: &[&str] = &["script", "style", "iframe", "object", "embed", "template", "noscript", "svg", "math"];
const ATTRIBUTES: &[&str] = &["alt", "class", "colspan", "height", "rowspan", "title", "width"];

/// Whether `url` may be a link target.
pub fn safe_href(url: &str) -> bool {
    let u = url.trim().to_ascii_lowercase();
    u.starts_with("https://") || u.starts_with("http://") || u.starts_with("mailto:")
}

/// Whether `url` may be an image source.
pub fn safe_src(url: &str) -> bool {
    let u = url.trim().to_ascii_lowercase();
    u.starts_with("https://") || u.starts_with("http://")
}

/// The allowlisted copy of `nodes`: dropped elements go with their content, unknown elements
/// are replaced by their (sanitized) content, known ones keep only allowlisted attributes.
pub fn sanitize(nodes: &[MirrorNode]) -> Vec<MirrorNode> {
    let mut out = Vec::new();
    for node in nodes {
        match node {
            MirrorNode::Text(t) => out.push(MirrorNode::Text(t.clone())),
            MirrorNode::Element(tag, attrs, children) => {
                let tag = tag.to_ascii_lowercase();
                if tag.starts_with('#') || DROPPED.contains(&tag.as_str()) {
                    continue;
                }
                if !ELEMENTS.contains(&tag.as_str()) {
                    out.extend(sanitize(children)); // unknown wrapper: keep its content
                    continue;
                }
                let mut kept: HashMap<String, String> = HashMap::new();
                for name in ATTRIBUTES {
                    if let Some(v) = attrs.get(*name) {
                        kept.insert((*name).to_owned(), v.clone());
                    }
                }
                if tag == "a"
                    && let Some(href) = attrs.get("href").filter(|h| safe_href(h))
                {
                    kept.insert("href".into(), href.clone());
                    kept.insert("target".into(), "_blank".into());
                    kept.insert("rel".into(), "noopener noreferrer".into());
                }
                if tag == "img" {
                    match attrs.get("src").filter(|s| safe_src(s)) {
                        Some(src) => kept.insert("src".into(), src.clone()),
                        None => continue,
                    };
                }
                out.push(MirrorNode::Element(tag, kept, sanitize(children)));
            }
        }
    }
    out
}

/// Replaces the children of the element `id` under `root` with the sanitized `nodes`.
pub fn mirror(root: &web_sys::HtmlElement, id: &str, nodes: &[MirrorNode]) {
    let Some(document) = root.owner_document() else { return };
    let Ok(Some(target)) = root.query_selector(&format!("[id=\"{}\"]", id.replace('"', ""))) else { return };
    target.set_text_content(None);
    build(&document, &sanitize(nodes), &target);
}

fn build(document: &web_sys::Document, nodes: &[MirrorNode], to: &web_sys::Node) {
    for node in nodes {
        match node {
            MirrorNode::Text(t) => {
                let _ = to.append_child(&document.create_text_node(t));
            }
            MirrorNode::Element(tag, attrs, children) => {
                let Ok(el) = document.create_element(tag) else { continue };
                for (name, value) in attrs {
                    let _ = el.set_attribute(name, value);
                }
                build(document, children, el.unchecked_ref());
                let _ = to.append_child(&el);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_links_and_images() {
        assert!(safe_href("https://example.com"));
        assert!(safe_href("mailto:a@b.c"));
        assert!(!safe_href("javascript:alert(1)"));
        assert!(!safe_href(" JavaScript:alert(1)"));
        assert!(!safe_href("data:text/html,<script>"));
        assert!(safe_src("https://cdn.example/x.png"));
        assert!(!safe_src("data:image/svg+xml,<svg onload=alert(1)>"));
    }

    fn el(tag: &str, attrs: &[(&str, &str)], children: Vec<MirrorNode>) -> MirrorNode {
        let attrs = attrs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        MirrorNode::Element(tag.into(), attrs, children)
    }

    fn text(t: &str) -> MirrorNode {
        MirrorNode::Text(t.into())
    }

    #[test]
    fn keeps_formatting_and_drops_everything_active() {
        let nodes = vec![
            el("p", &[("class", "x"), ("onclick", "alert(1)"), ("style", "color:red")], vec![text("hi")]),
            el("script", &[], vec![text("alert(1)")]),
            el("noscript", &[], vec![text("<!--")]),
            el("#foreign", &[("onload", "alert(1)")], vec![el("a", &[("href", "javascript:x")], vec![])]),
            el("custom-card", &[("onmouseover", "x")], vec![el("b", &[], vec![text("kept")])]),
            el("a", &[("href", "javascript:alert(1)")], vec![text("no link")]),
            el("a", &[("href", "https://ok.example")], vec![text("link")]),
            el("img", &[("src", "x"), ("onerror", "alert(1)")], vec![]),
            el("IMG", &[("src", "https://cdn.example/i.png"), ("alt", "pic")], vec![]),
            text("after"),
        ];
        let clean = sanitize(&nodes);
        assert_eq!(
            clean,
            vec![
                el("p", &[("class", "x")], vec![text("hi")]),
                el("b", &[], vec![text("kept")]),
                el("a", &[], vec![text("no link")]),
                el(
                    "a",
                    &[("href", "https://ok.example"), ("target", "_blank"), ("rel", "noopener noreferrer")],
                    vec![text("link")]
                ),
                el("img", &[("src", "https://cdn.example/i.png"), ("alt", "pic")], vec![]),
                text("after"),
            ]
        );
    }
}
