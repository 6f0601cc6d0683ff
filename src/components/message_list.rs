//! The message list: one row per message, keyed by id.

use crate::chat::use_chat;
use crate::i18n::Key;
use crate::state::Message;
use leptos::prelude::*;

/// The conversation, oldest first, announced politely to screen readers.
#[component]
pub fn MessageList() -> impl IntoView {
    let state = use_chat().get().state;
    view! {
        <div class="cq-messages" role="log" aria-live="polite" aria-label=move || state.t(Key::Conversation)>
            <Show when=move || state.messages.with(Vec::is_empty)>
                <p class="cq-welcome">{move || state.t(Key::Welcome)}</p>
            </Show>
            <For each=move || state.messages.get() key=|m| m.id.clone() let:message>
                <MessageRow message />
            </For>
            <Show when=move || state.typing.get()>
                <p class="cq-typing" role="status" aria-label=move || state.t(Key::Typing)>
                    <span></span>
                    <span></span>
                    <span></span>
                </p>
            </Show>
        </div>
    }
}

/// One message bubble.
#[component]
pub fn MessageRow(
    /// The message to show.
    message: Message,
) -> impl IntoView {
    let text = message.text.clone();
    let status = message.status.clone();
    let streaming = message.streaming.clone();
    view! {
        <div
            class=format!("cq-message cq-message--{}", message.sender.as_str())
            data-id=message.id.clone()
            data-status=move || status.get().as_str()
            aria-busy=move || streaming.get().to_string()
        >
            <p class="cq-bubble">{move || text.get()}</p>
        </div>
    }
}
