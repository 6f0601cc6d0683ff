//! The open conversation: its title and state, Take (queued) or End (mine), the history, the
//! visitor's typing indicator and the composer.

use super::composer::Composer;
use super::thread::ThreadView;
use crate::console::{Conv, use_console};
use crate::model::{Status, Summary};
use leptos::html::H2;
use leptos::prelude::*;

/// The conversation pane (a hint when none is open).
#[component]
pub fn ConversationView() -> impl IntoView {
    let console = use_console();
    view! {
        <main class="cc-pane">
            {move || match console.selected.get() {
                None => view! { <p class="cc-muted cc-hint">"Choose a conversation."</p> }.into_any(),
                Some(conv) => view! { <Conversation conv /> }.into_any(),
            }}
        </main>
    }
}

/// One conversation.
#[component]
fn Conversation(
    /// The conversation shown.
    conv: Conv,
) -> impl IntoView {
    let console = use_console();
    let heading = NodeRef::<H2>::new();
    // Opening a conversation moves the focus to its heading (a screen reader says which).
    Effect::new(move |_| {
        if let Some(h) = heading.get() {
            let _ = h.focus();
        }
    });
    let summary = conv.summary.clone();
    let me = move || console.me.with(|m| m.as_ref().map(|m| m.sub.clone()).unwrap_or_default());
    let state = {
        let summary = summary.clone();
        move || {
            let me = me();
            summary.with(|s| match s.status {
                Status::Queued if s.timed_out => {
                    "Waiting in the queue (timed out: the visitor was offered the lead form)".to_owned()
                }
                Status::Queued => "Waiting in the queue".to_owned(),
                Status::Active if s.is_mine(&me) => "With you".to_owned(),
                Status::Active => "Another agent has this conversation".to_owned(),
                Status::Ended => "Ended".to_owned(),
                Status::Bot => "With the AI agent".to_owned(),
            })
        }
    };
    let title = {
        let summary = summary.clone();
        move || summary.with(Summary::title)
    };
    let reason = {
        let summary = summary.clone();
        move || summary.with(|s| s.reason.clone())
    };
    let queued = {
        let summary = summary.clone();
        move || summary.with(|s| s.status == Status::Queued)
    };
    let mine = {
        let summary = summary.clone();
        move || summary.with(|s| s.is_mine(&me()))
    };
    let typing = conv.typing.clone();
    let (take_conv, end_conv, composer_conv, thread_conv) = (conv.clone(), conv.clone(), conv.clone(), conv.clone());
    view! {
        <article class="cc-conversation" aria-labelledby="cc-conversation-title">
            <header class="cc-conversation-head">
                <button type="button" class="cc-button cc-quiet cc-back" on:click=move |_| console.close()>
                    "← Inbox"
                </button>
                <div class="cc-conversation-what">
                    <h2 id="cc-conversation-title" tabindex="-1" node_ref=heading>{title}</h2>
                    <p class="cc-muted cc-state">{state}</p>
                    {move || reason().map(|r| view! { <p class="cc-reason">"Hand-off reason: " {r}</p> })}
                </div>
                <div class="cc-actions">
                    <Show when=queued.clone()>
                        <button type="button" class="cc-button cc-primary" on:click={
                            let c = take_conv.clone();
                            move |_| console.take(c.clone())
                        }>
                            "Take"
                        </button>
                    </Show>
                    <Show when=mine.clone()>
                        <button type="button" class="cc-button cc-danger" on:click={
                            let c = end_conv.clone();
                            move |_| console.end(c.clone())
                        }>
                            "End conversation"
                        </button>
                    </Show>
                </div>
            </header>
            <ThreadView conv=thread_conv />
            <p class="cc-typing" role="status">
                {move || typing.get().then_some("The visitor is typing…")}
            </p>
            <Show when=mine>
                <Composer conv=composer_conv.clone() />
            </Show>
        </article>
    }
}
