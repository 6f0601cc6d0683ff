//! The chat controller: the only code that changes [`ChatState`], and the only code that asks the
//! dispatcher to run events. Components call its intents (`open`, `send`, `feedback`, ...); host
//! methods (`instance.changeView(...)`) arrive here too, through [`crate::methods`].

use crate::agent::{Agent, AgentEvent, AgentRequest};
use crate::config::{Action, Config};
use crate::events::{
    ActionSource, ActionTriggered, AgentMessage, Attachment, ContentItem, Delta, DeltaItem, Dispatcher, EndReason,
    ErrorCode, Event, Feedback, MessageInput, OutgoingMessage, Runtime, StreamDelta, ThreadMessage, ViewChange,
    ViewChangeReason, ViewProperties, ViewState, WidgetError,
};
use crate::persist::{self, Snapshot};
use crate::state::{ChatState, Handoff, Message, Notice, Sender, Status};
use futures::StreamExt;
use futures::future::{AbortHandle, Abortable};
use futures::stream::LocalBoxStream;
use leptos::prelude::*;
use serde_json::{Map, Value, json};
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// The controller. Shared as `Rc<Chat>`; see [`ChatHandle`] for components.
pub struct Chat {
    /// The state components render. Its signals belong to the chat (not to a mounted view), so
    /// work still in flight after an unmount (a streaming reply) finds them alive.
    pub state: ChatState,
    owner: Owner,
    /// The event dispatcher.
    pub dispatcher: Dispatcher,
    /// The validated config.
    pub config: Config,
    rt: Rc<dyn Runtime>,
    agent: Rc<dyn Agent>,
    seq: Cell<u32>,
    auth_token: RefCell<Option<String>>,
    /// Deltas waiting for the next animation frame: (message id, text).
    pending: RefCell<Vec<(String, String)>>,
    flush_scheduled: Cell<bool>,
    /// The replies in progress, by delivery number: Stop aborts them all.
    in_flight: RefCell<Vec<(u32, AbortHandle)>>,
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
    /// A controller over fresh state.
    pub fn new(config: Config, dispatcher: Dispatcher, rt: Rc<dyn Runtime>, agent: Rc<dyn Agent>) -> Rc<Self> {
        dispatcher.set_timeout_ms(config.handler_timeout);
        dispatcher.update_context(|c| c.analytics_text = config.analytics.include_text);
        let owner = Owner::new();
        let state = owner.with(ChatState::new);
        state.user.set(config.user.clone());
        state.greeting.set(!config.greeting.is_empty());
        Rc::new(Chat {
            state,
            owner,
            dispatcher,
            auth_token: RefCell::new(config.auth_token.clone()),
            config,
            rt,
            agent,
            seq: Cell::new(0),
            pending: RefCell::default(),
            flush_scheduled: Cell::new(false),
            in_flight: RefCell::default(),
        })
    }

    /// Runs `f` under the chat's reactive owner (effects that sync the chat with the outside).
    pub fn with_owner<T>(&self, f: impl FnOnce() -> T) -> T {
        self.owner.with(f)
    }

    fn spawn(&self, fut: impl Future<Output = ()> + 'static) {
        self.rt.spawn(Box::pin(fut));
    }

    fn now(&self) -> f64 {
        self.rt.now_ms()
    }

    /// A fresh id, unique within the page.
    pub fn next_id(&self, prefix: &str) -> String {
        let n = self.seq.get() + 1;
        self.seq.set(n);
        format!("{prefix}-{:x}-{n}", self.now() as u64)
    }

    /// A random UUID (v4 layout), for conversation ids.
    pub fn uuid(&self) -> String {
        let mut hex = String::with_capacity(36);
        for i in 0..32 {
            let digit = match i {
                12 => 4,
                16 => 8 + (self.rt.random() * 4.0) as u32,
                _ => (self.rt.random() * 16.0) as u32,
            };
            if matches!(i, 8 | 12 | 16 | 20) {
                hex.push('-');
            }
            hex.push(char::from_digit(digit, 16).unwrap_or('0'));
        }
        hex
    }

    /// Runs the start-up sequence: `chat:loaded` (at `t0`); a stored conversation comes back
    /// through `pre:threadLoaded`; if the visibility rules pass for `page_url`, the launcher (or
    /// the window, if it was open) appears (`chatLoaded`) and `chat:visible`; then `chat:ready`.
    pub fn start(self: &Rc<Self>, t0: f64, page_url: &str, restored: Option<Snapshot>) {
        let this = self.clone();
        let (weekday, minute) = self.rt.local_time();
        let visible = self.config.visibility.allows(page_url, weekday, minute);
        self.dispatcher.post_at(Event::ChatLoaded { chat_instance_name: self.config.name.clone() }, t0);
        self.spawn(async move {
            let mut view = ViewState::CLOSED;
            if let Some(snapshot) = restored {
                this.state.conversation.set(snapshot.conversation_id.clone());
                this.state.ended.set(snapshot.ended);
                this.state.maximized.set(snapshot.maximized);
                if snapshot.view.main_window {
                    view = ViewState::OPEN;
                }
                this.load_thread_now(snapshot.messages).await;
            }
            if visible {
                this.change_view(view, ViewChangeReason::ChatLoaded).await;
                this.dispatcher.post(Event::ChatVisible { chat_instance_name: this.config.name.clone() });
            }
            this.state.ready.set(true);
            this.dispatcher.post(Event::ChatReady);
            if this.rt.online() {
                this.resend_queued();
            }
        });
    }

    /// Brings in another tab's stored conversation: messages merge by id (none is lost), the
    /// conversation id and its end follow.
    pub fn merge_remote(&self, remote: Snapshot) {
        let local: Vec<Message> = self.state.messages.get_untracked();
        let mut threads: Vec<ThreadMessage> = local.iter().filter_map(Message::to_thread).collect();
        if persist::merge(&mut threads, &remote.messages) {
            let mut merged = Vec::with_capacity(threads.len());
            for t in &threads {
                match local.iter().find(|m| m.id == t.id) {
                    Some(m) => {
                        if let Some(status) =
                            t.message_state.get("status").and_then(|s| s.as_str()).and_then(Status::parse)
                            && status != m.status.get_untracked()
                        {
                            m.status.set(status);
                        }
                        merged.push(m.clone());
                    }
                    None => match Message::from_thread(t) {
                        Ok(m) => merged.push(m),
                        Err(why) => self.report(ErrorCode::ProtocolError, format!("rejected a stored message: {why}")),
                    },
                }
            }
            // Notices (banners) are not stored: keep them after the message they followed.
            for (i, notice) in local.iter().enumerate().filter(|(_, m)| m.sender == Sender::System) {
                let after = local[..i].iter().rev().find(|m| m.sender != Sender::System).map(|m| m.id.clone());
                let at = after.and_then(|id| merged.iter().position(|m| m.id == id)).map(|p| p + 1).unwrap_or(0);
                merged.insert(at.min(merged.len()), notice.clone());
            }
            self.state.messages.set(merged);
        }
        if remote.conversation_id.is_some() && remote.conversation_id != self.state.conversation.get_untracked() {
            self.state.conversation.set(remote.conversation_id.clone());
        }
        if remote.ended
            && !self.state.ended.get_untracked()
            && remote.conversation_id == self.state.conversation.get_untracked()
        {
            self.state.ended.set(true);
        }
    }

    // ----- view -----------------------------------------------------------------------------

    /// Changes the view through `view:pre:change` (whose handlers may rewrite the new state)
    /// and `view:change`.
    pub async fn change_view(self: &Rc<Self>, to: ViewState, reason: ViewChangeReason) {
        let old = self.state.view.get_untracked();
        let pre = ViewChange { reason, old_view_state: old, new_view_state: to };
        let Event::ViewPreChange(pre) = self.dispatcher.emit(Event::ViewPreChange(pre)).await else { return };
        let old = self.state.view.get_untracked();
        let new = pre.new_view_state;
        if new == old {
            return;
        }
        self.state.view.set(new);
        if new.main_window {
            self.state.unread.set(0);
            self.state.greeting.set(false);
        }
        self.dispatcher.post(Event::ViewChange(ViewChange { reason, old_view_state: old, new_view_state: new }));
    }

    /// Changes the view in the background.
    pub fn set_view(self: &Rc<Self>, to: ViewState, reason: ViewChangeReason) {
        let this = self.clone();
        self.spawn(async move { this.change_view(to, reason).await });
    }

    /// Opens the main window (launcher click).
    pub fn open(self: &Rc<Self>) {
        self.set_view(ViewState::OPEN, ViewChangeReason::LauncherClicked);
    }

    /// Closes the main window (close button, Escape, minimize).
    pub fn close(self: &Rc<Self>, reason: ViewChangeReason) {
        self.set_view(ViewState::CLOSED, reason);
    }

    /// Maximizes or restores the window through `view:properties:pre:change` / `change`.
    pub fn set_maximized(self: &Rc<Self>, maximized: bool) {
        let this = self.clone();
        self.spawn(async move {
            if this.state.maximized.get_untracked() == maximized {
                return;
            }
            let pre = Event::ViewPropertiesPreChange { new_view_state: ViewProperties { maximized } };
            let Event::ViewPropertiesPreChange { new_view_state } = this.dispatcher.emit(pre).await else { return };
            if new_view_state.maximized == this.state.maximized.get_untracked() {
                return;
            }
            this.state.maximized.set(new_view_state.maximized);
            this.dispatcher.post(Event::ViewPropertiesChange { new_view_state });
        });
    }

    // ----- conversation ---------------------------------------------------------------------

    /// The current conversation id; starts a conversation (`conversation:started`) if none is
    /// running.
    fn conversation(&self) -> String {
        if let Some(id) = self.state.conversation.get_untracked()
            && !self.state.ended.get_untracked()
        {
            return id;
        }
        let id = self.uuid();
        self.state.conversation.set(Some(id.clone()));
        self.state.ended.set(false);
        self.dispatcher.post(Event::ConversationStarted { conversation_id: id.clone() });
        id
    }

    /// Ends the conversation (`conversation:ended`); the next message starts a new one.
    pub fn end_conversation(&self, reason: EndReason) {
        let Some(id) = self.state.conversation.get_untracked() else { return };
        if self.state.ended.get_untracked() {
            return;
        }
        self.state.ended.set(true);
        self.state.handoff.set(Handoff::None);
        self.state.typing.set(false);
        self.state.push(Message::notice(self.next_id("n"), self.now(), Notice::Ended));
        self.agent.reset();
        self.dispatcher.post(Event::ConversationEnded { conversation_id: id, reason });
    }

    /// Restarts: `pre:restartConversation` (a handler may cancel), the conversation ends and
    /// the list empties, then `restartConversation`.
    pub fn restart(self: &Rc<Self>) {
        let this = self.clone();
        self.spawn(async move {
            let pre = this.dispatcher.emit(Event::PreRestartConversation { cancel: false }).await;
            if matches!(pre, Event::PreRestartConversation { cancel: true }) {
                return;
            }
            if let Some(id) = this.state.conversation.get_untracked()
                && !this.state.ended.get_untracked()
            {
                this.dispatcher.post(Event::ConversationEnded { conversation_id: id, reason: EndReason::Restart });
            }
            this.state.messages.set(Vec::new());
            this.state.conversation.set(None);
            this.state.ended.set(false);
            this.state.handoff.set(Handoff::None);
            this.state.typing.set(false);
            this.agent.reset();
            this.dispatcher.post(Event::RestartConversation);
        });
    }

    /// Loads history through `pre:threadLoaded`. Messages that do not parse are rejected (an
    /// `error` with `PROTOCOL_ERROR`), the others render.
    pub fn load_thread(self: &Rc<Self>, messages: Vec<ThreadMessage>) {
        let this = self.clone();
        self.spawn(async move { this.load_thread_now(messages).await });
    }

    async fn load_thread_now(&self, messages: Vec<ThreadMessage>) {
        let Event::PreThreadLoaded { messages } = self.dispatcher.emit(Event::PreThreadLoaded { messages }).await
        else {
            return;
        };
        let mut loaded = Vec::with_capacity(messages.len());
        for m in &messages {
            match Message::from_thread(m) {
                Ok(m) => loaded.push(m),
                Err(why) => self.report(ErrorCode::ProtocolError, format!("rejected a thread message: {why}")),
            }
        }
        self.state.messages.set(loaded);
    }

    // ----- messages -------------------------------------------------------------------------

    /// Sends a user message: `pre:send` (may rewrite or cancel), the message appears, the agent
    /// gets it, `send` once the agent accepted it, then the reply streams in.
    pub fn send(self: &Rc<Self>, text: String, attachments: Vec<Attachment>) {
        if text.trim().is_empty() && attachments.is_empty() {
            return;
        }
        let this = self.clone();
        self.spawn(async move {
            let message = OutgoingMessage {
                id: this.next_id("u"),
                message: MessageInput { role: "user".into(), content: text },
                thread_id: this.conversation(),
                timestamp: this.now(),
                attachments,
            };
            let pre = this.dispatcher.emit(Event::PreSend { message, cancel: false }).await;
            let Event::PreSend { message, cancel } = pre else { return };
            if cancel || (message.message.content.trim().is_empty() && message.attachments.is_empty()) {
                return;
            }
            let mut shown =
                Message::new(&message.id, Sender::User, message.timestamp, &message.message.content, Status::Sending);
            shown.attachments = message.attachments.clone();
            this.state.push(shown.clone());
            this.deliver(shown, message).await;
        });
    }

    /// Sends a failed or queued message again (same id, so the server can tell a retry).
    pub fn retry(self: &Rc<Self>, id: &str) {
        let Some(shown) = self.state.message(id) else { return };
        if !matches!(shown.status.get_untracked(), Status::Failed | Status::Queued) {
            return;
        }
        let message = OutgoingMessage {
            id: shown.id.clone(),
            message: MessageInput { role: "user".into(), content: shown.text.get_untracked() },
            thread_id: self.conversation(),
            timestamp: shown.timestamp,
            attachments: shown.attachments.clone(),
        };
        shown.status.set(Status::Sending);
        let this = self.clone();
        self.spawn(async move { this.deliver(shown, message).await });
    }

    /// Sends every queued message (the browser is back online).
    pub fn resend_queued(self: &Rc<Self>) {
        let queued: Vec<String> = self.state.messages.with_untracked(|ms| {
            ms.iter().filter(|m| m.status.get_untracked() == Status::Queued).map(|m| m.id.clone()).collect()
        });
        for id in queued {
            self.retry(&id);
        }
    }

    /// Stops the replies in progress; what streamed so far stays.
    pub fn stop(&self) {
        for (_, handle) in self.in_flight.borrow_mut().drain(..) {
            handle.abort();
        }
        self.flush();
        self.state.typing.set(false);
        self.state.busy.set(false);
        self.state.messages.with_untracked(|ms| {
            for m in ms.iter().filter(|m| m.streaming.get_untracked()) {
                m.streaming.set(false);
            }
        });
    }

    async fn deliver(self: &Rc<Self>, shown: Message, message: OutgoingMessage) {
        let mut token = self.fresh_token().await;
        let mut outgoing = Some(message.clone());
        let (handle, registration) = AbortHandle::new_pair();
        let ticket = self.seq.get();
        self.seq.set(ticket + 1);
        self.in_flight.borrow_mut().push((ticket, handle));
        self.state.busy.set(true);
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
        let mut in_flight = self.in_flight.borrow_mut();
        in_flight.retain(|(t, _)| *t != ticket);
        if in_flight.is_empty() {
            self.state.busy.set(false);
            self.state.typing.set(false);
        }
    }

    /// The configured token, refreshed through `authTokenNeeded` if its `exp` has passed.
    async fn fresh_token(self: &Rc<Self>) -> Option<String> {
        let token = self.auth_token.borrow().clone()?;
        if !jwt_expired(&token, self.now()) {
            return Some(token);
        }
        self.refresh_token(Some(token)).await
    }

    /// Asks the host for a new token (`authTokenNeeded`); keeps it if one was set.
    pub async fn refresh_token(self: &Rc<Self>, expired: Option<String>) -> Option<String> {
        let pre = Event::AuthTokenNeeded { auth_token: expired.clone() };
        let Event::AuthTokenNeeded { auth_token } = self.dispatcher.emit(pre).await else { return expired };
        if auth_token.is_some() && auth_token != expired {
            *self.auth_token.borrow_mut() = auth_token.clone();
            return auth_token;
        }
        self.report(ErrorCode::AuthError, "the auth token expired and no handler provided a new one".into());
        expired
    }

    /// Replaces the auth token (`updateAuthToken`).
    pub fn set_auth_token(&self, token: Option<String>) {
        *self.auth_token.borrow_mut() = token;
    }

    async fn consume(
        self: &Rc<Self>,
        mut replies: LocalBoxStream<'static, AgentEvent>,
        sent: &Message,
        outgoing: &mut Option<OutgoingMessage>,
    ) -> Outcome {
        let thread_id = self.state.conversation.get_untracked().unwrap_or_default();
        let mut streamed: Option<AgentMessage> = None;
        while let Some(event) = replies.next().await {
            match event {
                AgentEvent::Accepted => {
                    if sent.status.get_untracked() != Status::Delivered {
                        sent.status.set(Status::Sent);
                    }
                    if let Some(message) = outgoing.take() {
                        self.dispatcher.post(Event::Send { message });
                    }
                }
                AgentEvent::Typing => self.state.typing.set(true),
                AgentEvent::Delta { message_id, text } => {
                    let so_far = streamed.get_or_insert_with(|| self.begin_stream(&message_id, &thread_id));
                    if so_far.id != message_id {
                        // A new reply in the same turn (after a handoff message, say).
                        *so_far = self.begin_stream(&message_id, &thread_id);
                    }
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
                        message: so_far.clone(),
                    };
                    let Event::PreStreamDelta(delta) = self.dispatcher.emit(Event::PreStreamDelta(delta)).await else {
                        continue;
                    };
                    let chunk: String = delta.delta.content.iter().map(|c| c.text.as_str()).collect();
                    if let Some(item) = so_far.content.first_mut() {
                        item.text.get_or_insert_with(String::new).push_str(&chunk);
                    }
                    self.append_delta(message_id, chunk);
                }
                AgentEvent::Message(message) => {
                    if sent.status.get_untracked() != Status::Failed {
                        sent.status.set(Status::Delivered);
                    }
                    streamed = None;
                    self.receive(message).await;
                }
                AgentEvent::Queued { position } => {
                    self.state.typing.set(false);
                    // A new transfer is announced once; later position updates only show.
                    let transferred = !matches!(self.state.handoff.get_untracked(), Handoff::Queued(_));
                    self.state.handoff.set(Handoff::Queued(position));
                    if transferred {
                        self.state.push(Message::notice(self.next_id("n"), self.now(), Notice::Queued(position)));
                        self.dispatcher.post(Event::HandoffQueued { conversation_id: thread_id.clone(), position });
                    }
                }
                AgentEvent::Connected { agent_name } => {
                    self.state.handoff.set(Handoff::Connected(agent_name.clone()));
                    self.state.push(Message::notice(
                        self.next_id("n"),
                        self.now(),
                        Notice::Connected(agent_name.clone()),
                    ));
                    self.dispatcher.post(Event::HandoffConnected { conversation_id: thread_id.clone(), agent_name });
                }
                AgentEvent::Ended => self.end_conversation(EndReason::Agent),
                AgentEvent::AuthExpired => return Outcome::AuthExpired,
                AgentEvent::Malformed(why) => {
                    self.report(ErrorCode::ProtocolError, format!("rejected a malformed event from the agent: {why}"))
                }
                AgentEvent::Error(error) => {
                    self.state.typing.set(false);
                    // Offline: queued, and sent again when the browser is back online.
                    let offline = error.code == ErrorCode::NetworkError;
                    if sent.status.get_untracked() != Status::Delivered {
                        sent.status.set(if offline { Status::Queued } else { Status::Failed });
                    }
                    if let Some(m) = streamed.take().and_then(|m| self.state.message(&m.id)) {
                        self.flush();
                        m.streaming.set(false);
                    }
                    self.dispatcher.post(Event::Error(error));
                }
            }
        }
        self.state.typing.set(false);
        Outcome::Finished
    }

    fn begin_stream(&self, message_id: &str, thread_id: &str) -> AgentMessage {
        self.state.typing.set(false);
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
    async fn receive(self: &Rc<Self>, message: AgentMessage) {
        self.state.typing.set(false);
        if let Err(why) = check_agent_message(&message) {
            if let Some(m) = self.state.message(&message.id) {
                m.streaming.set(false);
            }
            return self.report(ErrorCode::ProtocolError, format!("rejected a malformed agent message: {why}"));
        }
        let Event::PreReceive { message } = self.dispatcher.emit(Event::PreReceive { message }).await else { return };
        self.flush();
        let fresh = Message::from_agent(&message);
        match self.state.message(&message.id) {
            Some(m) => {
                m.text.set(fresh.text.get_untracked());
                m.items.set(fresh.items.get_untracked());
                m.streaming.set(false);
            }
            None => self.state.push(fresh),
        }
        if !self.state.view.get_untracked().main_window {
            self.state.unread.update(|n| *n += 1);
        }
        if message.from == crate::events::AgentKind::Human {
            // A human answering has read what the visitor wrote.
            self.state.messages.with_untracked(|ms| {
                for m in ms.iter().filter(|m| m.sender == Sender::User) {
                    if matches!(m.status.get_untracked(), Status::Sent | Status::Delivered) {
                        m.status.set(Status::Read);
                    }
                }
            });
        }
        let custom: Vec<ContentItem> = message.content.iter().filter(|c| !c.is_native()).cloned().collect();
        if !custom.is_empty() {
            // Let the message render first: the host gets a live element.
            self.rt.sleep(0).await;
            for item in custom {
                let element_id = user_defined_element_id(&message.id, &item.id);
                self.dispatcher.post(Event::UserDefinedResponse {
                    content_item: item,
                    message: message.clone(),
                    element_id,
                });
            }
        }
        self.dispatcher.post(Event::Receive { message });
    }

    /// Queues streamed text; it renders at the next animation frame, batched.
    fn append_delta(self: &Rc<Self>, message_id: String, text: String) {
        if text.is_empty() {
            return;
        }
        self.pending.borrow_mut().push((message_id, text));
        if !self.flush_scheduled.replace(true) {
            let this = self.clone();
            let frame = self.rt.next_frame();
            self.spawn(async move {
                frame.await;
                this.flush();
            });
        }
    }

    /// Renders every queued delta now: one signal update per message per frame.
    fn flush(&self) {
        self.flush_scheduled.set(false);
        let pending = std::mem::take(&mut *self.pending.borrow_mut());
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

    // ----- actions, forms, feedback, files, user --------------------------------------------

    /// A configured action was used: `data` holds form values (forms) or is empty.
    pub fn trigger_action(&self, action: &Action, mut data: Map<String, Value>) {
        match action.kind.as_str() {
            "link" => {
                data.insert("url".into(), json!(action.url.clone().unwrap_or_default()));
            }
            "button" => {
                data.insert("label".into(), json!(action.label.clone().unwrap_or_default()));
            }
            _ => {}
        }
        self.dispatcher.post(Event::ActionTriggered(ActionTriggered {
            action_id: action.id.clone(),
            action_type: action.kind.clone(),
            data,
            source: ActionSource::Config,
            content_item: None,
            message: None,
        }));
    }

    /// A button inside an agent response was clicked: `action:triggered` (and watsonx
    /// `customEvent`); `post_back` buttons also send their value as the visitor's reply.
    pub fn click_button(self: &Rc<Self>, message_id: &str, item: &ContentItem) {
        let Some(m) = self.state.message(message_id) else { return };
        let thread = self.state.conversation.get_untracked().unwrap_or_default();
        let value = item.value.clone().or_else(|| item.label.clone()).unwrap_or_default();
        let mut data = Map::new();
        data.insert("label".into(), json!(item.label.clone().unwrap_or_default()));
        data.insert("value".into(), json!(value));
        self.dispatcher.post(Event::ActionTriggered(ActionTriggered {
            action_id: value.clone(),
            action_type: "button".into(),
            data,
            source: ActionSource::Response,
            content_item: Some(item.clone()),
            message: Some(m.to_agent_message(&thread)),
        }));
        if item.button_type.as_deref() != Some("custom_event") {
            self.send(value, Vec::new());
        }
    }

    /// The lead form was submitted.
    pub fn submit_lead(&self, lead: Map<String, Value>) {
        self.dispatcher.post(Event::LeadCaptured { lead });
        self.state.push(Message::notice(self.next_id("n"), self.now(), Notice::LeadThanks));
    }

    /// Thumbs up or down (`interactionType: "button"`), or the details popup (`"details"`).
    pub fn feedback(&self, message_id: &str, is_positive: bool, details: Option<(String, Vec<String>)>) {
        let Some(m) = self.state.message(message_id) else { return };
        let thread = self.state.conversation.get_untracked().unwrap_or_default();
        let message = m.to_agent_message(&thread);
        m.feedback.set(Some(is_positive));
        let (interaction_type, text, categories) = match details {
            None => ("button", None, None),
            Some((text, categories)) => ("details", Some(text), Some(categories)),
        };
        self.dispatcher.post(Event::Feedback(Feedback {
            message_item: message.content[0].clone(),
            message,
            is_positive,
            interaction_type: interaction_type.into(),
            text,
            categories,
        }));
    }

    /// A file was attached (checked against the limits by the caller).
    pub fn attached(&self, file: Attachment) {
        self.dispatcher.post(Event::AttachmentUploaded(file));
    }

    /// Merges `changes` into the visitor's data (`updateUser`).
    pub fn update_user(&self, changes: Map<String, Value>) {
        let mut user = self.state.user.get_untracked();
        user.extend(changes);
        self.state.user.set(user.clone());
        self.dispatcher.post(Event::UserUpdated { user });
    }

    /// Reports a failure as an `error` event and on the console.
    pub fn report(&self, code: ErrorCode, message: String) {
        self.rt.console_error(&format!("Colloquy: {message}"));
        self.dispatcher.post(Event::Error(WidgetError::new(code, message)));
    }
}

/// The id of the element a `userDefinedResponse` handler renders into.
pub fn user_defined_element_id(message_id: &str, item_id: &str) -> String {
    let clean =
        |s: &str| s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect::<String>();
    format!("cq-ud-{}-{}", clean(message_id), clean(item_id))
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

/// Whether a JWT's `exp` (seconds) is at or before `now_ms`. Tokens that are not JWTs, or have
/// no `exp`, never expire here (the server decides with a 401).
pub fn jwt_expired(token: &str, now_ms: f64) -> bool {
    let Some(payload) = token.split('.').nth(1) else { return false };
    let Some(bytes) = base64url_decode(payload) else { return false };
    let Ok(claims) = serde_json::from_slice::<Value>(&bytes) else { return false };
    claims.get("exp").and_then(Value::as_f64).is_some_and(|exp| exp * 1000.0 <= now_ms)
}

/// Decodes unpadded base64url.
pub fn base64url_decode(input: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(input.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in input.bytes().filter(|&c| c != b'=') {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// The controller, as components get it from context.
#[derive(Clone, Copy)]
pub struct ChatHandle(StoredValue<Rc<Chat>, LocalStorage>);

impl ChatHandle {
    /// Wraps a controller for `provide_context`.
    pub fn new(chat: Rc<Chat>) -> Self {
        ChatHandle(StoredValue::new_local(chat))
    }

    /// The controller.
    pub fn get(&self) -> Rc<Chat> {
        self.0.get_value()
    }
}

/// The controller of the enclosing widget (a `Copy` handle, usable in view closures).
pub fn use_chat() -> ChatHandle {
    expect_context::<ChatHandle>()
}

#[cfg(test)]
mod tests;
