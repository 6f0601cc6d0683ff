//! The chat controller: the only code that changes [`ChatState`], and the only code that asks the
//! dispatcher to run events. Components call its intents (`open`, `send`, `feedback`, ...); host
//! methods (`instance.changeView(...)`) arrive here too, through [`crate::methods`].
//!
//! Submodules: [`state`] (the signals; their write halves are visible only in this module),
//! `reply` (the reply pipeline: delivery, streaming, receiving), [`tokens`] (the bearer token).

pub mod live;
mod reply;
pub mod state;
pub mod tokens;

pub use reply::check_agent_message;

use crate::agent::Agent;
use crate::config::{Action, ActionKind, Config};
use crate::events::{
    ActionSource, ActionTriggered, Attachment, ContentItem, Dispatcher, EndReason, ErrorCode, Event, Feedback,
    MessageInput, OutgoingMessage, Runtime, ThreadMessage, ViewChange, ViewChangeReason, ViewProperties, ViewState,
    WidgetError,
};
use crate::i18n::Locale;
use crate::persist::{self, Snapshot};
use leptos::prelude::*;
use reply::Pipeline;
use serde_json::{Map, Value, json};
use state::{ChatState, Handoff, Message, Notice, Sender, Status};
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// The controller. Shared as `Rc<Chat>`; see [`ChatHandle`] for components.
pub struct Chat {
    /// The state components render (read-only outside this module). Its signals belong to the
    /// chat (not to a mounted view), so work still in flight after an unmount (a streaming
    /// reply) finds them alive.
    pub state: ChatState,
    owner: Owner,
    /// The event dispatcher.
    pub dispatcher: Dispatcher,
    /// The validated config.
    pub config: Config,
    rt: Rc<dyn Runtime>,
    agent: Rc<dyn Agent>,
    /// Message and notice ids made in this page (one counter for this purpose only).
    message_ids: Cell<u32>,
    auth_token: RefCell<Option<String>>,
    pipeline: Pipeline,
    live: live::Live,
    /// The page is hidden (another tab, minimized): replies count as unread.
    page_hidden: Cell<bool>,
}

impl Chat {
    /// A controller over fresh state.
    pub fn new(config: Config, dispatcher: Dispatcher, rt: Rc<dyn Runtime>, agent: Rc<dyn Agent>) -> Rc<Self> {
        dispatcher.set_timeout_ms(config.handler_timeout);
        dispatcher.update_context(|c| c.analytics_text = config.analytics.include_text);
        let owner = Owner::new();
        let state = owner.with(ChatState::new);
        state.set_user.set(config.user.clone());
        state.set_greeting.set(!config.greeting.is_empty());
        let languages = crate::i18n::browser_languages();
        state
            .set_locale
            .set(config.locale.unwrap_or_else(|| crate::i18n::negotiate(languages.iter().map(String::as_str))));
        Rc::new(Chat {
            state,
            owner,
            dispatcher,
            auth_token: RefCell::new(config.auth_token.clone()),
            config,
            rt,
            agent,
            message_ids: Cell::new(0),
            pipeline: Pipeline::default(),
            live: live::Live::default(),
            page_hidden: Cell::new(false),
        })
    }

    /// Writes state directly, for fixtures (the demo gallery, tests); see [`state::Stage`].
    pub fn stage(&self, f: impl FnOnce(&state::Stage)) {
        f(&state::Stage(&self.state));
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

    /// A fresh message id, unique within the page: `<prefix>-<random>-<n>` (the random part
    /// keeps ids of two tabs of one conversation apart).
    fn next_message_id(&self, prefix: &str) -> String {
        let n = self.message_ids.get() + 1;
        self.message_ids.set(n);
        let mut bytes = [0u8; 4];
        self.rt.fill_random(&mut bytes);
        format!("{prefix}-{:08x}-{n}", u32::from_be_bytes(bytes))
    }

    /// Appends a system notice.
    fn push_notice(&self, notice: Notice) {
        self.state.push(Message::notice(self.next_message_id("n"), self.now(), notice));
    }

    /// A random UUID (version 4, from the platform's cryptographic random source), for
    /// conversation ids.
    fn uuid(&self) -> String {
        let mut b = [0u8; 16];
        self.rt.fill_random(&mut b);
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
        format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
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
                this.state.set_conversation.set(snapshot.conversation_id.clone());
                this.state.set_ended.set(snapshot.ended);
                this.state.set_maximized.set(snapshot.maximized);
                this.state.set_handoff.set(snapshot.handoff);
                this.set_unread(snapshot.unread);
                this.state.set_live_event_id.set(snapshot.last_event_id.clone());
                if snapshot.view.main_window {
                    view = ViewState::OPEN;
                }
                this.load_thread_now(snapshot.messages).await;
                if !snapshot.notices.is_empty() {
                    let loaded = this.state.messages.get_untracked();
                    this.state.set_messages.set(persist::place_notices(loaded, &snapshot.notices));
                }
            }
            if visible {
                this.change_view(view, ViewChangeReason::ChatLoaded).await;
                this.dispatcher.post(Event::ChatVisible { chat_instance_name: this.config.name.clone() });
            }
            this.state.set_ready.set(true);
            this.dispatcher.post(Event::ChatReady);
            // A reload mid-handoff (or with `agent.events: "always"`): the live channel resumes
            // from the last event processed.
            if this.state.handoff.get_untracked() != Handoff::None || this.live_always() {
                this.open_live();
            }
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
        let mut notices = persist::notices_of(&local);
        let known = notices.len();
        for n in &remote.notices {
            if !notices.iter().any(|l| l.id == n.id) {
                notices.push(n.clone());
            }
        }
        if persist::merge(&mut threads, &remote.messages) || notices.len() > known {
            let by_id: std::collections::HashMap<&str, &Message> = local.iter().map(|m| (m.id.as_str(), m)).collect();
            let mut merged = Vec::with_capacity(threads.len());
            for t in &threads {
                match by_id.get(t.id.as_str()) {
                    Some(m) => {
                        if let Some(status) = t.message_state.status
                            && status != m.status.get_untracked()
                        {
                            m.status.set(status);
                        }
                        merged.push((*m).clone());
                    }
                    None => match Message::from_thread(t) {
                        Ok(m) => merged.push(m),
                        Err(why) => self.report(ErrorCode::ProtocolError, format!("rejected a stored message: {why}")),
                    },
                }
            }
            // Notices (banners) go back after the message they followed, ours and theirs.
            self.state.set_messages.set(persist::place_notices(merged, &notices));
        }
        if remote.conversation_id.is_some()
            && remote.conversation_id == self.state.conversation.get_untracked()
            && remote.handoff != self.state.handoff.get_untracked()
        {
            self.state.set_handoff.set(remote.handoff.clone());
        }
        if remote.conversation_id.is_some() && remote.conversation_id != self.state.conversation.get_untracked() {
            self.state.set_conversation.set(remote.conversation_id.clone());
        }
        if remote.ended
            && !self.state.ended.get_untracked()
            && remote.conversation_id == self.state.conversation.get_untracked()
        {
            self.state.set_ended.set(true);
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
        self.state.set_view.set(new);
        if new.main_window {
            if !self.page_hidden.get() {
                self.set_unread(0);
                self.seen_by_visitor();
            }
            self.state.set_greeting.set(false);
        }
        self.dispatcher.post(Event::ViewChange(ViewChange { reason, old_view_state: old, new_view_state: new }));
    }

    /// The page was hidden or shown again (`visibilitychange`): while it is hidden, replies
    /// count as unread; shown again with the window open, the visitor sees them.
    pub fn page_visibility(&self, hidden: bool) {
        self.page_hidden.set(hidden);
        if !hidden && self.state.view.get_untracked().main_window {
            self.set_unread(0);
            self.seen_by_visitor();
        }
    }

    /// Counts an agent or human message that arrived where the visitor cannot see it (window
    /// closed, page hidden).
    pub(super) fn count_unread(&self) {
        if self.page_hidden.get() || !self.state.view.get_untracked().main_window {
            self.set_unread(self.state.unread.get_untracked().saturating_add(1));
        }
    }

    /// Sets the unread count; `unread:change` when it changed.
    fn set_unread(&self, count: u32) {
        if count != self.state.unread.get_untracked() {
            self.state.set_unread.set(count);
            self.dispatcher.post(Event::UnreadChange { count });
        }
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
            this.state.set_maximized.set(new_view_state.maximized);
            this.dispatcher.post(Event::ViewPropertiesChange { new_view_state });
        });
    }

    /// Hides the greeting bubble (its dismiss button).
    pub fn dismiss_greeting(&self) {
        self.state.set_greeting.set(false);
    }

    /// Changes the UI language (`setLocale`).
    pub fn set_locale(&self, locale: Locale) {
        self.state.set_locale.set(locale);
    }

    /// The host page's viewport changed (the layout follows).
    pub fn set_viewport(&self, width: f64, height: f64) {
        self.state.set_viewport.set((width, height));
    }

    // ----- conversation ---------------------------------------------------------------------

    /// The id of the running conversation; when none is running, starts one first (a new id and
    /// `conversation:started`).
    fn ensure_conversation(&self) -> String {
        if let Some(id) = self.state.conversation.get_untracked()
            && !self.state.ended.get_untracked()
        {
            return id;
        }
        let id = self.uuid();
        self.state.set_conversation.set(Some(id.clone()));
        self.state.set_ended.set(false);
        self.dispatcher.post(Event::ConversationStarted { conversation_id: id.clone() });
        id
    }

    /// Ends the conversation (`conversation:ended`); the next message starts a new one.
    pub fn end_conversation(&self, reason: EndReason) {
        let Some(id) = self.state.conversation.get_untracked() else { return };
        if self.state.ended.get_untracked() {
            return;
        }
        if reason != EndReason::Agent {
            self.ending_handoff();
        }
        self.state.set_ended.set(true);
        self.state.set_handoff.set(Handoff::None);
        self.state.set_typing.set(false);
        self.forget_live();
        self.push_notice(Notice::Ended);
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
                this.ending_handoff();
                this.dispatcher.post(Event::ConversationEnded { conversation_id: id, reason: EndReason::Restart });
            }
            this.state.set_messages.set(Vec::new());
            this.set_unread(0);
            this.state.set_conversation.set(None);
            this.state.set_ended.set(false);
            this.state.set_handoff.set(Handoff::None);
            this.state.set_typing.set(false);
            this.forget_live();
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
        self.state.set_messages.set(loaded);
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
                id: this.next_message_id("u"),
                message: MessageInput { role: "user".into(), content: text },
                thread_id: this.ensure_conversation(),
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
            thread_id: self.ensure_conversation(),
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

    // ----- actions, forms, feedback, files, user --------------------------------------------

    /// A configured action was used: `data` holds form values (forms) or is empty.
    pub fn trigger_action(&self, action: &Action, mut data: Map<String, Value>) {
        match action.kind {
            ActionKind::Link => {
                data.insert("url".into(), json!(action.url.clone().unwrap_or_default()));
            }
            ActionKind::Button => {
                data.insert("label".into(), json!(action.label.clone().unwrap_or_default()));
            }
            ActionKind::Form => {}
        }
        self.dispatcher.post(Event::ActionTriggered(ActionTriggered {
            action_id: action.id.clone(),
            action_type: action.kind.as_str().into(),
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
        self.push_notice(Notice::LeadThanks);
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
        self.state.set_user.set(user.clone());
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
