//! The catalogue of canonical events: one enum, one serde payload per event.
//!
//! The serialized form of an [`Event`] is exactly what a native `instance.on(name, fn)` handler
//! receives (`type` plus the payload fields). For the seventeen events that watsonx Orchestrate
//! documents (seed 004) that is the watsonx shape; the other dialects are derived from it in
//! [`super::dialects`]. TypeScript definitions of every payload are generated from these types
//! (`public/colloquy.d.ts`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
#[cfg(test)]
use ts_rs::TS;

/// Which of the two top-level parts of the widget are visible.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct ViewState {
    /// The launcher bubble.
    pub launcher: bool,
    /// The main chat window.
    #[serde(rename = "mainWindow")]
    pub main_window: bool,
}

impl ViewState {
    /// Launcher shown, window closed: the state after load.
    pub const CLOSED: ViewState = ViewState { launcher: true, main_window: false };
    /// Window open; the launcher hides behind it (as in watsonx).
    pub const OPEN: ViewState = ViewState { launcher: false, main_window: true };
    /// Nothing visible (visibility rules failed).
    pub const HIDDEN: ViewState = ViewState { launcher: false, main_window: false };
}

/// Why the view changed (seed 004 lists the first four; `mainWindowClosed` is the close button
/// and Escape).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(TS))]
#[serde(rename_all = "camelCase")]
pub enum ViewChangeReason {
    /// The user clicked the launcher.
    LauncherClicked,
    /// The chat loaded for the first time.
    ChatLoaded,
    /// The host called `instance.changeView`.
    CalledChangeView,
    /// The user clicked "Minimize".
    MainWindowMinimized,
    /// The user clicked "Close chat" or pressed Escape.
    MainWindowClosed,
}

/// `view:pre:change` / `view:change` payload.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(test, derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct ViewChange {
    /// Why the view changes.
    pub reason: ViewChangeReason,
    /// The state before the change.
    pub old_view_state: ViewState,
    /// The state after the change; a `view:pre:change` handler may rewrite it.
    pub new_view_state: ViewState,
}

/// View properties (`view:properties:*`): only the ones that change are present.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct ViewProperties {
    /// The window fills the height of the page (and more of its width).
    pub maximized: bool,
}

/// A file attached to a user message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    /// File name.
    pub name: String,
    /// MIME type.
    pub file_type: String,
    /// Size in bytes.
    pub file_size: f64,
}

/// The user's text inside an outgoing message (`message.message` in seed 004).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(test, derive(TS))]
pub struct MessageInput {
    /// Always `"user"`.
    pub role: String,
    /// The text; a `pre:send` handler may rewrite it.
    pub content: String,
}

/// The payload of `pre:send` and `send`: `message.message.content` is the text.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(test, derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct OutgoingMessage {
    /// Message id, stable from `pre:send` to delivery status updates.
    pub id: String,
    /// The content (seed 004: `message.message.content`).
    pub message: MessageInput,
    /// Conversation (thread) id.
    pub thread_id: String,
    /// Epoch milliseconds.
    pub timestamp: f64,
    /// Attached files.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(test, ts(optional = nullable))]
    pub attachments: Vec<Attachment>,
}

/// One item of an agent message (`message.content[]` in seed 004).
///
/// `type` is `text` (markdown), `button` (a response button: `label`, `value`, `buttonType`
/// `post_back` sends the value as the user's reply, `custom_event` only fires the event),
/// `user_defined` (rendered by the host through `userDefinedResponse`), or anything else
/// (treated like `user_defined`). An item may name its type `response_type` instead, as
/// watsonx writes it (seed 004's delta items); it is handed back with the field it came with.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "WireItem", into = "WireItem")]
#[cfg_attr(test, derive(TS), ts(as = "WireItem"))]
pub struct ContentItem {
    /// Item id.
    pub id: String,
    /// `text`, `button`, `user_defined`, ...
    pub kind: String,
    /// The field `kind` came in (and goes out in).
    pub kind_field: KindField,
    /// Text of the item, markdown for `text`.
    pub text: Option<String>,
    /// Button label.
    pub label: Option<String>,
    /// Button value.
    pub value: Option<String>,
    /// `post_back` (default) or `custom_event`.
    pub button_type: Option<String>,
    /// Data for the host's renderer (`user_defined` items).
    pub user_defined: Option<Value>,
}

/// Which field names a content item's type.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum KindField {
    /// `type` (ours, and seed 004's received messages).
    #[default]
    Type,
    /// `response_type` (watsonx's).
    ResponseType,
}

/// A content item as it is written in JSON: its type in `type` or in `response_type`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS), ts(rename = "ContentItem"))]
struct WireItem {
    /// Item id.
    #[serde(default)]
    id: String,
    /// `text`, `button`, `user_defined`, ... (this or `response_type`).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    kind: Option<String>,
    /// watsonx's name for `type` (this or `type`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    response_type: Option<String>,
    /// Text of the item, markdown for `text`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    text: Option<String>,
    /// Button label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    label: Option<String>,
    /// Button value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    value: Option<String>,
    /// `post_back` (default) or `custom_event`.
    #[serde(default, rename = "buttonType", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    button_type: Option<String>,
    /// Data for the host's renderer (`user_defined` items).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    user_defined: Option<Value>,
}

impl TryFrom<WireItem> for ContentItem {
    type Error = String;

    fn try_from(w: WireItem) -> Result<Self, String> {
        let (kind, kind_field) = match (w.kind, w.response_type) {
            (Some(kind), None) => (kind, KindField::Type),
            (None, Some(kind)) => (kind, KindField::ResponseType),
            (Some(a), Some(b)) if a == b => (a, KindField::Type),
            (Some(a), Some(b)) => return Err(format!("`type` ({a}) and `response_type` ({b}) disagree")),
            (None, None) => return Err("missing field `type` (or `response_type`)".into()),
        };
        Ok(ContentItem {
            id: w.id,
            kind,
            kind_field,
            text: w.text,
            label: w.label,
            value: w.value,
            button_type: w.button_type,
            user_defined: w.user_defined,
        })
    }
}

impl From<ContentItem> for WireItem {
    fn from(c: ContentItem) -> Self {
        let (kind, response_type) = match c.kind_field {
            KindField::Type => (Some(c.kind), None),
            KindField::ResponseType => (None, Some(c.kind)),
        };
        WireItem {
            id: c.id,
            kind,
            response_type,
            text: c.text,
            label: c.label,
            value: c.value,
            button_type: c.button_type,
            user_defined: c.user_defined,
        }
    }
}

impl ContentItem {
    /// A markdown text item.
    pub fn text(id: impl Into<String>, text: impl Into<String>) -> Self {
        ContentItem { id: id.into(), kind: "text".into(), text: Some(text.into()), ..Default::default() }
    }

    /// A response button.
    pub fn button(id: impl Into<String>, label: &str, value: &str) -> Self {
        ContentItem {
            id: id.into(),
            kind: "button".into(),
            label: Some(label.into()),
            value: Some(value.into()),
            button_type: Some("post_back".into()),
            ..Default::default()
        }
    }

    /// Whether the widget renders the item itself; anything else goes to `userDefinedResponse`.
    pub fn is_native(&self) -> bool {
        matches!(self.kind.as_str(), "text" | "button")
    }
}

/// Who wrote an agent message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
#[serde(rename_all = "lowercase")]
pub enum AgentKind {
    /// The AI agent.
    #[default]
    Bot,
    /// A human agent after a handoff.
    Human,
}

/// An agent (or human agent) message: the payload of `pre:receive` and `receive`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct AgentMessage {
    /// Message id.
    pub id: String,
    /// Conversation (thread) id.
    #[serde(default)]
    pub thread_id: String,
    /// Content items; a `pre:receive` handler may rewrite them.
    pub content: Vec<ContentItem>,
    /// Epoch milliseconds.
    #[serde(default)]
    pub timestamp: f64,
    /// AI or human agent.
    #[serde(default)]
    pub from: AgentKind,
    /// The human agent's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub agent_name: Option<String>,
}

impl AgentMessage {
    /// The text of all text items, joined by blank lines (what non-watsonx dialects report).
    pub fn plain_text(&self) -> String {
        let texts: Vec<&str> =
            self.content.iter().filter(|c| c.kind == "text").filter_map(|c| c.text.as_deref()).collect();
        texts.join("\n\n")
    }
}

/// A message of a loaded thread (`pre:threadLoaded`, seed 004).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct ThreadMessage {
    /// Message id.
    pub id: String,
    /// `user` or `response`.
    pub sender: String,
    /// Content items (`[{type: "text", text}]` for user messages).
    pub content: Vec<ContentItem>,
    /// State of the message: `timestamp`, `status`, `from`, `agentName`, `attachments`.
    #[serde(default, deserialize_with = "null_as_default")]
    #[cfg_attr(test, ts(as = "Option<MessageState>", optional))]
    pub message_state: MessageState,
}

/// `messageState` of a thread message: what the widget keeps besides the content. Keys the widget
/// does not know are kept as they are.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct MessageState {
    /// Epoch milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub timestamp: Option<f64>,
    /// Delivery status; a value the widget does not know reads as none (delivered).
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "lenient_status")]
    #[cfg_attr(test, ts(optional))]
    pub status: Option<Status>,
    /// Who wrote it: `user`, `agent` or `human`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub from: Option<String>,
    /// The human agent's name (human messages).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub agent_name: Option<String>,
    /// Files attached (user messages).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(test, ts(as = "Option<Vec<Attachment>>", optional))]
    pub attachments: Vec<Attachment>,
    /// The host's own keys.
    #[serde(flatten)]
    #[cfg_attr(test, ts(skip))]
    pub extra: Map<String, Value>,
}

fn null_as_default<'de, D: serde::Deserializer<'de>, T: Default + Deserialize<'de>>(d: D) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

fn lenient_status<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Status>, D::Error> {
    Ok(Option::<Value>::deserialize(d)?.and_then(|v| v.as_str().and_then(Status::parse)))
}

/// Delivery status of a message (seed 002's `ChatMessage.status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
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

/// One chunk of a streamed reply (`delta.content[]` in seed 004).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct DeltaItem {
    /// Item id.
    #[serde(default)]
    pub id: String,
    /// Always `text` for streamed chunks.
    pub response_type: String,
    /// The incremental text.
    #[serde(default)]
    pub text: String,
}

/// `delta` of `pre:stream:delta`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(test, derive(TS))]
pub struct Delta {
    /// `assistant`.
    pub role: String,
    /// The chunk's items; a handler may set `[]` to suppress the chunk.
    pub content: Vec<DeltaItem>,
}

/// A `pre:stream:delta` payload.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(test, derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct StreamDelta {
    /// The message being streamed.
    pub message_id: String,
    /// Conversation (thread) id.
    pub thread_id: String,
    /// The agent run producing the stream.
    pub run_id: String,
    /// This chunk.
    pub delta: Delta,
    /// The message so far (all previous deltas accumulated). The widget sends it with the first
    /// delta of a message only (no text yet); for every later delta the host side (`embed.js`)
    /// fills it in from the deltas before, so a delta costs what it carries, however long the
    /// message already is (docs/bridge.md, "Streams"). Host handlers always see it.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(as = "AgentMessage"))]
    pub message: Option<AgentMessage>,
}

/// Where an `action:triggered` came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(TS))]
#[serde(rename_all = "lowercase")]
pub enum ActionSource {
    /// An action from the config (`data.actions`, seed 001).
    Config,
    /// A button inside an agent response.
    Response,
}

/// `action:triggered`: an action button, form or link, or a response button.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(test, derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct ActionTriggered {
    /// The action id (a response button's value).
    pub action_id: String,
    /// `button`, `form` or `link`.
    pub action_type: String,
    /// Form values, a link's `url`, a button's `label`/`value`.
    #[cfg_attr(test, ts(type = "Record<string, any>"))]
    pub data: Map<String, Value>,
    /// Config action or response button.
    pub source: ActionSource,
    /// The response button item (response buttons only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub content_item: Option<ContentItem>,
    /// The message holding the button (response buttons only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub message: Option<AgentMessage>,
}

/// How a conversation ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(TS))]
#[serde(rename_all = "camelCase")]
pub enum EndReason {
    /// The visitor ended it.
    User,
    /// The agent (or human agent) ended it.
    Agent,
    /// The host called `endConversation()`.
    Host,
    /// The conversation was restarted.
    Restart,
}

/// `feedback` (seed 004).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(test, derive(TS))]
#[serde(rename_all = "camelCase")]
pub struct Feedback {
    /// The content item rated.
    pub message_item: ContentItem,
    /// The message rated.
    pub message: AgentMessage,
    /// Thumbs up (`true`) or down.
    pub is_positive: bool,
    /// `button` (thumbs) or `details` (the popup was submitted).
    pub interaction_type: String,
    /// Free text from the details popup.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub text: Option<String>,
    /// Categories chosen in the details popup.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub categories: Option<Vec<String>>,
}

/// Error codes: the four of seed 002 and Colloquy's own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    /// Failed to connect to the agent.
    ConnectionError,
    /// Authentication failed.
    AuthError,
    /// A message could not be sent.
    SendError,
    /// The network is unreachable.
    NetworkError,
    /// Invalid configuration (the message names the field).
    ConfigError,
    /// A host handler threw or rejected.
    HandlerError,
    /// A host handler did not settle within the timeout.
    HandlerTimeout,
    /// Malformed data from the agent or across the bridge.
    ProtocolError,
    /// The widget itself failed (a panic): it shows the visitor a way to reload and stops.
    InternalError,
}

/// The `error` payload (seed 002's `WidgetError`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(TS))]
pub struct WidgetError {
    /// Machine-readable code.
    pub code: ErrorCode,
    /// Human-readable message.
    pub message: String,
    /// Extra details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub details: Option<Value>,
}

impl WidgetError {
    /// An error without details.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        WidgetError { code, message: message.into(), details: None }
    }

    /// The same error with details attached.
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }
}

/// Every canonical event. Serialized with `type` set to the canonical name.
///
/// Events are never deserialized whole: what a `pre:*` handler may change is read back field
/// by field in [`Event::with_rewrite`].
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(test, derive(TS))]
#[serde(tag = "type")]
pub enum Event {
    /// The embed script loaded (saEvents `CHAT_LOADED`).
    #[serde(rename = "chat:loaded", rename_all = "camelCase")]
    ChatLoaded {
        /// Instance name from the config.
        chat_instance_name: String,
    },
    /// Visibility rules passed and the launcher is shown (saEvents `CHAT_VISIBLE`).
    #[serde(rename = "chat:visible", rename_all = "camelCase")]
    ChatVisible {
        /// Instance name from the config.
        chat_instance_name: String,
    },
    /// Ready for input.
    #[serde(rename = "chat:ready")]
    ChatReady,
    /// Before the view changes; handlers may rewrite `newViewState`.
    #[serde(rename = "view:pre:change")]
    ViewPreChange(ViewChange),
    /// After the view changed.
    #[serde(rename = "view:change")]
    ViewChange(ViewChange),
    /// Before the window is maximized or restored; handlers may rewrite `newViewState`.
    #[serde(rename = "view:properties:pre:change", rename_all = "camelCase")]
    ViewPropertiesPreChange {
        /// The properties about to change.
        new_view_state: ViewProperties,
    },
    /// After the window was maximized or restored.
    #[serde(rename = "view:properties:change", rename_all = "camelCase")]
    ViewPropertiesChange {
        /// The properties that changed.
        new_view_state: ViewProperties,
    },
    /// A new conversation began.
    #[serde(rename = "conversation:started", rename_all = "camelCase")]
    ConversationStarted {
        /// Conversation id.
        conversation_id: String,
    },
    /// The conversation ended.
    #[serde(rename = "conversation:ended", rename_all = "camelCase")]
    ConversationEnded {
        /// Conversation id.
        conversation_id: String,
        /// Who ended it.
        reason: EndReason,
    },
    /// Before the conversation restarts; a handler may set `cancel = true`.
    #[serde(rename = "pre:restartConversation")]
    PreRestartConversation {
        /// Set by a handler to keep the conversation.
        #[serde(skip_serializing_if = "is_false")]
        #[cfg_attr(test, ts(as = "Option<bool>", optional))]
        cancel: bool,
    },
    /// The conversation restarted; the next message starts a new one.
    #[serde(rename = "restartConversation")]
    RestartConversation,
    /// History is about to render; handlers may rewrite `messages`.
    #[serde(rename = "pre:threadLoaded")]
    PreThreadLoaded {
        /// The messages to load.
        messages: Vec<ThreadMessage>,
    },
    /// Before a user message is sent; handlers may rewrite `message.message.content`, or set
    /// `cancel = true` to drop the message.
    #[serde(rename = "pre:send")]
    PreSend {
        /// The outgoing message.
        message: OutgoingMessage,
        /// Set by a handler to cancel the send.
        #[serde(skip_serializing_if = "is_false")]
        #[cfg_attr(test, ts(as = "Option<bool>", optional))]
        cancel: bool,
    },
    /// After a user message was handed to the agent.
    #[serde(rename = "send")]
    Send {
        /// The message as sent.
        message: OutgoingMessage,
    },
    /// Before a streamed chunk renders; `delta.content = []` suppresses it.
    #[serde(rename = "pre:stream:delta")]
    PreStreamDelta(StreamDelta),
    /// Before a complete agent message renders; handlers may rewrite `message.content`.
    #[serde(rename = "pre:receive")]
    PreReceive {
        /// The agent message.
        message: AgentMessage,
    },
    /// After an agent message rendered.
    #[serde(rename = "receive")]
    Receive {
        /// The message as rendered.
        message: AgentMessage,
    },
    /// The conversation was transferred to a human queue.
    #[serde(rename = "handoff:queued", rename_all = "camelCase")]
    HandoffQueued {
        /// Conversation id.
        conversation_id: String,
        /// Place in the queue, when known.
        #[serde(skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        position: Option<u32>,
    },
    /// A human agent joined.
    #[serde(rename = "handoff:connected", rename_all = "camelCase")]
    HandoffConnected {
        /// Conversation id.
        conversation_id: String,
        /// The agent's display name.
        agent_name: String,
    },
    /// An action (config button, form, link) or a response button was used.
    #[serde(rename = "action:triggered")]
    ActionTriggered(ActionTriggered),
    /// The lead form was completed.
    #[serde(rename = "lead:captured")]
    LeadCaptured {
        /// Field values by key (`name`, `email`, `phone`, custom fields).
        #[cfg_attr(test, ts(type = "Record<string, string>"))]
        lead: Map<String, Value>,
    },
    /// A response item the widget does not render itself; the host renders into
    /// `hostElement` (added by the sink).
    #[serde(rename = "userDefinedResponse", rename_all = "camelCase")]
    UserDefinedResponse {
        /// The item.
        content_item: ContentItem,
        /// The whole message.
        message: AgentMessage,
        /// Id of the element prepared for the host (not part of the payload).
        #[serde(skip)]
        #[cfg_attr(test, ts(skip))]
        element_id: String,
    },
    /// Feedback on an agent message.
    #[serde(rename = "feedback")]
    Feedback(Feedback),
    /// A file was attached.
    #[serde(rename = "attachment:uploaded")]
    AttachmentUploaded(Attachment),
    /// The host called `updateUser`.
    #[serde(rename = "user:updated")]
    UserUpdated {
        /// The user, after the update.
        #[cfg_attr(test, ts(type = "Record<string, any>"))]
        user: Map<String, Value>,
    },
    /// The JWT expired; a handler sets `authToken` to a fresh one.
    #[serde(rename = "authTokenNeeded", rename_all = "camelCase")]
    AuthTokenNeeded {
        /// The expired token (or null); set it to the new token.
        auth_token: Option<String>,
    },
    /// Something failed.
    #[serde(rename = "error")]
    Error(WidgetError),
    /// The number of agent and human messages the visitor has not seen changed (they arrived
    /// while the window was closed or the page hidden; 0 when the visitor sees them). Native
    /// only: no vendor dialect has it.
    #[serde(rename = "unread:change")]
    UnreadChange {
        /// Messages not seen yet.
        count: u32,
    },
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// Every canonical event name, in catalogue order.
pub const EVENT_NAMES: &[&str] = &[
    "chat:loaded",
    "chat:visible",
    "chat:ready",
    "view:pre:change",
    "view:change",
    "view:properties:pre:change",
    "view:properties:change",
    "conversation:started",
    "conversation:ended",
    "pre:restartConversation",
    "restartConversation",
    "pre:threadLoaded",
    "pre:send",
    "send",
    "pre:stream:delta",
    "pre:receive",
    "receive",
    "handoff:queued",
    "handoff:connected",
    "action:triggered",
    "lead:captured",
    "userDefinedResponse",
    "feedback",
    "attachment:uploaded",
    "user:updated",
    "authTokenNeeded",
    "error",
    "unread:change",
];

impl Event {
    /// The canonical name (the `type` field).
    pub fn name(&self) -> &'static str {
        match self {
            Event::ChatLoaded { .. } => "chat:loaded",
            Event::ChatVisible { .. } => "chat:visible",
            Event::ChatReady => "chat:ready",
            Event::ViewPreChange(_) => "view:pre:change",
            Event::ViewChange(_) => "view:change",
            Event::ViewPropertiesPreChange { .. } => "view:properties:pre:change",
            Event::ViewPropertiesChange { .. } => "view:properties:change",
            Event::ConversationStarted { .. } => "conversation:started",
            Event::ConversationEnded { .. } => "conversation:ended",
            Event::PreRestartConversation { .. } => "pre:restartConversation",
            Event::RestartConversation => "restartConversation",
            Event::PreThreadLoaded { .. } => "pre:threadLoaded",
            Event::PreSend { .. } => "pre:send",
            Event::Send { .. } => "send",
            Event::PreStreamDelta(_) => "pre:stream:delta",
            Event::PreReceive { .. } => "pre:receive",
            Event::Receive { .. } => "receive",
            Event::HandoffQueued { .. } => "handoff:queued",
            Event::HandoffConnected { .. } => "handoff:connected",
            Event::ActionTriggered(_) => "action:triggered",
            Event::LeadCaptured { .. } => "lead:captured",
            Event::UserDefinedResponse { .. } => "userDefinedResponse",
            Event::Feedback(_) => "feedback",
            Event::AttachmentUploaded(_) => "attachment:uploaded",
            Event::UserUpdated { .. } => "user:updated",
            Event::AuthTokenNeeded { .. } => "authTokenNeeded",
            Event::Error(_) => "error",
            Event::UnreadChange { .. } => "unread:change",
        }
    }

    /// Whether handlers run before the change and may rewrite the payload (`pre:*` and
    /// `authTokenNeeded`).
    pub fn is_mutable(&self) -> bool {
        matches!(
            self,
            Event::ViewPreChange(_)
                | Event::ViewPropertiesPreChange { .. }
                | Event::PreRestartConversation { .. }
                | Event::PreThreadLoaded { .. }
                | Event::PreSend { .. }
                | Event::PreStreamDelta(_)
                | Event::PreReceive { .. }
                | Event::AuthTokenNeeded { .. }
        )
    }

    /// The payload as a native handler sees it.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).expect("events always serialize")
    }

    /// The stream a delivery of this event belongs to (the streamed message's id): the host side
    /// keeps the message so far per stream (see [`StreamDelta::message`]).
    pub fn stream_key(&self) -> Option<&str> {
        match self {
            Event::PreStreamDelta(d) => Some(&d.message_id),
            _ => None,
        }
    }

    /// Applies what a handler of a mutable event changed in `value` (the payload it was given).
    /// Only the documented mutable fields are read; a field of the wrong shape is an error and
    /// nothing is applied.
    pub fn with_rewrite(&self, value: &Value) -> Result<Event, String> {
        fn at<T: serde::de::DeserializeOwned>(value: &Value, pointer: &str) -> Result<T, String> {
            let field = value.pointer(pointer).ok_or_else(|| format!("`{}` is missing", dotted(pointer)))?;
            T::deserialize(field).map_err(|e| format!("`{}` is invalid: {e}", dotted(pointer)))
        }
        let cancelled = || value.get("cancel").and_then(Value::as_bool).unwrap_or(false);
        let mut event = self.clone();
        match &mut event {
            Event::PreSend { message, cancel } => {
                message.message.content = at(value, "/message/message/content")?;
                *cancel = cancelled();
            }
            Event::PreRestartConversation { cancel } => *cancel = cancelled(),
            Event::PreReceive { message } => message.content = at(value, "/message/content")?,
            Event::PreStreamDelta(delta) => {
                delta.delta.content = at(value, "/delta/content")?;
                // The seed's "best practices" also name `event.delta.text`: honour it when set.
                if let Some(text) = value.pointer("/delta/text").and_then(Value::as_str) {
                    let id = delta.delta.content.first().map(|c| c.id.clone()).unwrap_or_default();
                    delta.delta.content = vec![DeltaItem { id, response_type: "text".into(), text: text.into() }];
                }
            }
            Event::PreThreadLoaded { messages } => *messages = at(value, "/messages")?,
            Event::ViewPreChange(change) => change.new_view_state = at(value, "/newViewState")?,
            Event::ViewPropertiesPreChange { new_view_state } => *new_view_state = at(value, "/newViewState")?,
            Event::AuthTokenNeeded { auth_token } => *auth_token = at(value, "/authToken")?,
            _ => {}
        }
        Ok(event)
    }
}

fn dotted(pointer: &str) -> String {
    pointer.trim_start_matches('/').replace('/', ".")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn content_items_take_type_or_response_type_and_keep_the_one_they_came_with() {
        let watsonx: ContentItem =
            serde_json::from_value(json!({"id": "a", "response_type": "text", "text": "hi"})).unwrap();
        assert_eq!((watsonx.kind.as_str(), watsonx.kind_field), ("text", KindField::ResponseType));
        assert_eq!(serde_json::to_value(&watsonx).unwrap(), json!({"id": "a", "response_type": "text", "text": "hi"}));
        let ours: ContentItem = serde_json::from_value(json!({"id": "b", "type": "button", "label": "L"})).unwrap();
        assert_eq!((ours.kind.as_str(), ours.kind_field), ("button", KindField::Type));
        assert_eq!(serde_json::to_value(&ours).unwrap(), json!({"id": "b", "type": "button", "label": "L"}));
        let both: ContentItem = serde_json::from_value(json!({"type": "text", "response_type": "text"})).unwrap();
        assert_eq!(both.kind_field, KindField::Type);
        let clash = serde_json::from_value::<ContentItem>(json!({"type": "text", "response_type": "button"}));
        assert!(clash.unwrap_err().to_string().contains("disagree"));
        let none = serde_json::from_value::<ContentItem>(json!({"text": "hi"}));
        assert!(none.unwrap_err().to_string().contains("missing field `type` (or `response_type`)"));
    }

    fn outgoing(text: &str) -> OutgoingMessage {
        OutgoingMessage {
            id: "m1".into(),
            message: MessageInput { role: "user".into(), content: text.into() },
            thread_id: "t1".into(),
            timestamp: 5.0,
            attachments: vec![],
        }
    }

    #[test]
    fn pre_send_serializes_in_the_watsonx_shape() {
        let ev = Event::PreSend { message: outgoing(" hi "), cancel: false };
        assert_eq!(
            ev.to_value(),
            json!({"type": "pre:send", "message": {"id": "m1", "message": {"role": "user", "content": " hi "}, "threadId": "t1", "timestamp": 5.0}})
        );
    }

    #[test]
    fn a_rewritten_payload_is_read_back_and_checked() {
        let ev = Event::ViewPreChange(ViewChange {
            reason: ViewChangeReason::LauncherClicked,
            old_view_state: ViewState::CLOSED,
            new_view_state: ViewState::OPEN,
        });
        let mut v = ev.to_value();
        v["newViewState"]["mainWindow"] = json!(false);
        v["reason"] = json!("somethingElse"); // not a mutable field: ignored
        let Event::ViewPreChange(change) = ev.with_rewrite(&v).unwrap() else { panic!() };
        assert!(!change.new_view_state.main_window);
        assert_eq!(change.reason, ViewChangeReason::LauncherClicked);

        let mut bad = ev.to_value();
        bad["newViewState"] = json!("open");
        assert!(ev.with_rewrite(&bad).unwrap_err().contains("`newViewState` is invalid"));
    }

    #[test]
    fn delta_rewrites_read_content_or_text() {
        let ev = Event::PreStreamDelta(StreamDelta {
            message_id: "r".into(),
            thread_id: "t".into(),
            run_id: "u".into(),
            delta: Delta {
                role: "assistant".into(),
                content: vec![DeltaItem { id: "r-0".into(), response_type: "text".into(), text: "Hel".into() }],
            },
            message: Some(AgentMessage {
                id: "r".into(),
                thread_id: "t".into(),
                content: vec![],
                timestamp: 0.0,
                from: AgentKind::Bot,
                agent_name: None,
            }),
        });
        let mut suppressed = ev.to_value();
        suppressed["delta"]["content"] = json!([]);
        let Event::PreStreamDelta(d) = ev.with_rewrite(&suppressed).unwrap() else { panic!() };
        assert!(d.delta.content.is_empty());
        let mut replaced = ev.to_value();
        replaced["delta"]["text"] = json!("HEL");
        let Event::PreStreamDelta(d) = ev.with_rewrite(&replaced).unwrap() else { panic!() };
        assert_eq!(d.delta.content[0].text, "HEL");
    }

    #[test]
    fn auth_token_and_thread_rewrites() {
        let ev = Event::AuthTokenNeeded { auth_token: None };
        assert_eq!(ev.to_value(), json!({"type": "authTokenNeeded", "authToken": null}));
        let Event::AuthTokenNeeded { auth_token } = ev.with_rewrite(&json!({"authToken": "new"})).unwrap() else {
            panic!()
        };
        assert_eq!(auth_token.as_deref(), Some("new"));

        let ev = Event::PreThreadLoaded { messages: vec![] };
        let rewritten =
            json!({"messages": [{"id": "a", "sender": "user", "content": [{"type": "text", "text": "hi"}]}]});
        let Event::PreThreadLoaded { messages } = ev.with_rewrite(&rewritten).unwrap() else { panic!() };
        assert_eq!(messages[0].content[0].text.as_deref(), Some("hi"));
    }

    #[test]
    fn view_change_uses_seed_names() {
        let ev = Event::ViewChange(ViewChange {
            reason: ViewChangeReason::ChatLoaded,
            old_view_state: ViewState::default(),
            new_view_state: ViewState::CLOSED,
        });
        assert_eq!(
            ev.to_value(),
            json!({"type": "view:change", "reason": "chatLoaded",
                   "oldViewState": {"launcher": false, "mainWindow": false},
                   "newViewState": {"launcher": true, "mainWindow": false}})
        );
        assert!(!ev.is_mutable());
    }

    #[test]
    fn the_name_list_matches_the_enum() {
        // Every name in EVENT_NAMES is distinct, and `name()` agrees with the serialized `type`.
        let samples = [
            Event::ChatReady,
            Event::RestartConversation,
            Event::PreRestartConversation { cancel: false },
            Event::AuthTokenNeeded { auth_token: None },
            Event::UnreadChange { count: 2 },
        ];
        for ev in samples {
            assert_eq!(ev.to_value()["type"], ev.name());
            assert!(EVENT_NAMES.contains(&ev.name()));
        }
        let mut names = EVENT_NAMES.to_vec();
        names.dedup();
        assert_eq!(names.len(), 28);
    }
}
