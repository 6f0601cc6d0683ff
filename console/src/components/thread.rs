//! A conversation's messages: text nodes only (never markup), who wrote each and when, the
//! agent's messages being sent (with a retry when one failed), and the visitor's read receipt.
//! The list is a `log` live region: new messages are announced.

use crate::console::{Conv, Pending, use_console};
use crate::model::{Author, Message};
use leptos::html::Div;
use leptos::prelude::*;

fn clock(ms: f64) -> String {
    let d = js_sys::Date::new(&ms.into());
    format!("{:02}:{:02}", d.get_hours(), d.get_minutes())
}

/// The messages of `conv`, scrolled to the newest.
#[component]
pub fn ThreadView(
    /// The conversation.
    conv: Conv,
) -> impl IntoView {
    let console = use_console();
    let list = NodeRef::<Div>::new();
    let thread = conv.thread.clone();
    let pending = conv.pending.clone();
    let read_upto = conv.read_upto.clone();
    // Scrolled to the bottom when a message arrives.
    {
        let (thread, pending) = (thread.clone(), pending.clone());
        Effect::new(move |_| {
            thread.track();
            pending.track();
            if let Some(el) = list.get() {
                el.set_scroll_top(el.scroll_height());
            }
        });
    }
    let my_name = move || console.me.with(|m| m.as_ref().map(|m| m.name.clone()).unwrap_or_default());
    let row = move |m: Message| {
        let (class, who) = match m.from {
            Author::Visitor => ("cc-msg cc-from-visitor", "Visitor".to_owned()),
            Author::Bot => ("cc-msg cc-from-bot", "AI agent".to_owned()),
            Author::Human => {
                let name = m.agent_name.clone().unwrap_or_default();
                let who = if name == my_name() { "You".to_owned() } else { name };
                ("cc-msg cc-from-human", who)
            }
        };
        let id = m.id.clone();
        let read_upto = read_upto.clone();
        let seen = move || m.from == Author::Human && read_upto.with(|r| r.as_deref() == Some(id.as_str()));
        view! {
            <li class=class>
                <p class="cc-msg-meta">
                    <span class="cc-msg-who">{who}</span>
                    " "
                    <time>{clock(m.timestamp)}</time>
                </p>
                <p class="cc-msg-text">{m.text}</p>
                <Show when=seen.clone()>
                    <p class="cc-msg-seen">"Seen"</p>
                </Show>
            </li>
        }
    };
    let pending_row = move |p: Pending| {
        let conv = conv.clone();
        let failed = p.failed.clone();
        let retry = {
            let (id, text) = (p.id.clone(), p.text.clone());
            move |_| console.send(conv.clone(), text.clone(), Some(id.clone()))
        };
        view! {
            <li class="cc-msg cc-from-human cc-pending">
                <p class="cc-msg-meta">
                    <span class="cc-msg-who">"You"</span>
                    " "
                    <span>{if failed.is_some() { "not sent" } else { "sending…" }}</span>
                </p>
                <p class="cc-msg-text">{p.text}</p>
                {failed.map(|why| {
                    view! {
                        <p class="cc-error">
                            {why} " "
                            <button type="button" class="cc-button cc-quiet" on:click=retry>"Retry"</button>
                        </p>
                    }
                })}
            </li>
        }
    };
    view! {
        <div class="cc-thread" role="log" aria-label="Messages" aria-live="polite" node_ref=list tabindex="0">
            <ol>
                <For each=move || thread.with(|t| t.messages().to_vec()) key=|m| m.event_id children=row />
                <For each=move || pending.get() key=|p| (p.id.clone(), p.failed.clone()) children=pending_row />
            </ol>
        </div>
    }
}
