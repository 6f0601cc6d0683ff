//! The reply box: Enter sends, Shift+Enter starts a new line; typing is told to the visitor (at
//! most once per 2 s).

use crate::console::{Conv, use_console};
use leptos::html::Textarea;
use leptos::prelude::*;

/// The longest message the server takes (characters).
pub const MAX_TEXT: usize = 8000;

/// The composer of a conversation the agent has.
#[component]
pub fn Composer(
    /// The conversation written to.
    conv: Conv,
) -> impl IntoView {
    let console = use_console();
    let (draft, set_draft) = signal(String::new());
    let area = NodeRef::<Textarea>::new();
    // After a take, the reply box has the focus.
    let id = conv.id.clone();
    Effect::new(move |_| {
        if console.focus_reply.with(|f| f.as_ref() == Some(&id))
            && let Some(el) = area.get()
        {
            let _ = el.focus();
            console.focus_reply.set(None);
        }
    });
    let length = move || draft.with(|d| d.chars().count());
    let sendable = move || draft.with(|d| !d.trim().is_empty()) && length() <= MAX_TEXT;
    let send = {
        let conv = conv.clone();
        move || {
            if !sendable() {
                return;
            }
            console.send(conv.clone(), draft.get_untracked(), None);
            set_draft.set(String::new());
        }
    };
    let on_keydown = {
        let send = send.clone();
        move |ev: leptos::ev::KeyboardEvent| {
            if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
                ev.prevent_default();
                send();
            }
        }
    };
    let on_input = move |ev: leptos::ev::Event| {
        set_draft.set(event_target_value(&ev));
        console.typing(&conv);
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        send();
    };
    view! {
        <form class="cc-composer" on:submit=on_submit>
            <label for="cc-reply" class="cc-visually-hidden">"Reply to the visitor"</label>
            <textarea
                id="cc-reply"
                node_ref=area
                rows="3"
                placeholder="Write to the visitor… (Enter sends, Shift+Enter: new line)"
                aria-describedby="cc-reply-count"
                prop:value=move || draft.get()
                on:input=on_input
                on:keydown=on_keydown
            ></textarea>
            <div class="cc-composer-row">
                <span id="cc-reply-count" class="cc-muted" class:cc-over=move || { length() > MAX_TEXT }>
                    {move || format!("{} / {MAX_TEXT}", length())}
                </span>
                <button type="submit" class="cc-button cc-primary" disabled=move || !sendable()>"Send"</button>
            </div>
        </form>
    }
}
