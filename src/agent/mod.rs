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

/// A source of replies.
pub trait Agent {
    /// Answers one user message.
    fn reply(&self, request: AgentRequest) -> LocalBoxStream<'static, AgentEvent>;

    /// Forgets the conversation (restart); the next message starts afresh.
    fn reset(&self) {}
}
