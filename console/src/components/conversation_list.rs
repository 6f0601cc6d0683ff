//! One list of the inbox, with its heading and count.

use super::conversation_item::ConversationItem;
use crate::console::Conv;
use leptos::prelude::*;

/// A list of conversations.
#[component]
pub fn ConversationList(
    /// The list's heading (`Queue`, `My conversations`).
    heading: &'static str,
    /// The conversations, in the order shown.
    #[prop(into)]
    items: Signal<Vec<Conv>>,
    /// What an empty list says.
    empty: &'static str,
) -> impl IntoView {
    let id = format!("cc-list-{}", heading.to_lowercase().replace(' ', "-"));
    let labelled_by = id.clone();
    view! {
        <section class="cc-list" aria-labelledby=labelled_by>
            <h2 id=id>{heading} " " <span class="cc-count">{move || items.with(Vec::len)}</span></h2>
            <Show when=move || items.with(Vec::is_empty)>
                <p class="cc-muted cc-empty">{empty}</p>
            </Show>
            <ul>
                <For each=move || items.get() key=|c| c.id.clone() let:conv>
                    <ConversationItem conv />
                </For>
            </ul>
        </section>
    }
}
