//! The widget's state: signals that components read and only [`crate::chat::Chat`] writes.
//!
//! Every signal is a read half (public: what components and persistence see) and a write half
//! visible only inside `crate::chat`, so "only the controller changes the state" is enforced by
//! the compiler, not by convention.
//!
//! Messages live in one list of cheap handles; what changes inside a message (streamed text,
//! delivery status, feedback) is a signal of its own, so a streaming reply re-renders one text
//! node and not the list (and the list can be virtualized by id).

use crate::events::{AgentKind, AgentMessage, Attachment, ContentItem, MessageState, ThreadMessage, ViewState};
use crate::i18n::{Key, Locale};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use crate::events::Status;

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

/// A system notice in the message list (stored with the conversation).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "camelCase")]
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

/// One message of the conversation. Its changing parts are signals: components read them
/// through the accessors (`text()`, `status()`, ...); only the controller writes them.
#[derive(Clone, Debug)]
pub struct Message {
    /// Stable id (the key of the list).
    pub id: String,
    /// Author.
    pub sender: Sender,
    /// Epoch milliseconds.
    pub timestamp: f64,
    pub(in crate::chat) text: ArcRwSignal<String>,
    pub(in crate::chat) items: ArcRwSignal<Vec<ContentItem>>,
    pub(in crate::chat) status: ArcRwSignal<Status>,
    pub(in crate::chat) streaming: ArcRwSignal<bool>,
    pub(in crate::chat) feedback: ArcRwSignal<Option<bool>>,
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

    /// The same message with `items` (buttons, forms, host-rendered items) besides its text.
    pub fn with_items(self, items: Vec<ContentItem>) -> Self {
        self.items.set(items);
        self
    }

    /// The same message, still streaming (fixtures).
    pub fn with_streaming(self) -> Self {
        self.streaming.set(true);
        self
    }

    /// Text (markdown for agents); grows while streaming.
    pub fn text(&self) -> ArcReadSignal<String> {
        self.text.read_only()
    }

    /// Items besides the text (buttons, actions, forms, host-rendered items).
    pub fn items(&self) -> ArcReadSignal<Vec<ContentItem>> {
        self.items.read_only()
    }

    /// Delivery status.
    pub fn status(&self) -> ArcReadSignal<Status> {
        self.status.read_only()
    }

    /// Whether deltas are still arriving.
    pub fn streaming(&self) -> ArcReadSignal<bool> {
        self.streaming.read_only()
    }

    /// Thumbs up (`Some(true)`) or down, once rated.
    pub fn feedback(&self) -> ArcReadSignal<Option<bool>> {
        self.feedback.read_only()
    }

    /// An agent message as received.
    pub fn from_agent(m: &AgentMessage) -> Self {
        let sender = if m.from == AgentKind::Human { Sender::Human } else { Sender::Agent };
        Message {
            agent_name: m.agent_name.clone(),
            ..Message::new(&m.id, sender, m.timestamp, m.plain_text(), Status::Delivered)
        }
        .with_items(m.content.iter().filter(|c| c.kind != "text").cloned().collect())
    }

    /// The text item and the other items, as content.
    fn content(&self) -> Vec<ContentItem> {
        let mut content = vec![ContentItem::text(format!("{}-0", self.id), self.text.get_untracked())];
        content.extend(self.items.get_untracked());
        content
    }

    /// The message as an [`AgentMessage`] (for feedback and button events).
    pub fn to_agent_message(&self, thread_id: &str) -> AgentMessage {
        AgentMessage {
            id: self.id.clone(),
            thread_id: thread_id.to_owned(),
            content: self.content(),
            timestamp: self.timestamp,
            from: if self.sender == Sender::Human { AgentKind::Human } else { AgentKind::Bot },
            agent_name: self.agent_name.clone(),
        }
    }

    /// The message in the thread format of `pre:threadLoaded` (also what is persisted).
    pub fn to_thread(&self) -> Option<ThreadMessage> {
        if self.sender == Sender::System {
            return None;
        }
        Some(ThreadMessage {
            id: self.id.clone(),
            sender: if self.sender == Sender::User { "user" } else { "response" }.into(),
            content: self.content(),
            message_state: MessageState {
                timestamp: Some(self.timestamp),
                status: Some(self.status.get_untracked()),
                from: Some(self.sender.as_str().into()),
                agent_name: self.agent_name.clone(),
                attachments: self.attachments.clone(),
                ..MessageState::default()
            },
        })
    }

    /// A message from the thread format. Unknown shapes are rejected, not rendered.
    pub fn from_thread(t: &ThreadMessage) -> Result<Message, String> {
        if t.id.is_empty() {
            return Err("a thread message has no `id`".into());
        }
        let state = &t.message_state;
        let sender = match (t.sender.as_str(), state.from.as_deref()) {
            ("user", _) => Sender::User,
            ("response", Some("human")) => Sender::Human,
            ("response", _) => Sender::Agent,
            (other, _) => return Err(format!("thread message `{}` has sender `{other}`", t.id)),
        };
        let text: Vec<&str> = t.content.iter().filter(|c| c.kind == "text").filter_map(|c| c.text.as_deref()).collect();
        let status = state.status.unwrap_or(Status::Delivered);
        let mut m = Message::new(&t.id, sender, state.timestamp.unwrap_or(0.0), text.join("\n\n"), status);
        m.agent_name = state.agent_name.clone();
        m.attachments = state.attachments.clone();
        Ok(m.with_items(t.content.iter().filter(|c| c.kind != "text").cloned().collect()))
    }
}

/// Where a handoff to a human stands (stored with the conversation).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", content = "value", rename_all = "camelCase")]
pub enum Handoff {
    /// The AI agent answers.
    #[default]
    None,
    /// Waiting in a queue.
    Queued(Option<u32>),
    /// A human agent answers.
    Connected(String),
}

/// Declares [`ChatState`]: each field a read signal for everyone and a write signal (`set_*`)
/// for the controller only.
macro_rules! chat_state {
    ($($(#[doc = $doc:literal])* $name:ident / $set:ident : $ty:ty = $init:expr,)*) => {
        /// All of the widget's state. Components read it; [`crate::chat::Chat`] writes it.
        #[derive(Clone, Copy, Debug)]
        pub struct ChatState {
            $($(#[doc = $doc])* pub $name: ReadSignal<$ty>, pub(in crate::chat) $set: WriteSignal<$ty>,)*
        }

        impl ChatState {
            /// Empty state: nothing visible, not ready.
            pub fn new() -> Self {
                $(let ($name, $set) = signal::<$ty>($init);)*
                ChatState { $($name, $set,)* }
            }
        }

        impl Stage<'_> {
            $(
                #[doc = concat!("Sets `", stringify!($name), "`.")]
                pub fn $set(&self, value: $ty) {
                    self.0.$set.set(value);
                }
            )*
        }
    };
}

chat_state! {
    /// Launcher / main window visibility.
    view / set_view: ViewState = ViewState::default(),
    /// Main window maximized.
    maximized / set_maximized: bool = false,
    /// Ready for input (`chat:ready` fired).
    ready / set_ready: bool = false,
    /// The conversation, oldest first.
    messages / set_messages: Vec<Message> = Vec::new(),
    /// Current conversation id, once one started.
    conversation / set_conversation: Option<String> = None,
    /// The conversation ended; the next message starts a new one.
    ended / set_ended: bool = false,
    /// The agent is composing a reply.
    typing / set_typing: bool = false,
    /// UI language.
    locale / set_locale: Locale = Locale::En,
    /// The host page's viewport (width, height), for the layout.
    viewport / set_viewport: (f64, f64) = (1280.0, 800.0),
    /// Handoff to a human.
    handoff / set_handoff: Handoff = Handoff::None,
    /// The visitor, as the host described them (`updateUser`).
    user / set_user: Map<String, Value> = Map::new(),
    /// Agent messages that arrived while the window was closed.
    unread / set_unread: u32 = 0,
    /// The greeting bubble next to the launcher is showing.
    greeting / set_greeting: bool = false,
    /// A reply is in progress (the composer offers Stop).
    busy / set_busy: bool = false,
    /// The id of the last event processed from the conversation's live event stream (sent as
    /// `Last-Event-ID` when it reconnects; stored, so a reload resumes there).
    live_event_id / set_live_event_id: Option<String> = None,
}

/// Direct writes for fixtures: the demo gallery and tests build states that take a whole
/// conversation to reach. Components never get one; they call the controller's intents.
pub struct Stage<'a>(pub(in crate::chat) &'a ChatState);

impl Stage<'_> {
    /// Appends a message.
    pub fn push(&self, m: Message) {
        self.0.push(m);
    }

    /// Sets a message's delivery status.
    pub fn set_status(&self, m: &Message, status: Status) {
        m.status.set(status);
    }

    /// Sets a message's text.
    pub fn set_text(&self, m: &Message, text: String) {
        m.text.set(text);
    }

    /// Sets whether a message is still streaming.
    pub fn set_streaming(&self, m: &Message, streaming: bool) {
        m.streaming.set(streaming);
    }
}

impl ChatState {
    /// Direct writes, for native tests outside the controller.
    #[cfg(test)]
    pub(crate) fn stage(&self) -> Stage<'_> {
        Stage(self)
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
    pub(in crate::chat) fn push(&self, m: Message) {
        self.set_messages.update(|ms| ms.push(m));
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
        let bad = ThreadMessage {
            id: "x".into(),
            sender: "robot".into(),
            content: vec![],
            message_state: MessageState::default(),
        };
        assert!(Message::from_thread(&bad).unwrap_err().contains("sender `robot`"));
        let anonymous = ThreadMessage { id: "".into(), ..bad };
        assert!(Message::from_thread(&anonymous).is_err());
    }
}
