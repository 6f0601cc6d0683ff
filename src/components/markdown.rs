//! Agent text as markdown, rendered to DOM nodes (never HTML strings). While a reply streams,
//! finished blocks render once and only the growing block re-renders, once per animation frame.
//! Once the text is final, each code block gets a copy button ("Copy code", then "Copied").

use crate::chat::use_chat;
use crate::dom::MarkdownView;
use crate::i18n::Key;
use leptos::html::Div;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// Markdown text that may still be growing.
#[component]
pub fn Markdown(
    /// The markdown source.
    text: ArcReadSignal<String>,
    /// Whether more text is coming.
    streaming: ArcReadSignal<bool>,
) -> impl IntoView {
    let state = use_chat().get().state;
    let root = NodeRef::<Div>::new();
    let renderer = StoredValue::new_local(None::<MarkdownView>);
    Effect::new(move |_| {
        let Some(el) = root.get() else { return };
        let done = !streaming.get();
        // Tracks the locale: a final text renders again with the buttons renamed.
        let label = state.t(Key::CopyCode);
        text.with(|t| {
            renderer.update_value(|r| {
                if r.is_none() {
                    *r = MarkdownView::new(&el);
                }
                if let Some(r) = r {
                    r.copy_label = Some(label);
                    r.update(t, done);
                }
            })
        });
    });
    // One listener for the code blocks' copy buttons (they are built with the markdown's DOM).
    let on_click = move |ev: leptos::ev::MouseEvent| {
        let target = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok());
        if let Some(button) = target.and_then(|t| t.closest(".cq-code > .cq-copy").ok().flatten()) {
            leptos::task::spawn_local(crate::dom::copy_code(button, untrack(|| state.t(Key::Copied))));
        }
    };
    view! { <div class="cq-markdown" node_ref=root on:click=on_click></div> }
}
