//! The widget's state: plain signals, changed only by [`crate::chat::Chat`].
//!
//! Messages live in one list of cheap handles; what changes inside a message (streamed text,
//! delivery status) is a signal of its own, so a streaming reply re-renders one text node and not
//! the list (and the list can be virtualized by id).

use crate::events::ViewState;
use crate::i18n::{Key, Locale};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

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
    /// CSS modifier.
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
        }
    }
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
    /// Delivery status.
    pub status: ArcRwSignal<Status>,
    /// Whether deltas are still arriving.
    pub streaming: ArcRwSignal<bool>,
}

impl Message {
    /// A new message.
    pub fn new(id: impl Into<String>, sender: Sender, timestamp: f64, text: impl Into<String>, status: Status) -> Self {
        Message {
            id: id.into(),
            sender,
            timestamp,
            text: ArcRwSignal::new(text.into()),
            status: ArcRwSignal::new(status),
            streaming: ArcRwSignal::new(false),
        }
    }
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
    /// The agent is composing a reply.
    pub typing: RwSignal<bool>,
    /// UI language.
    pub locale: RwSignal<Locale>,
    /// The host page's viewport (width, height), for the layout.
    pub viewport: RwSignal<(f64, f64)>,
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
            typing: RwSignal::new(false),
            locale: RwSignal::new(Locale::En),
            viewport: RwSignal::new((1280.0, 800.0)),
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
}

impl Default for ChatState {
    fn default() -> Self {
        Self::new()
    }
}
