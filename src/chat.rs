//! The chat controller: the only code that changes [`ChatState`], and the only code that asks the
//! dispatcher to run events. Components call its intents (`open`, `send`, ...); host methods
//! arrive here too.

use crate::agent::{Agent, AgentEvent, AgentRequest};
use crate::config::Config;
use crate::events::{
    AgentMessage, ContentItem, Delta, DeltaItem, Dispatcher, Event, MessageInput, OutgoingMessage, Runtime,
    StreamDelta, ViewChange, ViewChangeReason, ViewState,
};
use crate::state::{ChatState, Message, Sender, Status};
use futures::StreamExt;
use leptos::prelude::*;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// The controller. Shared as `Rc<Chat>`; see [`ChatHandle`] for components.
pub struct Chat {
    /// The state components render.
    pub state: ChatState,
    /// The event dispatcher.
    pub dispatcher: Dispatcher,
    /// The validated config.
    pub config: Config,
    rt: Rc<dyn Runtime>,
    agent: Rc<dyn Agent>,
    seq: Cell<u32>,
    /// Deltas waiting for the next animation frame: (message id, text).
    pending: RefCell<Vec<(String, String)>>,
    flush_scheduled: Cell<bool>,
}

impl Chat {
    /// A controller over fresh state.
    pub fn new(config: Config, dispatcher: Dispatcher, rt: Rc<dyn Runtime>, agent: Rc<dyn Agent>) -> Rc<Self> {
        dispatcher.set_timeout_ms(config.handler_timeout);
        dispatcher.update_context(|c| c.instance_name = config.name.clone());
        Rc::new(Chat {
            state: ChatState::new(),
            dispatcher,
            config,
            rt,
            agent,
            seq: Cell::new(0),
            pending: RefCell::default(),
            flush_scheduled: Cell::new(false),
        })
    }

    fn spawn(&self, fut: impl Future<Output = ()> + 'static) {
        self.rt.spawn(Box::pin(fut));
    }

    /// A fresh id, unique within the page.
    pub fn next_id(&self, prefix: &str) -> String {
        let n = self.seq.get() + 1;
        self.seq.set(n);
        format!("{prefix}-{:x}-{n}", self.rt.now_ms() as u64)
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

    /// Runs the start-up sequence: `chat:loaded` (at `t0`), the launcher appears
    /// (`chatLoaded`), `chat:visible`, then `chat:ready`.
    pub fn start(self: &Rc<Self>, t0: f64) {
        let this = self.clone();
        self.dispatcher.post_at(Event::ChatLoaded { chat_instance_name: self.config.name.clone() }, t0);
        self.spawn(async move {
            this.change_view(ViewState::CLOSED, ViewChangeReason::ChatLoaded).await;
            this.dispatcher.post(Event::ChatVisible { chat_instance_name: this.config.name.clone() });
            this.state.ready.set(true);
            this.dispatcher.post(Event::ChatReady);
        });
    }

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
        self.dispatcher.post(Event::ViewChange(ViewChange { reason, old_view_state: old, new_view_state: new }));
    }

    /// Opens the main window (launcher click).
    pub fn open(self: &Rc<Self>) {
        let this = self.clone();
        self.spawn(async move { this.change_view(ViewState::OPEN, ViewChangeReason::LauncherClicked).await });
    }

    /// Closes the main window (close button, Escape, minimize).
    pub fn close(self: &Rc<Self>, reason: ViewChangeReason) {
        let this = self.clone();
        self.spawn(async move { this.change_view(ViewState::CLOSED, reason).await });
    }

    /// The current conversation id; starts a conversation (`conversation:started`) if none.
    fn conversation(&self) -> String {
        if let Some(id) = self.state.conversation.get_untracked() {
            return id;
        }
        let id = self.uuid();
        self.state.conversation.set(Some(id.clone()));
        self.dispatcher.update_context(|c| c.conversation_id = Some(id.clone()));
        self.dispatcher.post(Event::ConversationStarted { conversation_id: id.clone() });
        id
    }

    /// Sends a user message: `pre:send` (may rewrite or cancel), the message appears, the agent
    /// gets it, `send`, then the reply streams in.
    pub fn send(self: &Rc<Self>, text: String) {
        if text.trim().is_empty() {
            return;
        }
        let this = self.clone();
        self.spawn(async move {
            let message = OutgoingMessage {
                id: this.next_id("u"),
                message: MessageInput { role: "user".into(), content: text },
                thread_id: this.conversation(),
                timestamp: this.rt.now_ms(),
            };
            let Event::PreSend { message, cancel } =
                this.dispatcher.emit(Event::PreSend { message, cancel: false }).await
            else {
                return;
            };
            if cancel || message.message.content.trim().is_empty() {
                return;
            }
            let shown =
                Message::new(&message.id, Sender::User, message.timestamp, &message.message.content, Status::Sending);
            this.state.messages.update(|ms| ms.push(shown.clone()));
            let replies = this.agent.reply(AgentRequest {
                conversation_id: message.thread_id.clone(),
                message_id: message.id.clone(),
                text: message.message.content.clone(),
            });
            shown.status.set(Status::Sent);
            let thread_id = message.thread_id.clone();
            this.dispatcher.post(Event::Send { message });
            this.consume(replies, shown, thread_id).await;
        });
    }

    async fn consume(
        self: &Rc<Self>,
        mut replies: futures::stream::LocalBoxStream<'static, AgentEvent>,
        sent: Message,
        thread_id: String,
    ) {
        let mut streamed: Option<AgentMessage> = None;
        while let Some(event) = replies.next().await {
            match event {
                AgentEvent::Typing => self.state.typing.set(true),
                AgentEvent::Delta { message_id, text } => {
                    let so_far = streamed.get_or_insert_with(|| {
                        self.state.typing.set(false);
                        let m = Message::new(&message_id, Sender::Agent, self.rt.now_ms(), "", Status::Delivered);
                        m.streaming.set(true);
                        self.state.messages.update(|ms| ms.push(m));
                        AgentMessage {
                            id: message_id.clone(),
                            thread_id: thread_id.clone(),
                            content: vec![ContentItem::text(format!("{message_id}-0"), "")],
                            timestamp: self.rt.now_ms(),
                        }
                    });
                    let delta = StreamDelta {
                        message_id: message_id.clone(),
                        thread_id: so_far.thread_id.clone(),
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
                    self.state.typing.set(false);
                    sent.status.set(Status::Delivered);
                    let Event::PreReceive { message } = self.dispatcher.emit(Event::PreReceive { message }).await
                    else {
                        continue;
                    };
                    self.flush();
                    let text = message.plain_text();
                    match self.state.message(&message.id) {
                        Some(m) => {
                            m.text.set(text);
                            m.streaming.set(false);
                        }
                        None => {
                            let m =
                                Message::new(&message.id, Sender::Agent, message.timestamp, text, Status::Delivered);
                            self.state.messages.update(|ms| ms.push(m));
                        }
                    }
                    streamed = None;
                    self.dispatcher.post(Event::Receive { message });
                }
                AgentEvent::Error(error) => {
                    self.state.typing.set(false);
                    sent.status.set(Status::Failed);
                    self.dispatcher.post(Event::Error(error));
                }
            }
        }
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

    /// Renders every queued delta now.
    fn flush(&self) {
        self.flush_scheduled.set(false);
        let pending = std::mem::take(&mut *self.pending.borrow_mut());
        let mut target: Option<Message> = None;
        for (id, text) in pending {
            if target.as_ref().map(|m| m.id != id).unwrap_or(true) {
                target = self.state.message(&id);
            }
            if let Some(m) = &target {
                m.text.update(|t| t.push_str(&text));
            }
        }
    }
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
