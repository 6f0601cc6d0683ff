//! Persistence: the conversation (id, messages, view state) survives a reload and stays in step
//! across tabs of the same site.
//!
//! A [`Snapshot`] is what is stored (JSON, versioned). Messages still streaming are left out
//! (they complete or fail first); on restore, a message that was being sent becomes failed
//! (retry) and one waiting for the network stays queued. Two tabs merge each other's snapshots
//! by message id, so both end up with the union and neither loses a message.

use crate::events::{ThreadMessage, ViewState};
use crate::state::{ChatState, Message, Status};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

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
    /// The messages, in the thread format of `pre:threadLoaded`.
    pub messages: Vec<ThreadMessage>,
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
            messages,
        }
    }

    /// Reads a stored snapshot; `None` if absent, malformed or of another version.
    pub fn parse(text: &str) -> Option<Snapshot> {
        let value: serde_json::Value = serde_json::from_str(text).ok()?;
        Snapshot::deserialize(&value).ok().filter(|s| s.v == VERSION)
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
