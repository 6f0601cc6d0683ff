//! Agents: where replies come from. An agent turns one user message into a stream of
//! [`AgentEvent`]s; the chat controller consumes it.

pub mod demo;
pub mod http;
pub mod sse;

use crate::events::{AgentMessage, WidgetError};
use futures::stream::LocalBoxStream;

/// A user message for the agent.
#[derive(Clone, Debug, PartialEq)]
pub struct AgentRequest {
    /// Conversation id.
    pub conversation_id: String,
    /// The user message id (a retry keeps it).
    pub message_id: String,
    /// The text, as it left `pre:send`.
    pub text: String,
    /// The bearer token, when the host configured one.
    pub auth_token: Option<String>,
}

/// What an agent reports while answering.
#[derive(Clone, Debug, PartialEq)]
pub enum AgentEvent {
    /// The agent accepted the message.
    Accepted,
    /// The agent is composing.
    Typing,
    /// A streamed chunk of the reply `message_id`.
    Delta {
        /// The reply being streamed.
        message_id: String,
        /// Incremental text.
        text: String,
    },
    /// A complete reply (after its deltas, if it streamed).
    Message(AgentMessage),
    /// The conversation waits for a human agent.
    Queued {
        /// Place in the queue, when known.
        position: Option<u32>,
    },
    /// A human agent joined.
    Connected {
        /// The agent's display name.
        agent_name: String,
    },
    /// The agent ended the conversation.
    Ended,
    /// The agent failed; the user message is marked failed.
    Error(WidgetError),
    /// The server rejected the token (HTTP 401): the chat asks the host for a new one
    /// (`authTokenNeeded`) and retries once.
    AuthExpired,
    /// A malformed event in the stream: rejected (reported, not rendered); the reply goes on.
    Malformed(String),
}

/// What the widget asks for when it opens a conversation's live event stream.
#[derive(Clone, Debug, PartialEq)]
pub struct LiveRequest {
    /// Conversation id.
    pub conversation_id: String,
    /// The id of the last event processed (sent as `Last-Event-ID`), if any.
    pub last_event_id: Option<String>,
    /// The bearer token, when the host configured one.
    pub auth_token: Option<String>,
}

/// What one connection of the live event stream reports (docs/agent-protocol.md, "How the
/// widget uses the event stream"). The connection ends after `Dropped`, `AuthExpired` or
/// `Refused`; the chat decides whether and when to reconnect.
#[derive(Clone, Debug, PartialEq)]
pub enum LiveEvent {
    /// The server answered with an event stream: the connection is up.
    Opened,
    /// An event, with its `id:` when it had one.
    Event {
        /// The SSE `id:`.
        id: Option<String>,
        /// The event, as on a reply stream.
        event: AgentEvent,
    },
    /// A read receipt: the visitor's messages up to `message_id` were read.
    Read {
        /// The SSE `id:`.
        id: Option<String>,
        /// The visitor's message read last.
        message_id: String,
    },
    /// The connection dropped or could not be made: reconnect, no sooner than `retry_after_ms`
    /// when the server said so (`Retry-After`).
    Dropped {
        /// Why, for the console.
        why: String,
        /// The server's `Retry-After`, in ms.
        retry_after_ms: Option<u32>,
    },
    /// The server rejected the token (HTTP 401).
    AuthExpired,
    /// The server refused the stream for good (`403`, `404`, another `4xx`, not an event stream):
    /// reported to the host, no reconnect.
    Refused(WidgetError),
}

/// What the visitor does that the person on a hand-off sees (docs/agent-protocol.md, "The
/// visitor's side").
#[derive(Clone, Debug, PartialEq)]
pub enum VisitorSignal {
    /// The visitor is typing.
    Typing,
    /// The visitor has read the person's messages up to and including this one.
    Read {
        /// The person's message read last.
        message_id: String,
    },
    /// The visitor or the host page ended the conversation while it was queued for or with a
    /// person.
    End,
}

/// A [`VisitorSignal`] for one conversation.
#[derive(Clone, Debug, PartialEq)]
pub struct SignalRequest {
    /// Conversation id.
    pub conversation_id: String,
    /// The bearer token, when the host configured one.
    pub auth_token: Option<String>,
    /// What the visitor did.
    pub signal: VisitorSignal,
}

/// A source of replies.
pub trait Agent {
    /// Answers one user message.
    fn reply(&self, request: AgentRequest) -> LocalBoxStream<'static, AgentEvent>;

    /// Opens one connection of the conversation's live event stream; `None`: this agent has no
    /// live channel (the demo agent plays a handoff inside its replies).
    fn events(&self, request: LiveRequest) -> Option<LocalBoxStream<'static, LiveEvent>> {
        let _ = request;
        None
    }

    /// Tells the people on a hand-off what the visitor does, best effort (nothing is retried:
    /// a signal that does not arrive is superseded by the next); agents without a live channel
    /// ignore it.
    fn signal(&self, request: SignalRequest) {
        let _ = request;
    }

    /// Forgets the conversation (restart); the next message starts afresh.
    fn reset(&self) {}
}
