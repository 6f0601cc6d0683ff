//! The widget bundle (`index.html`): the page inside the iframe, and the inline-mode module.
use wasm_bindgen::prelude::*;

fn main() {
    colloquy::start();
}

/// Inline mode (called by `embed.js`): mounts the widget in `root` and returns the function that
/// receives the host's bridge messages; `post` receives the widget's.
#[wasm_bindgen(js_name = mountInline)]
pub fn mount_inline(root: web_sys::HtmlElement, post: js_sys::Function) -> js_sys::Function {
    colloquy::widget::mount_inline(root, post)
}
