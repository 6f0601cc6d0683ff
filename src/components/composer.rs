//! The composer: a multi-line textbox and the send button.

use crate::chat::use_chat;
use crate::i18n::Key;
use leptos::html::Textarea;
use leptos::prelude::*;

/// Enter sends, Shift+Enter starts a new line. Disabled until the chat is ready.
#[component]
pub fn Composer() -> impl IntoView {
    let chat = use_chat();
    let state = chat.get().state;
    let (draft, set_draft) = signal(String::new());
    let input = NodeRef::<Textarea>::new();
    let send = move || {
        let text = draft.get_untracked();
        if text.trim().is_empty() {
            return;
        }
        set_draft.set(String::new());
        chat.get().send(text);
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
            ev.prevent_default();
            send();
        }
    };
    Effect::new(move |_| {
        if let Some(el) = input.get() {
            let _ = el.focus();
        }
    });
    view! {
        <form
            class="cq-composer"
            on:submit=move |ev| {
                ev.prevent_default();
                send();
            }
        >
            <textarea
                node_ref=input
                class="cq-input"
                rows="1"
                aria-label=move || state.t(Key::Message)
                placeholder=move || state.t(Key::MessagePlaceholder)
                disabled=move || !state.ready.get()
                prop:value=draft
                on:input=move |ev| set_draft.set(event_target_value(&ev))
                on:keydown=on_keydown
            ></textarea>
            <button
                class="cq-send"
                type="submit"
                aria-label=move || state.t(Key::Send)
                disabled=move || !state.ready.get() || draft.with(|d| d.trim().is_empty())
            >
                <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
                    <path fill="currentColor" d="M3 20.5 21 12 3 3.5 3 10l12 2-12 2z" />
                </svg>
            </button>
        </form>
    }
}
