//! The console's data, read from the agent API's JSON (docs/agent-protocol.md, "The agent API"):
//! conversation summaries, history messages and a conversation's thread. Plain Rust, no
//! browser: the native tests cover it.
//!
//! Reading is lenient (a field the console does not know is ignored, a missing one takes its
//! default) so that a newer server does not break an older console.

use serde_json::Value;

/// Most messages kept per conversation (the server's `GET /agent/conversations/{id}` sends at
/// most 500): a thread's memory and the work of showing it stay bounded.
pub const MAX_THREAD: usize = 500;

/// Where a conversation is (`status` of a summary).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// The AI agent answers.
    Bot,
    /// Waiting in the queue for a person.
    Queued,
    /// A person has it (`Summary::agent`).
    Active,
    /// The hand-off ended.
    Ended,
}

impl Status {
    /// The status named `s` (unknown names read as `Bot`: nothing for a person to do).
    pub fn parse(s: &str) -> Status {
        match s {
            "queued" => Status::Queued,
            "active" => Status::Active,
            "ended" => Status::Ended,
            _ => Status::Bot,
        }
    }
}

/// A conversation summary.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    /// The conversation id.
    pub id: String,
    /// Where it is.
    pub status: Status,
    /// The `sub` of the agent who has it (`Active`).
    pub agent: Option<String>,
    /// Why it was handed off (the model's reason), if given.
    pub reason: Option<String>,
    /// When it was queued (ms since the epoch).
    pub queued_at: Option<f64>,
    /// No one took it within the queue time-out (the visitor was offered the lead form).
    pub timed_out: bool,
    /// Last change (ms since the epoch).
    pub updated_at: f64,
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}

impl Summary {
    /// Reads a summary (`None` without an id).
    pub fn from_json(v: &Value) -> Option<Summary> {
        let id = text(v, "id").or_else(|| text(v, "conversationId"))?;
        Some(Summary {
            id,
            status: Status::parse(v.get("status").and_then(Value::as_str).unwrap_or_default()),
            agent: text(v, "agent"),
            reason: text(v, "reason").filter(|r| !r.trim().is_empty()),
            queued_at: v.get("queuedAt").and_then(Value::as_f64),
            timed_out: v.get("timedOut").and_then(Value::as_bool).unwrap_or(false),
            updated_at: v.get("updatedAt").and_then(Value::as_f64).unwrap_or(0.0),
        })
    }

    /// Whether `me` (an agent's `sub`) has it.
    pub fn is_mine(&self, me: &str) -> bool {
        self.status == Status::Active && self.agent.as_deref() == Some(me)
    }

    /// Which inbox list it belongs in for agent `me`.
    pub fn list(&self, me: &str) -> Option<List> {
        match self.status {
            Status::Queued => Some(List::Queue),
            _ if self.is_mine(me) => Some(List::Mine),
            _ => None,
        }
    }

    /// A short name for people: `Visitor 3f2a9c1e` (the first 8 characters of the id).
    pub fn title(&self) -> String {
        format!("Visitor {}", self.id.chars().take(8).collect::<String>())
    }
}

/// The two lists of the inbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum List {
    /// Queued conversations, oldest first.
    Queue,
    /// The agent's own, most recently changed first.
    Mine,
}

/// Who wrote a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Author {
    /// The visitor.
    Visitor,
    /// The AI agent (or the server: the queue time-out).
    Bot,
    /// A person (an agent).
    Human,
}

/// One history message, as text.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    /// The message id.
    pub id: String,
    /// Its event id in the conversation (the thread's order).
    pub event_id: i64,
    /// Who wrote it.
    pub from: Author,
    /// The person's name (`Human`).
    pub agent_name: Option<String>,
    /// What it says: its text items, and a bracketed note for each other item.
    pub text: String,
    /// When (ms since the epoch).
    pub timestamp: f64,
}

/// The text of a message's content items: `text` items as they are, others as a note
/// (`[lead form]`, `[button: Yes]`, `[image]`).
pub fn content_text(content: &Value) -> String {
    let Some(items) = content.as_array() else { return String::new() };
    let mut parts = Vec::new();
    for item in items {
        let kind = item.get("type").or_else(|| item.get("response_type")).and_then(Value::as_str).unwrap_or("item");
        match (kind, item.get("text").and_then(Value::as_str), item.get("label").and_then(Value::as_str)) {
            ("text", Some(t), _) => parts.push(t.to_owned()),
            (_, _, Some(label)) => parts.push(format!("[{}: {label}]", kind.replace('_', " "))),
            _ => parts.push(format!("[{}]", kind.replace('_', " "))),
        }
    }
    parts.join("\n")
}

impl Message {
    /// Reads a history message (`None` without an id or an event id).
    pub fn from_json(v: &Value) -> Option<Message> {
        let from = match v.get("from").and_then(Value::as_str) {
            Some("visitor") => Author::Visitor,
            Some("human") => Author::Human,
            _ => Author::Bot,
        };
        Some(Message {
            id: text(v, "id")?,
            event_id: v.get("eventId").and_then(Value::as_i64)?,
            from,
            agent_name: text(v, "agentName"),
            text: content_text(v.get("content").unwrap_or(&Value::Null)),
            timestamp: v.get("timestamp").and_then(Value::as_f64).unwrap_or(0.0),
        })
    }
}

/// A conversation's messages in event order, each once, at most [`MAX_THREAD`] (the oldest
/// go first).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Thread {
    messages: Vec<Message>,
}

impl Thread {
    /// The messages, oldest first.
    pub fn messages(&self) -> &[Message] {
        &self.messages
    }

    /// Adds a message in its place; `false` when it is there already (same event id or
    /// message id). A message newer than the last costs no search.
    pub fn add(&mut self, m: Message) -> bool {
        let at = match self.messages.last() {
            None => 0,
            Some(last) if last.event_id < m.event_id => self.messages.len(),
            Some(_) => match self.messages.binary_search_by_key(&m.event_id, |x| x.event_id) {
                Ok(_) => return false,
                Err(at) => at,
            },
        };
        // An agent's own message, added from the send's answer, comes back on the stream.
        let tail = self.messages.len().saturating_sub(20);
        if self.messages[tail..].iter().any(|x| x.id == m.id) {
            return false;
        }
        self.messages.insert(at, m);
        if self.messages.len() > MAX_THREAD {
            self.messages.remove(0);
        }
        true
    }

    /// The last message from the visitor.
    pub fn last_visitor(&self) -> Option<&Message> {
        self.messages.iter().rev().find(|m| m.from == Author::Visitor)
    }

    /// A one-line preview of the last message (at most 80 characters).
    pub fn preview(&self) -> String {
        let Some(last) = self.messages.last() else { return String::new() };
        let line = last.text.split_whitespace().collect::<Vec<_>>().join(" ");
        let cut: String = line.chars().take(80).collect();
        if cut.len() < line.len() { format!("{cut}…") } else { cut }
    }
}

/// At most one call per `every` ms (the composer's typing notices).
#[derive(Clone, Copy, Debug, Default)]
pub struct Throttle {
    last: Option<f64>,
}

impl Throttle {
    /// Whether a call at `now` (ms) may go (and then it counts as the last).
    pub fn ready(&mut self, now: f64, every: f64) -> bool {
        match self.last {
            Some(last) if now - last < every => false,
            _ => {
                self.last = Some(now);
                true
            }
        }
    }

    /// The next call goes at once (after a message was sent: typing starts anew).
    pub fn reset(&mut self) {
        self.last = None;
    }
}

/// How long ago `then` was at `now` (ms), for people: `just now`, `4 min`, `2 h`, `3 d`.
pub fn ago(now: f64, then: f64) -> String {
    let s = ((now - then) / 1000.0).max(0.0) as u64;
    match s {
        0..60 => "just now".to_owned(),
        60..3600 => format!("{} min", s / 60),
        3600..86400 => format!("{} h", s / 3600),
        _ => format!("{} d", s / 86400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn msg(id: &str, event_id: i64, from: &str) -> Message {
        Message::from_json(&json!({
            "id": id, "eventId": event_id, "from": from, "timestamp": 1.0,
            "content": [{"id": "x", "type": "text", "text": id}],
        }))
        .unwrap()
    }

    #[test]
    fn summaries_read_leniently_and_go_in_the_right_list() {
        let s = Summary::from_json(&json!({
            "id": "c1", "status": "queued", "agent": null, "reason": "refund", "queuedAt": 5.0,
            "timedOut": true, "lastEventId": 3, "createdAt": 1.0, "updatedAt": 6.0, "future": 1,
        }))
        .unwrap();
        assert_eq!(s.status, Status::Queued);
        assert_eq!(s.reason.as_deref(), Some("refund"));
        assert!(s.timed_out);
        assert_eq!(s.list("dana"), Some(List::Queue));
        let mine = Summary { status: Status::Active, agent: Some("dana".into()), ..s.clone() };
        assert_eq!(mine.list("dana"), Some(List::Mine));
        assert_eq!(mine.list("sam"), None, "another agent's");
        assert_eq!(Summary { status: Status::Ended, ..s.clone() }.list("dana"), None);
        let event = Summary::from_json(&json!({"conversationId": "c2", "status": "weird"})).unwrap();
        assert_eq!((event.id.as_str(), event.status, event.timed_out), ("c2", Status::Bot, false));
        assert!(Summary::from_json(&json!({"status": "queued"})).is_none());
        assert_eq!(Summary::from_json(&json!({"id": "abcdef0123456"})).unwrap().title(), "Visitor abcdef01");
    }

    #[test]
    fn messages_are_text_and_notes_never_markup() {
        let m = Message::from_json(&json!({
            "id": "b1", "eventId": 4, "from": "bot", "timestamp": 2.0, "conversationId": "c1",
            "content": [
                {"id": "b1-0", "type": "text", "text": "<b>Sorry</b>, no one is free."},
                {"id": "b1-1", "type": "lead_form"},
                {"id": "b1-2", "type": "button", "label": "Yes", "value": "y"},
            ],
        }))
        .unwrap();
        assert_eq!(m.from, Author::Bot);
        assert_eq!(m.text, "<b>Sorry</b>, no one is free.\n[lead form]\n[button: Yes]");
        let h = Message::from_json(&json!({"id": "h1", "eventId": 5, "from": "human", "agentName": "Dana"})).unwrap();
        assert_eq!((h.from, h.agent_name.as_deref(), h.text.as_str()), (Author::Human, Some("Dana"), ""));
        assert!(Message::from_json(&json!({"id": "x"})).is_none(), "no event id");
    }

    #[test]
    fn a_thread_keeps_event_order_once_and_is_bounded() {
        let mut t = Thread::default();
        assert!(t.add(msg("a", 2, "visitor")));
        assert!(t.add(msg("c", 9, "visitor")));
        assert!(t.add(msg("b", 5, "human")), "an older event fills in");
        assert!(!t.add(msg("b", 5, "human")), "the same event twice");
        assert!(!t.add(msg("c", 12, "visitor")), "the same message id (a send's answer, then the stream)");
        let ids: Vec<_> = t.messages().iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c"]);
        assert_eq!(t.last_visitor().unwrap().id, "c");
        for i in 0..(MAX_THREAD as i64 + 10) {
            t.add(msg(&format!("m{i}"), 100 + i, "visitor"));
        }
        assert_eq!(t.messages().len(), MAX_THREAD);
        assert_eq!(t.messages()[0].id, "m10", "the oldest went first");
    }

    #[test]
    fn previews_are_one_short_line() {
        let mut t = Thread::default();
        assert_eq!(t.preview(), "");
        let mut m = msg("x", 1, "visitor");
        m.text = format!("line one\n  line two {}", "é".repeat(100));
        t.add(m);
        let p = t.preview();
        assert!(p.starts_with("line one line two é"));
        assert_eq!(p.chars().count(), 81);
        assert!(p.ends_with('…'));
    }

    #[test]
    fn the_throttle_lets_one_call_through_per_period() {
        let mut th = Throttle::default();
        assert!(th.ready(0.0, 2000.0));
        assert!(!th.ready(1999.0, 2000.0));
        assert!(th.ready(2000.0, 2000.0));
        th.reset();
        assert!(th.ready(2001.0, 2000.0));
    }

    #[test]
    fn ages_read_like_people_say_them() {
        assert_eq!(ago(59_000.0, 0.0), "just now");
        assert_eq!(ago(60_000.0, 0.0), "1 min");
        assert_eq!(ago(7_200_000.0, 0.0), "2 h");
        assert_eq!(ago(3.0 * 86_400_000.0, 0.0), "3 d");
        assert_eq!(ago(0.0, 10.0), "just now", "a clock a little behind");
    }
}
