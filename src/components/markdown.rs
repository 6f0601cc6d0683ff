//! Agent text as markdown, rendered to DOM nodes (never HTML strings). While a reply streams,
//! finished blocks render once and only the growing block re-renders, once per animation frame.

use crate::dom::MarkdownView;
use leptos::html::Div;
use leptos::prelude::*;

/// Markdown text that may still be growing.
#[component]
pub fn Markdown(
    /// The markdown source.
    text: ArcReadSignal<String>,
    /// Whether more text is coming.
    streaming: ArcReadSignal<bool>,
) -> impl IntoView {
    let root = NodeRef::<Div>::new();
    let renderer = StoredValue::new_local(None::<MarkdownView>);
    Effect::new(move |_| {
        let Some(el) = root.get() else { return };
        let done = !streaming.get();
        text.with(|t| {
            renderer.update_value(|r| {
                if r.is_none() {
                    *r = MarkdownView::new(&el);
                }
                if let Some(r) = r {
                    r.update(t, done);
                }
            })
        });
    });
    view! { <div class="cq-markdown" node_ref=root></div> }
}
