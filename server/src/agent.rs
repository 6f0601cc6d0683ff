//! The agents behind `/api`: the scripted agent (the widget's demo script, streamed over SSE)
//! and a proxy to an OpenAI-compatible streaming chat endpoint (its key stays here).

use colloquy::agent::AgentEvent;
use colloquy::agent::AgentRequest;
use colloquy::agent::demo::{Memory, Step, chunks, script};
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
    /// Its bearer key (never sent to the browser). `None`: no `Authorization` header (local
    /// model servers).
    pub key: Option<String>,
    /// The model name.
    pub model: String,
    /// The system prompt, sent as the first message of every call.
    pub system: Option<String>,
}

impl Upstream {
    /// An upstream at `url` serving `model`, without a key or a system prompt.
    pub fn new(url: impl Into<String>, model: impl Into<String>) -> Self {
        Upstream { url: url.into(), key: None, model: model.into(), system: None }
    }

    /// The URL as logs show it: without user info, query or fragment (a query may hold a key).
    pub fn shown_url(&self) -> String {
        let url = self.url.split(['?', '#']).next().unwrap_or_default();
        match url.split_once("://") {
            Some((scheme, rest)) => {
                let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
                let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
                format!("{scheme}://{host}{path}")
            }
            None => url.to_owned(),
        }
    }
}

/// The tool the model is offered to hand the conversation to a human.
pub const TRANSFER_TOOL: &str = "transfer_to_human";

/// Most tool calls assembled from one upstream reply (fragments of later indexes are ignored).
pub const MAX_TOOL_CALLS: usize = 8;

/// Most bytes of one tool call's `function.arguments` kept (beyond: the call's arguments count
/// as malformed).
pub const MAX_TOOL_ARGUMENTS: usize = 8 * 1024;

/// Most characters of a hand-off reason kept (log and conversation store).
pub const MAX_REASON: usize = 500;

/// The `tools` of every upstream call: `transfer_to_human` with a `reason`.
pub fn tools() -> Value {
    json!([{
        "type": "function",
        "function": {
            "name": TRANSFER_TOOL,
            "description": "Transfer the conversation to a human member of the team. Call it when the visitor asks \
                for a person, or when you cannot help them. The visitor does not see the reason.",
            "parameters": {
                "type": "object",
                "properties": {
                    "reason": {"type": "string", "description": "Why the conversation needs a human, for the team."}
                },
                "required": ["reason"]
            }
        }
    }])
}

/// One tool call assembled from `delta.tool_calls[]` fragments.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ToolCall {
    /// The call's id (first fragment).
    pub id: String,
    /// The function's name (first fragment; later pieces are appended, as some servers split it).
    pub name: String,
    /// `function.arguments`, concatenated (at most [`MAX_TOOL_ARGUMENTS`] bytes).
    pub arguments: String,
    /// More arguments arrived than were kept.
    pub truncated: bool,
}

impl ToolCall {
    /// The `reason` of a `transfer_to_human` call: `"unspecified"` when the arguments are not a
    /// JSON object with a non-empty string `reason` (or were cut off). Capped at [`MAX_REASON`]
    /// characters.
    pub fn reason(&self) -> String {
        let parsed = (!self.truncated).then(|| serde_json::from_str::<Value>(&self.arguments).ok()).flatten();
        let reason = parsed
            .as_ref()
            .and_then(|v| v.get("reason"))
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .unwrap_or("unspecified");
        reason.chars().take(MAX_REASON).collect()
    }
}

/// The state of one upstream reply's stream: the text so far and the tool calls being assembled.
/// Tolerates a role-only first chunk, chunks with empty `choices` (the usage chunk), `[DONE]`,
/// and events that are not JSON (ignored).
#[derive(Debug, Default)]
pub struct UpstreamReply {
    /// The content text so far.
    pub text: String,
    /// The tool calls, by their `index`.
    pub calls: Vec<ToolCall>,
    /// The last `finish_reason` seen.
    pub finish_reason: Option<String>,
    /// The provider's in-stream error (`{"error": ...}`), for the log.
    pub error: Option<String>,
}

impl UpstreamReply {
    /// A reply at its start.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes one SSE event's `data`; returns the content text it adds (if any).
    pub fn feed(&mut self, data: &str) -> Option<String> {
        let data = data.trim();
        if data == "[DONE]" {
            return None;
        }
        let v: Value = serde_json::from_str(data).ok()?;
        if let Some(error) = v.get("error").filter(|e| !e.is_null()) {
            self.error = Some(error.to_string().chars().take(2_048).collect());
            return None;
        }
        // Only the first choice is read (the call asks for one).
        let choice =
            v.get("choices")?.as_array()?.iter().find(|c| c.get("index").and_then(Value::as_u64).unwrap_or(0) == 0)?;
        if let Some(reason) = choice.get("finish_reason").and_then(Value::as_str) {
            self.finish_reason = Some(reason.chars().take(64).collect());
        }
        let delta = choice.get("delta")?;
        if let Some(fragments) = delta.get("tool_calls").and_then(Value::as_array) {
            for fragment in fragments {
                self.tool_fragment(fragment);
            }
        }
        let text = delta.get("content").and_then(Value::as_str).filter(|t| !t.is_empty())?;
        self.text.push_str(text);
        Some(text.to_owned())
    }

    fn tool_fragment(&mut self, fragment: &Value) {
        let id = fragment.get("id").and_then(Value::as_str).filter(|i| !i.is_empty());
        let index = match fragment.get("index").and_then(Value::as_u64) {
            Some(i) => i as usize,
            // No index (some servers): a new id opens a new call, anything else continues the last.
            None => match (id, self.calls.last()) {
                (Some(id), Some(last)) if last.id != id => self.calls.len(),
                (_, Some(_)) => self.calls.len() - 1,
                (_, None) => 0,
            },
        };
        if index >= MAX_TOOL_CALLS {
            return;
        }
        if self.calls.len() <= index {
            self.calls.resize_with(index + 1, ToolCall::default);
        }
        let call = &mut self.calls[index];
        if let Some(id) = id.filter(|_| call.id.is_empty()) {
            call.id = id.chars().take(128).collect();
        }
        let function = fragment.get("function");
        if let Some(name) = function.and_then(|f| f.get("name")).and_then(Value::as_str)
            && call.name.len() + name.len() <= 128
        {
            call.name.push_str(name);
        }
        if let Some(piece) = function.and_then(|f| f.get("arguments")).and_then(Value::as_str) {
            if call.arguments.len() + piece.len() <= MAX_TOOL_ARGUMENTS {
                call.arguments.push_str(piece);
            } else {
                call.truncated = true;
            }
        }
    }

    /// The reason of the first `transfer_to_human` call, if the model made one.
    pub fn handoff(&self) -> Option<String> {
        self.calls.iter().find(|c| c.name == TRANSFER_TOOL).map(ToolCall::reason)
    }

    /// The names of the calls of tools the server does not know (for the log).
    pub fn unknown_tools(&self) -> Vec<&str> {
        self.calls
            .iter()
            .filter(|c| c.name != TRANSFER_TOOL && !(c.name.is_empty() && c.arguments.is_empty()))
            .map(|c| c.name.as_str())
            .collect()
    }
}

/// What a completed upstream reply leaves for the conversation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpstreamOutcome {
    /// The model's text (for the history).
    pub text: String,
    /// The model handed off, with this reason.
    pub handoff: Option<String>,
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
    messages: Mutex<Vec<AgentMessage>>,
}

impl Out {
    /// An output into `tx`, recording at most `record_cap` bytes.
    pub fn new(tx: Sender<String>, record_cap: usize) -> Self {
        Out { tx, record: Mutex::default(), record_cap, keep: AtomicBool::new(true), messages: Mutex::default() }
    }

    /// The complete messages sent so far (for the conversation's history in the store).
    pub fn take_messages(&self) -> Vec<AgentMessage> {
        std::mem::take(&mut self.messages.lock().expect("messages lock"))
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
        match ev {
            AgentEvent::Error(_) => self.keep.store(false, Ordering::Relaxed),
            // A reply has a handful of messages: this stays small.
            AgentEvent::Message(m) => self.messages.lock().expect("messages lock").push(m.clone()),
            _ => {}
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

/// Waits `d` between scripted steps. A zero pace only yields: `tokio::time::sleep(ZERO)` still
/// waits for the timer's next millisecond tick, which made an unpaced reply (the load bench, the
/// tests) take about 1 ms per chunk.
async fn pause(d: Duration) {
    if d.is_zero() {
        tokio::task::yield_now().await;
    } else {
        tokio::time::sleep(d).await;
    }
}

/// Streams scripted steps. Returns whether the whole reply went out.
pub async fn stream_steps(steps: Vec<Step>, pace: Pace, out: &Out) -> bool {
    for step in steps {
        let alive = match step {
            Step::Sleep(0) => {
                pause(pace.think).await;
                true
            }
            Step::Sleep(ms) => {
                pause(Duration::from_millis(ms.into())).await;
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
                    pause(pace.chunk).await;
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

/// The bounds of an upstream call besides its overall timeout (which the caller applies).
#[derive(Clone, Copy, Debug)]
pub struct UpstreamLimits {
    /// Most bytes of one upstream response body.
    pub max_bytes: usize,
    /// Pacing of the hand-off that follows a `transfer_to_human` call.
    pub pace: Pace,
}

/// Streams a reply from the upstream model, with the conversation's history, up to its complete
/// bot `message` (the caller ends the turn). Returns what the conversation keeps when it
/// completed. When the model calls `transfer_to_human`, the message is the model's text, or the
/// scripted `/handoff` line when it wrote none, and the outcome carries the reason: the caller
/// goes on as `/handoff` does (queued; or, scripted, connected and the human's greeting).
pub async fn upstream(
    client: &reqwest::Client,
    upstream: &Upstream,
    history: &[(String, String)],
    request: &AgentRequest,
    now_ms: f64,
    limits: UpstreamLimits,
    out: &Out,
) -> Option<UpstreamOutcome> {
    let mut messages: Vec<Value> = Vec::with_capacity(history.len() + 2);
    if let Some(system) = &upstream.system {
        messages.push(json!({"role": "system", "content": system}));
    }
    messages.extend(history.iter().map(|(role, content)| json!({"role": role, "content": content})));
    messages.push(json!({"role": "user", "content": request.text}));
    out.event(&AgentEvent::Accepted).await;
    out.event(&AgentEvent::Typing).await;
    let mut call = client.post(&upstream.url).json(&json!({
        "model": upstream.model,
        "stream": true,
        "messages": messages,
        "tools": tools(),
    }));
    if let Some(key) = &upstream.key {
        call = call.bearer_auth(key);
    }
    let shown = upstream.shown_url();
    let response = match call.send().await {
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
            eprintln!("colloquy-server: upstream {shown} answered {status}: {text}");
            out.event(&AgentEvent::Error(refused())).await;
            return None;
        }
        Err(e) => {
            eprintln!("colloquy-server: upstream {shown}: {}", e.without_url());
            out.event(&AgentEvent::Error(unreachable())).await;
            return None;
        }
    };
    let id = format!("{}-r", request.message_id);
    let mut parser = SseParser::new();
    let mut reply = UpstreamReply::new();
    let mut received = 0usize;
    let mut body = response.bytes_stream();
    while let Some(chunk) = body.next().await {
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(e) => {
                eprintln!("colloquy-server: upstream {shown}: the stream broke off: {}", e.without_url());
                out.event(&AgentEvent::Error(unreachable())).await;
                return None;
            }
        };
        // The parser's buffer, the text and the tool calls all grow at most by what arrives.
        received += chunk.len();
        if received > limits.max_bytes {
            eprintln!("colloquy-server: upstream {shown}: the reply passed {} bytes; cut off", limits.max_bytes);
            out.event(&AgentEvent::Error(refused())).await;
            return None;
        }
        for event in parser.feed(&chunk) {
            if let Some(delta) = reply.feed(&event.data)
                && !out.event(&AgentEvent::Delta { message_id: id.clone(), text: delta }).await
            {
                return None;
            }
            if let Some(error) = &reply.error {
                eprintln!("colloquy-server: upstream {shown} sent an error: {error}");
                out.event(&AgentEvent::Error(refused())).await;
                return None;
            }
        }
    }
    for name in reply.unknown_tools() {
        eprintln!(
            "colloquy-server: conversation {}: ignoring the model's call of an unknown tool {name:?}",
            request.conversation_id
        );
    }
    let handoff = reply.handoff();
    let mut text = reply.text;
    if let Some(reason) = &handoff {
        eprintln!(
            "colloquy-server: conversation {}: the model handed off to a human: {reason:?}",
            request.conversation_id
        );
        let (line, _) = handoff_steps(request, now_ms);
        if text.is_empty() {
            // The scripted line, streamed as `/handoff` streams it.
            for piece in chunks(&line) {
                if !out.event(&AgentEvent::Delta { message_id: id.clone(), text: piece }).await {
                    return None;
                }
                pause(limits.pace.chunk).await;
            }
            text = line;
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
    if !out.event(&AgentEvent::Message(message)).await {
        return None;
    }
    Some(UpstreamOutcome { text, handoff })
}

/// What follows the bot's message in the scripted agent's `/handoff` (taken from its script, so
/// a model's hand-off is the same on the wire), and the text of that bot message.
pub fn handoff_steps(request: &AgentRequest, now_ms: f64) -> (String, Vec<Step>) {
    let scripted = AgentRequest { text: "/handoff".into(), ..request.clone() };
    let mut steps = script(&scripted, &mut Memory::default(), now_ms).into_iter();
    let mut line = String::new();
    for step in steps.by_ref() {
        if let Step::Stream { message, .. } = step {
            line = message.plain_text();
            break;
        }
    }
    (line, steps.collect())
}
