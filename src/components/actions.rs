//! Actions: the configured ones (seed 001: buttons, forms, links) and the buttons inside agent
//! responses, plus the welcome screen that offers the configured actions up front.

use super::form::Form;
use crate::chat::use_chat;
use crate::config::{Action, ActionKind};
use crate::events::ContentItem;
use crate::hooks::use_row_state;
use crate::i18n::Key;
use leptos::prelude::*;
use serde_json::Map;

/// The empty conversation: a greeting and the configured actions.
#[component]
pub fn Welcome() -> impl IntoView {
    let chat = use_chat();
    let state = chat.get().state;
    let has_actions = !chat.get().config.actions.is_empty();
    view! {
        <div class="cq-welcome">
            <p>{move || state.t(Key::Welcome)}</p>
            {has_actions.then(|| view! { <ConfigActions /> })}
        </div>
    }
}

/// Every configured action.
#[component]
pub fn ConfigActions() -> impl IntoView {
    let actions = use_chat().get().config.actions.clone();
    view! {
        <div class="cq-actions">
            {actions.into_iter().map(|action| view! { <ConfigAction action /> }).collect_view()}
        </div>
    }
}

/// One configured action.
#[component]
fn ConfigAction(
    /// The action from the config.
    action: Action,
) -> impl IntoView {
    let chat = use_chat();
    let label = action.label.clone().unwrap_or_else(|| action.id.clone());
    let class = if action.primary { "cq-action cq-action--primary" } else { "cq-action" };
    match action.kind {
        ActionKind::Link => {
            let url = action.url.clone().unwrap_or_default();
            view! {
                <a
                    class=class
                    href=url
                    target="_blank"
                    rel="noopener noreferrer"
                    on:click=move |_| chat.get().trigger_action(&action, Map::new())
                >
                    {label}
                </a>
            }
            .into_any()
        }
        ActionKind::Form => {
            let fields = action.fields.clone();
            let title = action.label.clone();
            let keep = format!("action:{}", action.id);
            view! {
                <Form
                    fields
                    title
                    keep
                    on_submit=move |values| chat.get().trigger_action(&action, values)
                />
            }
            .into_any()
        }
        ActionKind::Button => view! {
            <button
                class=class
                type="button"
                on:click=move |_| chat.get().trigger_action(&action, Map::new())
            >
                {label}
            </button>
        }
        .into_any(),
    }
}

/// The buttons inside an agent response. Clicking one answers with its value (`post_back`)
/// and fires `action:triggered` / `customEvent`; a message's buttons are used once.
#[component]
pub fn ReplyButtons(
    /// The message holding the buttons.
    message_id: String,
    /// The button items.
    items: Vec<ContentItem>,
) -> impl IntoView {
    let chat = use_chat();
    // Kept per message: the row may scroll out of the (virtualized) list and back.
    let (chosen, set_chosen) = RwSignal::from(use_row_state("replies", || ArcRwSignal::new(None::<String>))).split();
    view! {
        <div class="cq-replies" role="group">
            {items
                .into_iter()
                .map(|item| {
                    let message_id = message_id.clone();
                    let label = item.label.clone().unwrap_or_default();
                    let id = item.id.clone();
                    let pressed = {
                        let id = id.clone();
                        move || (chosen.get().as_deref() == Some(id.as_str())).to_string()
                    };
                    view! {
                        <button
                            class="cq-reply-button"
                            type="button"
                            aria-pressed=pressed
                            disabled=move || chosen.get().is_some()
                            on:click=move |_| {
                                set_chosen.set(Some(id.clone()));
                                chat.get().click_button(&message_id, &item);
                            }
                        >
                            {label}
                        </button>
                    }
                })
                .collect_view()}
        </div>
    }
}
