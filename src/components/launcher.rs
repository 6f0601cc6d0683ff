//! The launcher: the round button that opens the chat.

use crate::chat::use_chat;
use crate::i18n::Key;
use leptos::prelude::*;

/// The launcher button. Visible while the view state says so and the chat is ready.
#[component]
pub fn Launcher() -> impl IntoView {
    let chat = use_chat();
    let state = chat.get().state;
    let visible = move || state.view.get().launcher;
    view! {
        <Show when=visible>
            <button
                class="cq-launcher"
                type="button"
                data-launcher=""
                aria-label=move || state.t(Key::OpenChat)
                aria-expanded="false"
                disabled=move || !state.ready.get()
                on:click=move |_| chat.get().open()
            >
                <svg viewBox="0 0 24 24" width="28" height="28" aria-hidden="true">
                    <path
                        fill="currentColor"
                        d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"
                    />
                </svg>
            </button>
        </Show>
    }
}
