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
//! - Every resource has a bound ([`net::Limits`], [`StoreLimits`]): connections, streams, header,
//!   body and idle time, the reply and conversation stores, upstream calls. Every rejection is the
//!   JSON `{"code", "message"}` ([`errors`]).

#![warn(missing_docs)]

pub mod agent;
pub mod auth;
pub mod errors;
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
use colloquy::agent::demo::Memory;
use colloquy::agent::{AgentEvent, AgentRequest};
use colloquy::events::{ErrorCode, WidgetError};
use errors::{ApiJson, busy, error};
use net::{Closing, Gate, Limits, Refusal};
use serde::Deserialize;
use serde_json::json;
use std::collections::VecDeque;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use store::{BoundedStore, Bounds, Cost};
use tower::ServiceBuilder;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::RequestBodyTimeoutLayer;

/// The bounds of the two stores.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoreLimits {
    /// Completed replies kept for retries (by owner, conversation and message id).
    pub replies: Bounds,
    /// Conversations (owner, scripted agent memory, upstream history).
    pub conversations: Bounds,
}

impl Default for StoreLimits {
    fn default() -> Self {
        StoreLimits {
            replies: Bounds { max_entries: 10_000, max_bytes: 32 << 20, ttl: Duration::from_secs(15 * 60) },
            conversations: Bounds { max_entries: 10_000, max_bytes: 32 << 20, ttl: Duration::from_secs(60 * 60) },
        }
    }
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
    /// The reply and conversation stores.
    pub stores: StoreLimits,
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

struct Conversation {
    /// The token subject that created it (`None` when tokens are off).
    owner: Option<String>,
    memory: Memory,
    history: VecDeque<(String, String)>,
    /// Why the upstream model handed the conversation to a human (never shown to the visitor).
    handoff_reason: Option<String>,
}

impl Conversation {
    fn new(owner: &Option<String>) -> Self {
        Conversation { owner: owner.clone(), memory: Memory::default(), history: VecDeque::new(), handoff_reason: None }
    }
}

impl Cost for Conversation {
    fn cost(&self) -> usize {
        let history: usize = self.history.iter().map(|(r, c)| r.len() + c.len() + 48).sum();
        let memory: usize = self.memory.failed_once.iter().map(|id| id.len() + 32).sum();
        let reason = self.handoff_reason.as_ref().map_or(0, String::len);
        256 + self.owner.as_ref().map_or(0, String::len) + history + memory + reason
    }
}

/// Replies are kept per owner too: an evicted conversation re-created by another subject does
/// not see the old replies.
type ReplyKey = (Option<String>, String, String);

struct AppState {
    api: ApiOptions,
    limits: Limits,
    conversations: Mutex<BoundedStore<String, Conversation>>,
    replies: Mutex<BoundedStore<ReplyKey, Vec<String>>>,
    streams: Arc<Gate>,
    closing: Closing,
    client: reqwest::Client,
}

type Shared = Arc<AppState>;

fn now() -> Duration {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default()
}

/// The HTTP application.
pub fn app(options: &Options) -> Router {
    let mut router = Router::new();
    if let Some(api) = &options.api {
        router = router.nest("/api", api_router(api.clone(), options));
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

fn api_router(api: ApiOptions, options: &Options) -> Router {
    let origins: Vec<HeaderValue> = options.allowed_origins.iter().filter_map(|o| o.parse().ok()).collect();
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT])
        .expose_headers([header::RETRY_AFTER])
        .max_age(Duration::from_secs(600));
    let limit = api.body_limit;
    let body_timeout = options.limits.body_timeout;
    // reqwest is built without a default TLS provider: use ring (no-op if one is installed).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let state: Shared = Arc::new(AppState {
        conversations: Mutex::new(BoundedStore::new(api.stores.conversations)),
        replies: Mutex::new(BoundedStore::new(api.stores.replies)),
        streams: Gate::new(options.limits.max_streams, options.limits.max_streams_per_address),
        limits: options.limits.clone(),
        closing: options.closing.clone(),
        client: reqwest::Client::builder().connect_timeout(Duration::from_secs(10)).build().unwrap_or_default(),
        api,
    });
    let protected = Router::new()
        .route("/conversations", post(create_conversation))
        .route("/conversations/{id}/messages", post(post_message))
        .layer(middleware::from_fn_with_state(state.clone(), require_token));
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
        .layer(DefaultBodyLimit::max(limit))
        .layer(bodies)
        .layer(cors)
        .with_state(state)
}

async fn health(State(st): State<Shared>) -> Json<serde_json::Value> {
    let agent = if st.api.upstream.is_some() { "upstream" } else { "scripted" };
    Json(json!({"ok": true, "agent": agent, "auth": st.api.jwt_secret.is_some()}))
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

/// Finds or creates (lazily, bound to `owner`) a conversation; `false` when another subject
/// owns it.
fn claim(st: &AppState, id: &str, owner: &Option<String>) -> bool {
    let make = || Conversation::new(owner);
    st.conversations.lock().expect("state lock").update(&id.to_owned(), make, |c| c.owner == *owner)
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
    if !claim(&st, &id, &subject.map(|s| s.0.0)) {
        return forbidden();
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
    if !claim(&st, &conversation, &owner) {
        return forbidden();
    }
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
    let key: ReplyKey = (owner.clone(), conversation.clone(), body.id);
    let cached = st.replies.lock().expect("state lock").get(&key).cloned();
    // The scripted agent answers when there is no upstream, and also after the upstream model
    // handed the conversation to a human (the scripted human then answers, as after `/handoff`).
    let steps = match &cached {
        None => {
            let make = || Conversation::new(&owner);
            let scripted = st.api.upstream.is_none();
            let mut all = st.conversations.lock().expect("state lock");
            all.update(&conversation, make, |c| {
                (scripted || c.memory.human).then(|| agent::scripted_steps(&request, &mut c.memory, now_ms))
            })
        }
        Some(_) => None,
    };
    let state = st.clone();
    let task = tokio::spawn(async move {
        // A single reply is kept when it fits in an eighth of the store (or 1 MB).
        let out = Out::new(tx, (state.api.stores.replies.max_bytes / 8).min(1 << 20));
        if let Some(events) = cached {
            for e in events {
                if !out.replay(e).await {
                    break;
                }
            }
            return;
        }
        let work = async {
            match (&state.api.upstream, steps) {
                (_, Some(steps)) => agent::stream_steps(steps, state.api.pace, &out).await,
                (Some(upstream), None) => reply_upstream(&state, upstream, &owner, &request, now_ms, &out).await,
                (None, None) => false,
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
            state.replies.lock().expect("state lock").insert(key, record);
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

/// One upstream reply, bounded by the upstream timeout; the history grows only when it completed.
async fn reply_upstream(
    state: &AppState,
    upstream: &Upstream,
    owner: &Option<String>,
    request: &AgentRequest,
    now_ms: f64,
    out: &Out,
) -> bool {
    let history: Vec<(String, String)> = state
        .conversations
        .lock()
        .expect("state lock")
        .get(&request.conversation_id)
        .map(|c| c.history.iter().cloned().collect())
        .unwrap_or_default();
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
    let make = || Conversation::new(owner);
    state.conversations.lock().expect("state lock").update(&request.conversation_id, make, |c| {
        c.history.push_back(("user".into(), request.text.clone()));
        // The history keeps at most 32 KB of a reply (the conversation store's bytes stay honest).
        let text = &reply.text;
        let cut = text.char_indices().nth(32 * 1024).map_or(text.len(), |(i, _)| i);
        c.history.push_back(("assistant".into(), text[..cut].to_owned()));
        while c.history.len() > MAX_HISTORY {
            c.history.pop_front();
        }
        if let Some(reason) = reply.handoff {
            // From now on the (scripted) human answers, as after `/handoff`.
            c.memory.human = true;
            c.handoff_reason = Some(reason);
        }
    });
    true
}

#[cfg(test)]
mod tests;
