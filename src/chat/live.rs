//! The live channel: the conversation's event stream (`GET {url}/conversations/{id}/events`,
//! docs/agent-protocol.md), which carries what a human agent does outside a reply stream.
//!
//! It opens when a reply says `handoff` `queued` (or, with `agent.events: "always"`, at the
//! conversation's first reply, and after a reload mid-handoff) and closes when the conversation
//! ends or restarts, or the widget is destroyed; one per conversation. Its events go through the
//! same controller code as a reply stream's (`receive`, the handoff steps, `conversation:ended`,
//! `error`), so the host sees the same events whichever stream carried them. Nothing shows twice:
//! events already processed (by id) and messages already shown (by message id) are skipped.
//! A dropped connection comes back after an exponential backoff with jitter, sending the last
//! event id as `Last-Event-ID`; a `401` renews the token through `authTokenNeeded`; a refusal
//! (`403`, `404`, ...) is reported once and ends the channel. Per-event work does not depend on
//! the length of the thread.

use super::Chat;
use super::state::{Handoff, Sender, Status};
use crate::agent::{AgentEvent, LiveEvent, LiveRequest, SignalRequest, VisitorSignal};
use crate::config::{AgentConfig, LiveEvents};
use crate::events::{EndReason, ErrorCode, Event};
use futures::StreamExt;
use futures::future::{AbortHandle, Abortable};
use leptos::prelude::*;
use std::cell::{Cell, RefCell};
use std::collections::{HashSet, VecDeque};
use std::rc::Rc;

/// The first reconnection waits about this long (ms); each failed attempt doubles it.
pub const BACKOFF_BASE_MS: u32 = 1_000;
/// The longest wait between two attempts (ms).
pub const BACKOFF_CAP_MS: u32 = 30_000;
/// A human's typing indicator goes away after this long without a new `typing` event (ms).
pub const TYPING_MS: u32 = 6_000;
/// The visitor's typing is signalled at most once per this long (ms), as the server forwards it.
pub const TYPING_SIGNAL_MS: f64 = 2_000.0;
/// How many recent event ids and message ids are remembered for deduplication.
const RECENT: usize = 256;

/// The wait before reconnection attempt `attempt` (0 for the first after a drop): the base
/// doubled per attempt, capped, then jittered into its upper half by `random` (in `[0, 1)`), so
/// many widgets dropped at once do not come back at once.
pub fn backoff_ms(attempt: u32, random: f64) -> u32 {
    let full =
        BACKOFF_BASE_MS.saturating_mul(1u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX)).min(BACKOFF_CAP_MS);
    let half = full / 2;
    half + (f64::from(full - half) * random.clamp(0.0, 1.0)) as u32
}

/// A bounded set of recent ids: the oldest goes when a new one comes, so memory and work per
/// id stay constant however long the conversation.
#[derive(Debug, Default)]
pub struct Recent {
    order: VecDeque<String>,
    set: HashSet<String>,
}

impl Recent {
    /// Whether `id` is among the recent ids.
    pub fn contains(&self, id: &str) -> bool {
        self.set.contains(id)
    }

    /// Remembers `id`.
    pub fn note(&mut self, id: &str) {
        if !self.set.insert(id.to_owned()) {
            return;
        }
        self.order.push_back(id.to_owned());
        if self.order.len() > RECENT
            && let Some(old) = self.order.pop_front()
        {
            self.set.remove(&old);
        }
    }

    /// Forgets everything (a new conversation).
    pub fn clear(&mut self) {
        self.order.clear();
        self.set.clear();
    }
}

/// Whether the event `id` is new, given the last id processed and the recent ones: ids that
/// are both decimal numbers (the reference server's) must grow; any other id must not be a
/// recent one.
pub fn is_new_event(last: Option<&str>, recent: &Recent, id: &str) -> bool {
    let number = |s: &str| s.parse::<u64>().ok();
    match (last.and_then(number), number(id)) {
        (Some(last), Some(id)) => id > last,
        _ => !recent.contains(id),
    }
}

/// The live channel's state, owned by [`Chat`].
#[derive(Default)]
pub(super) struct Live {
    /// The open stream: its conversation, its ticket and what stops it.
    open: RefCell<Option<(String, u32, AbortHandle)>>,
    tickets: Cell<u32>,
    /// Event ids processed lately.
    events: RefCell<Recent>,
    /// Message ids shown lately (from either stream).
    pub(super) messages: RefCell<Recent>,
    /// Counts `typing` events: a timer clears the indicator only if none came since.
    typing: Cell<u32>,
    /// When the visitor's typing was last signalled (epoch ms).
    typing_sent_at: Cell<Option<f64>>,
    /// The person's latest message, and the one last reported read.
    last_human: RefCell<Option<String>>,
    read_sent: RefCell<Option<String>>,
}

impl Chat {
    /// `agent.events: "always"`.
    pub(super) fn live_always(&self) -> bool {
        matches!(self.config.agent, AgentConfig::Http { events: LiveEvents::Always, .. })
    }

    /// Opens the running conversation's live event stream, unless it is open already (or the
    /// agent has none: the demo agent).
    pub(super) fn open_live(self: &Rc<Self>) {
        let Some(conversation) = self.state.conversation.get_untracked() else { return };
        if self.state.ended.get_untracked() || !matches!(self.config.agent, AgentConfig::Http { .. }) {
            return;
        }
        if self.live.open.borrow().as_ref().is_some_and(|(c, _, _)| *c == conversation) {
            return;
        }
        self.close_live();
        let ticket = self.live.tickets.get().wrapping_add(1);
        self.live.tickets.set(ticket);
        let (handle, registration) = AbortHandle::new_pair();
        *self.live.open.borrow_mut() = Some((conversation.clone(), ticket, handle));
        // What is on screen already (the latest messages) is not shown again.
        self.state.messages.with_untracked(|ms| {
            let mut seen = self.live.messages.borrow_mut();
            for m in ms.iter().rev().take(RECENT / 2) {
                seen.note(&m.id);
            }
        });
        let this = self.clone();
        self.spawn(async move {
            let _ = Abortable::new(this.clone().run_live(conversation, ticket), registration).await;
            let mut open = this.live.open.borrow_mut();
            if open.as_ref().is_some_and(|(_, t, _)| *t == ticket) {
                *open = None;
            }
        });
    }

    /// Closes the live event stream, if one is open.
    pub(super) fn close_live(&self) {
        if let Some((_, _, handle)) = self.live.open.borrow_mut().take() {
            handle.abort();
        }
    }

    /// Closes the live channel and forgets where it was (the conversation ended or restarted).
    pub(super) fn forget_live(&self) {
        self.close_live();
        self.state.set_live_event_id.set(None);
        self.live.events.borrow_mut().clear();
        self.live.messages.borrow_mut().clear();
        self.live.last_human.borrow_mut().take();
        self.live.read_sent.borrow_mut().take();
    }

    /// The visitor typed in the composer: while the conversation is with a person (or queued
    /// for one), the person sees it, at most once per [`TYPING_SIGNAL_MS`].
    pub fn visitor_typing(&self) {
        if !matches!(self.state.handoff.get_untracked(), Handoff::Queued(_) | Handoff::Connected(_)) {
            return;
        }
        let now = self.now();
        if self.live.typing_sent_at.get().is_some_and(|at| now - at < TYPING_SIGNAL_MS) {
            return;
        }
        self.live.typing_sent_at.set(Some(now));
        self.signal(VisitorSignal::Typing);
    }

    /// The visitor or the host ends the conversation (not the person): a person who has it, or
    /// the queue, is told.
    pub(super) fn ending_handoff(&self) {
        if matches!(self.state.handoff.get_untracked(), Handoff::Queued(_) | Handoff::Connected(_)) {
            self.signal(VisitorSignal::End);
        }
    }

    /// A person's message was shown: read at once if the visitor can see it.
    pub(super) fn human_message(&self, id: &str) {
        *self.live.last_human.borrow_mut() = Some(id.to_owned());
        self.seen_by_visitor();
    }

    /// The visitor can see the thread now (the window is open and the page shown): the person's
    /// latest message is read, reported once.
    pub(super) fn seen_by_visitor(&self) {
        if self.page_hidden.get() || !self.state.view.get_untracked().main_window {
            return;
        }
        let Some(last) = self.live.last_human.borrow().clone() else { return };
        if self.live.read_sent.borrow().as_deref() == Some(last.as_str()) {
            return;
        }
        *self.live.read_sent.borrow_mut() = Some(last.clone());
        self.signal(VisitorSignal::Read { message_id: last });
    }

    /// Hands a signal to the agent, with the token as it is (a signal is not worth a renewal:
    /// the next reply or reconnection renews it).
    fn signal(&self, signal: VisitorSignal) {
        let Some(conversation_id) = self.state.conversation.get_untracked() else { return };
        if self.state.ended.get_untracked() {
            return;
        }
        let auth_token = self.auth_token.borrow().clone();
        self.agent.signal(SignalRequest { conversation_id, auth_token, signal });
    }

    /// The widget is going away (`destroy`): nothing of it stays connected.
    pub fn shutdown(&self) {
        self.close_live();
    }

    fn live_current(&self, ticket: u32) -> bool {
        self.live.open.borrow().as_ref().is_some_and(|(_, t, _)| *t == ticket)
    }

    /// Connects, processes events, and reconnects after drops until the stream is closed or
    /// refused.
    async fn run_live(self: Rc<Self>, conversation: String, ticket: u32) {
        let mut attempt = 0u32;
        let mut renewed = false;
        let mut token = self.fresh_token().await;
        loop {
            let request = LiveRequest {
                conversation_id: conversation.clone(),
                last_event_id: self.state.live_event_id.get_untracked(),
                auth_token: token.clone(),
            };
            let Some(mut events) = self.agent.events(request) else { return };
            let mut retry_after = 0;
            let mut expired = false;
            while let Some(event) = events.next().await {
                match event {
                    LiveEvent::Opened => {
                        attempt = 0;
                        renewed = false;
                    }
                    LiveEvent::Event { id, event } => {
                        if self.fresh_event(id.as_deref()) {
                            self.live_event(event, &conversation).await;
                            self.processed(id, ticket);
                        }
                    }
                    LiveEvent::Read { id, message_id } => {
                        if self.fresh_event(id.as_deref()) {
                            self.mark_read(&message_id);
                            self.processed(id, ticket);
                        }
                    }
                    LiveEvent::Dropped { why, retry_after_ms } => {
                        self.rt.console_error(&format!("Colloquy: the live channel dropped ({why}); reconnecting"));
                        retry_after = retry_after_ms.unwrap_or(0);
                        break;
                    }
                    LiveEvent::AuthExpired => {
                        expired = true;
                        break;
                    }
                    LiveEvent::Refused(error) => {
                        self.rt.console_error(&format!("Colloquy: {}", error.message));
                        self.dispatcher.post(Event::Error(error));
                        return;
                    }
                }
            }
            drop(events);
            if expired {
                if renewed {
                    let why = "the live channel rejected the new token too".to_owned();
                    return self.report(ErrorCode::AuthError, why);
                }
                renewed = true;
                token = self.refresh_token(token).await;
                continue;
            }
            let mut random = [0u8; 4];
            self.rt.fill_random(&mut random);
            let random = f64::from(u32::from_be_bytes(random)) / (f64::from(u32::MAX) + 1.0);
            self.rt.sleep(backoff_ms(attempt, random).max(retry_after)).await;
            attempt = attempt.saturating_add(1);
            token = self.fresh_token().await;
        }
    }

    /// Whether an event with this id was not processed yet.
    fn fresh_event(&self, id: Option<&str>) -> bool {
        let Some(id) = id else { return true };
        let last = self.state.live_event_id.get_untracked();
        is_new_event(last.as_deref(), &self.live.events.borrow(), id)
    }

    /// Remembers an event as processed (unless the stream closed meanwhile: its conversation
    /// ended).
    fn processed(&self, id: Option<String>, ticket: u32) {
        if let Some(id) = id
            && self.live_current(ticket)
        {
            self.live.events.borrow_mut().note(&id);
            self.state.set_live_event_id.set(Some(id));
        }
    }

    /// One event of the live stream, through the same code as on a reply stream.
    async fn live_event(self: &Rc<Self>, event: AgentEvent, conversation: &str) {
        match event {
            AgentEvent::Typing => {
                self.state.set_typing.set(true);
                let generation = self.live.typing.get().wrapping_add(1);
                self.live.typing.set(generation);
                let this = self.clone();
                let timer = self.rt.sleep(TYPING_MS);
                self.spawn(async move {
                    timer.await;
                    if this.live.typing.get() == generation {
                        this.state.set_typing.set(false);
                    }
                });
            }
            AgentEvent::Message(message) => {
                if !self.live.messages.borrow().contains(&message.id) {
                    self.receive(message).await;
                }
            }
            AgentEvent::Queued { position } => self.on_queued(position, conversation),
            AgentEvent::Connected { agent_name } => {
                if self.state.handoff.get_untracked() != Handoff::Connected(agent_name.clone()) {
                    self.on_connected(agent_name, conversation);
                }
            }
            AgentEvent::Ended => self.end_conversation(EndReason::Agent),
            AgentEvent::Error(error) => {
                self.state.set_typing.set(false);
                self.dispatcher.post(Event::Error(error));
            }
            AgentEvent::Malformed(why) => {
                self.report(ErrorCode::ProtocolError, format!("rejected a malformed event from the agent: {why}"))
            }
            // Reply-stream steps: not part of the live channel.
            AgentEvent::Accepted | AgentEvent::Delta { .. } | AgentEvent::AuthExpired => {}
        }
    }

    /// A read receipt: the visitor's messages up to `message_id` are read. Newest first, and
    /// only back to the last one already read: the work is what is new, not the thread.
    fn mark_read(&self, message_id: &str) {
        self.state.messages.with_untracked(|ms| {
            let mut reached = false;
            for m in ms.iter().rev().filter(|m| m.sender == Sender::User) {
                let status = m.status.get_untracked();
                if status == Status::Read {
                    break;
                }
                reached |= m.id == message_id;
                if reached && matches!(status, Status::Sent | Status::Delivered) {
                    m.status.set(Status::Read);
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_with_jitter_in_the_upper_half() {
        assert_eq!(backoff_ms(0, 0.0), 500);
        assert_eq!(backoff_ms(0, 0.999_999), 999);
        assert_eq!(backoff_ms(1, 0.0), 1_000);
        assert_eq!(backoff_ms(3, 0.0), 4_000);
        for attempt in [5, 6, 10, 31, 32, 1_000, u32::MAX] {
            for random in [0.0, 0.5, 0.999_999] {
                let wait = backoff_ms(attempt, random);
                assert!((BACKOFF_CAP_MS / 2..=BACKOFF_CAP_MS).contains(&wait), "{attempt} {random}: {wait}");
            }
        }
        // Out-of-range randomness stays in range.
        assert_eq!(backoff_ms(0, 7.0), 1_000);
        assert_eq!(backoff_ms(0, -1.0), 500);
    }

    #[test]
    fn recent_ids_are_bounded() {
        let mut r = Recent::default();
        for i in 0..1_000 {
            r.note(&i.to_string());
        }
        assert_eq!(r.set.len(), RECENT);
        assert_eq!(r.order.len(), RECENT);
        assert!(r.contains("999") && !r.contains("0"));
        r.note("999");
        assert_eq!(r.order.len(), RECENT, "a repeat is not stored twice");
        r.clear();
        assert!(!r.contains("999"));
    }

    #[test]
    fn numeric_ids_must_grow_and_other_ids_must_not_repeat() {
        let mut recent = Recent::default();
        assert!(is_new_event(None, &recent, "1"));
        assert!(is_new_event(Some("7"), &recent, "8"));
        assert!(!is_new_event(Some("7"), &recent, "7"));
        assert!(!is_new_event(Some("7"), &recent, "3"));
        assert!(is_new_event(Some("9"), &recent, "10"), "numbers, not strings");
        recent.note("abc");
        assert!(!is_new_event(Some("abc"), &recent, "abc"));
        assert!(is_new_event(Some("abc"), &recent, "abd"));
    }
}
