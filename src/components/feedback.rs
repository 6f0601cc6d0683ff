//! Feedback on an agent message: thumbs up / down (`interactionType: "button"`), then a details
//! popup with free text and category chips (`interactionType: "details"`).

use super::button::IconButton;
use super::icons::Icon;
use crate::chat::use_chat;
use crate::hooks::use_row_state;
use crate::i18n::{Key, Locale, t};
use crate::state::Message;
use leptos::prelude::*;

/// Categories offered for positive and negative feedback. The payload carries the English label
/// (stable across languages); the chip shows the translation.
const POSITIVE: &[Key] = &[Key::CategoryAccurate, Key::CategoryClear];
const NEGATIVE: &[Key] = &[Key::CategoryInaccurate, Key::CategoryIncomplete, Key::CategoryOffTopic];

/// Thumbs and the details popup.
#[component]
pub fn FeedbackControls(
    /// The rated message.
    message: Message,
) -> impl IntoView {
    let chat = use_chat();
    let state = chat.get().state;
    let rated = message.feedback();
    // Kept per message: the row may scroll out of the (virtualized) list and back.
    let (open, set_open) = RwSignal::from(use_row_state("feedback:open", || ArcRwSignal::new(false))).split();
    let (thanked, set_thanked) = RwSignal::from(use_row_state("feedback:thanked", || ArcRwSignal::new(false))).split();
    let (chosen, set_chosen) =
        RwSignal::from(use_row_state("feedback:chosen", || ArcRwSignal::new(Vec::<Key>::new()))).split();
    let (text, set_text) = RwSignal::from(use_row_state("feedback:text", || ArcRwSignal::new(String::new()))).split();
    let id = message.id.clone();
    let rate = {
        let id = id.clone();
        move |positive: bool| {
            chat.get().feedback(&id, positive, None);
            set_chosen.set(Vec::new());
            set_open.set(true);
        }
    };
    let rate_up = rate.clone();
    let is = {
        let rated = rated.clone();
        move |v: bool| rated.get() == Some(v)
    };
    let is_up = is.clone();
    let positive = {
        let rated = rated.clone();
        move || rated.get().unwrap_or(true)
    };
    let positive_for_send = positive.clone();
    // Closing the details puts focus back on the thumb that opened them (the pressed one), so a
    // keyboard user is not dropped on the page body.
    let thumbs = NodeRef::<leptos::html::Span>::new();
    let close_details = move || {
        set_open.set(false);
        if let Some(t) = thumbs.get_untracked() {
            let _ = crate::dom::focus_first(&t, "[aria-pressed=true]") || crate::dom::focus_first(&t, "button");
        }
    };
    let send = move |_| {
        let categories = chosen.get_untracked().iter().map(|k| t(Locale::En, *k).to_owned()).collect();
        chat.get().feedback(&id, positive_for_send(), Some((text.get_untracked(), categories)));
        set_thanked.set(true);
        close_details();
    };
    // Escape closes the details only, not the whole window.
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" {
            ev.prevent_default();
            ev.stop_propagation();
            close_details();
        }
    };
    let details_id = format!("cq-fb-{}", message.id);
    view! {
        <span class="cq-feedback" node_ref=thumbs>
            <IconButton
                small=true
                label=move || state.t(Key::Helpful).to_owned()
                icon=Icon::ThumbUp
                pressed=Signal::derive(move || is_up(true))
                on_click=move |_| rate_up(true)
            />
            <IconButton
                small=true
                label=move || state.t(Key::NotHelpful).to_owned()
                icon=Icon::ThumbDown
                pressed=Signal::derive(move || is(false))
                on_click=move |_| rate(false)
            />
        </span>
        <Show when=move || thanked.get()>
            <span class="cq-feedback-thanks" role="status">
                {move || state.t(Key::FeedbackThanks)}
            </span>
        </Show>
        <Show when=move || open.get()>
            <div
                class="cq-feedback-details"
                role="group"
                aria-labelledby=details_id.clone()
                on:keydown=on_keydown
            >
                <p id=details_id.clone() class="cq-form-title">
                    {move || state.t(Key::FeedbackTitle)}
                </p>
                <div class="cq-chips">
                    {
                        let positive = positive.clone();
                        move || {
                            let keys = if positive() { POSITIVE } else { NEGATIVE };
                            keys.iter()
                                .map(|key| {
                                    let key = *key;
                                    view! {
                                        <button
                                            class="cq-chip"
                                            type="button"
                                            aria-pressed=move || chosen.with(|c| c.contains(&key)).to_string()
                                            on:click=move |_| {
                                                set_chosen
                                                    .update(|c| {
                                                        if let Some(i) = c.iter().position(|k| *k == key) {
                                                            c.remove(i);
                                                        } else {
                                                            c.push(key);
                                                        }
                                                    })
                                            }
                                        >
                                            {move || state.t(key)}
                                        </button>
                                    }
                                })
                                .collect_view()
                        }
                    }
                </div>
                <label class="cq-field">
                    <span>{move || state.t(Key::FeedbackDetails)}</span>
                    <textarea
                        class="cq-field-input"
                        rows="2"
                        prop:value=text
                        on:input=move |ev| set_text.set(event_target_value(&ev))
                    ></textarea>
                </label>
                <div class="cq-confirm-buttons">
                    <button
                        class="cq-button cq-button--primary"
                        type="button"
                        on:click={
                            let send = send.clone();
                            move |ev| send(ev)
                        }
                    >
                        {move || state.t(Key::FeedbackSend)}
                    </button>
                    <button class="cq-button" type="button" on:click=move |_| close_details()>
                        {move || state.t(Key::Close)}
                    </button>
                </div>
            </div>
        </Show>
    }
}
