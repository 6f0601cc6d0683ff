//! The agents behind `/api`: the scripted agent (the widget's demo script, streamed over SSE)
//! and a proxy to an OpenAI-compatible streaming chat endpoint (its key stays here).

use colloquy::agent::AgentEvent;
use colloquy::agent::AgentRequest;
use colloquy::agent::demo::{Memory, Step, script};
use colloquy::agent::sse::{SseParser, encode, to_wire};
use colloquy::events::{AgentKind, AgentMessage, ContentItem, ErrorCode, WidgetError};
use futures::StreamExt;
use futures::channel::mpsc::UnboundedSender;
use serde_json::{Value, json};
use std::time::Duration;

/// An OpenAI-compatible upstream (from the environment).
#[derive(Clone, Debug)]
pub struct Upstream {
    /// The chat completions URL.
    pub url: String,
    /// Its bearer key (never sent to the browser).
    pub key: String,
    /// The model name.
    pub model: String,
}

/// Pacing of the scripted agent.
#[derive(Clone, Copy, Debug)]
pub struct Pace {
    /// Before the first chunk.
    pub think: Duration,
    /// Between chunks.
    pub chunk: Duration,
}

/// Where the events of one reply go: the SSE body, and a record of everything sent (so a retry
/// of the same message gets the same reply). Sending returns `false` once the client went away.
pub struct Out {
    tx: UnboundedSender<String>,
    /// Everything sent so far.
    pub record: std::sync::Mutex<Vec<String>>,
}

impl Out {
    /// An output into `tx`.
    pub fn new(tx: UnboundedSender<String>) -> Self {
        Out { tx, record: Default::default() }
    }

    /// Sends one agent event.
    pub fn event(&self, ev: &AgentEvent) -> bool {
        let (name, data) = to_wire(ev);
        self.raw(encode(name, &data))
    }

    /// Sends raw wire text.
    pub fn raw(&self, text: String) -> bool {
        self.record.lock().expect("record lock").push(text.clone());
        self.tx.unbounded_send(text).is_ok()
    }

    /// Marks the end of the turn.
    pub fn done(&self) -> bool {
        self.raw(encode("done", &json!({})))
    }
}

/// The scripted reply to `request`, as the widget's demo agent would give it. `/malformed` has a
/// malformed event in the middle of an otherwise good reply (the fault the tests need).
pub fn scripted_steps(request: &AgentRequest, memory: &mut Memory, now_ms: f64) -> Vec<Step> {
    if request.text.trim() == "/malformed" {
        malformed_script(request, now_ms)
    } else {
        script(request, memory, now_ms)
    }
}

/// Streams scripted steps. Returns whether the whole reply went out.
pub async fn stream_steps(steps: Vec<Step>, pace: Pace, out: &Out) -> bool {
    for step in steps {
        let alive = match step {
            Step::Sleep(0) => {
                tokio::time::sleep(pace.think).await;
                true
            }
            Step::Sleep(ms) => {
                tokio::time::sleep(Duration::from_millis(ms.into())).await;
                true
            }
            Step::Emit(AgentEvent::Malformed(raw)) => out.raw(raw),
            Step::Emit(ev) => out.event(&ev),
            Step::Stream { chunks, message } => {
                let mut ok = true;
                for text in chunks {
                    ok = out.event(&AgentEvent::Delta { message_id: message.id.clone(), text });
                    if !ok {
                        break;
                    }
                    tokio::time::sleep(pace.chunk).await;
                }
                ok && out.event(&AgentEvent::Message(message))
            }
        };
        if !alive {
            return false;
        }
    }
    out.done()
}

fn malformed_script(request: &AgentRequest, now_ms: f64) -> Vec<Step> {
    let id = format!("{}-r", request.message_id);
    let message = AgentMessage {
        id: id.clone(),
        thread_id: request.conversation_id.clone(),
        content: vec![ContentItem::text(format!("{id}-0"), "Part one. Part two.")],
        timestamp: now_ms,
        from: AgentKind::Bot,
        agent_name: None,
    };
    vec![
        Step::Emit(AgentEvent::Accepted),
        Step::Emit(AgentEvent::Delta { message_id: id.clone(), text: "Part one. ".into() }),
        Step::Emit(AgentEvent::Malformed("event: message\ndata: {\"id\": \"broken\", \"content\": [{\n\n".into())),
        Step::Emit(AgentEvent::Delta { message_id: id, text: "Part two.".into() }),
        Step::Emit(AgentEvent::Message(message)),
    ]
}

/// Streams a reply from the upstream model, with the conversation's history. Returns the reply's
/// text (for the history) when it completed.
pub async fn upstream(
    client: &reqwest::Client,
    upstream: &Upstream,
    history: &[(String, String)],
    request: &AgentRequest,
    now_ms: f64,
    out: &Out,
) -> Option<String> {
    let mut messages: Vec<Value> =
        history.iter().map(|(role, content)| json!({"role": role, "content": content})).collect();
    messages.push(json!({"role": "user", "content": request.text}));
    out.event(&AgentEvent::Accepted);
    out.event(&AgentEvent::Typing);
    let response = client
        .post(&upstream.url)
        .bearer_auth(&upstream.key)
        .json(&json!({"model": upstream.model, "stream": true, "messages": messages}))
        .send()
        .await;
    let response = match response {
        Ok(r) if r.status().is_success() => r,
        Ok(r) => {
            let status = r.status().as_u16();
            let error = WidgetError::new(ErrorCode::SendError, format!("The model answered HTTP {status}."))
                .with_details(json!({"status": status}));
            out.event(&AgentEvent::Error(error));
            return None;
        }
        Err(e) => {
            let error = WidgetError::new(ErrorCode::ConnectionError, format!("Could not reach the model: {e}"));
            out.event(&AgentEvent::Error(error));
            return None;
        }
    };
    let id = format!("{}-r", request.message_id);
    let mut parser = SseParser::new();
    let mut text = String::new();
    let mut body = response.bytes_stream();
    while let Some(chunk) = body.next().await {
        let Ok(chunk) = chunk else {
            let error = WidgetError::new(ErrorCode::ConnectionError, "The model's stream broke off.");
            out.event(&AgentEvent::Error(error));
            return None;
        };
        for event in parser.feed(&chunk) {
            if event.data.trim() == "[DONE]" {
                continue;
            }
            let Ok(v) = serde_json::from_str::<Value>(&event.data) else { continue };
            if let Some(delta) = v.pointer("/choices/0/delta/content").and_then(Value::as_str).filter(|d| !d.is_empty())
            {
                text.push_str(delta);
                if !out.event(&AgentEvent::Delta { message_id: id.clone(), text: delta.to_owned() }) {
                    return None;
                }
            }
        }
    }
    let message = AgentMessage {
        id: id.clone(),
        thread_id: request.conversation_id.clone(),
        content: vec![ContentItem::text(format!("{id}-0"), &text)],
        timestamp: now_ms,
        from: AgentKind::Bot,
        agent_name: None,
    };
    out.event(&AgentEvent::Message(message));
    out.done();
    Some(text)
}
