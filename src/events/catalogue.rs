//! The catalogue of canonical events: one enum, one serde payload per event.
//!
//! The serialized form of an [`Event`] is exactly what a native `instance.on(name, fn)` handler
//! receives (`type` plus the payload fields). For the seventeen events that watsonx Orchestrate
//! documents (seed 004) that is the watsonx shape; the other dialects are derived from it in
//! [`super::dialects`].

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Which of the two top-level parts of the widget are visible.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
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
}

/// Why the view changed (seed 004 lists the first four; `mainWindowClosed` is the close button
/// and Escape).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ViewChange {
    /// Why the view changes.
    pub reason: ViewChangeReason,
    /// The state before the change.
    pub old_view_state: ViewState,
    /// The state after the change; a `view:pre:change` handler may rewrite it.
    pub new_view_state: ViewState,
}

/// The user's text inside an outgoing message (`message.message` in seed 004).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MessageInput {
    /// Always `"user"`.
    pub role: String,
    /// The text; a `pre:send` handler may rewrite it.
    pub content: String,
}

/// The payload of `pre:send` and `send`: `message.message.content` is the text.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
}

/// One item of an agent message (`message.content[]` in seed 004).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContentItem {
    /// Item id.
    #[serde(default)]
    pub id: String,
    /// `text`, `button`, `user_defined`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// Text of the item, markdown for `text`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl ContentItem {
    /// A markdown text item.
    pub fn text(id: impl Into<String>, text: impl Into<String>) -> Self {
        ContentItem { id: id.into(), kind: "text".into(), text: Some(text.into()) }
    }
}

/// An agent (or human agent) message: the payload of `pre:receive` and `receive`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentMessage {
    /// Message id.
    pub id: String,
    /// Conversation (thread) id.
    pub thread_id: String,
    /// Content items; a `pre:receive` handler may rewrite them.
    pub content: Vec<ContentItem>,
    /// Epoch milliseconds.
    pub timestamp: f64,
}

impl AgentMessage {
    /// The text of all text items, joined by blank lines (what non-watsonx dialects report).
    pub fn plain_text(&self) -> String {
        let texts: Vec<&str> =
            self.content.iter().filter(|c| c.kind == "text").filter_map(|c| c.text.as_deref()).collect();
        texts.join("\n\n")
    }
}

/// One chunk of a streamed reply (`delta.content[]` in seed 004).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Delta {
    /// `assistant`.
    pub role: String,
    /// The chunk's items; a handler may set `[]` to suppress the chunk.
    pub content: Vec<DeltaItem>,
}

/// A `pre:stream:delta` payload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
    /// The message so far (all previous deltas accumulated).
    pub message: AgentMessage,
}

/// Error codes: the four of seed 002 and Colloquy's own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
}

/// The `error` payload (seed 002's `WidgetError`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WidgetError {
    /// Machine-readable code.
    pub code: ErrorCode,
    /// Human-readable message.
    pub message: String,
    /// Extra details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
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
    /// A new conversation began.
    #[serde(rename = "conversation:started", rename_all = "camelCase")]
    ConversationStarted {
        /// Conversation id.
        conversation_id: String,
    },
    /// Before a user message is sent; handlers may rewrite `message.message.content`, or set
    /// `cancel = true` to drop the message.
    #[serde(rename = "pre:send")]
    PreSend {
        /// The outgoing message.
        message: OutgoingMessage,
        /// Set by a handler to cancel the send.
        #[serde(skip_serializing_if = "is_false")]
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
    /// Something failed.
    #[serde(rename = "error")]
    Error(WidgetError),
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Event {
    /// The canonical name (the `type` field).
    pub fn name(&self) -> &'static str {
        match self {
            Event::ChatLoaded { .. } => "chat:loaded",
            Event::ChatVisible { .. } => "chat:visible",
            Event::ChatReady => "chat:ready",
            Event::ViewPreChange(_) => "view:pre:change",
            Event::ViewChange(_) => "view:change",
            Event::ConversationStarted { .. } => "conversation:started",
            Event::PreSend { .. } => "pre:send",
            Event::Send { .. } => "send",
            Event::PreStreamDelta(_) => "pre:stream:delta",
            Event::PreReceive { .. } => "pre:receive",
            Event::Receive { .. } => "receive",
            Event::Error(_) => "error",
        }
    }

    /// Whether handlers run before the change and may rewrite the payload.
    pub fn is_pre(&self) -> bool {
        self.name().contains("pre:")
    }

    /// The payload as a native handler sees it.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).expect("events always serialize")
    }

    /// Applies what a `pre:*` handler changed in `value` (the payload it was given). Only the
    /// documented mutable fields are read; a field of the wrong shape is an error and nothing is
    /// applied.
    pub fn with_rewrite(&self, value: &Value) -> Result<Event, String> {
        fn at<T: serde::de::DeserializeOwned>(value: &Value, pointer: &str) -> Result<T, String> {
            let field = value.pointer(pointer).ok_or_else(|| format!("`{}` is missing", dotted(pointer)))?;
            T::deserialize(field).map_err(|e| format!("`{}` is invalid: {e}", dotted(pointer)))
        }
        let mut event = self.clone();
        match &mut event {
            Event::PreSend { message, cancel } => {
                message.message.content = at(value, "/message/message/content")?;
                *cancel = value.get("cancel").and_then(Value::as_bool).unwrap_or(false);
            }
            Event::PreReceive { message } => message.content = at(value, "/message/content")?,
            Event::PreStreamDelta(delta) => {
                delta.delta.content = at(value, "/delta/content")?;
                // The seed's "best practices" also name `event.delta.text`: honour it when set.
                if let Some(text) = value.pointer("/delta/text").and_then(Value::as_str) {
                    let id = delta.delta.content.first().map(|c| c.id.clone()).unwrap_or_default();
                    delta.delta.content = vec![DeltaItem { id, response_type: "text".into(), text: text.into() }];
                }
            }
            Event::ViewPreChange(change) => change.new_view_state = at(value, "/newViewState")?,
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
    fn pre_send_serializes_in_the_watsonx_shape() {
        let ev = Event::PreSend {
            message: OutgoingMessage {
                id: "m1".into(),
                message: MessageInput { role: "user".into(), content: " hi ".into() },
                thread_id: "t1".into(),
                timestamp: 5.0,
            },
            cancel: false,
        };
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
            message: AgentMessage { id: "r".into(), thread_id: "t".into(), content: vec![], timestamp: 0.0 },
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
        assert!(!ev.is_pre());
    }
}
