//! The reply pipeline: a sent message goes to the agent, and what comes back (acceptance,
//! typing, deltas, the complete message, handoff, errors) becomes state and events.
//!
//! Cost is proportional to what arrives: a delta's `pre:stream:delta` payload carries the delta
//! only (the accumulated `message` travels once, empty, with the first delta; the host side
//! keeps it up to date, docs/bridge.md), deltas render once per animation frame, and the loop
//! hands the main thread back to the browser every few milliseconds however fast the agent
//! sends, so a long or fast reply never makes a long task.

use super::Chat;
use super::state::{Handoff, Message, Notice, Sender, Status};
use crate::agent::{AgentEvent, AgentRequest};
use crate::events::{
    AgentKind, AgentMessage, ContentItem, Delta, DeltaItem, EndReason, ErrorCode, Event, OutgoingMessage, StreamDelta,
    WidgetError,
};
use futures::StreamExt;
use futures::future::{AbortHandle, Abortable};
use futures::stream::LocalBoxStream;
use leptos::prelude::*;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// How long the pipeline works before it lets the browser run (ms): well under the 50 ms of a
/// long task, with room for the rendering that follows.
const SLICE_MS: f64 = 8.0;

/// The pipeline's own state, owned by [`Chat`].
#[derive(Default)]
pub(super) struct Pipeline {
    /// Deltas waiting for the next animation frame: (message id, text).
    pending: RefCell<Vec<(String, String)>>,
    flush_scheduled: Cell<bool>,
    /// The replies in progress, by ticket: Stop aborts them all.
    in_flight: RefCell<Vec<(u32, AbortHandle)>>,
    /// Tickets for replies in progress (one counter for this purpose only).
    tickets: Cell<u32>,
    /// When the current slice of work began (epoch ms).
    slice_start: Cell<f64>,
}

/// How one attempt at a reply ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    /// The stream ended (replied, or failed and reported).
    Finished,
    /// The server rejected the token.
    AuthExpired,
}

impl Chat {
    /// Hands `message` (shown as `shown`) to the agent and consumes the reply; one retry with a
    /// renewed token if the agent says the token expired. Stop aborts it.
    pub(super) async fn deliver(self: &Rc<Self>, shown: Message, message: OutgoingMessage) {
        let mut token = self.fresh_token().await;
        let mut outgoing = Some(message.clone());
        let (handle, registration) = AbortHandle::new_pair();
        let ticket = self.pipeline.tickets.get().wrapping_add(1);
        self.pipeline.tickets.set(ticket);
        self.pipeline.in_flight.borrow_mut().push((ticket, handle));
        self.state.set_busy.set(true);
        let this = self.clone();
        let attempts = async move {
            for attempt in 0..2 {
                let replies = this.agent.reply(AgentRequest {
                    conversation_id: message.thread_id.clone(),
                    message_id: message.id.clone(),
                    text: message.message.content.clone(),
                    auth_token: token.clone(),
                });
                if this.consume(replies, &shown, &mut outgoing).await == Outcome::Finished {
                    return;
                }
                if attempt == 0 {
                    token = this.refresh_token(token).await;
                } else {
                    shown.status.set(Status::Failed);
                    let error = WidgetError::new(ErrorCode::AuthError, "The agent rejected the new token too.");
                    this.dispatcher.post(Event::Error(error));
                }
            }
        };
        let _ = Abortable::new(attempts, registration).await;
        let mut in_flight = self.pipeline.in_flight.borrow_mut();
        in_flight.retain(|(t, _)| *t != ticket);
        if in_flight.is_empty() {
            self.state.set_busy.set(false);
            self.state.set_typing.set(false);
        }
    }

    /// Stops the replies in progress; what streamed so far stays.
    pub fn stop(&self) {
        for (_, handle) in self.pipeline.in_flight.borrow_mut().drain(..) {
            handle.abort();
        }
        self.flush();
        self.state.set_typing.set(false);
        self.state.set_busy.set(false);
        self.state.messages.with_untracked(|ms| {
            for m in ms.iter().filter(|m| m.streaming.get_untracked()) {
                m.streaming.set(false);
            }
        });
    }

    async fn consume(
        self: &Rc<Self>,
        mut replies: LocalBoxStream<'static, AgentEvent>,
        sent: &Message,
        outgoing: &mut Option<OutgoingMessage>,
    ) -> Outcome {
        let thread_id = self.state.conversation.get_untracked().unwrap_or_default();
        // The message being streamed, if any.
        let mut streamed: Option<String> = None;
        self.pipeline.slice_start.set(self.now());
        while let Some(event) = replies.next().await {
            match event {
                AgentEvent::Accepted => {
                    if sent.status.get_untracked() != Status::Delivered {
                        sent.status.set(Status::Sent);
                    }
                    if let Some(message) = outgoing.take() {
                        self.dispatcher.post(Event::Send { message });
                    }
                    if self.live_always() {
                        self.open_live();
                    }
                }
                AgentEvent::Typing => self.state.set_typing.set(true),
                AgentEvent::Delta { message_id, text } => {
                    // The first delta of a message (or of a new reply in the same turn, after a
                    // handoff message, say) starts it, and carries the message so far: empty.
                    let start = (streamed.as_deref() != Some(message_id.as_str()))
                        .then(|| self.begin_stream(&message_id, &thread_id));
                    streamed = Some(message_id.clone());
                    let delta = StreamDelta {
                        message_id: message_id.clone(),
                        thread_id: thread_id.clone(),
                        run_id: sent.id.clone(),
                        delta: Delta {
                            role: "assistant".into(),
                            content: vec![DeltaItem {
                                id: format!("{message_id}-0"),
                                response_type: "text".into(),
                                text,
                            }],
                        },
                        message: start,
                    };
                    let Event::PreStreamDelta(delta) = self.dispatcher.emit(Event::PreStreamDelta(delta)).await else {
                        continue;
                    };
                    let chunk: String = delta.delta.content.iter().map(|c| c.text.as_str()).collect();
                    self.append_delta(message_id, chunk);
                }
                AgentEvent::Message(message) => {
                    if sent.status.get_untracked() != Status::Failed {
                        sent.status.set(Status::Delivered);
                    }
                    streamed = None;
                    self.receive(message).await;
                }
                AgentEvent::Queued { position } => self.on_queued(position, &thread_id),
                AgentEvent::Connected { agent_name } => self.on_connected(agent_name, &thread_id),
                AgentEvent::Ended => self.end_conversation(EndReason::Agent),
                AgentEvent::AuthExpired => return Outcome::AuthExpired,
                AgentEvent::Malformed(why) => {
                    self.report(ErrorCode::ProtocolError, format!("rejected a malformed event from the agent: {why}"))
                }
                AgentEvent::Error(error) => {
                    self.state.set_typing.set(false);
                    // Offline: queued, and sent again when the browser is back online.
                    let offline = error.code == ErrorCode::NetworkError;
                    if sent.status.get_untracked() != Status::Delivered {
                        sent.status.set(if offline { Status::Queued } else { Status::Failed });
                    }
                    if let Some(m) = streamed.take().and_then(|id| self.state.message(&id)) {
                        self.flush();
                        m.streaming.set(false);
                    }
                    self.dispatcher.post(Event::Error(error));
                }
            }
            self.yield_if_due().await;
        }
        self.state.set_typing.set(false);
        Outcome::Finished
    }

    /// The conversation waits for a human (from a reply stream or the live one): a new transfer
    /// is announced once, later position updates only show; the live channel opens.
    pub(super) fn on_queued(self: &Rc<Self>, position: Option<u32>, thread_id: &str) {
        self.state.set_typing.set(false);
        let transferred = !matches!(self.state.handoff.get_untracked(), Handoff::Queued(_));
        self.state.set_handoff.set(Handoff::Queued(position));
        if transferred {
            self.push_notice(Notice::Queued(position));
            self.dispatcher.post(Event::HandoffQueued { conversation_id: thread_id.to_owned(), position });
        }
        self.open_live();
    }

    /// A human agent joined (from a reply stream or the live one).
    pub(super) fn on_connected(&self, agent_name: String, thread_id: &str) {
        self.state.set_handoff.set(Handoff::Connected(agent_name.clone()));
        self.push_notice(Notice::Connected(agent_name.clone()));
        self.dispatcher.post(Event::HandoffConnected { conversation_id: thread_id.to_owned(), agent_name });
    }

    /// Lets the browser run (input, rendering) once the current slice of work is used up.
    async fn yield_if_due(&self) {
        if self.now() - self.pipeline.slice_start.get() >= SLICE_MS {
            self.rt.yield_now().await;
            self.pipeline.slice_start.set(self.now());
        }
    }

    /// Starts rendering a streamed message; returns the message so far (no text yet).
    fn begin_stream(&self, message_id: &str, thread_id: &str) -> AgentMessage {
        self.state.set_typing.set(false);
        self.flush();
        match self.state.message(message_id) {
            // A retried reply (same id) replaces what streamed before the failure.
            Some(m) => {
                m.text.set(String::new());
                m.streaming.set(true);
            }
            None => {
                let m = Message::new(message_id, Sender::Agent, self.now(), "", Status::Delivered);
                m.streaming.set(true);
                self.state.push(m);
            }
        }
        AgentMessage {
            id: message_id.to_owned(),
            thread_id: thread_id.to_owned(),
            content: vec![ContentItem::text(format!("{message_id}-0"), "")],
            timestamp: self.now(),
            from: Default::default(),
            agent_name: None,
        }
    }

    /// A complete agent message: checked, `pre:receive`, rendered, `userDefinedResponse` for
    /// items the widget does not render, `receive`.
    pub(super) async fn receive(self: &Rc<Self>, message: AgentMessage) {
        self.state.set_typing.set(false);
        if let Err(why) = check_agent_message(&message) {
            if let Some(m) = self.state.message(&message.id) {
                m.streaming.set(false);
            }
            return self.report(ErrorCode::ProtocolError, format!("rejected a malformed agent message: {why}"));
        }
        let Event::PreReceive { message } = self.dispatcher.emit(Event::PreReceive { message }).await else { return };
        self.flush();
        self.live.messages.borrow_mut().note(&message.id);
        let fresh = Message::from_agent(&message);
        match self.state.message(&message.id) {
            Some(m) => {
                m.text.set(fresh.text.get_untracked());
                m.items.set(fresh.items.get_untracked());
                m.streaming.set(false);
            }
            None => self.state.push(fresh),
        }
        if message.from == AgentKind::Human {
            self.human_message(&message.id);
            // A human answering has read what the visitor wrote: the visitor's messages since the
            // last one already read (newest first, so the work is what is new, not the thread).
            self.state.messages.with_untracked(|ms| {
                for m in ms.iter().rev().filter(|m| m.sender == Sender::User) {
                    match m.status.get_untracked() {
                        Status::Read => break,
                        Status::Sent | Status::Delivered => m.status.set(Status::Read),
                        Status::Sending | Status::Failed | Status::Queued => {}
                    }
                }
            });
        }
        let custom: Vec<ContentItem> = message.content.iter().filter(|c| !c.is_native()).cloned().collect();
        if !custom.is_empty() {
            // Let the message render first: the host gets a live element.
            self.rt.sleep(0).await;
            for item in custom {
                let element_id = super::user_defined_element_id(&message.id, &item.id);
                self.dispatcher.post(Event::UserDefinedResponse {
                    content_item: item,
                    message: message.clone(),
                    element_id,
                });
            }
        }
        self.dispatcher.post(Event::Receive { message });
        // After `receive`: a host that counts what it was told sees the message, then the count.
        self.count_unread();
    }

    /// Queues streamed text; it renders at the next animation frame, batched.
    fn append_delta(self: &Rc<Self>, message_id: String, text: String) {
        if text.is_empty() {
            return;
        }
        self.pipeline.pending.borrow_mut().push((message_id, text));
        if !self.pipeline.flush_scheduled.replace(true) {
            let this = self.clone();
            let frame = self.rt.next_frame();
            self.spawn(async move {
                frame.await;
                this.flush();
            });
        }
    }

    /// Renders every queued delta now: one signal update per message per frame.
    pub(super) fn flush(&self) {
        self.pipeline.flush_scheduled.set(false);
        let pending = std::mem::take(&mut *self.pipeline.pending.borrow_mut());
        let mut batch: Vec<(String, String)> = Vec::new();
        for (id, text) in pending {
            match batch.last_mut() {
                Some((last, joined)) if *last == id => joined.push_str(&text),
                _ => batch.push((id, text)),
            }
        }
        for (id, text) in batch {
            if let Some(m) = self.state.message(&id) {
                m.text.update(|t| t.push_str(&text));
            }
        }
    }
}

/// Rejects agent messages the widget must not render.
pub fn check_agent_message(m: &AgentMessage) -> Result<(), String> {
    if m.id.is_empty() {
        return Err("it has no id".into());
    }
    if m.content.is_empty() {
        return Err(format!("message `{}` has no content", m.id));
    }
    for item in &m.content {
        if item.kind.is_empty() {
            return Err(format!("an item of `{}` has no type", m.id));
        }
        if item.kind == "button" && item.label.as_deref().unwrap_or("").is_empty() {
            return Err(format!("a button of `{}` has no label", m.id));
        }
    }
    Ok(())
}
