//! The main window: header (title, avatar, status, restart, maximize/restore, minimize,
//! close), message list, composer. A floating panel on desktop, full screen on a phone, taller
//! and wider when maximized.

use super::button::IconButton;
use super::composer::Composer;
use super::icons::Icon;
use super::message_list::MessageList;
use crate::chat::use_chat;
use crate::dom::focus_in;
use crate::events::{EndReason, ViewChangeReason};
use crate::hooks::{UseFocusKeeperOptions, use_focus_keeper_with_options};
use crate::i18n::Key;
use crate::layout::is_phone;
use crate::state::Handoff;
use leptos::html::Section;
use leptos::prelude::*;

/// The chat window. Escape closes it; focus moves into it when it opens.
#[component]
pub fn MainWindow() -> impl IntoView {
    let chat = use_chat();
    let state = chat.get().state;
    let title = chat.get().config.title.clone();
    let open = move || state.view.get().main_window;
    let (confirming, set_confirming) = signal(false);
    let section = NodeRef::<Section>::new();
    // Move focus into the window when it opens (the message box, else the window itself).
    Effect::new(move |_| {
        if open() {
            request_animation_frame(move || {
                if let Some(s) = section.try_get_untracked().flatten() {
                    focus_in(&s, Some("textarea:not([disabled])"));
                }
            });
        }
    });
    // The restart question takes the focus (on Cancel, the safe answer) and gives it back to the
    // restart button when dismissed.
    let ask = move |ask: bool| {
        set_confirming.set(ask);
        request_animation_frame(move || {
            if let Some(s) = section.try_get_untracked().flatten() {
                focus_in(
                    &s,
                    Some(if ask {
                        ".cq-confirm .cq-button:not(.cq-button--primary)"
                    } else {
                        ".cq-header [aria-expanded]"
                    }),
                );
            }
        });
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" {
            ev.prevent_default();
            if confirming.get_untracked() {
                ask(false);
            } else {
                chat.get().close(ViewChangeReason::MainWindowClosed);
            }
        }
    };
    // Focus stays in the window when the control that had it goes away: back to the message
    // box, or on a phone (where focusing the box pops up the keyboard) to the window itself.
    use_focus_keeper_with_options(
        section,
        UseFocusKeeperOptions {
            active: Signal::derive(move || state.view.get().main_window),
            fallback: Signal::derive(move || (!is_phone(state.viewport.get().0)).then_some("textarea:not([disabled])")),
        },
    );
    let avatar = {
        let title = title.clone();
        move || match state.handoff.get() {
            Handoff::Connected(name) => name.chars().next().unwrap_or('?').to_string(),
            _ => title.chars().next().unwrap_or('C').to_string(),
        }
    };
    let status = move || match (state.ended.get(), state.handoff.get()) {
        (true, _) => state.t(Key::StatusEnded).to_owned(),
        (_, Handoff::Queued(_)) => state.t(Key::StatusQueued).to_owned(),
        (_, Handoff::Connected(name)) => format!("{name} · {}", state.t(Key::StatusHuman)),
        _ => state.t(Key::StatusAi).to_owned(),
    };
    let phone = move || is_phone(state.viewport.get().0);
    let active = move || state.conversation.get().is_some() && !state.ended.get();
    view! {
        <section
            node_ref=section
            class="cq-window"
            role="dialog"
            aria-labelledby="cq-title"
            tabindex="-1"
            hidden=move || !open()
            on:keydown=on_keydown
        >
            <header class="cq-header">
                <span class="cq-avatar" aria-hidden="true">
                    {avatar}
                </span>
                <div class="cq-heading">
                    <h2 id="cq-title" class="cq-title">
                        {title.clone()}
                    </h2>
                    <p class="cq-status">{status}</p>
                </div>
                <IconButton
                    label=move || state.t(Key::RestartConversation).to_owned()
                    icon=Icon::Restart
                    expanded=confirming
                    on_click=move |_| ask(!confirming.get_untracked())
                />
                <Show when=move || !phone()>
                    <IconButton
                        label=move || state.t(if state.maximized.get() { Key::Restore } else { Key::Maximize }).to_owned()
                        icon=move || if state.maximized.get() { Icon::Restore } else { Icon::Maximize }
                        on_click=move |_| chat.get().set_maximized(!state.maximized.get_untracked())
                    />
                </Show>
                <IconButton
                    label=move || state.t(Key::Minimize).to_owned()
                    icon=Icon::Minimize
                    on_click=move |_| chat.get().close(ViewChangeReason::MainWindowMinimized)
                />
                <IconButton
                    label=move || state.t(Key::CloseChat).to_owned()
                    icon=Icon::Close
                    on_click=move |_| chat.get().close(ViewChangeReason::MainWindowClosed)
                />
            </header>
            <Show when=move || confirming.get()>
                <div class="cq-confirm" role="alertdialog" aria-labelledby="cq-confirm-text">
                    <p id="cq-confirm-text">{move || state.t(Key::RestartQuestion)}</p>
                    <div class="cq-confirm-buttons">
                        <button
                            class="cq-button cq-button--primary"
                            type="button"
                            on:click=move |_| {
                                set_confirming.set(false);
                                chat.get().restart();
                            }
                        >
                            {move || state.t(Key::Restart)}
                        </button>
                        <button class="cq-button" type="button" on:click=move |_| ask(false)>
                            {move || state.t(Key::Cancel)}
                        </button>
                    </div>
                </div>
            </Show>
            <MessageList />
            <Show when=active>
                <div class="cq-end-row">
                    <button
                        class="cq-link-button"
                        type="button"
                        on:click=move |_| chat.get().end_conversation(EndReason::User)
                    >
                        {move || state.t(Key::EndConversation)}
                    </button>
                </div>
            </Show>
            <Composer />
        </section>
    }
}
