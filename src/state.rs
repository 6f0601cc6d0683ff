//! The widget's state: plain signals, changed only by [`crate::chat::Chat`].
//!
//! Messages live in one list of cheap handles; what changes inside a message (streamed text,
//! delivery status, feedback) is a signal of its own, so a streaming reply re-renders one text
//! node and not the list (and the list can be virtualized by id).

use crate::events::{AgentMessage, Attachment, ContentItem, ThreadMessage, ViewState};
use crate::i18n::{Key, Locale};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// Who wrote a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sender {
    /// The visitor.
    User,
    /// The AI agent.
    Agent,
    /// A human agent after a handoff.
    Human,
    /// The widget itself (banners, notices).
    System,
}

impl Sender {
    /// CSS modifier and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Sender::User => "user",
            Sender::Agent => "agent",
            Sender::Human => "human",
            Sender::System => "system",
        }
    }
}

/// Delivery status of a message (seed 002's `ChatMessage.status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Handed to the transport.
    Sending,
    /// Accepted by the agent.
    Sent,
    /// The agent answered.
    Delivered,
    /// A human agent read it.
    Read,
    /// Not delivered; can be retried.
    Failed,
    /// Waiting for the network: sent automatically when the browser is back online.
    Queued,
}

impl Status {
    /// CSS modifier and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Sending => "sending",
            Status::Sent => "sent",
            Status::Delivered => "delivered",
            Status::Read => "read",
            Status::Failed => "failed",
            Status::Queued => "queued",
        }
    }

    /// Reads a wire name.
    pub fn parse(s: &str) -> Option<Status> {
        Some(match s {
            "sending" => Status::Sending,
            "sent" => Status::Sent,
            "delivered" => Status::Delivered,
            "read" => Status::Read,
            "failed" => Status::Failed,
            "queued" => Status::Queued,
            _ => return None,
        })
    }
}

/// A system notice in the message list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Notice {
    /// Waiting for a human agent.
    Queued(Option<u32>),
    /// A human agent joined.
    Connected(String),
    /// The conversation ended.
    Ended,
    /// The lead form was sent.
    LeadThanks,
}

/// One message of the conversation.
#[derive(Clone, Debug)]
pub struct Message {
    /// Stable id (the key of the list).
    pub id: String,
    /// Author.
    pub sender: Sender,
    /// Epoch milliseconds.
    pub timestamp: f64,
    /// Text (markdown for agents); grows while streaming.
    pub text: ArcRwSignal<String>,
    /// Items besides the text (buttons, actions, forms, host-rendered items).
    pub items: ArcRwSignal<Vec<ContentItem>>,
    /// Delivery status.
    pub status: ArcRwSignal<Status>,
    /// Whether deltas are still arriving.
    pub streaming: ArcRwSignal<bool>,
    /// Thumbs up (`Some(true)`) or down, once rated.
    pub feedback: ArcRwSignal<Option<bool>>,
    /// Files attached (user messages).
    pub attachments: Vec<Attachment>,
    /// The human agent's name (human messages).
    pub agent_name: Option<String>,
    /// A system notice (system messages).
    pub notice: Option<Notice>,
}

impl Message {
    /// A new message.
    pub fn new(id: impl Into<String>, sender: Sender, timestamp: f64, text: impl Into<String>, status: Status) -> Self {
        Message {
            id: id.into(),
            sender,
            timestamp,
            text: ArcRwSignal::new(text.into()),
            items: ArcRwSignal::new(Vec::new()),
            status: ArcRwSignal::new(status),
            streaming: ArcRwSignal::new(false),
            feedback: ArcRwSignal::new(None),
            attachments: Vec::new(),
            agent_name: None,
            notice: None,
        }
    }

    /// A system notice.
    pub fn notice(id: impl Into<String>, timestamp: f64, notice: Notice) -> Self {
        Message { notice: Some(notice), ..Message::new(id, Sender::System, timestamp, "", Status::Delivered) }
    }

    /// An agent message as received.
    pub fn from_agent(m: &AgentMessage) -> Self {
        let sender = if m.from == crate::events::AgentKind::Human { Sender::Human } else { Sender::Agent };
        let msg = Message {
            agent_name: m.agent_name.clone(),
            ..Message::new(&m.id, sender, m.timestamp, m.plain_text(), Status::Delivered)
        };
        msg.items.set(m.content.iter().filter(|c| c.kind != "text").cloned().collect());
        msg
    }

    /// The message as an [`AgentMessage`] (for feedback and button events).
    pub fn to_agent_message(&self, thread_id: &str) -> AgentMessage {
        let mut content = vec![ContentItem::text(format!("{}-0", self.id), self.text.get_untracked())];
        content.extend(self.items.get_untracked());
        AgentMessage {
            id: self.id.clone(),
            thread_id: thread_id.to_owned(),
            content,
            timestamp: self.timestamp,
            from: if self.sender == Sender::Human {
                crate::events::AgentKind::Human
            } else {
                crate::events::AgentKind::Bot
            },
            agent_name: self.agent_name.clone(),
        }
    }

    /// The message in the thread format of `pre:threadLoaded` (also what is persisted).
    pub fn to_thread(&self) -> Option<ThreadMessage> {
        if self.sender == Sender::System {
            return None;
        }
        let mut content = vec![ContentItem::text(format!("{}-0", self.id), self.text.get_untracked())];
        content.extend(self.items.get_untracked());
        let mut state = json!({
            "timestamp": self.timestamp,
            "status": self.status.get_untracked().as_str(),
            "from": self.sender.as_str(),
        });
        if let Some(name) = &self.agent_name {
            state["agentName"] = json!(name);
        }
        if !self.attachments.is_empty() {
            state["attachments"] = serde_json::to_value(&self.attachments).unwrap_or_default();
        }
        Some(ThreadMessage {
            id: self.id.clone(),
            sender: if self.sender == Sender::User { "user" } else { "response" }.into(),
            content,
            message_state: state,
        })
    }

    /// A message from the thread format. Unknown shapes are rejected, not rendered.
    pub fn from_thread(t: &ThreadMessage) -> Result<Message, String> {
        if t.id.is_empty() {
            return Err("a thread message has no `id`".into());
        }
        let state = t.message_state.as_object();
        let get = |k: &str| state.and_then(|s| s.get(k));
        let sender = match (t.sender.as_str(), get("from").and_then(Value::as_str)) {
            ("user", _) => Sender::User,
            ("response", Some("human")) => Sender::Human,
            ("response", _) => Sender::Agent,
            (other, _) => return Err(format!("thread message `{}` has sender `{other}`", t.id)),
        };
        let text: Vec<&str> = t.content.iter().filter(|c| c.kind == "text").filter_map(|c| c.text.as_deref()).collect();
        let status = get("status").and_then(Value::as_str).and_then(Status::parse).unwrap_or(Status::Delivered);
        let timestamp = get("timestamp").and_then(Value::as_f64).unwrap_or(0.0);
        let mut m = Message::new(&t.id, sender, timestamp, text.join("\n\n"), status);
        m.agent_name = get("agentName").and_then(Value::as_str).map(str::to_owned);
        m.attachments = get("attachments").and_then(|a| Vec::<Attachment>::deserialize(a).ok()).unwrap_or_default();
        m.items.set(t.content.iter().filter(|c| c.kind != "text").cloned().collect());
        Ok(m)
    }
}

/// Where a handoff to a human stands.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Handoff {
    /// The AI agent answers.
    #[default]
    None,
    /// Waiting in a queue.
    Queued(Option<u32>),
    /// A human agent answers.
    Connected(String),
}

/// All of the widget's state.
#[derive(Clone, Copy, Debug)]
pub struct ChatState {
    /// Launcher / main window visibility.
    pub view: RwSignal<ViewState>,
    /// Main window maximized.
    pub maximized: RwSignal<bool>,
    /// Ready for input (`chat:ready` fired).
    pub ready: RwSignal<bool>,
    /// The conversation, oldest first.
    pub messages: RwSignal<Vec<Message>>,
    /// Current conversation id, once one started.
    pub conversation: RwSignal<Option<String>>,
    /// The conversation ended; the next message starts a new one.
    pub ended: RwSignal<bool>,
    /// The agent is composing a reply.
    pub typing: RwSignal<bool>,
    /// UI language.
    pub locale: RwSignal<Locale>,
    /// The host page's viewport (width, height), for the layout.
    pub viewport: RwSignal<(f64, f64)>,
    /// Handoff to a human.
    pub handoff: RwSignal<Handoff>,
    /// The visitor, as the host described them (`updateUser`).
    pub user: RwSignal<Map<String, Value>>,
    /// Agent messages that arrived while the window was closed.
    pub unread: RwSignal<u32>,
    /// The greeting bubble next to the launcher is showing.
    pub greeting: RwSignal<bool>,
    /// A reply is in progress (the composer offers Stop).
    pub busy: RwSignal<bool>,
}

impl ChatState {
    /// Empty state: nothing visible, not ready.
    pub fn new() -> Self {
        ChatState {
            view: RwSignal::new(ViewState::default()),
            maximized: RwSignal::new(false),
            ready: RwSignal::new(false),
            messages: RwSignal::new(Vec::new()),
            conversation: RwSignal::new(None),
            ended: RwSignal::new(false),
            typing: RwSignal::new(false),
            locale: RwSignal::new(Locale::En),
            viewport: RwSignal::new((1280.0, 800.0)),
            handoff: RwSignal::new(Handoff::None),
            user: RwSignal::new(Map::new()),
            unread: RwSignal::new(0),
            greeting: RwSignal::new(false),
            busy: RwSignal::new(false),
        }
    }

    /// A translated string, tracking the locale.
    pub fn t(&self, key: Key) -> &'static str {
        crate::i18n::t(self.locale.get(), key)
    }

    /// The message with `id`.
    pub fn message(&self, id: &str) -> Option<Message> {
        self.messages.with_untracked(|ms| ms.iter().rev().find(|m| m.id == id).cloned())
    }

    /// Appends a message.
    pub fn push(&self, m: Message) {
        self.messages.update(|ms| ms.push(m));
    }
}

impl Default for ChatState {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip_through_the_thread_format() {
        let owner = Owner::new();
        owner.set();
        let mut m = Message::new("u-1", Sender::User, 42.0, "hi", Status::Failed);
        m.attachments = vec![Attachment { name: "a.txt".into(), file_type: "text/plain".into(), file_size: 3.0 }];
        let t = m.to_thread().unwrap();
        assert_eq!(t.sender, "user");
        let back = Message::from_thread(&t).unwrap();
        assert_eq!(back.text.get_untracked(), "hi");
        assert_eq!(back.status.get_untracked(), Status::Failed);
        assert_eq!(back.timestamp, 42.0);
        assert_eq!(back.attachments, m.attachments);

        let mut human = Message::new("h-1", Sender::Human, 1.0, "Dana here", Status::Delivered);
        human.agent_name = Some("Dana".into());
        let back = Message::from_thread(&human.to_thread().unwrap()).unwrap();
        assert_eq!((back.sender, back.agent_name.as_deref()), (Sender::Human, Some("Dana")));
    }

    #[test]
    fn malformed_thread_messages_are_rejected() {
        let owner = Owner::new();
        owner.set();
        let bad = ThreadMessage { id: "x".into(), sender: "robot".into(), content: vec![], message_state: Value::Null };
        assert!(Message::from_thread(&bad).unwrap_err().contains("sender `robot`"));
        let anonymous = ThreadMessage { id: "".into(), ..bad };
        assert!(Message::from_thread(&anonymous).is_err());
    }
}
