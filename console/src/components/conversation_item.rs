//! One conversation in the inbox: who, why, how long, its last message, unread and typing.

use crate::console::{Conv, use_console};
use crate::model::{Summary, ago};
use leptos::prelude::*;

/// A row of a list: a button that opens the conversation.
#[component]
pub fn ConversationItem(
    /// The conversation.
    conv: Conv,
) -> impl IntoView {
    let console = use_console();
    let (summary, thread, unread, typing) =
        (conv.summary.clone(), conv.thread.clone(), conv.unread.clone(), conv.typing.clone());
    let current = {
        let id = conv.id.clone();
        move || console.selected.with(|s| s.as_ref().is_some_and(|s| s.id == id))
    };
    let title = {
        let summary = summary.clone();
        move || summary.with(Summary::title)
    };
    let waiting = {
        let summary = summary.clone();
        move || {
            let age = summary.with(|s| ago(js_sys::Date::now(), s.queued_at.unwrap_or(s.updated_at)));
            if age == "just now" { age } else { format!("{age} ago") }
        }
    };
    let reason = {
        let summary = summary.clone();
        move || summary.with(|s| s.reason.clone())
    };
    let timed_out = move || summary.with(|s| s.timed_out);
    let unread_count = {
        let unread = unread.clone();
        move || unread.get()
    };
    let open = move |_| console.select(conv.clone());
    view! {
        <li>
            <button type="button" class="cc-item" aria-current=move || current().then_some("true") on:click=open>
                <span class="cc-item-top">
                    <span class="cc-item-title">{title}</span>
                    " "
                    <span class="cc-muted cc-item-age">{waiting}</span>
                </span>
                " "
                {move || reason().map(|r| view! { <span class="cc-item-reason">"Reason: " {r}</span> " " })}
                <span class="cc-item-preview">{move || thread.with(|t| t.preview())}</span>
                " "
                <span class="cc-badges">
                    <Show when=timed_out>
                        <span class="cc-badge cc-badge-warn">"Timed out"</span>
                    </Show>
                    <Show when={
                        let unread = unread.clone();
                        move || unread.get() > 0
                    }>
                        <span class="cc-badge">{unread_count.clone()} " new"</span>
                    </Show>
                    <Show when=move || typing.get()>
                        <span class="cc-badge cc-badge-quiet">"typing…"</span>
                    </Show>
                </span>
            </button>
        </li>
    }
}
