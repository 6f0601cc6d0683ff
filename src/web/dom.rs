//! Builds DOM nodes from [`crate::markdown`] trees (text always through text nodes), and keeps
//! a streaming reply's DOM in step with its text at a cost proportional to what changed.

use crate::markdown::{self, Node};
use wasm_bindgen::JsCast;

/// Appends `nodes` to `parent`.
pub fn append(parent: &web_sys::Node, nodes: &[Node]) {
    let Some(doc) = parent.owner_document() else { return };
    for node in nodes {
        match node {
            Node::Text(t) => {
                let _ = parent.append_child(&doc.create_text_node(t));
            }
            Node::El { tag, attrs, children } => {
                let Ok(el) = doc.create_element(tag) else { continue };
                for (k, v) in attrs {
                    let _ = el.set_attribute(k, v);
                }
                append(el.unchecked_ref(), children);
                let _ = parent.append_child(&el);
            }
        }
    }
}

/// Renders markdown into an element: finished blocks once, the growing block on every update.
pub struct MarkdownView {
    stable: web_sys::Element,
    tail: web_sys::Element,
    stable_len: usize,
}

impl MarkdownView {
    /// A view rendering into `root` (its children are replaced).
    pub fn new(root: &web_sys::Element) -> Option<Self> {
        let doc = root.owner_document()?;
        root.set_text_content(None);
        let stable = doc.create_element("div").ok()?;
        let tail = doc.create_element("div").ok()?;
        stable.set_class_name("cq-md");
        tail.set_class_name("cq-md");
        root.append_child(&stable).ok()?;
        root.append_child(&tail).ok()?;
        Some(MarkdownView { stable, tail, stable_len: 0 })
    }

    /// Brings the DOM up to `text`. `done`: the text is final (one full, exact render).
    pub fn update(&mut self, text: &str, done: bool) {
        if done || text.len() < self.stable_len || !text.is_char_boundary(self.stable_len) {
            self.stable.set_text_content(None);
            self.tail.set_text_content(None);
            append(&self.stable, &markdown::parse(text));
            self.stable_len = if done { text.len() } else { 0 };
            return;
        }
        let end = markdown::stable_prefix(text, self.stable_len);
        if end > self.stable_len {
            append(&self.stable, &markdown::parse(&text[self.stable_len..end]));
            self.stable_len = end;
        }
        self.tail.set_text_content(None);
        append(&self.tail, &markdown::parse(&text[self.stable_len..]));
    }
}
