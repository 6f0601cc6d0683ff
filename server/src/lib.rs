//! Colloquy's reference server.
//!
//! - Serves a built widget directory (`dist/`): the widget page and `embed.js` at the root, the
//!   demo bundle under `/demo/` (unknown `/demo/...` paths get the demo page, for its routes);
//!   precompressed files, cache headers by name, the widget page's security headers
//!   ([`statics`]).
//! - Speaks the agent protocol under `/api` (docs/agent-protocol.md): a scripted agent by
//!   default, or a proxy to an OpenAI-compatible streaming endpoint; HS256 JWTs when a secret is
//!   set, conversations bound to the token's subject; a CORS allowlist; request size limits.
//!   Retries of a message id get the same reply (completed replies only).
//! - Human hand-off for real ([`live`]): a queue, a live event stream per conversation
//!   (`GET /api/conversations/{id}/events`, resumed with `Last-Event-ID`), and the agent API
//!   under `/api/agent` (agent tokens, take, send, typing, end, a live stream for the console).
//! - Conversations, their events, the queue and the replies kept for retries live in a
//!   database ([`db`]): SQLite by default, Postgres for several instances (LISTEN/NOTIFY carries
//!   events between them). The server keeps no conversation state of its own.
//! - Every resource has a bound ([`net::Limits`], [`StoreLimits`]): connections, streams, header,
//!   body and idle time, the store's tables, upstream calls. Every rejection is the JSON
//!   `{"code", "message"}` ([`errors`]).

#![warn(missing_docs)]

pub mod agent;
pub mod auth;
pub mod db;
pub mod errors;
pub mod live;
pub mod net;
pub mod statics;
pub mod store;

use agent::{Out, Pace, Upstream};
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use colloquy::agent::demo::{Memory, Step};
use colloquy::agent::{AgentEvent, AgentRequest};
use colloquy::events::{AgentKind, AgentMessage, ContentItem, ErrorCode, WidgetError};
use db::{Audience, Claim, NewEvent, Store, StoreError};
use errors::{ApiJson, busy, error};
use net::{Closing, Gate, Limits, Refusal};
use serde::Deserialize;
use serde_json::json;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use store::Bounds;
use tower::ServiceBuilder;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::RequestBodyTimeoutLayer;

/// The bounds of the store's tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoreLimits {
    /// Completed replies kept for retries (by owner, conversation and message id).
    pub replies: Bounds,
    /// Conversations with their events (`max_bytes`: the events' data in all; `ttl`: from the
    /// last change).
    pub conversations: Bounds,
    /// Most events of one conversation (beyond: `429`).
    pub max_events: usize,
    /// A queued conversation no agent took within this gets the time-out message (`None`:
    /// never).
    pub queue_timeout: Option<Duration>,
}

impl Default for StoreLimits {
    fn default() -> Self {
        let d = db::DbBounds::default();
        StoreLimits {
            replies: Bounds { max_entries: d.max_replies, max_bytes: d.max_reply_bytes, ttl: d.reply_ttl },
            conversations: Bounds { max_entries: d.max_conversations, max_bytes: d.max_bytes, ttl: d.conversation_ttl },
            max_events: d.max_events,
            queue_timeout: d.queue_timeout,
        }
    }
}

impl StoreLimits {
    /// The store's bounds.
    pub fn db(&self) -> db::DbBounds {
        db::DbBounds {
            max_conversations: self.conversations.max_entries,
            max_bytes: self.conversations.max_bytes,
            conversation_ttl: self.conversations.ttl,
            max_events: self.max_events,
            max_replies: self.replies.max_entries,
            max_reply_bytes: self.replies.max_bytes,
            reply_ttl: self.replies.ttl,
            queue_timeout: self.queue_timeout,
        }
    }
}

/// Who answers once a conversation is handed off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Handoff {
    /// A person, through the agent API: the conversation waits in the queue (the default).
    Queue,
    /// The scripted human of the demo (queued, connected and answered within the reply).
    Scripted,
}

/// The agent API's settings.
#[derive(Clone, Debug)]
pub struct ApiOptions {
    /// HS256 secret: when set, every call needs a valid bearer token.
    pub jwt_secret: Option<Vec<u8>>,
    /// Serve `POST /api/token` (short-lived tokens, for the demo and tests).
    pub dev_tokens: bool,
    /// Proxy this model instead of the scripted agent.
    pub upstream: Option<Upstream>,
    /// A whole upstream call (connect to the last byte) ends after this.
    pub upstream_timeout: Duration,
    /// Most bytes of one upstream response body (beyond: cut off, an `error` event).
    pub upstream_max_bytes: usize,
    /// Scripted agent pacing.
    pub pace: Pace,
    /// Largest request body in bytes.
    pub body_limit: usize,
    /// The bounds of the store.
    pub stores: StoreLimits,
    /// The database: `sqlite://PATH`, `sqlite::memory:` (the default here; `colloquy-server`
    /// defaults to a file, see [`db::default_url`]) or `postgres://...`.
    pub database: String,
    /// Who answers after a hand-off.
    pub handoff: Handoff,
    /// A comment line goes down every open event stream this often.
    pub heartbeat: Duration,
}

impl Default for ApiOptions {
    fn default() -> Self {
        ApiOptions {
            jwt_secret: None,
            dev_tokens: false,
            upstream: None,
            upstream_timeout: Duration::from_secs(120),
            upstream_max_bytes: 4 << 20,
            pace: Pace { think: Duration::from_millis(250), chunk: Duration::from_millis(35) },
            body_limit: 64 * 1024,
            stores: StoreLimits::default(),
            database: "sqlite::memory:".into(),
            handoff: Handoff::Queue,
            heartbeat: Duration::from_secs(15),
        }
    }
}

/// What the server serves.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The built widget (trunk's `dist/`).
    pub dist: Option<PathBuf>,
    /// The agent API, if enabled.
    pub api: Option<ApiOptions>,
    /// The sites allowed to embed the widget (`scheme://host[:port]`): the agent API's CORS, the
    /// widget page's `frame-ancestors` and `connect-src`, and the list the widget page checks
    /// its host against. Empty: same origin only.
    pub allowed_origins: Vec<String>,
    /// Origins of agent APIs elsewhere that the widget page may call (its `connect-src`, besides
    /// its own origin and the allowed origins).
    pub agent_origins: Vec<String>,
    /// Timeouts and caps.
    pub limits: Limits,
    /// Tells reply streams to end (graceful shutdown, see [`net::serve`]).
    pub closing: Closing,
}

/// Longest message text accepted.
pub const MAX_TEXT: usize = 8_000;

/// Most history messages kept per conversation for the upstream model.
pub const MAX_HISTORY: usize = 40;

/// Parses an allowed-origins setting (comma- or space-separated). Returns the valid origins
/// (`http(s)://host[:port]`, no path) and the refused entries.
pub fn parse_origins(setting: &str) -> (Vec<String>, Vec<String>) {
    let (mut ok, mut bad) = (Vec::new(), Vec::new());
    for entry in setting.split([',', ' ']).map(str::trim).filter(|e| !e.is_empty()) {
        let entry = entry.trim_end_matches('/');
        let rest = entry.strip_prefix("https://").or_else(|| entry.strip_prefix("http://"));
        let valid = rest.is_some_and(|r| {
            !r.is_empty() && r.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        });
        if valid { ok.push(entry.to_owned()) } else { bad.push(entry.to_owned()) }
    }
    (ok, bad)
}

/// The start-up line naming the upstream: its URL without user info or query, the model, whether
/// a key and a system prompt are set (never the key itself).
pub fn upstream_summary(upstream: &Upstream) -> String {
    let key = if upstream.key.is_some() { "a key" } else { "no key" };
    let system = match &upstream.system {
        Some(s) => format!("a system prompt of {} characters", s.chars().count()),
        None => "no system prompt".to_owned(),
    };
    format!(
        "upstream model {:?} at {} ({key}, {system}; offered the tool {})",
        upstream.model,
        upstream.shown_url(),
        agent::TRANSFER_TOOL
    )
}

/// The model's system prompt from its two settings: the text (`COLLOQUY_UPSTREAM_SYSTEM`) or a
/// file to read (`COLLOQUY_UPSTREAM_SYSTEM_FILE`). An error (for the start-up) when both are set
/// or the file cannot be read or is empty.
pub fn system_prompt(text: Option<String>, file: Option<&std::path::Path>) -> Result<Option<String>, String> {
    let Some(path) = file else { return Ok(text) };
    if text.is_some() {
        return Err("set COLLOQUY_UPSTREAM_SYSTEM or COLLOQUY_UPSTREAM_SYSTEM_FILE, not both".into());
    }
    match std::fs::read_to_string(path) {
        Ok(text) if !text.trim().is_empty() => Ok(Some(text)),
        Ok(_) => Err(format!("COLLOQUY_UPSTREAM_SYSTEM_FILE {} is empty", path.display())),
        Err(e) => Err(format!("cannot read COLLOQUY_UPSTREAM_SYSTEM_FILE {}: {e}", path.display())),
    }
}

/// Warnings `colloquy-server` prints at start-up for these settings.
pub fn startup_warnings(api: &ApiOptions) -> Vec<String> {
    let mut out = Vec::new();
    match (api.dev_tokens, &api.jwt_secret) {
        (true, Some(_)) => out.push(
            "WARNING: COLLOQUY_DEV_TOKENS=1: POST /api/token mints a token for ANY subject to ANYONE who asks. \
             This is for the demo and tests only; never enable it on a public server."
                .to_owned(),
        ),
        (true, None) => out.push("COLLOQUY_DEV_TOKENS=1 has no effect without COLLOQUY_JWT_SECRET".to_owned()),
        _ => {}
    }
    out
}

struct AppState {
    api: ApiOptions,
    limits: Limits,
    store: Store,
    streams: Arc<Gate>,
    /// Open event streams (visitors' and agents').
    event_streams: Arc<Gate>,
    closing: Closing,
    client: reqwest::Client,
}

type Shared = Arc<AppState>;

fn now() -> Duration {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default()
}

/// The HTTP application. The store is opened lazily (its migrations run on the first call);
/// [`start`] opens it first, so that a database that cannot be reached stops the start-up.
pub fn app(options: &Options) -> Router {
    match &options.api {
        Some(api) => match Store::new(&api.database, api.stores.db()) {
            Ok(store) => app_with_store(options, store),
            Err(e) => panic!("colloquy-server: {e}"),
        },
        None => app_with_store_opt(options, None),
    }
}

/// Opens the store (applying its migrations), then builds the application.
pub async fn start(options: &Options) -> Result<Router, String> {
    let Some(api) = &options.api else { return Ok(app_with_store_opt(options, None)) };
    let store = Store::new(&api.database, api.stores.db())?;
    store.ready().await.map_err(|e| format!("database {}: {e:?}", db::shown_url(&api.database)))?;
    Ok(app_with_store(options, store))
}

/// The application on an open store (several applications may share one: instances in tests).
pub fn app_with_store(options: &Options, store: Store) -> Router {
    app_with_store_opt(options, Some(store))
}

fn app_with_store_opt(options: &Options, store: Option<Store>) -> Router {
    let mut router = Router::new();
    if let (Some(api), Some(store)) = (&options.api, store) {
        router = router.nest("/api", api_router(api.clone(), options, store));
    }
    if let Some(dist) = &options.dist {
        router = router.merge(statics::router(dist, &options.allowed_origins, &options.agent_origins));
    }
    router
        .layer(middleware::from_fn(errors::json_errors))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ))
}

fn api_router(api: ApiOptions, options: &Options, store: Store) -> Router {
    let origins: Vec<HeaderValue> = options.allowed_origins.iter().filter_map(|o| o.parse().ok()).collect();
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT, live::LAST_EVENT_ID])
        .expose_headers([header::RETRY_AFTER])
        .max_age(Duration::from_secs(600));
    let limit = api.body_limit;
    let body_timeout = options.limits.body_timeout;
    // reqwest is built without a default TLS provider: use ring (no-op if one is installed).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let state: Shared = Arc::new(AppState {
        store,
        streams: Gate::new(options.limits.max_streams, options.limits.max_streams_per_address),
        event_streams: Gate::new(options.limits.max_event_streams, options.limits.max_event_streams_per_address),
        limits: options.limits.clone(),
        closing: options.closing.clone(),
        client: reqwest::Client::builder().connect_timeout(Duration::from_secs(10)).build().unwrap_or_default(),
        api,
    });
    let protected = Router::new()
        .route("/conversations", post(create_conversation))
        .route("/conversations/{id}/messages", post(post_message))
        .route("/conversations/{id}/events", get(live::visitor_events))
        .route("/conversations/{id}/typing", post(live::visitor_typing))
        .route("/conversations/{id}/read", post(live::visitor_read))
        .route("/conversations/{id}/end", post(live::visitor_end))
        .layer(middleware::from_fn_with_state(state.clone(), require_token));
    let agents = live::agent_router().layer(middleware::from_fn_with_state(state.clone(), live::require_agent));
    // A body announced larger than the limit is refused at once (413); a body that trickles is
    // cut off after the body timeout (408).
    let bodies = ServiceBuilder::new()
        .layer(RequestBodyLimitLayer::new(limit))
        .map_request(|r: Request<tower_http::body::Limited<Body>>| r.map(Body::new))
        .layer(RequestBodyTimeoutLayer::new(body_timeout))
        .map_request(|r: Request<tower_http::timeout::TimeoutBody<Body>>| r.map(Body::new));
    Router::new()
        .route("/health", get(health))
        .route("/token", post(mint_token))
        .merge(protected)
        .nest("/agent", agents)
        .layer(DefaultBodyLimit::max(limit))
        .layer(bodies)
        .layer(cors)
        .with_state(state)
}

async fn health(State(st): State<Shared>) -> Json<serde_json::Value> {
    let agent = if st.api.upstream.is_some() { "upstream" } else { "scripted" };
    let handoff = match st.api.handoff {
        Handoff::Queue => "queue",
        Handoff::Scripted => "scripted",
    };
    let store = match st.store.backend() {
        db::Backend::Sqlite => "sqlite",
        db::Backend::Postgres => "postgres",
    };
    Json(json!({"ok": true, "agent": agent, "auth": st.api.jwt_secret.is_some(), "handoff": handoff, "store": store}))
}

/// The verified token's `sub` (empty when the token has none).
#[derive(Clone, Debug)]
struct Subject(String);

/// The bearer token of an `Authorization` header (the scheme is case-insensitive).
pub fn bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

/// Rejects calls without a valid bearer token (when a secret is set) with 401 `AUTH_ERROR`.
async fn require_token(State(st): State<Shared>, mut request: Request, next: Next) -> Response {
    let Some(secret) = &st.api.jwt_secret else { return next.run(request).await };
    let token = request.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(bearer);
    match token.map(|t| auth::verify(secret, t, now().as_secs())) {
        Some(Ok(claims)) => {
            let sub = claims.get("sub").and_then(|s| s.as_str()).unwrap_or_default().to_owned();
            request.extensions_mut().insert(Subject(sub));
            next.run(request).await
        }
        Some(Err(why)) => error(StatusCode::UNAUTHORIZED, "AUTH_ERROR", &format!("token refused: {why:?}")),
        None => error(StatusCode::UNAUTHORIZED, "AUTH_ERROR", "a bearer token is required"),
    }
}

/// The client's address (see [`net::client_address`]).
struct ClientAddress(IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddress(net::client_address(&parts.extensions)))
    }
}

#[derive(Deserialize)]
struct TokenRequest {
    #[serde(default)]
    sub: Option<String>,
    #[serde(default)]
    ttl: Option<u64>,
}

async fn mint_token(State(st): State<Shared>, body: Option<Json<TokenRequest>>) -> Response {
    let (true, Some(secret)) = (st.api.dev_tokens, &st.api.jwt_secret) else {
        return error(StatusCode::NOT_FOUND, "NOT_FOUND", "development tokens are off");
    };
    let body = body.map(|b| b.0).unwrap_or(TokenRequest { sub: None, ttl: None });
    let ttl = body.ttl.unwrap_or(300).clamp(1, 3_600);
    let token = auth::mint(secret, body.sub.as_deref().unwrap_or("visitor"), now().as_secs(), ttl);
    Json(json!({"token": token, "expiresIn": ttl})).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NewConversation {
    #[serde(default)]
    conversation_id: Option<String>,
}

fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 100 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn forbidden() -> Response {
    error(StatusCode::FORBIDDEN, "FORBIDDEN", "this conversation belongs to another subject")
}

/// The answer for a store failure: `503` (the details go to the log) or `429` (a full
/// conversation).
fn store_error(e: StoreError) -> Response {
    match e {
        StoreError::Database(why) => {
            eprintln!("colloquy-server: store: {why}");
            error(StatusCode::SERVICE_UNAVAILABLE, "UNAVAILABLE", "the store is unavailable; please try again")
        }
        StoreError::Full => error(
            StatusCode::TOO_MANY_REQUESTS,
            "TOO_MANY_REQUESTS",
            "this conversation is at its limit of events; start a new one",
        ),
    }
}

/// Finds or creates (lazily, bound to `owner`) a conversation; `Err` with the answer when
/// another subject owns it or the store failed.
async fn claim(st: &AppState, id: &str, owner: Option<&str>) -> Result<db::Conversation, Response> {
    match st.store.claim(id, owner).await {
        Ok(Claim::Mine(c)) => Ok(c),
        Ok(Claim::Other) => Err(forbidden()),
        Err(e) => Err(store_error(e)),
    }
}

async fn create_conversation(
    State(st): State<Shared>,
    subject: Option<Extension<Subject>>,
    body: Option<Json<NewConversation>>,
) -> Response {
    let id = body.and_then(|b| b.0.conversation_id).unwrap_or_else(|| format!("c-{}", now().as_nanos()));
    if !valid_id(&id) {
        return error(StatusCode::BAD_REQUEST, "SEND_ERROR", "invalid conversationId");
    }
    if let Err(answer) = claim(&st, &id, subject.as_ref().map(|s| s.0.0.as_str())).await {
        return answer;
    }
    (StatusCode::CREATED, Json(json!({"conversationId": id}))).into_response()
}

#[derive(Deserialize)]
struct NewMessage {
    id: String,
    text: String,
}

/// Aborts the reply's task when the response body is dropped (the visitor went away).
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Longest text of a message kept in the conversation's history (characters).
pub const MAX_KEPT_TEXT: usize = 32 * 1024;

/// The plain text of a message's `content` (its `text` items), cut at [`MAX_KEPT_TEXT`].
pub fn plain_text(message: &serde_json::Value) -> String {
    let items = message.get("content").and_then(|c| c.as_array()).map(Vec::as_slice).unwrap_or_default();
    let text: Vec<&str> = items
        .iter()
        .filter(|i| i.get("type").and_then(|t| t.as_str()) == Some("text"))
        .filter_map(|i| i.get("text").and_then(|t| t.as_str()))
        .collect();
    text.join("\n").chars().take(MAX_KEPT_TEXT).collect()
}

/// The visitor's message as the agents' side sees it (the shape of a reply's `message`, with
/// `from: "visitor"`).
pub fn visitor_message(conversation: &str, id: &str, text: &str, now_ms: f64) -> NewEvent {
    let data = json!({
        "id": id,
        "threadId": conversation,
        "content": [{"id": format!("{id}-0"), "type": "text", "text": text}],
        "timestamp": now_ms,
        "from": "visitor",
    });
    NewEvent::new(Audience::Agent, "message", data)
}

/// A message as stored: its wire data, the text cut at [`MAX_KEPT_TEXT`] characters.
fn kept_message(message: &AgentMessage, audience: Audience) -> NewEvent {
    let mut message = message.clone();
    for item in &mut message.content {
        if let Some(text) = &item.text
            && text.chars().count() > MAX_KEPT_TEXT
        {
            item.text = Some(text.chars().take(MAX_KEPT_TEXT).collect());
        }
    }
    let (_, data) = colloquy::agent::sse::to_wire(&AgentEvent::Message(message));
    NewEvent::new(audience, "message", data)
}

/// What the visitor gets when no agent took the conversation within the queue time-out: a
/// bot `message` saying so, with the lead form (docs/agent-protocol.md, "Queue time-out").
pub fn timeout_events(conversation: &str) -> Vec<NewEvent> {
    let id = format!("{conversation}-timeout-{}", db::now_ms());
    let message = AgentMessage {
        id: id.clone(),
        thread_id: conversation.to_owned(),
        content: vec![
            ContentItem::text(format!("{id}-0"), TIMEOUT_TEXT),
            ContentItem { id: format!("{id}-1"), kind: "lead_form".into(), ..Default::default() },
        ],
        timestamp: db::now_ms() as f64,
        from: AgentKind::Bot,
        agent_name: None,
    };
    vec![kept_message(&message, Audience::Both)]
}

/// The text of the queue time-out message.
pub const TIMEOUT_TEXT: &str =
    "Sorry, no one from our team is free right now. Leave your details and we will get back to you.";

/// How a visitor's message is answered.
enum Plan {
    /// A retry of a completed reply: the same events again.
    Cached(Vec<String>),
    /// The conversation is with a human (queued or taken): the message goes to the agents;
    /// `/end` ends the hand-off.
    Human { end: bool },
    /// The scripted agent; `queue`: the script was `/handoff` and the conversation is queued
    /// (at this place).
    Scripted { steps: Vec<Step>, queued: bool },
    /// The upstream model.
    Upstream,
}

async fn post_message(
    State(st): State<Shared>,
    ClientAddress(address): ClientAddress,
    subject: Option<Extension<Subject>>,
    Path(conversation): Path<String>,
    ApiJson(body): ApiJson<NewMessage>,
) -> Response {
    if !valid_id(&conversation) || !valid_id(&body.id) {
        return error(StatusCode::BAD_REQUEST, "SEND_ERROR", "invalid conversation or message id");
    }
    if body.text.trim().is_empty() || body.text.chars().count() > MAX_TEXT {
        return error(StatusCode::BAD_REQUEST, "SEND_ERROR", "the text is empty or too long");
    }
    let owner = subject.map(|s| s.0.0);
    // Conversations are created lazily too: a server restart must not lose a visitor's retry.
    let record = match claim(&st, &conversation, owner.as_deref()).await {
        Ok(c) => c,
        Err(answer) => return answer,
    };
    let permit = match st.streams.enter(address) {
        Ok(permit) => permit,
        Err(Refusal::Server) => {
            let msg = "the server is at its stream limit";
            return busy(StatusCode::SERVICE_UNAVAILABLE, "UNAVAILABLE", msg, st.limits.retry_after);
        }
        Err(Refusal::Address) => {
            let msg = "too many replies streaming to this address";
            return busy(StatusCode::TOO_MANY_REQUESTS, "TOO_MANY_REQUESTS", msg, st.limits.retry_after);
        }
    };
    let (tx, rx) = tokio::sync::mpsc::channel::<String>(agent::STREAM_BUFFER);
    let request = AgentRequest {
        conversation_id: conversation.clone(),
        message_id: body.id.clone(),
        text: body.text,
        auth_token: None,
    };
    let now_ms = now().as_millis() as f64;
    let cached = match st.store.reply(owner.as_deref(), &conversation, &request.message_id).await {
        Ok(cached) => cached,
        Err(e) => return store_error(e),
    };
    let queue = st.api.handoff == Handoff::Queue;
    let plan = match cached {
        Some(events) => Plan::Cached(events),
        None if queue && record.status.with_human() => Plan::Human { end: request.text.trim() == "/end" },
        // The scripted agent answers when there is no upstream, and also after the upstream
        // model handed the conversation to the scripted human (`--handoff scripted`).
        None if st.api.upstream.is_none() || record.scripted_human => {
            let mut memory =
                Memory { human: record.scripted_human, failed_once: record.failed_once.iter().cloned().collect() };
            let mut steps = agent::scripted_steps(&request, &mut memory, now_ms);
            let failed: Vec<String> = memory.failed_once.into_iter().collect();
            let changed = memory.human != record.scripted_human || failed.len() != record.failed_once.len();
            if changed && let Err(e) = st.store.remember(&conversation, memory.human && !queue, &failed).await {
                return store_error(e);
            }
            let queued = queue && steps.iter().any(|s| matches!(s, Step::Emit(AgentEvent::Queued { .. })));
            if queued {
                // The real queue: the reply ends with `queued` (its place); a person takes over
                // through the agent API, on the conversation's event stream.
                let cut = steps.iter().position(|s| matches!(s, Step::Emit(AgentEvent::Queued { .. })));
                steps.truncate(cut.unwrap_or(steps.len()));
                let mut events = vec![visitor_message(&conversation, &request.message_id, &request.text, now_ms)];
                for step in &steps {
                    if let Step::Stream { message, .. } = step {
                        events.push(kept_message(message, Audience::Agent));
                    }
                }
                match st.store.queue(&conversation, None, events).await {
                    Ok(position) => steps.push(Step::Emit(AgentEvent::Queued { position: Some(position) })),
                    Err(e) => return store_error(e),
                }
            }
            Plan::Scripted { steps, queued }
        }
        None => Plan::Upstream,
    };
    let state = st.clone();
    let task = tokio::spawn(async move {
        // A single reply is kept when it fits in an eighth of the store (or 1 MB).
        let out = Out::new(tx, (state.api.stores.replies.max_bytes / 8).min(1 << 20));
        let key = (owner.clone(), request.conversation_id.clone(), request.message_id.clone());
        let work = async {
            match plan {
                Plan::Cached(events) => {
                    for e in events {
                        if !out.replay(e).await {
                            break;
                        }
                    }
                    false
                }
                Plan::Human { end } => reply_human(&state, &request, end, now_ms, &out).await,
                Plan::Scripted { steps, queued } => {
                    let complete = agent::stream_steps(steps, state.api.pace, &out).await;
                    if complete && !queued {
                        keep_history(&state, &request, now_ms, out.take_messages()).await;
                    }
                    complete
                }
                Plan::Upstream => match &state.api.upstream {
                    Some(upstream) => reply_upstream(&state, upstream, &request, now_ms, &out).await,
                    None => false,
                },
            }
        };
        let complete = tokio::select! {
            complete = work => complete,
            () = state.closing.wait() => {
                let error = WidgetError::new(ErrorCode::ConnectionError, "The server is restarting. Please try again.");
                out.event(&AgentEvent::Error(error)).await;
                false
            }
        };
        // Failed replies are never recorded: a retry gets a fresh attempt.
        if let Some(record) = out.take_record().filter(|_| complete) {
            let (owner, id, message) = key;
            if let Err(e) = state.store.keep_reply(owner.as_deref(), &id, &message, &record).await {
                eprintln!("colloquy-server: store: keeping a reply: {e:?}");
            }
        }
    });
    let guards = (permit, AbortOnDrop(task.abort_handle()));
    let body = futures::stream::unfold((rx, guards), |(mut rx, guards)| async move {
        let chunk = rx.recv().await?;
        Some((Ok::<_, std::convert::Infallible>(chunk), (rx, guards)))
    });
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(Body::from_stream(body))
        .expect("a valid response")
}

/// Keeps a completed exchange in the conversation's history: the visitor's message and the
/// reply's messages (the agents' side reads it; the upstream model gets it as context).
async fn keep_history(state: &AppState, request: &AgentRequest, now_ms: f64, messages: Vec<AgentMessage>) {
    let mut events = vec![visitor_message(&request.conversation_id, &request.message_id, &request.text, now_ms)];
    events.extend(messages.iter().map(|m| kept_message(m, Audience::Agent)));
    if let Err(e) = state.store.append(&request.conversation_id, &events).await {
        eprintln!("colloquy-server: store: history of {}: {e:?}", request.conversation_id);
    }
}

/// A visitor's message while a human has the conversation: it goes to the agents (the reply is
/// `accepted`, then `done`); `/end` ends the hand-off (`handoff` ended).
async fn reply_human(state: &AppState, request: &AgentRequest, end: bool, now_ms: f64, out: &Out) -> bool {
    let message = visitor_message(&request.conversation_id, &request.message_id, &request.text, now_ms);
    let stored = if end {
        state.store.end(&request.conversation_id, None, vec![message]).await.map(|_| ())
    } else {
        state.store.append(&request.conversation_id, &[message]).await.map(|_| ())
    };
    if let Err(e) = stored {
        let error = match e {
            StoreError::Full => {
                WidgetError::new(ErrorCode::SendError, "This conversation is full. Please start a new one.")
            }
            StoreError::Database(why) => {
                eprintln!("colloquy-server: store: {why}");
                WidgetError::new(ErrorCode::ConnectionError, "The message could not be delivered. Please try again.")
            }
        };
        out.event(&AgentEvent::Error(error)).await;
        return false;
    }
    if !out.event(&AgentEvent::Accepted).await {
        return false;
    }
    if end && !out.event(&AgentEvent::Ended).await {
        return false;
    }
    out.done().await
}

/// One upstream reply, bounded by the upstream timeout; the history grows only when it completed.
/// A hand-off by the model goes on as `/handoff` does.
async fn reply_upstream(state: &AppState, upstream: &Upstream, request: &AgentRequest, now_ms: f64, out: &Out) -> bool {
    let history: Vec<(String, String)> =
        match state.store.last_events(&request.conversation_id, "message", MAX_HISTORY as i64, false).await {
            Ok(events) => events
                .iter()
                .filter_map(|e| serde_json::from_str::<serde_json::Value>(&e.data).ok())
                .map(|m| {
                    let role =
                        if m.get("from").and_then(|f| f.as_str()) == Some("visitor") { "user" } else { "assistant" };
                    (role.to_owned(), plain_text(&m))
                })
                .collect(),
            Err(e) => {
                eprintln!("colloquy-server: store: history: {e:?}");
                out.event(&AgentEvent::Error(agent::unreachable())).await;
                return false;
            }
        };
    let limits = agent::UpstreamLimits { max_bytes: state.api.upstream_max_bytes, pace: state.api.pace };
    let call = agent::upstream(&state.client, upstream, &history, request, now_ms, limits, out);
    let reply = match tokio::time::timeout(state.api.upstream_timeout, call).await {
        Ok(reply) => reply,
        Err(_) => {
            eprintln!(
                "colloquy-server: upstream {} did not finish within {:?}",
                upstream.shown_url(),
                state.api.upstream_timeout
            );
            out.event(&AgentEvent::Error(agent::unreachable())).await;
            None
        }
    };
    let Some(reply) = reply else { return false };
    let messages = out.take_messages();
    let Some(reason) = reply.handoff else {
        keep_history(state, request, now_ms, messages).await;
        return out.done().await;
    };
    match state.api.handoff {
        Handoff::Queue => {
            let mut events =
                vec![visitor_message(&request.conversation_id, &request.message_id, &request.text, now_ms)];
            events.extend(messages.iter().map(|m| kept_message(m, Audience::Agent)));
            match state.store.queue(&request.conversation_id, Some(&reason), events).await {
                Ok(position) => out.event(&AgentEvent::Queued { position: Some(position) }).await && out.done().await,
                Err(e) => {
                    eprintln!("colloquy-server: store: queueing {}: {e:?}", request.conversation_id);
                    out.event(&AgentEvent::Error(agent::unreachable())).await;
                    false
                }
            }
        }
        Handoff::Scripted => {
            // Queued, connected, the human's greeting and `done`, as the scripted `/handoff`.
            let (_, rest) = agent::handoff_steps(request, now_ms);
            let complete = agent::stream_steps(rest, state.api.pace, out).await;
            if complete {
                let owner_failed: Vec<String> = Vec::new();
                if let Err(e) = state.store.remember(&request.conversation_id, true, &owner_failed).await {
                    eprintln!("colloquy-server: store: {e:?}");
                }
                let mut all = messages;
                all.extend(out.take_messages());
                keep_history(state, request, now_ms, all).await;
            }
            complete
        }
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_live;
