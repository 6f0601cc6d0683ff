//! The main window: header, message list, composer.

use super::composer::Composer;
use super::message_list::MessageList;
use crate::chat::use_chat;
use crate::events::ViewChangeReason;
use crate::i18n::Key;
use leptos::prelude::*;

/// The chat window. Escape closes it.
#[component]
pub fn MainWindow() -> impl IntoView {
    let chat = use_chat();
    let state = chat.get().state;
    let title = chat.get().config.title.clone();
    let open = move || state.view.get().main_window;
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" {
            ev.prevent_default();
            chat.get().close(ViewChangeReason::MainWindowClosed);
        }
    };
    view! {
        <Show when=open>
            <section class="cq-window" role="dialog" aria-label=title.clone() on:keydown=on_keydown>
                <header class="cq-header">
                    <h2 class="cq-title">{title.clone()}</h2>
                    <button
                        class="cq-icon-button"
                        type="button"
                        aria-label=move || state.t(Key::CloseChat)
                        on:click=move |_| chat.get().close(ViewChangeReason::MainWindowClosed)
                    >
                        <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
                            <path
                                fill="none"
                                stroke="currentColor"
                                stroke-width="2"
                                stroke-linecap="round"
                                d="M6 6l12 12M18 6L6 18"
                            />
                        </svg>
                    </button>
                </header>
                <MessageList />
                <Composer />
            </section>
        </Show>
    }
}
