//! The controller: the signed-in agent, the inbox (queue and mine), the open conversation, and
//! every call to the agent API. Components read its signals and call its methods; nothing else
//! calls the API (one direction of flow: component -> controller -> API, the event stream ->
//! controller -> signals).

use crate::api::{Api, ApiError, StreamEnd};
use crate::model::{Author, List, Message, Status, Summary, Thread, Throttle};
use crate::session;
use colloquy::agent::sse::SseEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

/// A visitor's typing indicator lapses this long after their last typing event (the server
/// sends at most one per 2 s while they type).
pub const TYPING_LAPSE: Duration = Duration::from_secs(5);
/// The console tells the server the agent is typing at most this often (ms).
pub const TYPING_EVERY_MS: f64 = 2000.0;
/// Longest wait between two attempts to reopen the event stream.
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// The signed-in agent.
#[derive(Clone, Debug, PartialEq)]
pub struct Me {
    /// The token's subject.
    pub sub: String,
    /// The name visitors see.
    pub name: String,
}

/// The event stream's state, shown in the header.
#[derive(Clone, Debug, PartialEq)]
pub enum Link {
    /// Opening.
    Connecting,
    /// Open: the inbox is live.
    Live,
    /// Dropped; the next attempt is on its way (why it dropped).
    Reconnecting(String),
}

/// A message of the agent's on its way (or failed).
#[derive(Clone, Debug, PartialEq)]
pub struct Pending {
    /// The message id (kept for a retry: the same message).
    pub id: String,
    /// What it says.
    pub text: String,
    /// Why it failed (`None`: sending).
    pub failed: Option<String>,
}

/// One conversation the console knows, each part its own signal (a message in one conversation
/// re-renders nothing of the others).
#[derive(Clone)]
pub struct Conv {
    /// The conversation id.
    pub id: Arc<str>,
    /// Its summary.
    pub summary: ArcRwSignal<Summary>,
    /// Its messages.
    pub thread: ArcRwSignal<Thread>,
    /// The agent's messages being sent.
    pub pending: ArcRwSignal<Vec<Pending>>,
    /// The visitor is typing.
    pub typing: ArcRwSignal<bool>,
    /// Visitor messages not seen yet (another conversation was open).
    pub unread: ArcRwSignal<u32>,
    /// The visitor has read the agents' messages up to this id.
    pub read_upto: ArcRwSignal<Option<String>>,
    typing_generation: Arc<AtomicU32>,
    loaded: Arc<AtomicBool>,
}

impl PartialEq for Conv {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Conv {
    fn new(summary: Summary) -> Conv {
        Conv {
            id: summary.id.as_str().into(),
            summary: ArcRwSignal::new(summary),
            thread: ArcRwSignal::new(Thread::default()),
            pending: ArcRwSignal::new(Vec::new()),
            typing: ArcRwSignal::new(false),
            unread: ArcRwSignal::new(0),
            read_upto: ArcRwSignal::new(None),
            typing_generation: Arc::default(),
            loaded: Arc::default(),
        }
    }

    fn merge(&self, messages: Option<&Value>) {
        let Some(list) = messages.and_then(Value::as_array) else { return };
        self.thread.update(|t| {
            for m in list.iter().filter_map(Message::from_json) {
                t.add(m);
            }
        });
        self.loaded.store(true, Ordering::Relaxed);
    }
}

/// The console's state and actions (a `Copy` handle; see [`use_console`]).
#[derive(Clone, Copy)]
pub struct Console {
    /// The API with the signed-in agent's token (`None`: signed out).
    pub api: RwSignal<Option<Api>>,
    /// The signed-in agent.
    pub me: RwSignal<Option<Me>>,
    /// A sign-in is being checked.
    pub signing_in: RwSignal<bool>,
    /// Why the last sign-in failed, or why the agent was signed out.
    pub sign_in_error: RwSignal<Option<String>>,
    /// The event stream's state.
    pub link: RwSignal<Link>,
    /// Queued conversations, oldest first.
    pub queue: RwSignal<Vec<Conv>>,
    /// The agent's conversations, most recent first.
    pub mine: RwSignal<Vec<Conv>>,
    /// The open conversation.
    pub selected: RwSignal<Option<Conv>>,
    /// Something the agent must see (a failed take, send or end): shown as an alert.
    pub notice: RwSignal<Option<String>>,
    /// Polite announcements for screen readers (a new conversation, a message elsewhere).
    pub announce: RwSignal<String>,
    /// The conversation whose reply box should take the focus (after a take); the composer
    /// clears it.
    pub focus_reply: RwSignal<Option<Arc<str>>>,
    convs: StoredValue<HashMap<String, Conv>>,
    stream: StoredValue<Option<web_sys::AbortController>, LocalStorage>,
    generation: StoredValue<u32>,
    typing_throttle: StoredValue<Throttle>,
}

/// The console of this app (provided by `App`).
pub fn use_console() -> Console {
    expect_context::<Console>()
}

fn now() -> f64 {
    js_sys::Date::now()
}

impl Default for Console {
    fn default() -> Self {
        Self::new()
    }
}

impl Console {
    /// A signed-out console.
    pub fn new() -> Console {
        Console {
            api: RwSignal::new(None),
            me: RwSignal::new(None),
            signing_in: RwSignal::new(false),
            sign_in_error: RwSignal::new(None),
            link: RwSignal::new(Link::Connecting),
            queue: RwSignal::new(Vec::new()),
            mine: RwSignal::new(Vec::new()),
            selected: RwSignal::new(None),
            notice: RwSignal::new(None),
            announce: RwSignal::new(String::new()),
            focus_reply: RwSignal::new(None),
            convs: StoredValue::new(HashMap::new()),
            stream: StoredValue::new_local(None),
            generation: StoredValue::new(0),
            typing_throttle: StoredValue::new(Throttle::default()),
        }
    }

    /// Signs in with the token this tab saved earlier, if any.
    pub fn resume(self) {
        if let Some(token) = session::saved() {
            self.sign_in(token);
        }
    }

    /// Checks `token` with the server (`GET /agent/conversations`); on success keeps it for this
    /// tab and opens the event stream, else says why it was refused.
    pub fn sign_in(self, token: String) {
        let token = token.trim().to_owned();
        if token.is_empty() {
            self.sign_in_error.set(Some("Paste an agent token first.".into()));
            return;
        }
        let api = Api::new(&token);
        self.signing_in.set(true);
        self.sign_in_error.set(None);
        spawn_local(async move {
            let result = api.inbox().await;
            self.signing_in.set(false);
            match result {
                Ok(inbox) => {
                    session::save(&token);
                    self.api.set(Some(api));
                    self.apply_snapshot(&inbox);
                    self.open_stream();
                }
                Err(e) => {
                    session::forget();
                    self.sign_in_error.set(Some(format!("Sign-in refused: {}", e.describe())));
                }
            }
        });
    }

    /// Signs out (with `why`, shown on the sign-in form): stops the stream, forgets the token
    /// and the inbox.
    pub fn sign_out(self, why: Option<String>) {
        self.generation.update_value(|g| *g += 1);
        if let Some(c) = self.stream.try_update_value(Option::take).flatten() {
            c.abort();
        }
        session::forget();
        self.api.set(None);
        self.me.set(None);
        self.queue.set(Vec::new());
        self.mine.set(Vec::new());
        self.selected.set(None);
        self.notice.set(None);
        self.convs.update_value(HashMap::clear);
        self.sign_in_error.set(why);
    }

    fn refused(self, e: &ApiError) -> bool {
        if e.is_auth() {
            self.sign_out(Some(format!("Signed out: {}", e.describe())));
            return true;
        }
        false
    }

    fn open_stream(self) {
        let Some(api) = self.api.get_untracked() else { return };
        let generation = self.generation.get_value();
        spawn_local(async move {
            let mut backoff = Duration::from_secs(1);
            loop {
                let Ok(controller) = web_sys::AbortController::new() else { return };
                let signal = controller.signal();
                self.stream.set_value(Some(controller));
                self.link.set(Link::Connecting);
                let opened = || {
                    self.link.set(Link::Live);
                };
                let end = api.events(&signal, opened, |event| self.apply(&event)).await;
                if self.generation.try_get_value() != Some(generation) {
                    return;
                }
                match end {
                    StreamEnd::Aborted => return,
                    StreamEnd::Refused(e) => {
                        self.sign_out(Some(format!("Signed out: {}", e.describe())));
                        return;
                    }
                    StreamEnd::Dropped(why) => {
                        if self.link.get_untracked() == Link::Live {
                            backoff = Duration::from_secs(1);
                        }
                        self.link.set(Link::Reconnecting(why));
                        gloo_timers::future::sleep(backoff).await;
                        backoff = (backoff * 2).min(MAX_BACKOFF);
                        if self.generation.try_get_value() != Some(generation) {
                            return;
                        }
                    }
                }
            }
        });
    }

    /// Applies one event of the console's stream.
    pub fn apply(self, event: &SseEvent) {
        let Ok(data) = serde_json::from_str::<Value>(&event.data) else { return };
        match event.event.as_str() {
            "snapshot" => self.apply_snapshot(&data),
            "conversation" => {
                self.apply_summary(&data, true);
            }
            "message" => self.apply_message(&data),
            "typing" => self.apply_typing(&data),
            "read" => self.apply_read(&data),
            _ => {}
        }
    }

    fn conv(self, summary: Summary) -> Conv {
        let id = summary.id.clone();
        if let Some(c) = self.convs.with_value(|m| m.get(&id).cloned()) {
            if c.summary.with_untracked(|s| *s != summary) {
                c.summary.set(summary);
            }
            return c;
        }
        let c = Conv::new(summary);
        self.convs.update_value(|m| {
            m.insert(id, c.clone());
        });
        c
    }

    fn known(self, id: &str) -> Option<Conv> {
        self.convs.with_value(|m| m.get(id).cloned())
    }

    fn my_sub(self) -> String {
        self.me.with_untracked(|m| m.as_ref().map(|m| m.sub.clone()).unwrap_or_default())
    }

    /// Replaces the inbox with `GET /agent/conversations`' answer (or a `snapshot`).
    fn apply_snapshot(self, inbox: &Value) {
        if let Some(agent) = inbox.get("agent") {
            let field = |k: &str| agent.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
            let me = Me { sub: field("sub"), name: field("name") };
            if self.me.with_untracked(|m| m.as_ref() != Some(&me)) {
                self.me.set(Some(me));
            }
        }
        let list = |key: &str| -> Vec<Conv> {
            let items = inbox.get(key).and_then(Value::as_array).cloned().unwrap_or_default();
            items
                .iter()
                .filter_map(|v| {
                    let c = self.conv(Summary::from_json(v)?);
                    c.merge(v.get("messages"));
                    Some(c)
                })
                .collect()
        };
        self.queue.set(list("queue"));
        self.mine.set(list("mine"));
        // The open conversation may have changed while the stream was away.
        if let Some(open) = self.selected.get_untracked() {
            let listed =
                self.queue.with_untracked(|q| q.contains(&open)) || self.mine.with_untracked(|m| m.contains(&open));
            if !listed {
                self.load(open);
            }
        }
    }

    /// Puts the conversation in its list (or out of both), in the list's order.
    fn place(self, c: &Conv) {
        let me = self.my_sub();
        let summary = c.summary.get_untracked();
        let target = summary.list(&me);
        for (list, signal) in [(List::Queue, self.queue), (List::Mine, self.mine)] {
            let present = signal.with_untracked(|l| l.contains(c));
            match (target == Some(list), present) {
                (false, true) => signal.update(|l| l.retain(|x| x != c)),
                (true, false) => signal.update(|l| {
                    l.push(c.clone());
                    match list {
                        List::Queue => l.sort_by(|a, b| {
                            let at = |x: &Conv| x.summary.with_untracked(|s| s.queued_at.unwrap_or(s.updated_at));
                            at(a).total_cmp(&at(b))
                        }),
                        List::Mine => l.sort_by(|a, b| {
                            let at = |x: &Conv| x.summary.with_untracked(|s| s.updated_at);
                            at(b).total_cmp(&at(a))
                        }),
                    }
                }),
                _ => {}
            }
        }
    }

    /// A conversation changed (a `conversation` event, or the answer to a take or an end).
    fn apply_summary(self, data: &Value, announce: bool) -> Option<Conv> {
        let summary = Summary::from_json(data)?;
        let was_queued = self.known(&summary.id).map(|c| c.summary.with_untracked(|s| s.status == Status::Queued));
        let c = self.conv(summary);
        self.place(&c);
        let status = c.summary.with_untracked(|s| s.status);
        let listed = status == Status::Queued || c.summary.with_untracked(|s| s.is_mine(&self.my_sub()));
        if listed && !c.loaded.load(Ordering::Relaxed) {
            self.load(c.clone());
        }
        if announce && status == Status::Queued && was_queued != Some(true) {
            let title = c.summary.with_untracked(Summary::title);
            self.announce.set(format!("{title} is waiting in the queue."));
        }
        Some(c)
    }

    fn apply_message(self, data: &Value) {
        let Some(id) = data.get("conversationId").and_then(Value::as_str) else { return };
        let Some(c) = self.known(id) else { return };
        let Some(m) = Message::from_json(data) else { return };
        let (from, message_id) = (m.from, m.id.clone());
        let added = c.thread.try_update(|t| t.add(m)).unwrap_or(false);
        if c.pending.with_untracked(|p| p.iter().any(|p| p.id == message_id)) {
            c.pending.update(|p| p.retain(|p| p.id != message_id));
        }
        if !added || from != Author::Visitor {
            return;
        }
        c.typing.set(false);
        let open = self.selected.with_untracked(|s| s.as_ref() == Some(&c));
        if open {
            if c.summary.with_untracked(|s| s.is_mine(&self.my_sub())) {
                self.mark_read(&c);
            }
        } else {
            c.unread.update(|n| *n += 1);
            let title = c.summary.with_untracked(Summary::title);
            self.announce.set(format!("New message from {title}."));
        }
    }

    fn apply_typing(self, data: &Value) {
        let Some(c) = data.get("conversationId").and_then(Value::as_str).and_then(|id| self.known(id)) else { return };
        if data.get("from").and_then(Value::as_str) != Some("visitor") {
            return;
        }
        c.typing.set(true);
        let generation = c.typing_generation.fetch_add(1, Ordering::Relaxed) + 1;
        spawn_local(async move {
            gloo_timers::future::sleep(TYPING_LAPSE).await;
            if c.typing_generation.load(Ordering::Relaxed) == generation {
                c.typing.set(false);
            }
        });
    }

    fn apply_read(self, data: &Value) {
        let Some(c) = data.get("conversationId").and_then(Value::as_str).and_then(|id| self.known(id)) else { return };
        if let Some(m) = data.get("messageId").and_then(Value::as_str) {
            c.read_upto.set(Some(m.to_owned()));
        }
    }

    /// Fetches a conversation's history (`GET /agent/conversations/{id}`).
    fn load(self, c: Conv) {
        let Some(api) = self.api.get_untracked() else { return };
        spawn_local(async move {
            match api.conversation(&c.id).await {
                Ok(v) => {
                    if let Some(s) = Summary::from_json(&v) {
                        self.conv(s);
                    }
                    c.merge(v.get("messages"));
                    self.place(&c);
                }
                // Another agent has it now (the view says so from the summary).
                Err(e) if e.status == 403 && !e.is_auth() => c.summary.update(|s| {
                    if s.status != Status::Active {
                        s.status = Status::Active;
                        s.agent = None;
                    }
                }),
                Err(e) => {
                    self.refused(&e);
                }
            }
        });
    }

    /// Opens a conversation.
    pub fn select(self, c: Conv) {
        c.unread.set(0);
        if !c.loaded.load(Ordering::Relaxed) {
            self.load(c.clone());
        } else if c.summary.with_untracked(|s| s.is_mine(&self.my_sub()))
            && c.thread.with_untracked(|t| t.last_visitor().is_some())
        {
            self.mark_read(&c);
        }
        self.notice.set(None);
        self.selected.set(Some(c));
    }

    /// Back to the inbox (phones show one or the other).
    pub fn close(self) {
        self.selected.set(None);
    }

    /// Reloads the inbox (after a failed take: the queue changed).
    pub fn refresh(self) {
        let Some(api) = self.api.get_untracked() else { return };
        spawn_local(async move {
            match api.inbox().await {
                Ok(inbox) => self.apply_snapshot(&inbox),
                Err(e) => {
                    self.refused(&e);
                }
            }
        });
    }

    /// Takes a queued conversation; when another agent was first (`409`), says so and reloads
    /// the inbox.
    pub fn take(self, c: Conv) {
        let Some(api) = self.api.get_untracked() else { return };
        self.notice.set(None);
        spawn_local(async move {
            match api.take(&c.id).await {
                Ok(v) => {
                    if let Some(c) = v.get("conversation").and_then(|s| self.apply_summary(s, false)) {
                        let title = c.summary.with_untracked(Summary::title);
                        self.announce.set(format!("You have {title} now."));
                        self.focus_reply.set(Some(c.id.clone()));
                        if self.selected.with_untracked(|s| s.as_ref() != Some(&c)) {
                            self.select(c);
                        }
                    }
                }
                Err(e) if e.status == 409 => {
                    self.notice.set(Some(format!("Taken by another agent: {}.", e.message)));
                    self.refresh();
                    self.load(c);
                }
                Err(e) if self.refused(&e) => {}
                Err(e) => self.notice.set(Some(format!("Could not take the conversation: {}", e.describe()))),
            }
        });
    }

    /// Sends `text` to the visitor (again, with the same id, for a retry).
    pub fn send(self, c: Conv, text: String, retry_of: Option<String>) {
        let Some(api) = self.api.get_untracked() else { return };
        let id = retry_of.unwrap_or_else(|| format!("h-{}-{}", now() as u64, (js_sys::Math::random() * 1e9) as u64));
        c.pending.update(|p| match p.iter_mut().find(|p| p.id == id) {
            Some(p) => p.failed = None,
            None => p.push(Pending { id: id.clone(), text: text.clone(), failed: None }),
        });
        self.typing_throttle.update_value(Throttle::reset);
        let name = self.me.with_untracked(|m| m.as_ref().map(|m| m.name.clone()));
        spawn_local(async move {
            match api.send(&c.id, &id, &text).await {
                Ok(v) => {
                    if let Some(event_id) = v.get("eventId").and_then(Value::as_i64) {
                        let m = Message {
                            id: id.clone(),
                            event_id,
                            from: Author::Human,
                            agent_name: name,
                            text,
                            timestamp: now(),
                        };
                        c.thread.update(|t| {
                            t.add(m);
                        });
                    }
                    c.pending.update(|p| p.retain(|p| p.id != id));
                }
                Err(e) if self.refused(&e) => {}
                Err(e) => c.pending.update(|p| {
                    if let Some(p) = p.iter_mut().find(|p| p.id == id) {
                        p.failed = Some(e.describe());
                    }
                }),
            }
        });
    }

    /// The agent is typing in `c` (sent at most once per [`TYPING_EVERY_MS`]).
    pub fn typing(self, c: &Conv) {
        let Some(api) = self.api.get_untracked() else { return };
        if !self.typing_throttle.try_update_value(|t| t.ready(now(), TYPING_EVERY_MS)).unwrap_or(false) {
            return;
        }
        let id = c.id.clone();
        spawn_local(async move {
            let _ = api.typing(&id).await;
        });
    }

    fn mark_read(self, c: &Conv) {
        let Some(api) = self.api.get_untracked() else { return };
        let id = c.id.clone();
        spawn_local(async move {
            let _ = api.read(&id).await;
        });
    }

    /// Ends the conversation: the visitor is told, the AI agent answers again.
    pub fn end(self, c: Conv) {
        let Some(api) = self.api.get_untracked() else { return };
        self.notice.set(None);
        spawn_local(async move {
            match api.end(&c.id).await {
                Ok(v) => {
                    if let Some(s) = v.get("conversation") {
                        self.apply_summary(s, false);
                    }
                    let title = c.summary.with_untracked(Summary::title);
                    self.announce.set(format!("The conversation with {title} ended."));
                }
                Err(e) if self.refused(&e) => {}
                Err(e) => self.notice.set(Some(format!("Could not end the conversation: {}", e.describe()))),
            }
        });
    }
}
