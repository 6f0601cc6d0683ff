//! The dialect mapping: canonical event -> what each host API receives.
//!
//! This is the only place that knows the dialects' names and payload shapes. Each dialect is one
//! function, a `match` with one arm per event it has, producing the typed payloads below (their
//! TypeScript definitions are generated into `public/colloquy.d.ts`). The tests hold one row per
//! row of the event table in DESIGN.md.

use super::catalogue::{ActionSource, AgentKind, AgentMessage, ContentItem, Event, OutgoingMessage};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
#[cfg(test)]
use ts_rs::TS;

/// A host-side API that receives events.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Api {
    /// `instance.on/once/off` (watsonx names for the events watsonx has).
    Native,
    /// `window.ChatSpark.on/off` (seeds 000 and 001).
    ChatSpark,
    /// `ChaskWidget.init({callbacks})` (seed 002): callbacks and `onAnalyticsEvent`.
    Chask,
    /// `window.saEvents.subscribe` (seed 003).
    Sa,
    /// DOM `CustomEvent`s `colloquy:<name>` on the widget's host element.
    Dom,
}

impl Api {
    /// Whether a handler registered late still gets the last delivery of `name` (`chat:ready`
    /// and the last `view:change` natively, Chask's `onReady`).
    pub fn is_sticky(self, name: &str) -> bool {
        match self {
            Api::Native => matches!(name, "chat:ready" | "view:change"),
            Api::Chask => name == "onReady",
            Api::ChatSpark | Api::Sa | Api::Dom => false,
        }
    }

    /// Whether a new subscriber first gets every earlier delivery, with its original timestamp
    /// (`saEvents.subscribe`, seed 003).
    pub fn replays_history(self) -> bool {
        self == Api::Sa
    }

    /// The protocol name of the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Api::Native => "native",
            Api::ChatSpark => "chatspark",
            Api::Chask => "chask",
            Api::Sa => "sa",
            Api::Dom => "dom",
        }
    }
}

/// What one API receives for one event.
#[derive(Clone, Debug, PartialEq)]
pub struct Delivery {
    /// The receiving API.
    pub api: Api,
    /// The event or callback name in that API.
    pub name: String,
    /// The payload (the first argument of the handler). Chask callbacks without arguments get
    /// `null` and are called with none.
    pub payload: Value,
    /// Top-level payload keys holding epoch milliseconds that the host side turns into JS `Date`s.
    pub dates: &'static [&'static str],
    /// The canonical event this came from.
    pub source: &'static str,
    /// Id of a widget element handed to the handler as `hostElement` (`userDefinedResponse`).
    pub element: Option<String>,
    /// The stream this delivery belongs to (`pre:stream:delta`): the host side completes its
    /// payload with the message so far.
    pub stream: Option<String>,
}

/// Facts that dialect payloads carry besides the event itself.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Context {
    /// Epoch milliseconds of the event.
    pub at: f64,
    /// Analytics payloads may carry message text (the host opted in).
    pub analytics_text: bool,
}

/// ChatSpark `user-message` (seed 000).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(test, derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct ChatSparkUserMessage {
    /// The text the user sent.
    pub message: String,
    /// Conversation id.
    pub conversation_id: String,
}

/// ChatSpark `agent-response` (seed 000).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(test, derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct ChatSparkAgentResponse {
    /// The agent's text.
    pub message: String,
    /// Conversation id.
    pub conversation_id: String,
    /// Message id.
    pub message_id: String,
}

/// ChatSpark `conversation-started` (seed 000); also Chask `session_started` data.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(test, derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct ChatSparkConversationStarted {
    /// Conversation id.
    pub conversation_id: String,
}

/// ChatSpark `action-triggered` (seeds 000, 001).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(test, derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct ChatSparkActionTriggered {
    /// Action id.
    pub action_id: String,
    /// `button`, `form` or `link`.
    pub action_type: String,
    /// Form values (forms), `{url}` (links), `{label, value}` (buttons).
    #[cfg_attr(test, ts(type = "Record<string, any>"))]
    pub data: Map<String, Value>,
}

/// Chask `ChatMessage` (seed 002). `timestamp` is a JS `Date` on the host side.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(test, derive(TS))]
pub struct ChaskChatMessage {
    /// Message id.
    pub id: String,
    /// Text.
    pub content: String,
    /// `user`, `agent` or `system`.
    #[cfg_attr(test, ts(type = "\"user\" | \"agent\" | \"system\""))]
    pub sender: &'static str,
    /// When the message was sent.
    #[cfg_attr(test, ts(type = "Date"))]
    pub timestamp: f64,
    /// `sending`, `sent`, `delivered`, `read` or `failed`.
    #[cfg_attr(test, ts(type = "\"sending\" | \"sent\" | \"delivered\" | \"read\" | \"failed\""))]
    pub status: &'static str,
}

/// An analytics event: Chask `onAnalyticsEvent` (with `timestamp` a `Date`) and the native
/// `analytics` event (epoch milliseconds). Message text only when `analytics.includeText`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(test, derive(TS))]
pub struct AnalyticsEvent {
    /// `widget_loaded`, `widget_opened`, `widget_closed`, `message_sent`, `message_received`,
    /// `attachment_uploaded`, `session_started`, `error_occurred`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// When it happened.
    pub timestamp: f64,
    /// Event-specific data.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional, type = "Record<string, any>"))]
    pub data: Option<Value>,
}

/// A saEvents event (seed 003): `{type, data, timestamp}` with epoch milliseconds.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(test, derive(TS))]
pub struct SaEvent {
    /// `CHAT_LOADED`, `CHAT_VISIBLE`, `CONTACT_STARTED`, `CONTACT_ENDED`, `TRANSFER_TO_QUEUE`,
    /// `CONNECT_TO_AGENT`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// `{chatInstanceName}` or `{contactId}`.
    #[cfg_attr(test, ts(type = "{ chatInstanceName: string } | { contactId: string }"))]
    pub data: Value,
    /// Epoch milliseconds.
    pub timestamp: f64,
}

/// watsonx `customEvent` for a response button (seed 004).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(test, derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct CustomEvent {
    /// Always `customEvent`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// `buttonItemClicked`.
    pub custom_event_name: &'static str,
    /// The button item.
    pub content_item: ContentItem,
    /// The message holding it.
    pub message: AgentMessage,
}

/// The names each API uses, for inspectors and type definitions.
pub fn names(api: Api) -> &'static [&'static str] {
    match api {
        Api::Native | Api::Dom => super::catalogue::EVENT_NAMES,
        Api::ChatSpark => {
            &["user-message", "agent-response", "conversation-started", "lead-captured", "action-triggered"]
        }
        Api::Chask => &[
            "onReady",
            "onOpen",
            "onClose",
            "onMessageSent",
            "onMessageReceived",
            "onError",
            "onUserUpdated",
            "onAnalyticsEvent",
        ],
        Api::Sa => &[
            "CHAT_LOADED",
            "CHAT_VISIBLE",
            "CONTACT_STARTED",
            "CONTACT_ENDED",
            "TRANSFER_TO_QUEUE",
            "CONNECT_TO_AGENT",
        ],
    }
}

const NO_DATES: &[&str] = &[];
const TIMESTAMP: &[&str] = &["timestamp"];

fn to_value(v: impl Serialize) -> Value {
    serde_json::to_value(v).expect("dialect payloads serialize")
}

/// Every delivery of `event`, in delivery order: native (the event, then `customEvent` and
/// `analytics` where they apply), ChatSpark, Chask (callback, then `onAnalyticsEvent`),
/// saEvents, DOM.
pub fn deliveries(event: &Event, ctx: &Context) -> Vec<Delivery> {
    let source = event.name();
    let native = event.to_value();
    let element = match event {
        Event::UserDefinedResponse { element_id, .. } => Some(element_id.clone()),
        _ => None,
    };
    let stream = event.stream_key().map(str::to_owned);
    let mut out = Vec::with_capacity(6);
    let mut push = |api, name: &str, payload, dates| {
        out.push(Delivery { api, name: name.into(), payload, dates, source, element: None, stream: None })
    };
    push(Api::Native, source, native.clone(), NO_DATES);
    if let Some(custom) = watsonx_custom_event(event) {
        push(Api::Native, "customEvent", to_value(custom), NO_DATES);
    }
    let analytics = analytics(event, ctx).map(to_value);
    if let Some(a) = &analytics {
        push(Api::Native, "analytics", a.clone(), NO_DATES);
    }
    if let Some((name, payload)) = chatspark(event) {
        push(Api::ChatSpark, name, payload, NO_DATES);
    }
    if let Some((name, payload, dates)) = chask(event) {
        push(Api::Chask, name, payload, dates);
    }
    if let Some(a) = analytics {
        push(Api::Chask, "onAnalyticsEvent", a, TIMESTAMP);
    }
    if let Some((kind, data)) = sa(event) {
        push(Api::Sa, kind, to_value(SaEvent { kind, data, timestamp: ctx.at }), NO_DATES);
    }
    push(Api::Dom, source, native, NO_DATES);
    for d in out.iter_mut().filter(|d| d.name == source && matches!(d.api, Api::Native | Api::Dom)) {
        if d.api == Api::Native {
            d.element = element.clone();
        }
        d.stream = stream.clone();
    }
    out
}

/// watsonx `customEvent` (seed 004): response buttons.
fn watsonx_custom_event(event: &Event) -> Option<CustomEvent> {
    match event {
        Event::ActionTriggered(a) if a.source == ActionSource::Response => Some(CustomEvent {
            kind: "customEvent",
            custom_event_name: "buttonItemClicked",
            content_item: a.content_item.clone()?,
            message: a.message.clone()?,
        }),
        _ => None,
    }
}

/// ChatSpark `.on` names and payloads (seeds 000, 001).
fn chatspark(event: &Event) -> Option<(&'static str, Value)> {
    Some(match event {
        Event::Send { message } => (
            "user-message",
            to_value(ChatSparkUserMessage {
                message: message.message.content.clone(),
                conversation_id: message.thread_id.clone(),
            }),
        ),
        Event::Receive { message } => (
            "agent-response",
            to_value(ChatSparkAgentResponse {
                message: message.plain_text(),
                conversation_id: message.thread_id.clone(),
                message_id: message.id.clone(),
            }),
        ),
        Event::ConversationStarted { conversation_id } => (
            "conversation-started",
            to_value(ChatSparkConversationStarted { conversation_id: conversation_id.clone() }),
        ),
        Event::LeadCaptured { lead } => ("lead-captured", Value::Object(lead.clone())),
        Event::ActionTriggered(a) => (
            "action-triggered",
            to_value(ChatSparkActionTriggered {
                action_id: a.action_id.clone(),
                action_type: a.action_type.clone(),
                data: a.data.clone(),
            }),
        ),
        _ => return None,
    })
}

fn chask_sent(message: &OutgoingMessage) -> ChaskChatMessage {
    ChaskChatMessage {
        id: message.id.clone(),
        content: message.message.content.clone(),
        sender: "user",
        timestamp: message.timestamp,
        status: "sent",
    }
}

/// Chask callbacks (seed 002).
fn chask(event: &Event) -> Option<(&'static str, Value, &'static [&'static str])> {
    Some(match event {
        Event::ChatReady => ("onReady", Value::Null, NO_DATES),
        Event::ViewChange(change) if change.new_view_state.main_window != change.old_view_state.main_window => {
            (if change.new_view_state.main_window { "onOpen" } else { "onClose" }, Value::Null, NO_DATES)
        }
        Event::Send { message } => ("onMessageSent", to_value(chask_sent(message)), TIMESTAMP),
        Event::Receive { message } => (
            "onMessageReceived",
            to_value(ChaskChatMessage {
                id: message.id.clone(),
                content: message.plain_text(),
                sender: "agent",
                timestamp: message.timestamp,
                status: "delivered",
            }),
            TIMESTAMP,
        ),
        Event::Error(error) => ("onError", to_value(error), NO_DATES),
        Event::UserUpdated { user } => ("onUserUpdated", Value::Object(user.clone()), NO_DATES),
        _ => return None,
    })
}

/// Analytics events (seed 002's table): Chask `onAnalyticsEvent` and native `analytics`.
fn analytics(event: &Event, ctx: &Context) -> Option<AnalyticsEvent> {
    let (kind, data) = match event {
        Event::ChatReady => ("widget_loaded", None),
        Event::ViewChange(change) if change.new_view_state.main_window != change.old_view_state.main_window => {
            (if change.new_view_state.main_window { "widget_opened" } else { "widget_closed" }, None)
        }
        Event::Send { message } => {
            let mut data = json!({"messageId": message.id, "hasAttachments": !message.attachments.is_empty()});
            if ctx.analytics_text {
                data["text"] = json!(message.message.content);
            }
            ("message_sent", Some(data))
        }
        Event::Receive { message } => {
            let sender = match message.from {
                AgentKind::Bot => "agent",
                AgentKind::Human => "human",
            };
            let mut data = json!({"messageId": message.id, "sender": sender});
            if ctx.analytics_text {
                data["text"] = json!(message.plain_text());
            }
            ("message_received", Some(data))
        }
        Event::AttachmentUploaded(file) => {
            ("attachment_uploaded", Some(json!({"fileType": file.file_type, "fileSize": file.file_size})))
        }
        Event::ConversationStarted { conversation_id } => {
            ("session_started", Some(json!({"conversationId": conversation_id})))
        }
        Event::Error(error) => ("error_occurred", Some(json!({"code": error.code, "message": error.message}))),
        _ => return None,
    };
    Some(AnalyticsEvent { kind, timestamp: ctx.at, data })
}

/// saEvents types and `data` (seed 003).
fn sa(event: &Event) -> Option<(&'static str, Value)> {
    let contact = |id: &str| json!({"contactId": id});
    Some(match event {
        Event::ChatLoaded { chat_instance_name } => ("CHAT_LOADED", json!({"chatInstanceName": chat_instance_name})),
        Event::ChatVisible { chat_instance_name } => ("CHAT_VISIBLE", json!({"chatInstanceName": chat_instance_name})),
        Event::ConversationStarted { conversation_id } => ("CONTACT_STARTED", contact(conversation_id)),
        Event::ConversationEnded { conversation_id, .. } => ("CONTACT_ENDED", contact(conversation_id)),
        Event::HandoffQueued { conversation_id, .. } => ("TRANSFER_TO_QUEUE", contact(conversation_id)),
        Event::HandoffConnected { conversation_id, .. } => ("CONNECT_TO_AGENT", contact(conversation_id)),
        _ => return None,
    })
}

#[cfg(test)]
mod tests;
