//! Colloquy's agent wire protocol (docs/agent-protocol.md): `text/event-stream` events, their
//! encoding (the reference server) and an incremental parser (the HTTP agent). The parser takes
//! bytes in chunks split anywhere, including inside a line or a UTF-8 sequence.

use super::{AgentEvent, LiveEvent};
use crate::events::{AgentMessage, ErrorCode, WidgetError};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// One server-sent event: its `event` name and `data` (multi-line data joined with `\n`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SseEvent {
    /// `event:` (default `message`).
    pub event: String,
    /// `data:` lines joined with `\n`.
    pub data: String,
    /// `id:`, if any.
    pub id: Option<String>,
}

/// Incremental `text/event-stream` parser (WHATWG rules: `\n`, `\r\n` or `\r` line ends, `:`
/// comments, one optional space after the colon, dispatch on a blank line, no dispatch of
/// events without data).
#[derive(Debug, Default)]
pub struct SseParser {
    buffer: Vec<u8>,
    /// The last byte seen was a `\r`: a `\n` right after it (even in the next chunk) belongs
    /// to the same line end.
    after_cr: bool,
    current: SseEvent,
    has_data: bool,
}

impl SseParser {
    /// A parser at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds a chunk; returns the events it completed.
    pub fn feed(&mut self, chunk: &[u8]) -> Vec<SseEvent> {
        let mut out = Vec::new();
        for &b in chunk {
            match b {
                b'\n' if self.after_cr => self.after_cr = false,
                b'\n' => self.line(&mut out),
                b'\r' => {
                    self.line(&mut out);
                    self.after_cr = true;
                }
                _ => {
                    self.after_cr = false;
                    self.buffer.push(b);
                }
            }
        }
        out
    }

    fn line(&mut self, out: &mut Vec<SseEvent>) {
        let raw = std::mem::take(&mut self.buffer);
        let line = String::from_utf8_lossy(&raw);
        if line.is_empty() {
            if self.has_data {
                let mut ev = std::mem::take(&mut self.current);
                if ev.event.is_empty() {
                    ev.event = "message".into();
                }
                out.push(ev);
            } else {
                self.current = SseEvent::default();
            }
            self.has_data = false;
            return;
        }
        if line.starts_with(':') {
            return;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (&*line, ""),
        };
        match field {
            "event" => self.current.event = value.to_owned(),
            "data" => {
                if self.has_data {
                    self.current.data.push('\n');
                }
                self.current.data.push_str(value);
                self.has_data = true;
            }
            "id" if !value.contains('\0') => self.current.id = Some(value.to_owned()),
            _ => {}
        }
    }
}

/// Encodes one event for the wire.
pub fn encode(event: &str, data: &Value) -> String {
    format!("event: {event}\ndata: {data}\n\n")
}

/// A `delta` event's data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireDelta {
    /// The reply being streamed.
    pub message_id: String,
    /// Incremental text.
    pub text: String,
}

/// A `handoff` event's data: `{"status": "queued", "position"}`, `{"status": "connected",
/// "agentName"}` or `{"status": "ended"}`.
#[derive(Clone, Debug, PartialEq)]
pub enum WireHandoff {
    /// Waiting in a queue.
    Queued {
        /// Place in the queue.
        position: Option<u32>,
    },
    /// A human agent joined.
    Connected {
        /// Their name.
        agent_name: String,
    },
    /// The conversation ended.
    Ended,
}

impl WireHandoff {
    fn to_value(&self) -> Value {
        match self {
            WireHandoff::Queued { position } => json!({"status": "queued", "position": position}),
            WireHandoff::Connected { agent_name } => json!({"status": "connected", "agentName": agent_name}),
            WireHandoff::Ended => json!({"status": "ended"}),
        }
    }

    fn from_value(v: &Value) -> Result<WireHandoff, String> {
        match v.get("status").and_then(Value::as_str) {
            Some("queued") => Ok(WireHandoff::Queued {
                position: v.get("position").and_then(Value::as_u64).and_then(|p| u32::try_from(p).ok()),
            }),
            Some("connected") => match v.get("agentName").and_then(Value::as_str) {
                Some(name) => Ok(WireHandoff::Connected { agent_name: name.to_owned() }),
                None => Err("`connected` needs `agentName`".into()),
            },
            Some("ended") => Ok(WireHandoff::Ended),
            other => Err(format!("unknown handoff status {other:?}")),
        }
    }
}

/// The wire form of an agent event: (event name, data).
pub fn to_wire(event: &AgentEvent) -> (&'static str, Value) {
    match event {
        AgentEvent::Accepted => ("accepted", json!({})),
        AgentEvent::Typing => ("typing", json!({})),
        AgentEvent::Delta { message_id, text } => {
            ("delta", json!(WireDelta { message_id: message_id.clone(), text: text.clone() }))
        }
        AgentEvent::Message(m) => ("message", json!(m)),
        AgentEvent::Queued { position } => ("handoff", WireHandoff::Queued { position: *position }.to_value()),
        AgentEvent::Connected { agent_name } => {
            ("handoff", WireHandoff::Connected { agent_name: agent_name.clone() }.to_value())
        }
        AgentEvent::Ended => ("handoff", WireHandoff::Ended.to_value()),
        AgentEvent::Error(e) => ("error", json!(e)),
        AgentEvent::AuthExpired => ("error", json!(WidgetError::new(ErrorCode::AuthError, "token expired"))),
        AgentEvent::Malformed(why) => ("error", json!(WidgetError::new(ErrorCode::ProtocolError, why.clone()))),
    }
}

/// Reads a wire event. `Ok(None)`: an event this client does not know (ignored, for forward
/// compatibility) or the end-of-turn marker; `Err`: malformed data (rejected, not rendered).
pub fn from_wire(ev: &SseEvent) -> Result<Option<AgentEvent>, String> {
    let known = ["accepted", "typing", "delta", "message", "handoff", "error"];
    if !known.contains(&ev.event.as_str()) {
        return Ok(None);
    }
    let malformed = |e: &dyn std::fmt::Display| format!("malformed `{}` event: {e}", ev.event);
    let value: Value = serde_json::from_str(&ev.data).map_err(|e| malformed(&e))?;
    fn parse<T: serde::de::DeserializeOwned>(value: &Value) -> Result<T, serde_json::Error> {
        T::deserialize(value)
    }
    Ok(Some(match ev.event.as_str() {
        "accepted" => AgentEvent::Accepted,
        "typing" => AgentEvent::Typing,
        "delta" => {
            let d: WireDelta = parse(&value).map_err(|e| malformed(&e))?;
            AgentEvent::Delta { message_id: d.message_id, text: d.text }
        }
        "message" => AgentEvent::Message(parse::<AgentMessage>(&value).map_err(|e| malformed(&e))?),
        "handoff" => match WireHandoff::from_value(&value).map_err(|e| malformed(&e))? {
            WireHandoff::Queued { position } => AgentEvent::Queued { position },
            WireHandoff::Connected { agent_name } => AgentEvent::Connected { agent_name },
            WireHandoff::Ended => AgentEvent::Ended,
        },
        _ => AgentEvent::Error(parse::<WidgetError>(&value).map_err(|e| malformed(&e))?),
    }))
}

/// Reads an event of the live event stream: the reply stream's events (see [`from_wire`]) plus
/// `read` (`{"messageId"}`), each with its `id:`. `None`: an event this client does not know;
/// malformed data becomes [`AgentEvent::Malformed`] (reported, not rendered).
pub fn live_from_wire(ev: &SseEvent) -> Option<LiveEvent> {
    let id = ev.id.clone();
    if ev.event == "read" {
        let message_id = serde_json::from_str::<Value>(&ev.data)
            .ok()
            .and_then(|v| v.get("messageId").and_then(Value::as_str).map(str::to_owned));
        return Some(match message_id {
            Some(message_id) => LiveEvent::Read { id, message_id },
            None => LiveEvent::Event { id, event: AgentEvent::Malformed("malformed `read` event".into()) },
        });
    }
    match from_wire(ev) {
        Ok(Some(event)) => Some(LiveEvent::Event { id, event }),
        Ok(None) => None,
        Err(why) => Some(LiveEvent::Event { id, event: AgentEvent::Malformed(why) }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(parts: &[&[u8]]) -> Vec<SseEvent> {
        let mut p = SseParser::new();
        parts.iter().flat_map(|c| p.feed(c)).collect()
    }

    fn ev(event: &str, data: &str) -> SseEvent {
        SseEvent { event: event.into(), data: data.into(), id: None }
    }

    #[test]
    fn parses_events_split_anywhere() {
        let stream = b"event: delta\ndata: {\"a\":1}\n\nevent: message\ndata: x\n\n";
        let whole = events(&[stream]);
        assert_eq!(whole, [ev("delta", "{\"a\":1}"), ev("message", "x")]);
        for cut in 0..stream.len() {
            assert_eq!(events(&[&stream[..cut], &stream[cut..]]), whole, "cut at {cut}");
        }
        let bytewise: Vec<&[u8]> = stream.chunks(1).collect();
        assert_eq!(events(&bytewise), whole);
    }

    #[test]
    fn handles_crlf_cr_comments_multiline_and_defaults() {
        assert_eq!(
            events(&[b": keep-alive\r\ndata: one\r\ndata: two\r\n\r\nevent:typing\rdata:{}\r\r"]),
            [ev("message", "one\ntwo"), ev("typing", "{}")]
        );
        // A \r at the end of a chunk and its \n at the start of the next are one line end.
        assert_eq!(events(&[b"data: a\r", b"\n\r", b"\n"]), [ev("message", "a")]);
        // No data: nothing to dispatch.
        assert_eq!(events(&[b"event: ping\n\n"]), []);
        assert_eq!(events(&[b"id: 7\ndata: x\n\n"])[0].id.as_deref(), Some("7"));
    }

    #[test]
    fn keeps_utf8_split_across_chunks() {
        let stream = "data: héllo ✓\n\n".as_bytes();
        let at = stream.iter().position(|&b| b == 0xC3).unwrap() + 1; // inside "é"
        assert_eq!(events(&[&stream[..at], &stream[at..]]), [ev("message", "héllo ✓")]);
    }

    #[test]
    fn wire_events_round_trip() {
        let samples = [
            AgentEvent::Accepted,
            AgentEvent::Typing,
            AgentEvent::Delta { message_id: "r".into(), text: "Hel".into() },
            AgentEvent::Queued { position: Some(2) },
            AgentEvent::Connected { agent_name: "Dana".into() },
            AgentEvent::Ended,
            AgentEvent::Error(WidgetError::new(ErrorCode::SendError, "no")),
        ];
        for sample in samples {
            let (name, data) = to_wire(&sample);
            let back = from_wire(&SseEvent { event: name.into(), data: data.to_string(), id: None }).unwrap();
            assert_eq!(back, Some(sample));
        }
        let wire = encode("delta", &json!({"messageId": "r", "text": "a\nb"}));
        let parsed = SseParser::new().feed(wire.as_bytes());
        assert_eq!(
            from_wire(&parsed[0]).unwrap(),
            Some(AgentEvent::Delta { message_id: "r".into(), text: "a\nb".into() })
        );
    }

    #[test]
    fn live_events_keep_their_ids_and_read_receipts_parse() {
        let mut p = SseParser::new();
        let wire = b": heartbeat\n\nid: 7\nevent: handoff\ndata: {\"status\":\"connected\",\"agentName\":\"Dana\"}\n\n\
id: 8\nevent: read\ndata: {\"messageId\":\"u-1\"}\n\nid: 9\nevent: read\ndata: {}\n\nid: 10\nevent: later\ndata: {}\n\n";
        let events: Vec<Option<LiveEvent>> = p.feed(wire).iter().map(live_from_wire).collect();
        assert_eq!(
            events[0],
            Some(LiveEvent::Event { id: Some("7".into()), event: AgentEvent::Connected { agent_name: "Dana".into() } })
        );
        assert_eq!(events[1], Some(LiveEvent::Read { id: Some("8".into()), message_id: "u-1".into() }));
        assert!(matches!(&events[2], Some(LiveEvent::Event { event: AgentEvent::Malformed(_), .. })));
        assert_eq!(events[3], None, "unknown events are ignored");
        assert_eq!(events.len(), 4, "the heartbeat is no event");
    }

    #[test]
    fn malformed_data_is_an_error_and_unknown_events_are_ignored() {
        assert!(from_wire(&ev("message", "{not json")).unwrap_err().contains("malformed `message`"));
        assert!(from_wire(&ev("delta", "{\"text\": 1}")).is_err());
        assert_eq!(from_wire(&ev("done", "{}")).unwrap(), None);
        assert_eq!(from_wire(&ev("future-thing", "{}")).unwrap(), None);
    }
}
