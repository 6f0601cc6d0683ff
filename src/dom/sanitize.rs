//! Mirroring what a host handler rendered (cross-origin `hostElement` fallback) into the widget,
//! through an allowlist: the HTML is parsed inert (a `<template>`), and only known-safe elements
//! and attributes are rebuilt. No scripts, no event handlers, no `style`, links only to
//! http(s)/mailto (opening in a new tab with `rel="noopener noreferrer"`), images only from
//! http(s).

use wasm_bindgen::JsCast;
use web_sys::{Element, Node};

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

/// Replaces the children of the element `id` under `root` with a sanitized copy of `html`.
pub fn mirror(root: &web_sys::HtmlElement, id: &str, html: &str) {
    let Some(document) = root.owner_document() else { return };
    let Ok(Some(target)) = root.query_selector(&format!("[id=\"{}\"]", id.replace('"', ""))) else { return };
    let Ok(template) = document.create_element("template") else { return };
    template.set_inner_html(html);
    let source: Node = template.unchecked_into::<web_sys::HtmlTemplateElement>().content().into();
    target.set_text_content(None);
    copy_children(&document, &source, &target);
}

fn copy_children(document: &web_sys::Document, from: &Node, to: &Node) {
    let children = from.child_nodes();
    for i in 0..children.length() {
        let Some(child) = children.item(i) else { continue };
        match child.node_type() {
            Node::TEXT_NODE => {
                let _ = to.append_child(&document.create_text_node(&child.text_content().unwrap_or_default()));
            }
            Node::ELEMENT_NODE => {
                let el: &Element = child.unchecked_ref();
                let tag = el.tag_name().to_ascii_lowercase();
                if DROPPED.contains(&tag.as_str()) {
                    continue;
                }
                if !ELEMENTS.contains(&tag.as_str()) {
                    copy_children(document, &child, to); // unknown wrapper: keep its content
                    continue;
                }
                let Ok(copy) = document.create_element(&tag) else { continue };
                for name in ATTRIBUTES {
                    if let Some(v) = el.get_attribute(name) {
                        let _ = copy.set_attribute(name, &v);
                    }
                }
                if tag == "a"
                    && let Some(href) = el.get_attribute("href").filter(|h| safe_href(h))
                {
                    let _ = copy.set_attribute("href", &href);
                    let _ = copy.set_attribute("target", "_blank");
                    let _ = copy.set_attribute("rel", "noopener noreferrer");
                }
                if tag == "img" {
                    match el.get_attribute("src").filter(|s| safe_src(s)) {
                        Some(src) => {
                            let _ = copy.set_attribute("src", &src);
                        }
                        None => continue,
                    }
                }
                copy_children(document, &child, &copy);
                let _ = to.append_child(&copy);
            }
            _ => {}
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
}
