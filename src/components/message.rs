//! One message: a user bubble (plain text, attachments, delivery status with retry), an agent
//! or human bubble (markdown, response buttons, actions, forms, host-rendered items, feedback),
//! or a system notice (handoff and conversation banners).

use super::actions::{ConfigActions, ReplyButtons};
use super::feedback::FeedbackControls;
use super::lead::LeadForm;
use super::markdown::Markdown;
use crate::chat::{use_chat, user_defined_element_id};
use crate::dom::time;
use crate::events::ContentItem;
use crate::hooks::use_row_state;
use crate::i18n::{Key, bytes};
use crate::state::{ChatState, Handoff, Message, Notice, Sender, Status};
use leptos::prelude::*;

/// One row of the message list.
#[component]
pub fn MessageRow(
    /// The message to show.
    message: Message,
) -> impl IntoView {
    match message.sender {
        Sender::System => view! { <NoticeRow message /> }.into_any(),
        Sender::User => view! { <UserMessage message /> }.into_any(),
        Sender::Agent | Sender::Human => view! { <AgentMessageRow message /> }.into_any(),
    }
}

/// A system banner.
#[component]
fn NoticeRow(
    /// The notice message.
    message: Message,
) -> impl IntoView {
    let state = use_chat().get().state;
    let notice = message.notice.clone();
    let text = move || notice.as_ref().map(|n| notice_text(&state, n)).unwrap_or_default();
    let kind = match &message.notice {
        Some(Notice::Queued(_)) => "queued",
        Some(Notice::Connected(_)) => "connected",
        Some(Notice::Ended) => "ended",
        _ => "info",
    };
    view! {
        <div class=format!("cq-notice cq-notice--{kind}") data-id=message.id.clone()>
            {text}
        </div>
    }
}

/// The text of a notice, in the current language (tracks the locale and the handoff).
pub fn notice_text(state: &ChatState, notice: &Notice) -> String {
    match notice {
        // The position follows the queue while still waiting.
        Notice::Queued(first) => match (state.handoff.get(), *first) {
            (Handoff::Queued(Some(p)), _) | (Handoff::None, Some(p)) => {
                format!("{} ({} {p})", state.t(Key::QueuedNotice), state.t(Key::QueuePosition))
            }
            _ => state.t(Key::QueuedNotice).to_owned(),
        },
        Notice::Connected(name) => format!("{name} {}", state.t(Key::JoinedNotice)),
        Notice::Ended => state.t(Key::EndedNotice).to_owned(),
        Notice::LeadThanks => state.t(Key::LeadThanks).to_owned(),
    }
}

/// Time (and full date on hover) of a message.
#[component]
fn Time(
    /// Epoch milliseconds.
    at: f64,
) -> impl IntoView {
    let state = use_chat().get().state;
    view! {
        <span class="cq-time" title=move || time::date_time(at, state.locale.get())>
            {move || time::time(at, state.locale.get())}
        </span>
    }
}

/// The visitor's message.
#[component]
fn UserMessage(
    /// The message.
    message: Message,
) -> impl IntoView {
    let chat = use_chat();
    let state = chat.get().state;
    let status = message.status();
    let failed = {
        let status = status.clone();
        move || matches!(status.get(), Status::Failed | Status::Queued)
    };
    let status_text = move || {
        state.t(match status.get() {
            Status::Sending => Key::Sending,
            Status::Sent => Key::Sent,
            Status::Delivered => Key::Delivered,
            Status::Read => Key::Read,
            Status::Failed => Key::NotDelivered,
            Status::Queued => Key::WaitingForNetwork,
        })
    };
    let id = message.id.clone();
    let status_attr = message.status();
    let files = message.attachments.clone();
    let text = message.text();
    view! {
        <div
            class="cq-message cq-message--user"
            data-id=message.id.clone()
            data-status=move || status_attr.get().as_str()
        >
            <div class="cq-bubble">
                <p class="cq-text">{move || text.get()}</p>
                {(!files.is_empty())
                    .then(|| {
                        view! {
                            <ul class="cq-files">
                                {files
                                    .iter()
                                    .map(|f| {
                                        let (name, size) = (f.name.clone(), f.file_size);
                                        view! { <li>{move || format!("{name} · {}", bytes(state.locale.get(), size))}</li> }
                                    })
                                    .collect_view()}
                            </ul>
                        }
                    })}
            </div>
            <div class="cq-meta">
                <Time at=message.timestamp />
                <span class="cq-status-text">{status_text}</span>
                <Show when=failed.clone()>
                    <button
                        class="cq-link-button cq-retry"
                        type="button"
                        on:click={
                            let id = id.clone();
                            move |_| chat.get().retry(&id)
                        }
                    >
                        {move || state.t(Key::Retry)}
                    </button>
                </Show>
            </div>
        </div>
    }
}

/// A message from the AI agent or a human agent.
#[component]
fn AgentMessageRow(
    /// The message.
    message: Message,
) -> impl IntoView {
    let human = message.sender == Sender::Human;
    let name = message.agent_name.clone();
    let streaming = message.streaming();
    let done = {
        let streaming = streaming.clone();
        move || !streaming.get()
    };
    let items = message.items();
    let id = message.id.clone();
    let text = message.text();
    let feedback_message = message.clone();
    let copy_text = message.text();
    view! {
        <div
            class=if human { "cq-message cq-message--human" } else { "cq-message cq-message--agent" }
            data-id=message.id.clone()
            aria-busy=move || streaming.get().to_string()
        >
            {name.map(|n| view! { <p class="cq-author">{n}</p> })}
            <div class="cq-bubble">
                <Markdown text=text streaming=message.streaming() />
            </div>
            {move || {
                let id = id.clone();
                let (buttons, others): (Vec<ContentItem>, Vec<ContentItem>) =
                    items.get().into_iter().partition(|i| i.kind == "button");
                view! {
                    {(!buttons.is_empty()).then(|| view! { <ReplyButtons message_id=id.clone() items=buttons /> })}
                    {others.into_iter().map(|item| view! { <Item message_id=id.clone() item /> }).collect_view()}
                }
            }}
            <div class="cq-meta">
                <Time at=message.timestamp />
                <Show when=done.clone()>
                    <CopyButton text=copy_text.clone() />
                    <FeedbackControls message=feedback_message.clone() />
                </Show>
            </div>
        </div>
    }
}

/// Copies a finished reply's text (its markdown source): a real button in the row's tab order,
/// which says "Copied" for a moment, announced by a polite status.
#[component]
fn CopyButton(
    /// The reply's text.
    text: ArcReadSignal<String>,
) -> impl IntoView {
    let state = use_chat().get().state;
    let copied = RwSignal::new(false);
    let copy = move |_| {
        let text = text.get_untracked();
        leptos::task::spawn_local(async move {
            if crate::dom::copy_text(&text).await && copied.try_set(true).is_none() {
                gloo_timers::future::TimeoutFuture::new(crate::dom::COPIED_MS).await;
                // The row may have scrolled out of the list meanwhile.
                let _ = copied.try_set(false);
            }
        });
    };
    view! {
        <button class="cq-copy" class:cq-copy--done=move || copied.get() type="button" on:click=copy>
            {move || state.t(if copied.get() { Key::Copied } else { Key::Copy })}
        </button>
        <span class="cq-visually-hidden" role="status">
            {move || copied.get().then(|| state.t(Key::Copied))}
        </span>
    }
}

/// An item of an agent message besides its text.
#[component]
fn Item(
    /// The message holding the item.
    message_id: String,
    /// The item.
    item: ContentItem,
) -> impl IntoView {
    match item.kind.as_str() {
        "text" | "button" => ().into_any(),
        "actions" => view! { <ConfigActions /> }.into_any(),
        "lead_form" => view! { <LeadForm /> }.into_any(),
        _ => {
            // The element the host renders into lives as long as the message, not the row: a
            // row that scrolls out and back gets the same element, with what the host put in it.
            let id = user_defined_element_id(&message_id, &item.id);
            let kind = item.kind.clone();
            let element = use_row_state(&format!("ud:{}", item.id), move || {
                let doc = web_sys::window().and_then(|w| w.document())?;
                let el = doc.create_element("div").ok()?;
                el.set_class_name("cq-user-defined");
                el.set_id(&id);
                let _ = el.set_attribute("data-type", &kind);
                Some(el)
            });
            let slot = NodeRef::<leptos::html::Div>::new();
            Effect::new(move |_| {
                if let (Some(slot), Some(el)) = (slot.get(), element.clone()) {
                    let _ = slot.append_child(&el);
                }
            });
            view! { <div class="cq-user-defined-slot" style:display="contents" node_ref=slot></div> }.into_any()
        }
    }
}
