//! Agents: where replies come from. An agent turns one user message into a stream of
//! [`AgentEvent`]s; the chat controller consumes it.

pub mod demo;

use crate::events::{AgentMessage, WidgetError};
use futures::stream::LocalBoxStream;

/// A user message for the agent.
#[derive(Clone, Debug, PartialEq)]
pub struct AgentRequest {
    /// Conversation id.
    pub conversation_id: String,
    /// The user message id.
    pub message_id: String,
    /// The text, as it left `pre:send`.
    pub text: String,
}

/// What an agent reports while answering.
#[derive(Clone, Debug, PartialEq)]
pub enum AgentEvent {
    /// The agent is composing.
    Typing,
    /// A streamed chunk of the reply `message_id`.
    Delta {
        /// The reply being streamed.
        message_id: String,
        /// Incremental text.
        text: String,
    },
    /// The complete reply.
    Message(AgentMessage),
    /// The agent failed; the user message is marked failed.
    Error(WidgetError),
}

/// A source of replies.
pub trait Agent {
    /// Answers one user message.
    fn reply(&self, request: AgentRequest) -> LocalBoxStream<'static, AgentEvent>;
}
