//! DOM utilities for components: building DOM nodes from [`crate::markdown`] trees (text always
//! through text nodes) and keeping a streaming reply's DOM in step with its text at a cost
//! proportional to what changed; focus helpers; the sanitizer for host-rendered HTML; dates and
//! times in the visitor's locale; the clipboard (the widget's own document's, for the copy
//! buttons). Nothing here calls host JavaScript.

pub mod sanitize;
pub mod time;

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

/// Renders markdown into an element: finished blocks once, the growing block (the tail) again
/// as it grows (see [`markdown::tail_due`]); between renders, new text is appended as plain text.
/// The work per update is proportional to what arrived, not to the message.
pub struct MarkdownView {
    stable: web_sys::Element,
    tail: web_sys::Element,
    scan: markdown::StableScan,
    stable_len: usize,
    /// Bytes of the tail last rendered as markdown.
    tail_rendered: usize,
    /// Bytes of text shown (rendered or appended plainly).
    shown: usize,
    /// The name of the copy button each code block gets once the text is final (none: no
    /// buttons).
    pub copy_label: Option<&'static str>,
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
        Some(MarkdownView {
            stable,
            tail,
            scan: Default::default(),
            stable_len: 0,
            tail_rendered: 0,
            shown: 0,
            copy_label: None,
        })
    }

    /// Brings the DOM up to `text`. `done`: the text is final (one full, exact render).
    pub fn update(&mut self, text: &str, done: bool) {
        if done || text.len() < self.shown || !text.is_char_boundary(self.shown) {
            // Final, or replaced (a retried reply): start over.
            self.stable.set_text_content(None);
            self.tail.set_text_content(None);
            self.scan = Default::default();
            self.stable_len = 0;
            self.tail_rendered = 0;
            self.shown = 0;
            if done {
                append(&self.stable, &markdown::parse(text));
                if let Some(label) = self.copy_label {
                    add_copy_buttons(&self.stable, label);
                }
                self.stable_len = text.len();
                self.shown = text.len();
                return;
            }
        }
        let end = self.scan.advance(text);
        if end > self.stable_len {
            append(&self.stable, &markdown::parse(&text[self.stable_len..end]));
            self.stable_len = end;
            self.tail_rendered = 0;
            self.tail.set_text_content(None);
            self.shown = end;
        }
        let tail = &text[self.stable_len..];
        if markdown::tail_due(tail.len(), self.tail_rendered) {
            self.tail.set_text_content(None);
            append(&self.tail, &markdown::parse(tail));
            self.tail_rendered = tail.len();
        } else if text.len() > self.shown {
            // Into the innermost last element (the paragraph or code block being written).
            let mut at: web_sys::Element = self.tail.clone();
            while let Some(child) = at.last_element_child() {
                at = child;
            }
            let _ = at.append_with_str_1(&text[self.shown..]);
        }
        self.shown = text.len();
    }
}

/// How long a copy button says "Copied" (ms).
pub const COPIED_MS: u32 = 2_000;

/// Gives each code block under `root` a copy button: the `pre` is wrapped in a `.cq-code` with a
/// `button.cq-copy` named `label` after it and a polite status (visually hidden) after that.
/// Clicks are the component's ([`copy_code`]): one listener per message, not per block.
fn add_copy_buttons(root: &web_sys::Element, label: &str) {
    let Some(doc) = root.owner_document() else { return };
    let Ok(blocks) = root.query_selector_all("pre") else { return };
    for i in 0..blocks.length() {
        let Some(pre) = blocks.item(i) else { continue };
        let Some(parent) = pre.parent_node() else { continue };
        let (Ok(wrap), Ok(button), Ok(status)) =
            (doc.create_element("div"), doc.create_element("button"), doc.create_element("span"))
        else {
            continue;
        };
        wrap.set_class_name("cq-code");
        button.set_class_name("cq-copy");
        let _ = button.set_attribute("type", "button");
        button.set_text_content(Some(label));
        status.set_class_name("cq-visually-hidden");
        let _ = status.set_attribute("role", "status");
        let _ = parent.insert_before(&wrap, Some(&pre));
        let _ = wrap.append_child(&pre);
        let _ = wrap.append_child(&button);
        let _ = wrap.append_child(&status);
    }
}

/// Writes `text` to the clipboard (`navigator.clipboard.writeText`; in iframe mode embed.js
/// gives the frame `allow="clipboard-write"`); whether it was written.
pub async fn copy_text(text: &str) -> bool {
    let Some(window) = web_sys::window() else { return false };
    // Absent outside secure contexts.
    let clipboard = js_sys::Reflect::get(&window.navigator(), &"clipboard".into()).unwrap_or_default();
    if clipboard.is_undefined() || clipboard.is_null() {
        return false;
    }
    let clipboard: web_sys::Clipboard = clipboard.unchecked_into();
    wasm_bindgen_futures::JsFuture::from(clipboard.write_text(text)).await.is_ok()
}

/// The click on a code block's copy button (`button`, from [`add_copy_buttons`]): copies the
/// block's code exactly (less the newline that ends every fenced block); the button then says
/// `copied`, and its status announces it, for [`COPIED_MS`].
pub async fn copy_code(button: web_sys::Element, copied: &'static str) {
    let Some(wrap) = button.parent_element() else { return };
    let mut code = wrap.query_selector("pre").ok().flatten().and_then(|c| c.text_content()).unwrap_or_default();
    if code.ends_with('\n') {
        code.pop();
    }
    if !copy_text(&code).await || button.class_list().contains("cq-copy--done") {
        return;
    }
    let label = button.text_content();
    let status = button.next_element_sibling();
    let _ = button.class_list().add_1("cq-copy--done");
    button.set_text_content(Some(copied));
    if let Some(s) = &status {
        s.set_text_content(Some(copied));
    }
    gloo_timers::future::TimeoutFuture::new(COPIED_MS).await;
    let _ = button.class_list().remove_1("cq-copy--done");
    button.set_text_content(label.as_deref());
    if let Some(s) = &status {
        s.set_text_content(None);
    }
}

/// Focuses the first element under `root` matching `selector`; whether there was one.
pub fn focus_first(root: &web_sys::Element, selector: &str) -> bool {
    let Some(el) = root.query_selector(selector).ok().flatten() else { return false };
    let _ = el.unchecked_ref::<web_sys::HtmlElement>().focus();
    true
}

/// Focuses the first match of `selector` in `region`, else `region` itself.
pub fn focus_in(region: &web_sys::HtmlElement, selector: Option<&str>) {
    if !selector.is_some_and(|sel| focus_first(region, sel)) {
        let _ = region.focus();
    }
}
