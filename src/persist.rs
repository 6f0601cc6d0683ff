//! Persistence: the conversation (id, messages, view state) survives a reload and stays in step
//! across tabs of the same site.
//!
//! A [`Snapshot`] is what is stored (JSON, versioned). Messages still streaming are left out
//! (they complete or fail first); on restore, a message that was being sent becomes failed
//! (retry) and one waiting for the network stays queued. Two tabs merge each other's snapshots
//! by message id, so both end up with the union and neither loses a message.

use crate::events::{ThreadMessage, ViewState};
use crate::state::{ChatState, Handoff, Message, Notice, Sender, Status};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Format version of the stored snapshot.
pub const VERSION: u32 = 1;

/// What is stored.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    /// Format version.
    pub v: u32,
    /// The conversation, if one started.
    pub conversation_id: Option<String>,
    /// It ended.
    pub ended: bool,
    /// Launcher and window visibility.
    pub view: ViewState,
    /// Window maximized.
    pub maximized: bool,
    /// Where a handoff to a human stands (absent in snapshots stored before it was kept).
    #[serde(default)]
    pub handoff: Handoff,
    /// Agent messages the visitor has not seen yet.
    #[serde(default)]
    pub unread: u32,
    /// The notices (banners) of the message list and where they sit.
    #[serde(default)]
    pub notices: Vec<StoredNotice>,
    /// The id of the last event processed from the live event stream (absent in snapshots
    /// stored before it was kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_event_id: Option<String>,
    /// The messages, in the thread format of `pre:threadLoaded` (the last field: see
    /// [`SnapshotCache`]).
    pub messages: Vec<ThreadMessage>,
}

/// A notice as stored: what it says and which message it follows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredNotice {
    /// The notice's message id.
    pub id: String,
    /// Epoch milliseconds.
    pub timestamp: f64,
    /// The id of the message it follows (`None`: it comes first).
    pub after: Option<String>,
    /// What it says.
    pub notice: Notice,
}

/// The notices among `messages`, each with the message it follows (one pass).
pub fn notices_of(messages: &[Message]) -> Vec<StoredNotice> {
    let mut after = None;
    let mut out = Vec::new();
    for m in messages {
        match &m.notice {
            Some(notice) => out.push(StoredNotice {
                id: m.id.clone(),
                timestamp: m.timestamp,
                after: after.clone(),
                notice: notice.clone(),
            }),
            None if m.sender != Sender::System => after = Some(m.id.clone()),
            None => {}
        }
    }
    out
}

/// Puts `notices` back among `messages`, each after the message it followed (at the start if that
/// one is gone). One pass over the messages, however many notices.
pub fn place_notices(messages: Vec<Message>, notices: &[StoredNotice]) -> Vec<Message> {
    if notices.is_empty() {
        return messages;
    }
    let mut by_after: HashMap<Option<&str>, Vec<&StoredNotice>> = HashMap::new();
    let ids: std::collections::HashSet<&str> = messages.iter().map(|m| m.id.as_str()).collect();
    for n in notices {
        if ids.contains(n.id.as_str()) {
            continue; // already there (a merge with the same notice)
        }
        let after = n.after.as_deref().filter(|a| ids.contains(a));
        by_after.entry(after).or_default().push(n);
    }
    let shown = |n: &StoredNotice| Message::notice(n.id.clone(), n.timestamp, n.notice.clone());
    let mut out = Vec::with_capacity(messages.len() + notices.len());
    out.extend(by_after.get(&None).into_iter().flatten().map(|n| shown(n)));
    for m in messages {
        let follows = by_after.get(&Some(m.id.as_str())).cloned();
        out.push(m);
        out.extend(follows.into_iter().flatten().map(shown));
    }
    out
}

impl Snapshot {
    /// The snapshot of `state` (reads signals: tracked when called in an effect).
    pub fn of(state: &ChatState) -> Snapshot {
        let messages = state.messages.with(|ms| {
            ms.iter()
                .filter(|m| {
                    // Track what makes a message worth saving again.
                    m.status().track();
                    !m.streaming().get()
                })
                .filter_map(Message::to_thread)
                .collect()
        });
        Snapshot {
            v: VERSION,
            conversation_id: state.conversation.get(),
            ended: state.ended.get(),
            view: state.view.get(),
            maximized: state.maximized.get(),
            handoff: state.handoff.get(),
            unread: state.unread.get(),
            notices: state.messages.with(|ms| notices_of(ms)),
            last_event_id: state.live_event_id.get(),
            messages,
        }
    }

    /// Subscribes the running effect to everything [`Snapshot::of`] reads, without building
    /// anything: the messages, their status and streaming flags, the conversation and view.
    pub fn track(state: &ChatState) {
        state.messages.with(|ms| {
            for m in ms {
                m.status().track();
                m.streaming().track();
            }
        });
        state.conversation.track();
        state.ended.track();
        state.view.track();
        state.maximized.track();
        state.handoff.track();
        state.unread.track();
        state.live_event_id.track();
    }

    /// Reads a stored snapshot; `None` if absent, malformed or of another version.
    pub fn parse(text: &str) -> Option<Snapshot> {
        // One pass, straight into the types (a long history is megabytes of JSON).
        serde_json::from_str::<Snapshot>(text).ok().filter(|s| s.v == VERSION)
    }

    /// The text to store.
    pub fn to_text(&self) -> String {
        serde_json::to_value(self).expect("snapshots serialize").to_string()
    }

    /// The snapshot as restored after a reload: interrupted sends become failed.
    pub fn for_restore(mut self) -> Snapshot {
        for m in &mut self.messages {
            if m.message_state.status == Some(Status::Sending) {
                m.message_state.status = Some(Status::Failed);
            }
        }
        self
    }
}

/// Builds the stored text of a chat's state, keeping each message's JSON from one save to the
/// next: a save serializes only the messages that are new or changed (and copies the others),
/// so saving after a new message does not serialize the whole thread again. The text is
/// exactly [`Snapshot::to_text`] of [`Snapshot::of`].
#[derive(Debug, Default)]
pub struct SnapshotCache {
    /// Message id -> (what the JSON was made from, the JSON).
    entries: HashMap<String, (Version, String)>,
}

/// What a message's stored JSON depends on that can change after it was first stored.
type Version = (Status, usize, usize);

impl SnapshotCache {
    /// An empty cache.
    pub fn new() -> Self {
        SnapshotCache::default()
    }

    /// The text to store for `state` (reads signals untracked).
    pub fn text(&mut self, state: &ChatState) -> String {
        let head = Snapshot {
            v: VERSION,
            conversation_id: state.conversation.get_untracked(),
            ended: state.ended.get_untracked(),
            view: state.view.get_untracked(),
            maximized: state.maximized.get_untracked(),
            handoff: state.handoff.get_untracked(),
            unread: state.unread.get_untracked(),
            notices: state.messages.with_untracked(|ms| notices_of(ms)),
            last_event_id: state.live_event_id.get_untracked(),
            messages: Vec::new(),
        }
        .to_text();
        // `messages` is the last field: the head ends with `"messages":[]}`.
        let open = head.len() - 2;
        let mut out = String::with_capacity(head.len() + self.entries.values().map(|e| e.1.len() + 1).sum::<usize>());
        out.push_str(&head[..open]);
        let mut seen = 0;
        state.messages.with_untracked(|ms| {
            for m in ms {
                if m.streaming().get_untracked() || m.sender == crate::state::Sender::System {
                    continue;
                }
                let version = (
                    m.status().get_untracked(),
                    m.text().with_untracked(String::len),
                    m.items().with_untracked(Vec::len),
                );
                if !self.entries.get(&m.id).is_some_and(|(v, _)| *v == version) {
                    let Some(thread) = m.to_thread() else { continue };
                    let json = serde_json::to_string(&thread).expect("thread messages serialize");
                    self.entries.insert(m.id.clone(), (version, json));
                }
                let entry = &self.entries[&m.id].1;
                if seen > 0 {
                    out.push(',');
                }
                out.push_str(entry);
                seen += 1;
            }
            // Forget messages that are gone (a restart), once they are the larger part.
            if self.entries.len() > 2 * seen + 64 {
                let ids: std::collections::HashSet<&str> = ms.iter().map(|m| m.id.as_str()).collect();
                self.entries.retain(|id, _| ids.contains(id.as_str()));
            }
        });
        out.push_str(&head[open..]);
        out
    }
}

/// Merges `remote` messages into `local` by id: unknown ones are added (in timestamp order),
/// known ones take the remote status when it is further along. Returns whether anything changed.
pub fn merge(local: &mut Vec<ThreadMessage>, remote: &[ThreadMessage]) -> bool {
    fn rank(m: &ThreadMessage) -> u8 {
        match m.message_state.status {
            Some(Status::Failed | Status::Queued) => 0,
            Some(Status::Sending) => 1,
            Some(Status::Sent) => 2,
            Some(Status::Delivered) | None => 3,
            Some(Status::Read) => 4,
        }
    }
    fn time(m: &ThreadMessage) -> f64 {
        m.message_state.timestamp.unwrap_or(0.0)
    }
    // One pass over each side, whatever their lengths (two tabs of a long conversation).
    let index: std::collections::HashMap<&str, usize> =
        local.iter().enumerate().map(|(i, l)| (l.id.as_str(), i)).collect();
    let mut updates = Vec::new();
    let mut fresh: Vec<&ThreadMessage> = Vec::new();
    let mut fresh_ids = std::collections::HashSet::new();
    for r in remote {
        match index.get(r.id.as_str()) {
            Some(&i) if rank(r) > rank(&local[i]) => updates.push((i, r)),
            Some(_) => {}
            None if fresh_ids.insert(r.id.as_str()) => fresh.push(r),
            None => {}
        }
    }
    drop(index);
    let changed = !updates.is_empty() || !fresh.is_empty();
    for (i, r) in updates {
        local[i] = r.clone();
    }
    if !fresh.is_empty() {
        // Each new message goes before the first one that is later than it.
        fresh.sort_by(|a, b| time(a).total_cmp(&time(b)));
        let mut fresh = fresh.into_iter().peekable();
        let mut merged = Vec::with_capacity(local.len() + fresh.len());
        for l in local.drain(..) {
            while let Some(f) = fresh.next_if(|f| time(&l) > time(f)) {
                merged.push(f.clone());
            }
            merged.push(l);
        }
        merged.extend(fresh.cloned());
        *local = merged;
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{ContentItem, MessageState};

    fn msg(id: &str, at: f64, status: &str) -> ThreadMessage {
        ThreadMessage {
            id: id.into(),
            sender: "user".into(),
            content: vec![ContentItem::text(format!("{id}-0"), id)],
            message_state: MessageState {
                timestamp: Some(at),
                status: Status::parse(status),
                ..MessageState::default()
            },
        }
    }

    #[test]
    fn snapshots_stored_before_handoff_and_notices_were_kept_still_load() {
        let old = r#"{"v":1,"conversationId":"c","ended":false,"view":{"launcher":true,"mainWindow":false},"maximized":false,"messages":[]}"#;
        let snap = Snapshot::parse(old).expect("a v1 snapshot without the new fields loads");
        assert_eq!((snap.handoff, snap.unread, snap.notices.len()), (Handoff::None, 0, 0));
        assert_eq!(snap.last_event_id, None);
        let with_id = Snapshot { v: VERSION, last_event_id: Some("42".into()), ..Snapshot::default() };
        assert_eq!(Snapshot::parse(&with_id.to_text()).unwrap().last_event_id.as_deref(), Some("42"));
    }

    #[test]
    fn notices_go_back_after_the_message_they_followed() {
        let owner = Owner::new();
        owner.set();
        let m = |id: &str| Message::new(id, Sender::User, 1.0, id, Status::Delivered);
        let shown = vec![
            Message::notice("n0", 0.5, Notice::Queued(Some(2))),
            m("a"),
            Message::notice("n1", 1.5, Notice::Connected("Dana".into())),
            m("b"),
            Message::notice("n2", 2.5, Notice::Ended),
        ];
        let notices = notices_of(&shown);
        assert_eq!(notices.iter().map(|n| n.after.as_deref()).collect::<Vec<_>>(), [None, Some("a"), Some("b")]);
        let json = serde_json::to_string(&notices).unwrap();
        assert!(json.contains(r#""notice":{"kind":"connected","value":"Dana"}"#), "{json}");
        let back: Vec<StoredNotice> = serde_json::from_str(&json).unwrap();
        let placed = place_notices(vec![m("a"), m("b")], &back);
        let ids: Vec<&str> = placed.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["n0", "a", "n1", "b", "n2"]);
        // A notice whose message is gone goes first; one already shown is not doubled.
        let placed = place_notices(vec![m("b"), Message::notice("n2", 2.5, Notice::Ended)], &back);
        let ids: Vec<&str> = placed.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["n0", "n1", "b", "n2"]);
    }

    #[test]
    fn snapshots_leave_out_streaming_messages() {
        let owner = Owner::new();
        owner.set();
        let state = ChatState::new();
        let done = Message::new("a", crate::state::Sender::User, 1.0, "hi", Status::Delivered);
        let streaming = Message::new("b", crate::state::Sender::Agent, 2.0, "half", Status::Delivered).with_streaming();
        state.stage().set_messages(vec![done, streaming]);
        state.stage().set_conversation(Some("c".into()));
        let snap = Snapshot::of(&state);
        assert_eq!(snap.messages.len(), 1);
        let back = Snapshot::parse(&snap.to_text()).unwrap();
        assert_eq!(back, snap);
        assert_eq!(Snapshot::parse(r#"{"v": 99}"#), None);
        assert_eq!(Snapshot::parse("not json"), None);
    }

    #[test]
    fn the_cached_text_is_the_snapshot_text() {
        let owner = Owner::new();
        owner.set();
        let state = ChatState::new();
        let mut cache = SnapshotCache::new();
        assert_eq!(cache.text(&state), Snapshot::of(&state).to_text(), "empty");
        let user = Message::new("a", crate::state::Sender::User, 1.0, "hi \"there\"", Status::Sending);
        let agent = Message::new("b", crate::state::Sender::Agent, 2.0, "**yes**", Status::Delivered);
        let notice = Message::notice("n", 3.0, crate::state::Notice::Ended);
        let streaming = Message::new("c", crate::state::Sender::Agent, 4.0, "half", Status::Delivered).with_streaming();
        let stage = state.stage();
        stage.set_messages(vec![user.clone(), agent, notice, streaming.clone()]);
        stage.set_conversation(Some("conv".into()));
        assert_eq!(cache.text(&state), Snapshot::of(&state).to_text());
        // Changes after the first save are seen: status, a finished stream, new messages.
        stage.set_status(&user, Status::Delivered);
        stage.set_text(&streaming, "half and the rest".into());
        stage.set_streaming(&streaming, false);
        stage.push(Message::new("d", crate::state::Sender::User, 5.0, "more", Status::Sent));
        stage.set_ended(true);
        stage.set_live_event_id(Some("17".into()));
        let text = cache.text(&state);
        assert_eq!(text, Snapshot::of(&state).to_text());
        let back = Snapshot::parse(&text).unwrap();
        assert_eq!(back.messages.len(), 4);
        assert_eq!(back.messages[0].message_state.status, Some(Status::Delivered));
        // A cleared conversation.
        stage.set_messages(Vec::new());
        assert_eq!(cache.text(&state), Snapshot::of(&state).to_text());
    }

    #[test]
    fn interrupted_sends_restore_as_failed_and_queued_stay_queued() {
        let snap = Snapshot {
            v: VERSION,
            messages: vec![msg("a", 1.0, "sending"), msg("b", 2.0, "queued")],
            ..Default::default()
        };
        let restored = snap.for_restore();
        assert_eq!(restored.messages[0].message_state.status, Some(Status::Failed));
        assert_eq!(restored.messages[1].message_state.status, Some(Status::Queued));
    }

    #[test]
    fn tabs_merge_to_the_union_without_losing_messages() {
        let mut a = vec![msg("1", 1.0, "delivered"), msg("3", 3.0, "sent")];
        let b = vec![msg("1", 1.0, "delivered"), msg("2", 2.0, "delivered"), msg("3", 3.0, "delivered")];
        assert!(merge(&mut a, &b));
        let ids: Vec<&str> = a.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["1", "2", "3"]);
        assert_eq!(a[2].message_state.status, Some(Status::Delivered));
        assert!(!merge(&mut a, &b), "idempotent");
        let mut older = vec![msg("3", 3.0, "failed")];
        merge(&mut older, &[msg("3", 3.0, "sending")]);
        assert_eq!(older[0].message_state.status, Some(Status::Sending), "further along wins");
    }
}
