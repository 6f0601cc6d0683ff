//! Colloquy's reference server.
//!
//! - Serves a built widget directory (`dist/`): the widget page and `embed.js` at the root, the
//!   demo bundle under `/demo/` (unknown `/demo/...` paths get the demo page, for its routes).
//! - Speaks the agent protocol under `/api` (docs/agent-protocol.md): a scripted agent by
//!   default, or a proxy to an OpenAI-compatible streaming endpoint; HS256 JWTs when a secret is
//!   set; a CORS allowlist; request size limits. Retries of a message id get the same reply.

pub mod agent;
pub mod auth;

use agent::{Out, Pace, Upstream};
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use colloquy::agent::AgentRequest;
use colloquy::agent::demo::Memory;
use futures::StreamExt;
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

/// The agent API's settings.
#[derive(Clone, Debug)]
pub struct ApiOptions {
    /// HS256 secret: when set, every call needs a valid bearer token.
    pub jwt_secret: Option<Vec<u8>>,
    /// Origins allowed to call the API from a browser (inline mode). Empty: same origin only.
    pub allowed_origins: Vec<String>,
    /// Serve `POST /api/token` (short-lived tokens, for the demo and tests).
    pub dev_tokens: bool,
    /// Proxy this model instead of the scripted agent.
    pub upstream: Option<Upstream>,
    /// Scripted agent pacing.
    pub pace: Pace,
    /// Largest request body in bytes.
    pub body_limit: usize,
}

impl Default for ApiOptions {
    fn default() -> Self {
        ApiOptions {
            jwt_secret: None,
            allowed_origins: Vec::new(),
            dev_tokens: false,
            upstream: None,
            pace: Pace { think: Duration::from_millis(250), chunk: Duration::from_millis(35) },
            body_limit: 64 * 1024,
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
}

/// Longest message text accepted.
pub const MAX_TEXT: usize = 8_000;

#[derive(Default)]
struct Conversation {
    memory: Memory,
    history: Vec<(String, String)>,
    /// Completed replies by message id: a retry gets the same events.
    replies: HashMap<String, Vec<String>>,
}

struct AppState {
    api: ApiOptions,
    conversations: Mutex<HashMap<String, Conversation>>,
    client: reqwest::Client,
}

type Shared = Arc<AppState>;

fn now() -> Duration {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default()
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(json!({"code": code, "message": message}))).into_response()
}

/// The HTTP application.
pub fn app(options: &Options) -> Router {
    let mut router = Router::new();
    if let Some(api) = &options.api {
        router = router.nest("/api", api_router(api.clone()));
    }
    if let Some(dist) = &options.dist {
        let demo = ServeDir::new(dist.join("demo")).fallback(ServeFile::new(dist.join("demo/index.html")));
        let files = Router::new()
            .nest_service("/demo", demo)
            .fallback_service(ServeDir::new(dist))
            // The widget's files are public: inline mode imports the module and wasm cross-origin.
            .layer(CorsLayer::new().allow_origin(tower_http::cors::Any))
            // Hosts always load the newest embed.js and widget page; revalidation is cheap.
            .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-cache")));
        router = router.merge(files);
    }
    router
}

fn api_router(api: ApiOptions) -> Router {
    let origins: Vec<HeaderValue> = api.allowed_origins.iter().filter_map(|o| o.parse().ok()).collect();
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT])
        .max_age(Duration::from_secs(600));
    let limit = api.body_limit;
    // reqwest is built without a default TLS provider: use ring (no-op if one is installed).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let state: Shared = Arc::new(AppState {
        api,
        conversations: Mutex::default(),
        client: reqwest::Client::builder().connect_timeout(Duration::from_secs(10)).build().unwrap_or_default(),
    });
    let protected = Router::new()
        .route("/conversations", post(create_conversation))
        .route("/conversations/{id}/messages", post(post_message))
        .layer(middleware::from_fn_with_state(state.clone(), require_token));
    Router::new()
        .route("/health", get(health))
        .route("/token", post(mint_token))
        .merge(protected)
        .layer(DefaultBodyLimit::max(limit))
        .layer(cors)
        .with_state(state)
}

async fn health(State(st): State<Shared>) -> Json<serde_json::Value> {
    let agent = if st.api.upstream.is_some() { "upstream" } else { "scripted" };
    Json(json!({"ok": true, "agent": agent, "auth": st.api.jwt_secret.is_some()}))
}

/// Rejects calls without a valid bearer token (when a secret is set) with 401 `AUTH_ERROR`.
async fn require_token(State(st): State<Shared>, request: Request, next: Next) -> Response {
    let Some(secret) = &st.api.jwt_secret else { return next.run(request).await };
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match token.map(|t| auth::verify(secret, t, now().as_secs())) {
        Some(Ok(_)) => next.run(request).await,
        Some(Err(why)) => error(StatusCode::UNAUTHORIZED, "AUTH_ERROR", &format!("token refused: {why:?}")),
        None => error(StatusCode::UNAUTHORIZED, "AUTH_ERROR", "a bearer token is required"),
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

async fn create_conversation(State(st): State<Shared>, body: Option<Json<NewConversation>>) -> Response {
    let id = body.and_then(|b| b.0.conversation_id).unwrap_or_else(|| format!("c-{}", now().as_nanos()));
    if !valid_id(&id) {
        return error(StatusCode::BAD_REQUEST, "SEND_ERROR", "invalid conversationId");
    }
    st.conversations.lock().expect("state lock").entry(id.clone()).or_default();
    (StatusCode::CREATED, Json(json!({"conversationId": id}))).into_response()
}

#[derive(Deserialize)]
struct NewMessage {
    id: String,
    text: String,
}

async fn post_message(
    State(st): State<Shared>,
    Path(conversation): Path<String>,
    Json(body): Json<NewMessage>,
) -> Response {
    if !valid_id(&conversation) || !valid_id(&body.id) {
        return error(StatusCode::BAD_REQUEST, "SEND_ERROR", "invalid conversation or message id");
    }
    if body.text.trim().is_empty() || body.text.chars().count() > MAX_TEXT {
        return error(StatusCode::BAD_REQUEST, "SEND_ERROR", "the text is empty or too long");
    }
    let (tx, rx) = futures::channel::mpsc::unbounded::<String>();
    let request = AgentRequest {
        conversation_id: conversation.clone(),
        message_id: body.id.clone(),
        text: body.text,
        auth_token: None,
    };
    let now_ms = now().as_millis() as f64;
    // Conversations are created lazily too: a server restart must not lose a visitor's retry.
    let (cached, steps) = {
        let mut all = st.conversations.lock().expect("state lock");
        let c = all.entry(conversation.clone()).or_default();
        match c.replies.get(&body.id) {
            Some(events) => (Some(events.clone()), None),
            None if st.api.upstream.is_some() => (None, None),
            None => (None, Some(agent::scripted_steps(&request, &mut c.memory, now_ms))),
        }
    };
    let state = st.clone();
    tokio::spawn(async move {
        let out = Out::new(tx);
        if let Some(events) = cached {
            for e in events {
                out.raw(e);
            }
            return;
        }
        let complete = match (&state.api.upstream, steps) {
            (_, Some(steps)) => agent::stream_steps(steps, state.api.pace, &out).await,
            (Some(upstream), None) => {
                let history =
                    state.conversations.lock().expect("state lock").get(&conversation).map(|c| c.history.clone());
                let reply =
                    agent::upstream(&state.client, upstream, &history.unwrap_or_default(), &request, now_ms, &out)
                        .await;
                if let Some(reply) = &reply {
                    let mut all = state.conversations.lock().expect("state lock");
                    let c = all.entry(conversation.clone()).or_default();
                    c.history.push(("user".into(), request.text.clone()));
                    c.history.push(("assistant".into(), reply.clone()));
                }
                reply.is_some()
            }
            (None, None) => false,
        };
        if complete {
            let record = out.record.lock().expect("record lock").clone();
            state
                .conversations
                .lock()
                .expect("state lock")
                .entry(conversation)
                .or_default()
                .replies
                .insert(request.message_id, record);
        }
    });
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(Body::from_stream(rx.map(Ok::<_, std::convert::Infallible>)))
        .expect("a valid response")
}

#[cfg(test)]
mod tests;
