//! The launcher: the round button that opens the chat, its unread badge and greeting bubble.

use super::icons::{Icon, Svg};
use crate::chat::use_chat;
use crate::i18n::{Key, number};
use leptos::html::Button;
use leptos::prelude::*;

/// The launcher button. Shown while the view state says so; focus returns here when the window
/// closes.
#[component]
pub fn Launcher() -> impl IntoView {
    let chat = use_chat();
    let state = chat.get().state;
    let button = NodeRef::<Button>::new();
    let hidden = move || !state.view.get().launcher;
    // Focus comes back to the launcher when the window closes (WAI-ARIA dialog practice).
    Effect::new(move |was_open: Option<bool>| {
        let open = state.view.get().main_window;
        if was_open == Some(true) && !open {
            request_animation_frame(move || {
                if let Some(b) = button.try_get_untracked().flatten() {
                    let _ = b.focus();
                }
            });
        }
        open
    });
    let unread = move || state.unread.get();
    // The count is part of the button's name: "Open chat, 2 unread messages".
    let name = move || match unread() {
        0 => state.t(Key::OpenChat).to_owned(),
        1 => format!("{}, {}", state.t(Key::OpenChat), state.t(Key::UnreadOne)),
        n => {
            format!("{}, {} {}", state.t(Key::OpenChat), number(state.locale.get(), n as f64), state.t(Key::UnreadMany))
        }
    };
    view! {
        <div class="cq-launcher-area" hidden=hidden>
            <Show when=move || state.greeting.get()>
                <Greeting />
            </Show>
            <span class="cq-launcher-wrap">
            <button
                node_ref=button
                class="cq-launcher"
                type="button"
                aria-label=name
                aria-expanded="false"
                aria-haspopup="dialog"
                disabled=move || !state.ready.get()
                on:click=move |_| chat.get().open()
            >
                <Svg icon=Icon::Chat size=28 />
            </button>
            // The badge sits beside the button, hidden from screen readers: the count is in the name.
            <Show when=move || { unread() > 0 }>
                <span class="cq-badge" aria-hidden="true">
                    {move || {
                        let locale = state.locale.get();
                        if unread() > 9 { format!("{}+", number(locale, 9.0)) } else { number(locale, unread() as f64) }
                    }}
                </span>
            </Show>
            </span>
        </div>
    }
}

/// The greeting bubble next to the launcher: opens the chat, or is dismissed.
#[component]
fn Greeting() -> impl IntoView {
    let chat = use_chat();
    let state = chat.get().state;
    let text = chat.get().config.greeting.clone();
    view! {
        <div class="cq-greeting">
            <button class="cq-greeting-text" type="button" on:click=move |_| chat.get().open()>
                {text}
            </button>
            <button
                class="cq-greeting-dismiss"
                type="button"
                aria-label=move || state.t(Key::Dismiss)
                on:click=move |_| chat.get().dismiss_greeting()
            >
                <Svg icon=Icon::Close size=14 />
            </button>
        </div>
    }
}
