//! The dialect mapping: canonical event -> what each host API receives.
//!
//! This is the only place that knows the dialects' names and payload shapes. Each dialect is one
//! function, a `match` with one arm per event it has; the tests hold one row per row of the event
//! table in DESIGN.md.

use super::catalogue::Event;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

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
}

/// Facts about the widget that dialect payloads carry besides the event itself.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Context {
    /// `chatInstanceName` for saEvents.
    pub instance_name: String,
    /// The current conversation id, if one started.
    pub conversation_id: Option<String>,
    /// Epoch milliseconds of the event.
    pub at: f64,
}

const NO_DATES: &[&str] = &[];

/// Every delivery of `event`, in delivery order: native, ChatSpark, Chask, saEvents, DOM.
pub fn deliveries(event: &Event, ctx: &Context) -> Vec<Delivery> {
    let source = event.name();
    let native = event.to_value();
    let mut out =
        vec![Delivery { api: Api::Native, name: source.into(), payload: native.clone(), dates: NO_DATES, source }];
    let mut push =
        |api, name: &str, payload, dates| out.push(Delivery { api, name: name.into(), payload, dates, source });
    if let Some((name, payload)) = chatspark(event, ctx) {
        push(Api::ChatSpark, name, payload, NO_DATES);
    }
    if let Some((name, payload)) = chask(event) {
        push(Api::Chask, name, payload, NO_DATES);
    }
    if let Some((kind, data)) = sa(event) {
        push(Api::Sa, kind, json!({"type": kind, "data": data, "timestamp": ctx.at}), NO_DATES);
    }
    push(Api::Dom, source, native, NO_DATES);
    out
}

/// ChatSpark `.on` names and payloads (seed 000).
fn chatspark(event: &Event, _ctx: &Context) -> Option<(&'static str, Value)> {
    match event {
        Event::Send { message } => {
            Some(("user-message", json!({"message": message.message.content, "conversationId": message.thread_id})))
        }
        Event::Receive { message } => Some((
            "agent-response",
            json!({"message": message.plain_text(), "conversationId": message.thread_id, "messageId": message.id}),
        )),
        Event::ConversationStarted { conversation_id } => {
            Some(("conversation-started", json!({"conversationId": conversation_id})))
        }
        _ => None,
    }
}

/// Chask callbacks (seed 002).
fn chask(event: &Event) -> Option<(&'static str, Value)> {
    match event {
        Event::ChatReady => Some(("onReady", Value::Null)),
        Event::ViewChange(change) if change.new_view_state.main_window != change.old_view_state.main_window => {
            Some((if change.new_view_state.main_window { "onOpen" } else { "onClose" }, Value::Null))
        }
        _ => None,
    }
}

/// saEvents types and `data` (seed 003).
fn sa(event: &Event) -> Option<(&'static str, Value)> {
    match event {
        Event::ChatLoaded { chat_instance_name } => {
            Some(("CHAT_LOADED", json!({"chatInstanceName": chat_instance_name})))
        }
        Event::ChatVisible { chat_instance_name } => {
            Some(("CHAT_VISIBLE", json!({"chatInstanceName": chat_instance_name})))
        }
        Event::ConversationStarted { conversation_id } => {
            Some(("CONTACT_STARTED", json!({"contactId": conversation_id})))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::catalogue::*;

    fn ctx() -> Context {
        Context { instance_name: "help_faq_bot".into(), conversation_id: Some("c1".into()), at: 1637147056035.0 }
    }

    fn find(ds: &[Delivery], api: Api) -> Option<(&str, &Value)> {
        ds.iter().find(|d| d.api == api).map(|d| (d.name.as_str(), &d.payload))
    }

    #[test]
    fn send_reaches_every_dialect_that_has_it() {
        let ev = Event::Send {
            message: OutgoingMessage {
                id: "m1".into(),
                message: MessageInput { role: "user".into(), content: "hello".into() },
                thread_id: "c1".into(),
                timestamp: 1.0,
            },
        };
        let ds = deliveries(&ev, &ctx());
        assert_eq!(find(&ds, Api::Native).unwrap().0, "send");
        assert_eq!(
            find(&ds, Api::ChatSpark).unwrap(),
            ("user-message", &json!({"message": "hello", "conversationId": "c1"}))
        );
        assert_eq!(find(&ds, Api::Dom).unwrap().0, "send");
    }

    #[test]
    fn chat_loaded_is_an_sa_event_with_the_seed_schema() {
        let ev = Event::ChatLoaded { chat_instance_name: "help_faq_bot".into() };
        let ds = deliveries(&ev, &ctx());
        assert_eq!(
            find(&ds, Api::Sa).unwrap().1,
            &json!({"type": "CHAT_LOADED", "data": {"chatInstanceName": "help_faq_bot"}, "timestamp": 1637147056035.0})
        );
    }
}
