//! Human hand-off: the live channel to the visitor and the agent API (docs/agent-protocol.md,
//! "The live channel" and "The agent API").
//!
//! - `GET /api/conversations/{id}/events`: the visitor's server-sent events (human messages,
//!   agent typing, hand-off changes, read receipts, the queue time-out), each with an `id:`,
//!   resumed with `Last-Event-ID`; heartbeats; `POST .../typing` and `POST .../read` for the
//!   visitor's side.
//! - `/api/agent/...`: agent tokens (`role: "agent"`), the inbox, take (one winner), send,
//!   typing, read, end, and the console's own event stream.
//!
//! Streams read the store ([`crate::db`]); the store's announcements only wake them.

// The error side of the helpers here is the answer itself (a `Response`): it is built once, on
// the way out.
#![allow(clippy::result_large_err)]

use crate::db::{self, Audience, Conversation, Event, NewEvent, Status, Take};
use crate::errors::{ApiJson, busy, error};
use crate::net::{Permit, Refusal};
use crate::{AppState, ClientAddress, Shared, Subject, auth, bearer, now, store_error, valid_id};
use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderName, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use colloquy::agent::AgentEvent;
use colloquy::agent::sse::to_wire;
use colloquy::events::{AgentKind, AgentMessage, ContentItem};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::time::Duration;
use tokio::sync::broadcast;

/// The `Last-Event-ID` header.
pub const LAST_EVENT_ID: HeaderName = HeaderName::from_static("last-event-id");

/// Events read from the store per query (a stream far behind catches up in pages).
pub const PAGE: i64 = 100;

/// A typing indicator is written at most this often per side and conversation.
pub const TYPING_EVERY: Duration = Duration::from_secs(2);

/// Most conversations in each list of the inbox, and history messages per conversation there.
pub const INBOX_LIMIT: i64 = 100;
/// History messages per conversation in the inbox.
pub const INBOX_HISTORY: i64 = 50;
/// History messages of one conversation (`GET /api/agent/conversations/{id}`).
pub const HISTORY_LIMIT: i64 = 500;

/// One SSE event with its id.
pub fn frame(id: &str, name: &str, data: &str) -> String {
    format!("id: {id}\nevent: {name}\ndata: {data}\n\n")
}

/// The heartbeat (a comment line).
pub const HEARTBEAT: &str = ": heartbeat\n\n";

fn event_stream(body: Body) -> Response {
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header(header::CACHE_CONTROL, "no-cache")
        // Proxies (nginx) must not buffer the stream.
        .header("x-accel-buffering", "no")
        .body(body)
        .expect("a valid response")
}

fn enter(st: &AppState, address: std::net::IpAddr) -> Result<Permit, Response> {
    st.event_streams.enter(address).map_err(|why| match why {
        Refusal::Server => busy(
            StatusCode::SERVICE_UNAVAILABLE,
            "UNAVAILABLE",
            "the server is at its event stream limit",
            st.limits.retry_after,
        ),
        Refusal::Address => busy(
            StatusCode::TOO_MANY_REQUESTS,
            "TOO_MANY_REQUESTS",
            "too many event streams from this address",
            st.limits.retry_after,
        ),
    })
}

fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "NOT_FOUND", "no such conversation")
}

/// The conversation `id` when `subject` may see it as its visitor (`404` when unknown, `403`
/// when another subject's).
async fn visitors_conversation(st: &AppState, id: &str, subject: Option<&str>) -> Result<Conversation, Response> {
    if !valid_id(id) {
        return Err(error(StatusCode::BAD_REQUEST, "BAD_REQUEST", "invalid conversation id"));
    }
    match st.store.conversation(id).await {
        Ok(Some(c)) if c.owner.as_deref() == subject => Ok(c),
        Ok(Some(_)) => Err(crate::forbidden()),
        Ok(None) => Err(not_found()),
        Err(e) => Err(store_error(e)),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Resume {
    #[serde(default)]
    last_event_id: Option<String>,
}

/// The id to resume after: the `Last-Event-ID` header, else the `lastEventId` query parameter
/// (for clients that cannot set headers), else 0 (from the start).
fn resume_after(headers: &HeaderMap, query: &Resume) -> Result<i64, Response> {
    let given =
        headers.get(LAST_EVENT_ID).map(|v| v.to_str().unwrap_or("?").to_owned()).or(query.last_event_id.clone());
    match given.as_deref().map(str::trim) {
        None | Some("") => Ok(0),
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| error(StatusCode::BAD_REQUEST, "BAD_REQUEST", "Last-Event-ID must be an event id")),
    }
}

/// The state of one visitor stream.
struct Tail {
    st: Shared,
    id: String,
    last: i64,
    sub: db::Subscription,
    pending: VecDeque<String>,
    _permit: Permit,
}

/// `GET /api/conversations/{id}/events`.
pub(crate) async fn visitor_events(
    State(st): State<Shared>,
    ClientAddress(address): ClientAddress,
    subject: Option<Extension<Subject>>,
    Path(id): Path<String>,
    Query(resume): Query<Resume>,
    headers: HeaderMap,
) -> Response {
    let after = match resume_after(&headers, &resume) {
        Ok(after) => after,
        Err(answer) => return answer,
    };
    if let Err(answer) = visitors_conversation(&st, &id, subject.as_ref().map(|s| s.0.0.as_str())).await {
        return answer;
    }
    let permit = match enter(&st, address) {
        Ok(p) => p,
        Err(answer) => return answer,
    };
    // Subscribe before the first read: an event committed in between wakes the stream.
    let sub = st.store.hub().subscribe(&id);
    let tail = Tail { st: st.clone(), id, last: after, sub, pending: VecDeque::new(), _permit: permit };
    let body = futures::stream::unfold(tail, |mut t| async move {
        loop {
            if let Some(chunk) = t.pending.pop_front() {
                return Some((Ok::<_, std::convert::Infallible>(chunk), t));
            }
            match t.st.store.events_after(&t.id, t.last, true, PAGE).await {
                Ok(events) if !events.is_empty() => {
                    for e in events {
                        t.last = e.seq;
                        t.pending.push_back(frame(&e.seq.to_string(), &e.kind, &e.data));
                    }
                    continue;
                }
                Ok(_) => {}
                // The store failed: end the stream; the client resumes from its last id.
                Err(e) => {
                    eprintln!("colloquy-server: event stream {}: {e:?}", t.id);
                    return None;
                }
            }
            tokio::select! {
                changed = t.sub.changed.changed() => if changed.is_err() { return None },
                () = tokio::time::sleep(t.st.api.heartbeat) => t.pending.push_back(HEARTBEAT.to_owned()),
                () = t.st.closing.wait() => return None,
            }
        }
    });
    event_stream(Body::from_stream(body))
}

/// `POST /api/conversations/{id}/typing`: the visitor is typing (shown to the agents while
/// the conversation is queued or taken; at most one event per 2 s).
pub(crate) async fn visitor_typing(
    State(st): State<Shared>,
    subject: Option<Extension<Subject>>,
    Path(id): Path<String>,
) -> Response {
    let c = match visitors_conversation(&st, &id, subject.as_ref().map(|s| s.0.0.as_str())).await {
        Ok(c) => c,
        Err(answer) => return answer,
    };
    if c.status.with_human() {
        let event = NewEvent::new(Audience::Agent, "typing", json!({"from": "visitor"}));
        if let Err(e) = st.store.typing(&id, false, TYPING_EVERY, event).await {
            return store_error(e);
        }
    }
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Read {
    message_id: String,
}

/// `POST /api/conversations/{id}/read` `{"messageId"}`: the visitor read the human's messages
/// up to this one (a `read` event for the agents).
pub(crate) async fn visitor_read(
    State(st): State<Shared>,
    subject: Option<Extension<Subject>>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Read>,
) -> Response {
    if !valid_id(&body.message_id) {
        return error(StatusCode::BAD_REQUEST, "BAD_REQUEST", "invalid messageId");
    }
    if let Err(answer) = visitors_conversation(&st, &id, subject.as_ref().map(|s| s.0.0.as_str())).await {
        return answer;
    }
    let event = NewEvent::new(Audience::Agent, "read", json!({"messageId": body.message_id, "from": "visitor"}));
    match st.store.append(&id, &[event]).await {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => store_error(e),
    }
}

/// `POST /api/conversations/{id}/end`: the visitor (or the host page) ended the conversation
/// while it was queued for or with a person: it leaves the queue, or the person's hands
/// (`handoff` ended on the visitor's stream, the change on the agents'). `204`, also when it was
/// not with a person (nothing to end).
pub(crate) async fn visitor_end(
    State(st): State<Shared>,
    subject: Option<Extension<Subject>>,
    Path(id): Path<String>,
) -> Response {
    let c = match visitors_conversation(&st, &id, subject.as_ref().map(|s| s.0.0.as_str())).await {
        Ok(c) => c,
        Err(answer) => return answer,
    };
    if c.status.with_human() {
        let (_, ended) = to_wire(&AgentEvent::Ended);
        let events = vec![NewEvent::new(Audience::Visitor, "handoff", ended)];
        if let Err(e) = st.store.end(&id, None, events).await {
            return store_error(e);
        }
    }
    StatusCode::NO_CONTENT.into_response()
}

// ---------------------------------------------------------------------------------------------
// The agent API.

/// The signed-in agent (from an agent token).
#[derive(Clone, Debug)]
pub struct Agent {
    /// The token's subject.
    pub sub: String,
    /// The display name the visitor sees (`name`, else `sub`).
    pub name: String,
}

/// Lets only agent tokens through: `401` `AUTH_ERROR` without a valid token (or when the server
/// has no secret), `403` `FORBIDDEN` for a valid token without `role: "agent"`.
pub(crate) async fn require_agent(State(st): State<Shared>, mut request: Request, next: Next) -> Response {
    let Some(secret) = &st.api.jwt_secret else {
        return error(
            StatusCode::UNAUTHORIZED,
            "AUTH_ERROR",
            "the agent API needs agent tokens: set COLLOQUY_JWT_SECRET",
        );
    };
    let token = request.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(bearer);
    let claims = match token.map(|t| auth::verify(secret, t, now().as_secs())) {
        Some(Ok(claims)) => claims,
        Some(Err(why)) => return error(StatusCode::UNAUTHORIZED, "AUTH_ERROR", &format!("token refused: {why:?}")),
        None => return error(StatusCode::UNAUTHORIZED, "AUTH_ERROR", "an agent token is required"),
    };
    if claims.get("role").and_then(Value::as_str) != Some("agent") {
        return error(StatusCode::FORBIDDEN, "FORBIDDEN", "this is not an agent token");
    }
    let sub = claims.get("sub").and_then(Value::as_str).unwrap_or_default().to_owned();
    let name = claims.get("name").and_then(Value::as_str).filter(|n| !n.trim().is_empty()).unwrap_or(&sub).to_owned();
    if sub.is_empty() {
        return error(StatusCode::FORBIDDEN, "FORBIDDEN", "an agent token needs a subject");
    }
    request.extensions_mut().insert(Agent { sub, name });
    next.run(request).await
}

/// The agent API's routes (under `/api/agent`).
pub(crate) fn agent_router() -> Router<Shared> {
    Router::new()
        .route("/conversations", get(inbox))
        .route("/conversations/{id}", get(one))
        .route("/conversations/{id}/take", post(take))
        .route("/conversations/{id}/messages", post(send))
        .route("/conversations/{id}/typing", post(typing))
        .route("/conversations/{id}/read", post(read))
        .route("/conversations/{id}/end", post(end))
        .route("/events", get(agent_events))
}

/// A conversation with its history (the last `limit` messages, oldest first).
async fn with_history(st: &AppState, c: &Conversation, limit: i64) -> Result<Value, Response> {
    let events = st.store.last_events(&c.id, "message", limit, false).await.map_err(store_error)?;
    let mut v = c.summary();
    let messages: Vec<Value> = events.iter().map(agent_data).collect();
    v["messages"] = Value::Array(messages);
    Ok(v)
}

/// An event's data as the agents' side sees it: the data object with `conversationId` and
/// `eventId` added.
fn agent_data(e: &Event) -> Value {
    let mut v: Value = serde_json::from_str(&e.data).unwrap_or_else(|_| json!({}));
    if let Some(o) = v.as_object_mut() {
        o.insert("conversationId".into(), json!(e.conversation_id));
        o.insert("eventId".into(), json!(e.seq));
    }
    v
}

async fn inbox_value(st: &AppState, agent: &Agent) -> Result<Value, Response> {
    let (queue, mine) = st.store.inbox(&agent.sub, INBOX_LIMIT).await.map_err(store_error)?;
    let mut lists = [Vec::new(), Vec::new()];
    for (list, convs) in lists.iter_mut().zip([queue, mine]) {
        for c in &convs {
            list.push(with_history(st, c, INBOX_HISTORY).await?);
        }
    }
    let [queue, mine] = lists;
    Ok(json!({"agent": {"sub": agent.sub, "name": agent.name}, "queue": queue, "mine": mine}))
}

/// `GET /api/agent/conversations`: the queue (oldest first) and my conversations, each with
/// its last messages.
async fn inbox(State(st): State<Shared>, Extension(agent): Extension<Agent>) -> Response {
    match inbox_value(&st, &agent).await {
        Ok(v) => Json(v).into_response(),
        Err(answer) => answer,
    }
}

/// The conversation when the agent may act on it: queued (anyone may look) or theirs.
async fn agents_conversation(
    st: &AppState,
    id: &str,
    agent: &Agent,
    mine_only: bool,
) -> Result<Conversation, Response> {
    if !valid_id(id) {
        return Err(error(StatusCode::BAD_REQUEST, "BAD_REQUEST", "invalid conversation id"));
    }
    let c = match st.store.conversation(id).await {
        Ok(Some(c)) => c,
        Ok(None) => return Err(not_found()),
        Err(e) => return Err(store_error(e)),
    };
    let mine = c.status == Status::Active && c.agent.as_deref() == Some(agent.sub.as_str());
    if mine {
        return Ok(c);
    }
    if c.status == Status::Active {
        return Err(error(StatusCode::FORBIDDEN, "FORBIDDEN", "another agent has this conversation"));
    }
    if mine_only {
        let why = match c.status {
            Status::Queued => "take the conversation first",
            _ => "the conversation is not with a human",
        };
        return Err(error(StatusCode::CONFLICT, "CONFLICT", why));
    }
    Ok(c)
}

/// `GET /api/agent/conversations/{id}`: one conversation with its history.
async fn one(State(st): State<Shared>, Extension(agent): Extension<Agent>, Path(id): Path<String>) -> Response {
    let c = match agents_conversation(&st, &id, &agent, false).await {
        Ok(c) => c,
        Err(answer) => return answer,
    };
    match with_history(&st, &c, HISTORY_LIMIT).await {
        Ok(v) => Json(v).into_response(),
        Err(answer) => answer,
    }
}

/// The `read` receipt for the visitor: their messages up to the last one are read (`None` when
/// there is none, or it was sent already).
async fn read_receipt(st: &AppState, id: &str) -> Result<Option<NewEvent>, Response> {
    let last = st.store.last_events(id, "message", 20, false).await.map_err(store_error)?;
    let visitor = last.iter().rev().find_map(|e| {
        let v: Value = serde_json::from_str(&e.data).ok()?;
        (v.get("from")? == "visitor").then(|| v.get("id")?.as_str().map(str::to_owned)).flatten()
    });
    let Some(visitor) = visitor else { return Ok(None) };
    let sent = st.store.last_events(id, "read", 1, true).await.map_err(store_error)?;
    let sent = sent.first().and_then(|e| serde_json::from_str::<Value>(&e.data).ok());
    if sent.as_ref().and_then(|v| v.get("messageId")).and_then(Value::as_str) == Some(visitor.as_str()) {
        return Ok(None);
    }
    Ok(Some(NewEvent::new(Audience::Visitor, "read", json!({"messageId": visitor}))))
}

/// `POST /api/agent/conversations/{id}/take`: exactly one of concurrent takers wins; the
/// others get `409`.
async fn take(State(st): State<Shared>, Extension(agent): Extension<Agent>, Path(id): Path<String>) -> Response {
    if !valid_id(&id) {
        return error(StatusCode::BAD_REQUEST, "BAD_REQUEST", "invalid conversation id");
    }
    let (_, connected) = to_wire(&AgentEvent::Connected { agent_name: agent.name.clone() });
    let mut events = vec![NewEvent::new(Audience::Visitor, "handoff", connected)];
    match read_receipt(&st, &id).await {
        Ok(receipt) => events.extend(receipt),
        Err(answer) => return answer,
    }
    match st.store.take(&id, &agent.sub, events).await {
        Ok(Take::Taken(c)) => Json(json!({"conversation": c.summary()})).into_response(),
        Ok(Take::Missing) => not_found(),
        Ok(Take::Conflict(status, by)) => {
            let why = match (status, by) {
                (Status::Active, Some(by)) if by == agent.sub => "you have this conversation already".to_owned(),
                (Status::Active, _) => "another agent took this conversation".to_owned(),
                (s, _) => format!("the conversation is not in the queue (it is {})", s.as_str()),
            };
            error(StatusCode::CONFLICT, "CONFLICT", &why)
        }
        Err(e) => store_error(e),
    }
}

#[derive(Deserialize)]
pub(crate) struct AgentText {
    #[serde(default)]
    id: Option<String>,
    text: String,
}

/// `POST /api/agent/conversations/{id}/messages` `{"text", "id"?}`: a message to the visitor
/// (their event stream gets it as `message` with `from: "human"`).
async fn send(
    State(st): State<Shared>,
    Extension(agent): Extension<Agent>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AgentText>,
) -> Response {
    if body.text.trim().is_empty() || body.text.chars().count() > crate::MAX_TEXT {
        return error(StatusCode::BAD_REQUEST, "SEND_ERROR", "the text is empty or too long");
    }
    let message_id = body.id.unwrap_or_else(|| format!("h-{}", now().as_nanos()));
    if !valid_id(&message_id) {
        return error(StatusCode::BAD_REQUEST, "SEND_ERROR", "invalid message id");
    }
    if let Err(answer) = agents_conversation(&st, &id, &agent, true).await {
        return answer;
    }
    let message = AgentMessage {
        id: message_id.clone(),
        thread_id: id.clone(),
        content: vec![ContentItem::text(format!("{message_id}-0"), &body.text)],
        timestamp: now().as_millis() as f64,
        from: AgentKind::Human,
        agent_name: Some(agent.name.clone()),
    };
    let (_, data) = to_wire(&AgentEvent::Message(message));
    let mut events = vec![NewEvent::new(Audience::Both, "message", data)];
    match read_receipt(&st, &id).await {
        Ok(receipt) => events.extend(receipt),
        Err(answer) => return answer,
    }
    match st.store.append(&id, &events).await {
        Ok(seqs) => (StatusCode::CREATED, Json(json!({"id": message_id, "eventId": seqs[0]}))).into_response(),
        Err(e) => store_error(e),
    }
}

/// `POST /api/agent/conversations/{id}/typing`: the agent is typing (the visitor's stream gets
/// `typing`; at most one event per 2 s).
async fn typing(State(st): State<Shared>, Extension(agent): Extension<Agent>, Path(id): Path<String>) -> Response {
    if let Err(answer) = agents_conversation(&st, &id, &agent, true).await {
        return answer;
    }
    let event = NewEvent::new(Audience::Visitor, "typing", json!({}));
    match st.store.typing(&id, true, TYPING_EVERY, event).await {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => store_error(e),
    }
}

/// `POST /api/agent/conversations/{id}/read`: the agent read the visitor's messages so far.
async fn read(State(st): State<Shared>, Extension(agent): Extension<Agent>, Path(id): Path<String>) -> Response {
    if let Err(answer) = agents_conversation(&st, &id, &agent, true).await {
        return answer;
    }
    let receipt = match read_receipt(&st, &id).await {
        Ok(r) => r,
        Err(answer) => return answer,
    };
    match st.store.append(&id, &receipt.into_iter().collect::<Vec<_>>()).await {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => store_error(e),
    }
}

/// `POST /api/agent/conversations/{id}/end`: ends the hand-off (the visitor's stream gets
/// `handoff` ended). An agent ends their own conversations, or one still in the queue (to
/// clear the inbox).
async fn end(State(st): State<Shared>, Extension(agent): Extension<Agent>, Path(id): Path<String>) -> Response {
    let c = match agents_conversation(&st, &id, &agent, false).await {
        Ok(c) => c,
        Err(answer) => return answer,
    };
    if !c.status.with_human() {
        return error(StatusCode::CONFLICT, "CONFLICT", "the conversation is not with a human");
    }
    let (_, ended) = to_wire(&AgentEvent::Ended);
    let events = vec![NewEvent::new(Audience::Visitor, "handoff", ended)];
    let by = (c.status == Status::Active).then_some(agent.sub.as_str());
    match st.store.end(&id, by, events).await {
        Ok(Some(_)) => match st.store.conversation(&id).await {
            Ok(Some(c)) => Json(json!({"conversation": c.summary()})).into_response(),
            Ok(None) => not_found(),
            Err(e) => store_error(e),
        },
        Ok(None) => error(StatusCode::CONFLICT, "CONFLICT", "the conversation changed meanwhile; reload it"),
        Err(e) => store_error(e),
    }
}

/// The state of one agent's stream.
struct AgentTail {
    st: Shared,
    agent: Agent,
    notes: broadcast::Receiver<db::Note>,
    pending: VecDeque<String>,
    snapshot: bool,
    _permit: Permit,
}

impl AgentTail {
    /// What the agent's stream sends for event `seq` of `conversation` (nothing when it is not
    /// for this agent).
    async fn forward(&mut self, conversation: &str, seq: i64) -> Result<(), Response> {
        let Some(e) = self.st.store.event(conversation, seq).await.map_err(store_error)? else { return Ok(()) };
        if !e.for_agents() {
            return Ok(());
        }
        let id = format!("{seq}@{conversation}");
        if e.kind == "conversation" {
            // Every agent sees the queue change.
            self.pending.push_back(frame(&id, "conversation", &agent_data(&e).to_string()));
            return Ok(());
        }
        let Some(c) = self.st.store.conversation(conversation).await.map_err(store_error)? else { return Ok(()) };
        let mine = c.agent.as_deref() == Some(self.agent.sub.as_str());
        if c.status == Status::Queued || (c.status == Status::Active && mine) {
            self.pending.push_back(frame(&id, &e.kind, &agent_data(&e).to_string()));
        }
        Ok(())
    }
}

/// `GET /api/agent/events`: the console's live stream. It starts with `snapshot` (the inbox,
/// as `GET /api/agent/conversations`), then `conversation` (a conversation was queued, taken,
/// ended or timed out), and for queued conversations and the agent's own: `message` (the
/// visitor's, the bot's, the humans'), `typing` (the visitor) and `read`. After a gap (a lost
/// announcement) it sends a fresh `snapshot`.
async fn agent_events(
    State(st): State<Shared>,
    ClientAddress(address): ClientAddress,
    Extension(agent): Extension<Agent>,
) -> Response {
    let permit = match enter(&st, address) {
        Ok(p) => p,
        Err(answer) => return answer,
    };
    let notes = st.store.hub().agents();
    let tail = AgentTail { st: st.clone(), agent, notes, pending: VecDeque::new(), snapshot: true, _permit: permit };
    let body = futures::stream::unfold(tail, |mut t| async move {
        loop {
            if let Some(chunk) = t.pending.pop_front() {
                return Some((Ok::<_, std::convert::Infallible>(chunk), t));
            }
            if t.snapshot {
                t.snapshot = false;
                match inbox_value(&t.st, &t.agent).await {
                    Ok(v) => {
                        t.pending.push_back(frame(&format!("snapshot-{}", db::now_ms()), "snapshot", &v.to_string()))
                    }
                    Err(_) => return None,
                }
                continue;
            }
            tokio::select! {
                note = t.notes.recv() => match note {
                    Ok(note) if note.conversation.is_empty() => t.snapshot = true,
                    Ok(note) => if t.forward(&note.conversation.clone(), note.seq).await.is_err() { return None },
                    Err(broadcast::error::RecvError::Lagged(_)) => t.snapshot = true,
                    Err(broadcast::error::RecvError::Closed) => return None,
                },
                () = tokio::time::sleep(t.st.api.heartbeat) => t.pending.push_back(HEARTBEAT.to_owned()),
                () = t.st.closing.wait() => return None,
            }
        }
    });
    event_stream(Body::from_stream(body))
}
