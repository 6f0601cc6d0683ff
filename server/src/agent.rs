//! The agents behind `/api`: the scripted agent (the widget's demo script, streamed over SSE)
//! and a proxy to an OpenAI-compatible streaming chat endpoint (its key stays here).

use colloquy::agent::AgentEvent;
use colloquy::agent::AgentRequest;
use colloquy::agent::demo::{Memory, Step, script};
use colloquy::agent::sse::{SseParser, encode, to_wire};
use colloquy::events::{AgentKind, AgentMessage, ContentItem, ErrorCode, WidgetError};
use futures::StreamExt;
use serde_json::{Value, json};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::mpsc::Sender;

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

/// Events buffered per reply stream before the agent waits for the visitor to read (a slow
/// reader slows the agent, and the upstream model's stream, instead of growing memory).
pub const STREAM_BUFFER: usize = 32;

/// Where the events of one reply go: the SSE body, and a record of everything sent (so a retry
/// of the same message gets the same reply) up to a byte cap. Sending returns `false` once the
/// client went away.
pub struct Out {
    tx: Sender<String>,
    record: Mutex<(Vec<String>, usize)>,
    record_cap: usize,
    keep: AtomicBool,
}

impl Out {
    /// An output into `tx`, recording at most `record_cap` bytes.
    pub fn new(tx: Sender<String>, record_cap: usize) -> Self {
        Out { tx, record: Mutex::default(), record_cap, keep: AtomicBool::new(true) }
    }

    /// Whether the reply may be kept for retries: no `error` event went out and its record fit.
    pub fn keepable(&self) -> bool {
        self.keep.load(Ordering::Relaxed)
    }

    /// The record, when [`Out::keepable`].
    pub fn take_record(&self) -> Option<Vec<String>> {
        let record = std::mem::take(&mut self.record.lock().expect("record lock").0);
        self.keepable().then_some(record)
    }

    /// Sends one agent event.
    pub async fn event(&self, ev: &AgentEvent) -> bool {
        if matches!(ev, AgentEvent::Error(_)) {
            self.keep.store(false, Ordering::Relaxed);
        }
        let (name, data) = to_wire(ev);
        self.raw(encode(name, &data)).await
    }

    /// Sends raw wire text.
    pub async fn raw(&self, text: String) -> bool {
        if self.keepable() {
            let mut record = self.record.lock().expect("record lock");
            record.1 += text.len();
            if record.1 > self.record_cap {
                // Too big to keep: free what was recorded.
                self.keep.store(false, Ordering::Relaxed);
                *record = (Vec::new(), 0);
            } else {
                record.0.push(text.clone());
            }
        }
        self.tx.send(text).await.is_ok()
    }

    /// Sends wire text without recording it (a replay).
    pub async fn replay(&self, text: String) -> bool {
        self.tx.send(text).await.is_ok()
    }

    /// Marks the end of the turn.
    pub async fn done(&self) -> bool {
        self.raw(encode("done", &json!({}))).await
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
            Step::Emit(AgentEvent::Malformed(raw)) => out.raw(raw).await,
            Step::Emit(ev) => out.event(&ev).await,
            Step::Stream { chunks, message } => {
                let mut ok = true;
                for text in chunks {
                    ok = out.event(&AgentEvent::Delta { message_id: message.id.clone(), text }).await;
                    if !ok {
                        break;
                    }
                    tokio::time::sleep(pace.chunk).await;
                }
                ok && out.event(&AgentEvent::Message(message)).await
            }
        };
        if !alive {
            return false;
        }
    }
    out.done().await
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

/// The error the browser gets when the model cannot be reached, timed out or broke off. The
/// details (URL, provider text) go to the server's log only.
pub fn unreachable() -> WidgetError {
    WidgetError::new(ErrorCode::ConnectionError, "The agent could not be reached. Please try again.")
}

/// The error the browser gets when the model answered with an error status.
pub fn refused() -> WidgetError {
    WidgetError::new(ErrorCode::SendError, "The agent could not answer. Please try again.")
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
    out.event(&AgentEvent::Accepted).await;
    out.event(&AgentEvent::Typing).await;
    let response = client
        .post(&upstream.url)
        .bearer_auth(&upstream.key)
        .json(&json!({"model": upstream.model, "stream": true, "messages": messages}))
        .send()
        .await;
    let response = match response {
        Ok(r) if r.status().is_success() => r,
        Ok(r) => {
            let status = r.status();
            // The provider's error text, for the log (at most 2 KB of it).
            let mut body = r.bytes_stream();
            let mut bytes = Vec::new();
            while let Some(Ok(chunk)) = body.next().await {
                bytes.extend_from_slice(&chunk);
                if bytes.len() >= 2_048 {
                    bytes.truncate(2_048);
                    break;
                }
            }
            let text = String::from_utf8_lossy(&bytes);
            eprintln!("colloquy-server: upstream {} answered {status}: {text}", upstream.url);
            out.event(&AgentEvent::Error(refused())).await;
            return None;
        }
        Err(e) => {
            eprintln!("colloquy-server: upstream {}: {e}", upstream.url);
            out.event(&AgentEvent::Error(unreachable())).await;
            return None;
        }
    };
    let id = format!("{}-r", request.message_id);
    let mut parser = SseParser::new();
    let mut text = String::new();
    let mut body = response.bytes_stream();
    while let Some(chunk) = body.next().await {
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(e) => {
                eprintln!("colloquy-server: upstream {}: the stream broke off: {e}", upstream.url);
                out.event(&AgentEvent::Error(unreachable())).await;
                return None;
            }
        };
        for event in parser.feed(&chunk) {
            if event.data.trim() == "[DONE]" {
                continue;
            }
            let Ok(v) = serde_json::from_str::<Value>(&event.data) else { continue };
            if let Some(delta) = v.pointer("/choices/0/delta/content").and_then(Value::as_str).filter(|d| !d.is_empty())
            {
                text.push_str(delta);
                if !out.event(&AgentEvent::Delta { message_id: id.clone(), text: delta.to_owned() }).await {
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
    out.event(&AgentEvent::Message(message)).await;
    out.done().await;
    Some(text)
}
