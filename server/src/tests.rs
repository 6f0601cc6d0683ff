//! The server, natively: routes, the SSE agent protocol, JWTs, CORS, limits, and the proxy (with a
//! fake OpenAI-compatible upstream on loopback).

use super::*;
use axum::body::Body;
use axum::http::Request;
use colloquy::agent::AgentEvent;
use colloquy::agent::sse::{SseParser, from_wire};
use http_body_util::BodyExt;
use serde_json::Value;
use std::sync::Mutex;
use tower::ServiceExt;

const SECRET: &[u8] = b"s3cret";
const WIDGET_PAGE: &str = "<html><head><title>w</title></head><body data-colloquy=\"widget\">widget page</body></html>";

const CONSOLE_PAGE: &str = "<html><head><title>c</title></head><body data-colloquy=\"console\"></body></html>";

fn fast() -> ApiOptions {
    ApiOptions { pace: Pace { think: Duration::ZERO, chunk: Duration::ZERO }, ..ApiOptions::default() }
}

/// The built-widget fixture, written once per test process (tests run in parallel).
fn fixture() -> PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(write_fixture).clone()
}

fn write_fixture() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("colloquy-server-test-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("demo")).unwrap();
    std::fs::create_dir_all(dir.join("console")).unwrap();
    std::fs::write(dir.join("console/index.html"), CONSOLE_PAGE).unwrap();
    std::fs::write(dir.join("console/colloquy-console-0123456789abcdef.js"), "/* console */").unwrap();
    std::fs::write(dir.join("embed.js"), "/* embed */").unwrap();
    std::fs::write(dir.join("index.html"), WIDGET_PAGE).unwrap();
    std::fs::write(dir.join("demo/index.html"), "demo page").unwrap();
    std::fs::write(dir.join(".trunk-lock"), "lock").unwrap();
    std::fs::write(dir.join("colloquy.d.ts"), "export interface Instance {}").unwrap();
    std::fs::write(dir.join("colloquy-0123456789abcdef_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
    std::fs::write(dir.join("colloquy-0123456789abcdef_bg.wasm.br"), b"brotli bytes").unwrap();
    std::fs::write(dir.join("big.js"), "console.log('compress me');\n".repeat(200)).unwrap();
    dir
}

fn app_with(api: ApiOptions) -> Router {
    app(&Options { dist: Some(fixture()), api: Some(api), ..Options::default() })
}

/// A response, read whole.
pub(super) struct Reply {
    pub(super) status: StatusCode,
    pub(super) headers: axum::http::HeaderMap,
    pub(super) body: String,
}

/// Sends one request to `app` (a JSON `body` with its content type) and reads the answer.
pub(super) async fn call(
    app: &Router,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> Reply {
    let mut req = Request::builder().method(method).uri(path);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let body = match body {
        Some(b) => {
            req = req.header("content-type", "application/json");
            Body::from(b.to_string())
        }
        None => Body::empty(),
    };
    let res = app.clone().oneshot(req.body(body).unwrap()).await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    let body = String::from_utf8_lossy(&res.into_body().collect().await.unwrap().to_bytes()).into_owned();
    Reply { status, headers, body }
}

fn events(body: &str) -> Vec<(String, Result<Option<AgentEvent>, String>)> {
    SseParser::new().feed(body.as_bytes()).into_iter().map(|e| (e.event.clone(), from_wire(&e))).collect()
}

fn final_text(body: &str) -> String {
    events(body)
        .into_iter()
        .find_map(|(_, e)| match e {
            Ok(Some(AgentEvent::Message(m))) => Some(m.plain_text()),
            _ => None,
        })
        .expect("a final message")
}

async fn send(app: &Router, conversation: &str, id: &str, text: &str, headers: &[(&str, &str)]) -> Reply {
    let path = format!("/api/conversations/{conversation}/messages");
    call(app, "POST", &path, headers, Some(json!({"id": id, "text": text}))).await
}

#[tokio::test]
async fn serves_the_widget_and_the_demo_routes() {
    let app = app_with(fast());
    let r = call(&app, "GET", "/embed.js", &[("origin", "https://shop.example")], None).await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, "/* embed */"));
    assert!(r.headers[header::CONTENT_TYPE].to_str().unwrap().contains("javascript"));
    assert_eq!(r.headers["access-control-allow-origin"], "*");
    assert!(call(&app, "GET", "/", &[], None).await.body.contains("widget page"));
    assert_eq!(call(&app, "GET", "/demo/gallery", &[], None).await.body, "demo page");
    assert_eq!(call(&app, "GET", "/missing.js", &[], None).await.status, StatusCode::NOT_FOUND);
    assert!(call(&app, "GET", "/api/health", &[], None).await.body.contains("\"scripted\""));
}

#[tokio::test]
async fn a_message_streams_its_reply_over_sse() {
    let app = app_with(fast());
    let created = call(&app, "POST", "/api/conversations", &[], Some(json!({"conversationId": "c1"}))).await;
    assert_eq!(created.status, StatusCode::CREATED);
    let r = send(&app, "c1", "m1", "hello", &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers[header::CONTENT_TYPE], "text/event-stream");
    let names: Vec<String> = events(&r.body).into_iter().map(|(n, _)| n).collect();
    assert_eq!(&names[..2], ["accepted", "typing"]);
    assert!(names.iter().filter(|n| *n == "delta").count() >= 2, "streamed in chunks");
    assert_eq!(names.last().unwrap(), "done");
    assert_eq!(final_text(&r.body), "You said: hello");
}

#[tokio::test]
async fn a_retry_of_the_same_message_gets_the_same_reply() {
    let app = app_with(fast());
    let first = send(&app, "c2", "m1", "/handoff", &[]).await;
    let again = send(&app, "c2", "m1", "/handoff", &[]).await;
    assert_eq!(first.body, again.body);
    // The handoff happened once: the next message goes to the human (the queue).
    let names: Vec<String> =
        events(&send(&app, "c2", "m2", "hi", &[]).await.body).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["accepted", "done"]);
    // With the scripted human, the human answers within the reply.
    let app = app_with(ApiOptions { handoff: Handoff::Scripted, ..fast() });
    let first = send(&app, "c2", "m1", "/handoff", &[]).await;
    assert_eq!(first.body, send(&app, "c2", "m1", "/handoff", &[]).await.body);
    assert!(final_text(&send(&app, "c2", "m2", "hi", &[]).await.body).contains("looking into"));
}

#[tokio::test]
async fn unknown_conversations_are_created_on_first_message() {
    let app = app_with(fast());
    assert_eq!(final_text(&send(&app, "never-created", "m1", "hi", &[]).await.body), "You said: hi");
}

#[tokio::test]
async fn malformed_events_are_on_the_wire_for_the_fault_test() {
    let app = app_with(fast());
    let evs = events(&send(&app, "c3", "m1", "/malformed", &[]).await.body);
    assert!(evs.iter().any(|(_, e)| e.is_err()), "one malformed event");
    assert!(evs.iter().any(|(_, e)| matches!(e, Ok(Some(AgentEvent::Message(_))))), "then the reply completes");
}

#[tokio::test]
async fn bad_requests_are_refused_with_clear_errors() {
    let app = app_with(fast());
    let long = "x".repeat(MAX_TEXT + 1);
    assert_eq!(send(&app, "c4", "m1", &long, &[]).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(send(&app, "c4", "m1", "   ", &[]).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(send(&app, "a.b", "m1", "hi", &[]).await.status, StatusCode::BAD_REQUEST);
    let huge = json!({"id": "m2", "text": "y".repeat(70 * 1024)});
    let r = call(&app, "POST", "/api/conversations/c4/messages", &[], Some(huge)).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn with_a_secret_every_call_needs_a_valid_unexpired_token() {
    let app = app_with(ApiOptions { jwt_secret: Some(SECRET.to_vec()), dev_tokens: true, ..fast() });
    let none = send(&app, "c5", "m1", "hi", &[]).await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    assert!(none.body.contains("AUTH_ERROR"));
    let now_s = now().as_secs();
    let expired = auth::mint(SECRET, "v", now_s - 120, 60);
    let bearer = format!("Bearer {expired}");
    assert_eq!(send(&app, "c5", "m1", "hi", &[("authorization", &bearer)]).await.status, StatusCode::UNAUTHORIZED);
    let forged = auth::mint(b"wrong", "v", now_s, 60);
    let bearer = format!("Bearer {forged}");
    assert_eq!(send(&app, "c5", "m1", "hi", &[("authorization", &bearer)]).await.status, StatusCode::UNAUTHORIZED);
    // A development token from /api/token works.
    let minted = call(&app, "POST", "/api/token", &[], Some(json!({"ttl": 5}))).await;
    let token: Value = serde_json::from_str(&minted.body).unwrap();
    let bearer = format!("Bearer {}", token["token"].as_str().unwrap());
    let ok = send(&app, "c5", "m1", "hi", &[("authorization", &bearer)]).await;
    assert_eq!((ok.status, final_text(&ok.body)), (StatusCode::OK, "You said: hi".to_owned()));
}

#[tokio::test]
async fn development_tokens_are_off_unless_enabled() {
    let app = app_with(ApiOptions { jwt_secret: Some(SECRET.to_vec()), ..fast() });
    assert_eq!(call(&app, "POST", "/api/token", &[], None).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn cors_allows_only_the_listed_origins() {
    let options = Options {
        dist: Some(fixture()),
        api: Some(fast()),
        allowed_origins: vec!["https://shop.example".into()],
        ..Options::default()
    };
    let app = app(&options);
    let preflight = |origin: &'static str| {
        let app = app.clone();
        async move {
            let req = Request::builder()
                .method("OPTIONS")
                .uri("/api/conversations/c6/messages")
                .header("origin", origin)
                .header("access-control-request-method", "POST")
                .header("access-control-request-headers", "authorization,content-type")
                .body(Body::empty())
                .unwrap();
            app.oneshot(req).await.unwrap().headers().get("access-control-allow-origin").cloned()
        }
    };
    assert_eq!(preflight("https://shop.example").await.unwrap(), "https://shop.example");
    assert_eq!(preflight("https://evil.example").await, None);
}

/// What the fake upstream was sent: (Authorization header, JSON body) per call.
type Seen = Arc<Mutex<Vec<(Option<String>, Value)>>>;

/// A fake OpenAI-compatible endpoint: streams "Hel" + "lo!" and records what it was sent.
async fn fake_upstream() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let record = seen.clone();
    let app = Router::new().route(
        "/v1/chat/completions",
        post(move |headers: axum::http::HeaderMap, Json(body): Json<Value>| {
            let record = record.clone();
            async move {
                let auth = headers.get("authorization").map(|v| v.to_str().unwrap().to_owned());
                record.lock().unwrap().push((auth, body));
                let chunks = [
                    r#"data: {"choices":[{"delta":{"role":"assistant"}}]}"#,
                    r#"data: {"choices":[{"delta":{"content":"Hel"}}]}"#,
                    r#"data: {"choices":[{"delta":{"content":"lo!"}}]}"#,
                    "data: [DONE]",
                ];
                let body: String = chunks.iter().map(|c| format!("{c}\n\n")).collect();
                ([(header::CONTENT_TYPE, "text/event-stream")], body)
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/v1/chat/completions"), seen)
}

#[tokio::test]
async fn proxies_an_openai_compatible_stream_and_keeps_the_key_server_side() {
    let (url, seen) = fake_upstream().await;
    let upstream = Upstream { key: Some("sk-secret".into()), ..Upstream::new(url, "test-model") };
    let app = app_with(ApiOptions { upstream: Some(upstream), ..fast() });
    let first = send(&app, "c7", "m1", "Say hello", &[]).await;
    let deltas: Vec<String> = events(&first.body)
        .into_iter()
        .filter_map(|(_, e)| match e {
            Ok(Some(AgentEvent::Delta { text, .. })) => Some(text),
            _ => None,
        })
        .collect();
    assert_eq!(deltas, ["Hel", "lo!"]);
    assert_eq!(final_text(&first.body), "Hello!");
    assert!(!first.body.contains("sk-secret"), "the key never reaches the browser");
    send(&app, "c7", "m2", "Again", &[]).await;
    let seen = seen.lock().unwrap();
    assert_eq!(seen[0].0.as_deref(), Some("Bearer sk-secret"));
    assert_eq!(seen[0].1["model"], "test-model");
    assert_eq!(seen[0].1["stream"], true);
    // The second call carries the conversation so far.
    let history: Vec<&str> =
        seen[1].1["messages"].as_array().unwrap().iter().map(|m| m["content"].as_str().unwrap()).collect();
    assert_eq!(history, ["Say hello", "Hello!", "Again"]);
}

#[tokio::test]
async fn an_unreachable_upstream_is_a_clear_error_event() {
    let url = "http://127.0.0.1:9/v1/chat/completions?api-key=sekrit";
    let upstream = Upstream { key: Some("k".into()), ..Upstream::new(url, "m") };
    let app = app_with(ApiOptions { upstream: Some(upstream), ..fast() });
    let body = send(&app, "c8", "m1", "hi", &[]).await.body;
    let evs = events(&body);
    assert!(evs.iter().any(|(_, e)| matches!(e, Ok(Some(AgentEvent::Error(err))) if err.code == colloquy::events::ErrorCode::ConnectionError)));
    // The URL (and the key in its query) stays in the server's log.
    assert!(!body.contains("sekrit") && !body.contains("127.0.0.1"), "{body}");
}

// ---- issue 10: hardening ----

fn is_json_error(r: &Reply, status: StatusCode, code: &str) -> bool {
    let json: Value = serde_json::from_str(&r.body).unwrap_or(Value::Null);
    r.status == status
        && r.headers.get(header::CONTENT_TYPE).is_some_and(|v| v == "application/json")
        && json["code"] == code
        && json["message"].as_str().is_some_and(|m| !m.is_empty())
}

#[tokio::test]
async fn every_rejection_is_the_documented_json() {
    let app = app_with(fast());
    let r = call(&app, "GET", "/api/nowhere", &[], None).await;
    assert!(is_json_error(&r, StatusCode::NOT_FOUND, "NOT_FOUND"), "{}", r.body);
    let r = call(&app, "GET", "/api/conversations/c1/messages", &[], None).await;
    assert!(is_json_error(&r, StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED"), "{}", r.body);
    let plain = Request::post("/api/conversations/c1/messages").body(Body::from("{}")).unwrap();
    let res = app.clone().oneshot(plain).await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    let body = String::from_utf8_lossy(&res.into_body().collect().await.unwrap().to_bytes()).into_owned();
    assert!(is_json_error(
        &Reply { status, headers, body },
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "UNSUPPORTED_MEDIA_TYPE"
    ));
    let bad = Request::post("/api/conversations/c1/messages")
        .header("content-type", "application/json")
        .body(Body::from("{not json"))
        .unwrap();
    let res = app.clone().oneshot(bad).await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    let body = String::from_utf8_lossy(&res.into_body().collect().await.unwrap().to_bytes()).into_owned();
    assert!(is_json_error(&Reply { status, headers, body }, StatusCode::BAD_REQUEST, "BAD_REQUEST"));
    let huge = json!({"id": "m2", "text": "y".repeat(70 * 1024)});
    let r = call(&app, "POST", "/api/conversations/c4/messages", &[], Some(huge)).await;
    assert!(is_json_error(&r, StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE"), "{}", r.body);
    let r = call(&app, "GET", "/missing.js", &[], None).await;
    assert!(is_json_error(&r, StatusCode::NOT_FOUND, "NOT_FOUND"), "{}", r.body);
}

#[tokio::test]
async fn a_failed_reply_is_not_recorded_so_the_retry_is_a_fresh_attempt() {
    let app = app_with(fast());
    let first = events(&send(&app, "e1", "m1", "/error", &[]).await.body);
    assert!(first.iter().any(|(n, _)| n == "error"));
    let retry = send(&app, "e1", "m1", "/error", &[]).await;
    assert!(!events(&retry.body).iter().any(|(n, _)| n == "error"), "{}", retry.body);
    final_text(&retry.body);
}

#[tokio::test]
async fn the_reply_store_is_bounded_and_evicts_the_oldest() {
    let mut api = fast();
    api.stores.replies.max_entries = 1;
    let app = app_with(api);
    let first = send(&app, "r1", "m1", "/handoff", &[]).await;
    send(&app, "r1", "m2", "hi", &[]).await;
    // m1's reply was evicted by m2's: the retry is answered afresh (now by the human agent).
    let again = send(&app, "r1", "m1", "/handoff", &[]).await;
    assert_ne!(first.body, again.body);
}

fn token_for(sub: &str) -> String {
    format!("Bearer {}", auth::mint(SECRET, sub, now().as_secs(), 60))
}

#[tokio::test]
async fn conversations_are_bound_to_the_token_subject() {
    let app = app_with(ApiOptions { jwt_secret: Some(SECRET.to_vec()), ..fast() });
    let (alice, mallory) = (token_for("alice"), token_for("mallory"));
    let created =
        call(&app, "POST", "/api/conversations", &[("authorization", &alice)], Some(json!({"conversationId": "b1"})))
            .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let ok = send(&app, "b1", "m1", "hi", &[("authorization", &alice)]).await;
    assert_eq!(ok.status, StatusCode::OK);
    let stolen = send(&app, "b1", "m1", "hi", &[("authorization", &mallory)]).await;
    assert!(is_json_error(&stolen, StatusCode::FORBIDDEN, "FORBIDDEN"), "{}", stolen.body);
    let again =
        call(&app, "POST", "/api/conversations", &[("authorization", &mallory)], Some(json!({"conversationId": "b1"})))
            .await;
    assert_eq!(again.status, StatusCode::FORBIDDEN);
    // Lazily created conversations are bound too.
    send(&app, "b2", "m1", "hi", &[("authorization", &mallory)]).await;
    assert_eq!(send(&app, "b2", "m2", "hi", &[("authorization", &alice)]).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_evicted_conversation_takes_its_replies_with_it() {
    let mut api = ApiOptions { jwt_secret: Some(SECRET.to_vec()), ..fast() };
    api.stores.conversations.max_entries = 1;
    let app = app_with(api);
    let (alice, bob) = (token_for("alice"), token_for("bob"));
    send(&app, "v1", "m1", "secret plans", &[("authorization", &alice)]).await;
    send(&app, "v2", "m1", "hi", &[("authorization", &alice)]).await;
    // v1 was evicted (one conversation kept): bob may start a conversation of that id, and a
    // retry of alice's message id gives him a fresh reply to his own text, not alice's.
    let r = send(&app, "v1", "m1", "mine", &[("authorization", &bob)]).await;
    assert_eq!((r.status, final_text(&r.body)), (StatusCode::OK, "You said: mine".to_owned()));
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive() {
    let app = app_with(ApiOptions { jwt_secret: Some(SECRET.to_vec()), ..fast() });
    let token = auth::mint(SECRET, "v", now().as_secs(), 60);
    for scheme in ["bearer", "BEARER", "Bearer"] {
        let header = format!("{scheme} {token}");
        assert_eq!(send(&app, "s1", scheme, "hi", &[("authorization", &header)]).await.status, StatusCode::OK);
    }
    assert_eq!(bearer("Basic abc"), None);
    assert_eq!(bearer("bearer  tok "), Some("tok"));
}

#[test]
fn the_dev_token_endpoint_is_announced_loudly() {
    let on = ApiOptions { jwt_secret: Some(SECRET.to_vec()), dev_tokens: true, ..fast() };
    let warnings = startup_warnings(&on);
    assert!(warnings.iter().any(|w| w.contains("WARNING") && w.contains("ANY subject")), "{warnings:?}");
    assert!(startup_warnings(&ApiOptions { jwt_secret: Some(SECRET.to_vec()), ..fast() }).is_empty());
}

#[test]
fn allowed_origins_are_validated() {
    let (ok, bad) =
        parse_origins("https://a.example, http://localhost:18081 https://b.example/,javascript:x,https://x;y");
    assert_eq!(ok, ["https://a.example", "http://localhost:18081", "https://b.example"]);
    assert_eq!(bad, ["javascript:x", "https://x;y"]);
}

#[tokio::test]
async fn the_widget_page_carries_its_security_headers_and_the_origin_list() {
    let options = Options {
        dist: Some(fixture()),
        api: Some(fast()),
        allowed_origins: vec!["https://a.example".into(), "https://b.example".into()],
        ..Options::default()
    };
    let app = app(&options);
    for path in ["/", "/index.html"] {
        let r = call(&app, "GET", path, &[], None).await;
        let csp = r.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(csp.contains("frame-ancestors https://a.example https://b.example;"), "{csp}");
        assert!(csp.contains("script-src 'self' 'wasm-unsafe-eval'") && !csp.contains("unsafe-inline"));
        assert_eq!(r.headers[header::REFERRER_POLICY], "strict-origin-when-cross-origin");
        assert!(r.body.contains(
            r#"<head><meta name="colloquy-allowed-origins" content="https://a.example https://b.example" />"#
        ));
    }
    // nosniff on every response, API and errors included.
    for path in ["/embed.js", "/api/health", "/missing"] {
        assert_eq!(call(&app, "GET", path, &[], None).await.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    }
}

#[tokio::test]
async fn the_console_is_served_under_a_strict_csp() {
    let app = app_with(fast());
    for path in ["/console/", "/console/index.html"] {
        let r = call(&app, "GET", path, &[], None).await;
        assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, CONSOLE_PAGE), "{path}");
        let csp = r.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert_eq!(csp, statics::CONSOLE_CSP);
        for part in [
            "script-src 'self' 'wasm-unsafe-eval';",
            "style-src 'self';",
            "connect-src 'self';",
            "frame-ancestors 'none';",
        ] {
            assert!(csp.contains(part), "{part} in {csp}");
        }
        assert!(!csp.contains("unsafe-inline"));
        assert_eq!(r.headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
    }
    // Without the slash, relative asset paths would miss: redirected (relative, for prefixes).
    let bare = call(&app, "GET", "/console", &[], None).await;
    assert_eq!(
        (bare.status, bare.headers[header::LOCATION].to_str().unwrap()),
        (StatusCode::PERMANENT_REDIRECT, "console/")
    );
    let js = call(&app, "GET", "/console/colloquy-console-0123456789abcdef.js", &[], None).await;
    assert_eq!((js.status, js.headers[header::CACHE_CONTROL].to_str().unwrap()), (StatusCode::OK, statics::IMMUTABLE));
    // A dist/ without the console: a clear 404.
    let bare_dist = std::env::temp_dir().join(format!("colloquy-server-test-noconsole-{}", std::process::id()));
    std::fs::create_dir_all(&bare_dist).unwrap();
    let unbuilt = crate::app(&Options { dist: Some(bare_dist), api: Some(fast()), ..Options::default() });
    let r = call(&unbuilt, "GET", "/console/", &[], None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("the agent console is not built"), "{}", r.body);
}

#[tokio::test]
async fn static_files_no_dotfiles_right_types_cache_headers_compression() {
    let app = app_with(fast());
    assert_eq!(call(&app, "GET", "/.trunk-lock", &[], None).await.status, StatusCode::NOT_FOUND);
    let dts = call(&app, "GET", "/colloquy.d.ts", &[], None).await;
    assert_eq!(dts.headers[header::CONTENT_TYPE], "text/plain; charset=utf-8");
    let wasm = call(&app, "GET", "/colloquy-0123456789abcdef_bg.wasm", &[], None).await;
    assert_eq!(wasm.headers[header::CONTENT_TYPE], "application/wasm");
    assert_eq!(wasm.headers[header::CACHE_CONTROL], statics::IMMUTABLE);
    let embed = call(&app, "GET", "/embed.js", &[], None).await;
    assert_eq!(embed.headers[header::CACHE_CONTROL], statics::SHORT);
    // The precompressed sibling, when the client takes brotli.
    let br = call(&app, "GET", "/colloquy-0123456789abcdef_bg.wasm", &[("accept-encoding", "gzip, br")], None).await;
    assert_eq!((br.headers[header::CONTENT_ENCODING].to_str().unwrap(), br.body.as_str()), ("br", "brotli bytes"));
    assert_eq!(br.headers[header::CONTENT_TYPE], "application/wasm");
    // No sibling: compressed on the fly.
    let gz = call(&app, "GET", "/big.js", &[("accept-encoding", "gzip")], None).await;
    assert_eq!(gz.headers[header::CONTENT_ENCODING], "gzip");
    // Never the event stream.
    let sse = send(&app, "z1", "m1", "hi", &[("accept-encoding", "gzip, br")]).await;
    assert!(sse.headers.get(header::CONTENT_ENCODING).is_none());
    final_text(&sse.body);
}

// ---- real sockets on 127.0.0.1 ----

struct Running {
    addr: std::net::SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    done: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    async fn stop(mut self) -> Duration {
        let start = std::time::Instant::now();
        let _ = self.stop.take().unwrap().send(());
        tokio::time::timeout(Duration::from_secs(10), self.done).await.unwrap().unwrap().unwrap();
        start.elapsed()
    }
}

async fn start(options: Options) -> Running {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = app(&options);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let signal = async {
        let _ = stopped.await;
    };
    let done = tokio::spawn(net::serve(listener, app, options.limits.clone(), options.closing.clone(), signal));
    Running { addr, stop: Some(stop), done }
}

fn served(api: ApiOptions, limits: Limits) -> Options {
    Options { dist: Some(fixture()), api: Some(api), limits, ..Options::default() }
}

fn slow() -> ApiOptions {
    ApiOptions { pace: Pace { think: Duration::ZERO, chunk: Duration::from_millis(50) }, ..ApiOptions::default() }
}

fn message_request(conversation: &str, id: &str, text: &str) -> String {
    let body = json!({"id": id, "text": text}).to_string();
    format!(
        "POST /api/conversations/{conversation}/messages HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// Reads until `needle` shows up (or EOF / 5 s); returns what was read.
async fn read_until(stream: &mut tokio::net::TcpStream, needle: &str) -> String {
    use tokio::io::AsyncReadExt;
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !String::from_utf8_lossy(&seen).contains(needle) {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => seen.extend_from_slice(&buf[..n]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&seen).into_owned()
}

async fn connect(addr: std::net::SocketAddr, request: &str) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    stream
}

/// Whether the server closes the connection within `within`.
async fn closed_within(stream: &mut tokio::net::TcpStream, within: Duration) -> bool {
    use tokio::io::AsyncReadExt;
    let mut buf = [0u8; 1024];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
            Err(_) => return false,
        }
    }
}

#[tokio::test]
async fn a_half_sent_request_head_is_cut_off() {
    let limits = Limits { header_timeout: Duration::from_millis(300), ..Limits::default() };
    let server = start(served(fast(), limits)).await;
    let mut slow = connect(server.addr, "GET /embed.js HTTP/1.1\r\nhost: x\r\nx-slow: 1").await;
    assert!(closed_within(&mut slow, Duration::from_secs(3)).await);
    // Meanwhile the server answers others.
    let mut other = connect(server.addr, "GET /embed.js HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").await;
    assert!(read_until(&mut other, "/* embed */").await.starts_with("HTTP/1.1 200"));
    server.stop().await;
}

#[tokio::test]
async fn a_connection_that_moves_nothing_is_closed() {
    let limits = Limits { idle_timeout: Duration::from_millis(300), ..Limits::default() };
    let server = start(served(fast(), limits)).await;
    let mut idle = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    assert!(closed_within(&mut idle, Duration::from_secs(3)).await);
    server.stop().await;
}

#[tokio::test]
async fn a_trickling_body_gets_408_and_an_announced_huge_one_413_at_once() {
    let limits = Limits { body_timeout: Duration::from_millis(300), ..Limits::default() };
    let server = start(served(fast(), limits)).await;
    let head = "POST /api/conversations/t1/messages HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nconnection: close\r\n";
    let mut trickle = connect(server.addr, &format!("{head}content-length: 100\r\n\r\n{{}}")).await;
    let answer = read_until(&mut trickle, "}").await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains(r#""code":"REQUEST_TIMEOUT""#), "{answer}");
    let mut huge = connect(server.addr, &format!("{head}content-length: 10000000\r\n\r\n{{}}")).await;
    let answer = read_until(&mut huge, "}").await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains(r#""code":"PAYLOAD_TOO_LARGE""#), "{answer}");
    server.stop().await;
}

#[tokio::test]
async fn connections_beyond_the_caps_get_429_or_503_with_retry_after() {
    let limits = Limits { max_connections_per_address: 2, retry_after: Duration::from_secs(7), ..Limits::default() };
    let server = start(served(fast(), limits)).await;
    let _a = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let _b = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut third = connect(server.addr, "GET /embed.js HTTP/1.1\r\nhost: x\r\n\r\n").await;
    let answer = read_until(&mut third, "}").await;
    assert!(answer.starts_with("HTTP/1.1 429"), "{answer}");
    assert!(answer.contains("retry-after: 7") && answer.contains(r#""code":"TOO_MANY_REQUESTS""#), "{answer}");
    server.stop().await;

    let limits = Limits { max_connections: 1, ..Limits::default() };
    let server = start(served(fast(), limits)).await;
    let _a = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut second = connect(server.addr, "GET /embed.js HTTP/1.1\r\nhost: x\r\n\r\n").await;
    let answer = read_until(&mut second, "}").await;
    assert!(answer.starts_with("HTTP/1.1 503") && answer.contains("retry-after: 5"), "{answer}");
    assert!(answer.contains(r#""code":"UNAVAILABLE""#), "{answer}");
    server.stop().await;
}

#[tokio::test]
async fn streams_beyond_the_caps_get_429_or_503_and_places_come_back() {
    let limits = Limits { max_streams_per_address: 1, ..Limits::default() };
    let server = start(served(slow(), limits)).await;
    let mut first = connect(server.addr, &message_request("k1", "m1", "/long 100")).await;
    assert!(read_until(&mut first, "event: delta").await.contains("event: delta"));
    let mut second = connect(server.addr, &message_request("k2", "m1", "hi")).await;
    let answer = read_until(&mut second, "}").await;
    assert!(answer.starts_with("HTTP/1.1 429") && answer.contains("retry-after: 5"), "{answer}");
    assert!(answer.contains(r#""code":"TOO_MANY_REQUESTS""#), "{answer}");
    // The visitor leaves: the place is given back.
    drop(first);
    let mut ok = false;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let mut third = connect(server.addr, &message_request("k3", "m1", "hi")).await;
        if read_until(&mut third, "\r\n").await.starts_with("HTTP/1.1 200") {
            ok = true;
            break;
        }
    }
    assert!(ok, "the stream's place came back");
    server.stop().await;

    let limits = Limits { max_streams: 1, ..Limits::default() };
    let server = start(served(slow(), limits)).await;
    let mut first = connect(server.addr, &message_request("k1", "m1", "/long 100")).await;
    read_until(&mut first, "event: delta").await;
    let mut second = connect(server.addr, &message_request("k2", "m1", "hi")).await;
    let answer = read_until(&mut second, "}").await;
    assert!(answer.starts_with("HTTP/1.1 503") && answer.contains(r#""code":"UNAVAILABLE""#), "{answer}");
    drop(first);
    server.stop().await;
}

#[tokio::test]
async fn on_shutdown_a_stream_finishes_within_the_drain_time() {
    let limits = Limits { drain: Duration::from_secs(5), ..Limits::default() };
    let server = start(served(slow(), limits)).await;
    let mut stream = connect(server.addr, &message_request("g1", "m1", "/long 10")).await;
    let before = read_until(&mut stream, "event: delta").await;
    let (rest, took) = tokio::join!(read_until(&mut stream, "event: done"), server.stop());
    assert!(rest.contains("event: done") && !rest.contains("event: error"), "{before}{rest}");
    assert!(took < Duration::from_secs(5));
}

#[tokio::test]
async fn on_shutdown_a_long_stream_ends_with_a_clean_error_after_the_drain_time() {
    let limits = Limits { drain: Duration::from_millis(300), ..Limits::default() };
    let server = start(served(slow(), limits)).await;
    let mut stream = connect(server.addr, &message_request("g2", "m1", "/long 1000")).await;
    read_until(&mut stream, "event: delta").await;
    let (rest, took) = tokio::join!(read_until(&mut stream, "restarting"), server.stop());
    assert!(rest.contains("event: error") && rest.contains("CONNECTION_ERROR"), "{rest}");
    assert!(closed_within(&mut stream, Duration::from_secs(3)).await, "the stream ends");
    assert!(took < Duration::from_secs(4), "{took:?}");
}

/// An upstream that sends one delta and then hangs; reports when its client went away.
async fn hanging_upstream() -> (String, tokio::sync::oneshot::Receiver<()>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (gone, gone_rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        read_until(&mut socket, "\r\n\r\n").await;
        let chunk = "data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n\n";
        let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n";
        let answer = format!("{head}{:x}\r\n{chunk}\r\n", chunk.len());
        socket.write_all(answer.as_bytes()).await.unwrap();
        let mut buf = [0u8; 1024];
        loop {
            match socket.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
        let _ = gone.send(());
    });
    (format!("http://{addr}/v1/chat/completions?key=sekrit"), gone_rx)
}

#[tokio::test]
async fn the_upstream_call_is_cancelled_when_the_visitor_leaves() {
    let (url, gone) = hanging_upstream().await;
    let api = ApiOptions { upstream: Some(Upstream { key: Some("k".into()), ..Upstream::new(url, "m") }), ..fast() };
    let server = start(served(api, Limits::default())).await;
    let mut visitor = connect(server.addr, &message_request("u1", "m1", "hi")).await;
    assert!(read_until(&mut visitor, "event: delta").await.contains("Hel"));
    drop(visitor);
    tokio::time::timeout(Duration::from_secs(3), gone).await.expect("the upstream call was dropped").unwrap();
    server.stop().await;
}

#[tokio::test]
async fn the_upstream_call_has_an_overall_timeout_and_its_error_is_generic() {
    let (url, gone) = hanging_upstream().await;
    let upstream = Upstream { key: Some("k".into()), ..Upstream::new(url, "m") };
    let api = ApiOptions { upstream: Some(upstream), upstream_timeout: Duration::from_millis(500), ..fast() };
    let server = start(served(api, Limits::default())).await;
    let mut visitor = connect(server.addr, &message_request("u2", "m1", "hi")).await;
    let body = read_until(&mut visitor, "event: error").await;
    let body = body + &read_until(&mut visitor, "\n\n").await;
    assert!(body.contains("CONNECTION_ERROR"), "{body}");
    assert!(!body.contains("sekrit") && !body.contains("127.0.0.1"), "{body}");
    tokio::time::timeout(Duration::from_secs(3), gone).await.expect("the upstream call was dropped").unwrap();
    server.stop().await;
}

#[tokio::test]
async fn a_reply_too_big_for_the_store_is_not_kept() {
    let mut api = fast();
    api.stores.replies.max_bytes = 80_000; // one reply may keep at most 10 KB
    let app = app_with(api);
    let small = send(&app, "o1", "m1", "hi", &[]).await;
    let big = send(&app, "o1", "m2", "/long 300", &[]).await;
    assert!(big.body.len() > 10_000);
    tokio::time::sleep(Duration::from_millis(5)).await;
    // The small one is replayed as it was; the big one is answered afresh (a new timestamp).
    assert_eq!(send(&app, "o1", "m1", "hi", &[]).await.body, small.body);
    assert_ne!(send(&app, "o1", "m2", "/long 300", &[]).await.body, big.body);
}

// ---- issue 12: the model hands off; system prompt; keyless upstreams ----

/// What a wire upstream was sent: (the request head, lower-cased; the JSON body) per call.
type Calls = Arc<Mutex<Vec<(String, Value)>>>;

/// A fake OpenAI-compatible endpoint on a raw socket, so the bytes are exactly the public wire
/// format: each call gets the next script (the last one repeats), each item of a script one
/// chunked-encoding frame written on its own (with a pause, so they arrive as separate reads).
async fn wire_upstream(scripts: Vec<Vec<String>>) -> (String, Calls) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let calls: Calls = Arc::default();
    let record = calls.clone();
    tokio::spawn(async move {
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut raw = Vec::new();
            let mut buf = [0u8; 8192];
            let (head, body) = loop {
                let n = socket.read(&mut buf).await.unwrap();
                assert!(n > 0, "the request ended early");
                raw.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&raw).into_owned();
                let Some((head, body)) = text.split_once("\r\n\r\n") else { continue };
                let head = head.to_ascii_lowercase();
                let length: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .map(|v| v.trim().parse().unwrap())
                    .expect("a content-length");
                if body.len() >= length {
                    break (head, body.to_owned());
                }
            };
            let n = {
                let mut calls = record.lock().unwrap();
                calls.push((head, serde_json::from_str(&body).expect("a JSON body")));
                calls.len() - 1
            };
            let script = scripts[n.min(scripts.len() - 1)].clone();
            tokio::spawn(async move {
                let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n";
                socket.write_all(head.as_bytes()).await.unwrap();
                for piece in script {
                    let frame = format!("{:x}\r\n{piece}\r\n", piece.len());
                    if socket.write_all(frame.as_bytes()).await.is_err() {
                        return;
                    }
                    let _ = socket.flush().await;
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                let _ = socket.write_all(b"0\r\n\r\n").await;
            });
        }
    });
    (format!("http://{addr}/v1/chat/completions"), calls)
}

/// One `data:` event of the public streaming format, CRLF line ends.
fn chunk(choices: Value) -> String {
    let v =
        json!({"id": "chatcmpl-7", "object": "chat.completion.chunk", "created": 1, "model": "m", "choices": choices});
    format!("data: {v}\r\n\r\n")
}

fn content(text: &str) -> String {
    chunk(json!([{"index": 0, "delta": {"content": text}, "finish_reason": null}]))
}

fn tool_piece(index: u64, first: Option<(&str, &str)>, arguments: &str) -> String {
    let mut call = json!({"index": index, "function": {"arguments": arguments}});
    if let Some((id, name)) = first {
        call["id"] = json!(id);
        call["type"] = json!("function");
        call["function"]["name"] = json!(name);
    }
    chunk(json!([{"index": 0, "delta": {"tool_calls": [call]}, "finish_reason": null}]))
}

/// The start (a comment, the role-only chunk) and the end (`finish_reason`, the usage chunk with
/// empty `choices`, `[DONE]`) of a reply.
fn opening() -> Vec<String> {
    vec![
        ": keep-alive\r\n\r\n".into(),
        chunk(
            json!([{"index": 0, "delta": {"role": "assistant", "content": ""}, "logprobs": null, "finish_reason": null}]),
        ),
    ]
}

fn closing(finish: &str) -> Vec<String> {
    let usage = json!({"id": "chatcmpl-7", "object": "chat.completion.chunk", "created": 1, "model": "m", "choices": [],
        "usage": {"prompt_tokens": 12, "completion_tokens": 7, "total_tokens": 19}});
    vec![
        chunk(json!([{"index": 0, "delta": {}, "finish_reason": finish}])),
        format!("data: {usage}\r\n\r\n"),
        "data: [DONE]\r\n\r\n".into(),
    ]
}

/// A reply that says `text` and then calls `transfer_to_human` (its arguments in three pieces).
fn handoff_script(text: &[&str]) -> Vec<String> {
    let mut script = opening();
    script.extend(text.iter().map(|t| content(t)));
    script.push(tool_piece(0, Some(("call_1", "transfer_to_human")), ""));
    script.push(tool_piece(0, None, "{\"reason\": \"the visitor "));
    script.push(tool_piece(0, None, "asked for a per"));
    script.push(tool_piece(0, None, "son\"}"));
    script.extend(closing("tool_calls"));
    script
}

fn text_script(text: &[&str]) -> Vec<String> {
    let mut script = opening();
    script.extend(text.iter().map(|t| content(t)));
    script.extend(closing("stop"));
    script
}

/// The widget-facing events, deltas collapsed into one name, timestamps zeroed (for comparing
/// two replies).
fn shape(body: &str) -> Vec<(String, Option<AgentEvent>)> {
    let mut out: Vec<(String, Option<AgentEvent>)> = Vec::new();
    for (name, ev) in events(body) {
        let ev = match ev.expect("a well-formed event") {
            Some(AgentEvent::Delta { .. }) if out.last().is_some_and(|(n, _)| n == "delta") => continue,
            Some(AgentEvent::Delta { .. }) => None,
            Some(AgentEvent::Message(mut m)) => {
                m.timestamp = 0.0;
                Some(AgentEvent::Message(m))
            }
            other => other,
        };
        out.push((name, ev));
    }
    out
}

fn deltas(body: &str) -> Vec<String> {
    events(body)
        .into_iter()
        .filter_map(|(_, e)| match e {
            Ok(Some(AgentEvent::Delta { text, .. })) => Some(text),
            _ => None,
        })
        .collect()
}

/// The event names of a hand-off reply: the real queue ends at `queued`; the scripted human
/// connects and greets within the reply.
fn handoff_names(mode: Handoff) -> Vec<&'static str> {
    match mode {
        Handoff::Queue => vec!["accepted", "typing", "delta", "message", "handoff", "done"],
        Handoff::Scripted => {
            vec!["accepted", "typing", "delta", "message", "handoff", "handoff", "handoff", "message", "done"]
        }
    }
}

#[tokio::test]
async fn a_model_handoff_is_on_the_wire_exactly_as_the_scripted_handoff() {
    for mode in [Handoff::Queue, Handoff::Scripted] {
        let (url, calls) =
            wire_upstream(vec![handoff_script(&["Let me connect you ", "with a member of our team."])]).await;
        let upstream = Upstream {
            key: Some("sk-test".into()),
            system: Some("You are the shop's assistant.".into()),
            ..Upstream::new(url, "m")
        };
        let app = app_with(ApiOptions { upstream: Some(upstream), handoff: mode, ..fast() });
        let model = send(&app, "h1", "m1", "Can I talk to a person?", &[]).await;
        let scripted = send(&app_with(ApiOptions { handoff: mode, ..fast() }), "h1", "m1", "/handoff", &[]).await;
        assert_eq!(deltas(&model.body), ["Let me connect you ", "with a member of our team."]);
        // Same names, same order, same handoff events (and, scripted, human greeting) as `/handoff`.
        assert_eq!(shape(&model.body), shape(&scripted.body));
        let names: Vec<String> = shape(&model.body).into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, handoff_names(mode), "{mode:?}");
        assert!(!model.body.contains("asked for a person"), "the reason is not shown to the visitor");
        // The request: the system prompt first, the tool offered, the key as a bearer token.
        let (head, body) = calls.lock().unwrap()[0].clone();
        assert!(head.contains("\r\nauthorization: bearer sk-test"), "{head}");
        assert_eq!(body["stream"], true);
        assert_eq!(body["messages"][0], json!({"role": "system", "content": "You are the shop's assistant."}));
        assert_eq!(body["messages"][1], json!({"role": "user", "content": "Can I talk to a person?"}));
        let tool = &body["tools"][0];
        assert_eq!(tool["type"], "function");
        assert_eq!(tool["function"]["name"], "transfer_to_human");
        assert!(tool["function"]["description"].as_str().is_some_and(|d| !d.is_empty()));
        assert_eq!(tool["function"]["parameters"]["properties"]["reason"]["type"], "string");
        assert_eq!(tool["function"]["parameters"]["required"], json!(["reason"]));
        // The conversation is with the human now: the model is not called again.
        let next = send(&app, "h1", "m2", "My order is late", &[]).await;
        match mode {
            Handoff::Queue => {
                let names: Vec<String> = shape(&next.body).into_iter().map(|(n, _)| n).collect();
                assert_eq!(names, ["accepted", "done"], "the message went to the queue");
            }
            Handoff::Scripted => {
                let Some(Ok(Some(AgentEvent::Message(m)))) = events(&next.body)
                    .into_iter()
                    .map(|(_, e)| e)
                    .rfind(|e| matches!(e, Ok(Some(AgentEvent::Message(_)))))
                else {
                    panic!("{}", next.body)
                };
                assert_eq!(m.agent_name.as_deref(), Some(colloquy::agent::demo::HUMAN));
            }
        }
        assert_eq!(calls.lock().unwrap().len(), 1);
        // A retry of the hand-off gets the same reply, without calling the model again.
        assert_eq!(send(&app, "h1", "m1", "Can I talk to a person?", &[]).await.body, model.body);
        assert_eq!(calls.lock().unwrap().len(), 1);
    }
}

#[tokio::test]
async fn a_keyless_upstream_gets_no_authorization_header() {
    let (url, calls) = wire_upstream(vec![text_script(&["Hel", "lo!"])]).await;
    let app = app_with(ApiOptions { upstream: Some(Upstream::new(url, "local-model")), ..fast() });
    let reply = send(&app, "k1", "m1", "hi", &[]).await;
    assert_eq!(deltas(&reply.body), ["Hel", "lo!"]);
    assert_eq!(final_text(&reply.body), "Hello!");
    assert!(reply.body.ends_with("event: done\ndata: {}\n\n"), "{}", reply.body);
    let (head, body) = calls.lock().unwrap()[0].clone();
    assert!(!head.contains("authorization"), "{head}");
    assert_eq!(body["model"], "local-model");
    // No system prompt: the visitor's message comes first.
    assert_eq!(body["messages"], json!([{"role": "user", "content": "hi"}]));
    assert_eq!(body["tools"][0]["function"]["name"], "transfer_to_human");
}

#[tokio::test]
async fn the_system_prompt_can_come_from_a_file() {
    let path = std::env::temp_dir().join(format!("colloquy-system-{}.txt", std::process::id()));
    std::fs::write(&path, "Answer in French.\nBe brief.\n").unwrap();
    let system = system_prompt(None, Some(&path)).unwrap();
    assert_eq!(system.as_deref(), Some("Answer in French.\nBe brief.\n"));
    let missing = std::env::temp_dir().join("colloquy-no-such-prompt.txt");
    let error = system_prompt(None, Some(&missing)).unwrap_err();
    assert!(
        error.contains("COLLOQUY_UPSTREAM_SYSTEM_FILE") && error.contains("colloquy-no-such-prompt.txt"),
        "{error}"
    );
    assert!(system_prompt(Some("x".into()), Some(&path)).is_err(), "not both");
    assert_eq!(system_prompt(Some("Be kind.".into()), None).unwrap().as_deref(), Some("Be kind."));
    let (url, calls) = wire_upstream(vec![text_script(&["Bonjour"])]).await;
    let app = app_with(ApiOptions { upstream: Some(Upstream { system, ..Upstream::new(url, "m") }), ..fast() });
    send(&app, "f1", "m1", "hi", &[]).await;
    send(&app, "f1", "m2", "again", &[]).await;
    let calls = calls.lock().unwrap();
    let roles: Vec<&str> =
        calls[1].1["messages"].as_array().unwrap().iter().map(|m| m["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["system", "user", "assistant", "user"], "the system prompt stays first, once");
    assert_eq!(calls[1].1["messages"][0]["content"], "Answer in French.\nBe brief.\n");
    std::fs::remove_file(path).unwrap();
}

#[tokio::test]
async fn a_tool_call_split_across_writes_and_events_is_assembled() {
    // The whole reply as one byte string, cut into small writes at awkward places: inside the
    // JSON, between `\r` and `\n`, inside `data:`.
    let whole: String = handoff_script(&["One moment."]).concat();
    let mut writes = Vec::new();
    let bytes = whole.as_bytes();
    let mut at = 0;
    for (i, size) in [7usize, 1, 13, 2, 29, 5, 61].iter().cycle().enumerate() {
        if at >= bytes.len() {
            break;
        }
        let mut end = (at + size + i % 3).min(bytes.len());
        while !whole.is_char_boundary(end) {
            end += 1;
        }
        writes.push(whole[at..end].to_owned());
        at = end;
    }
    assert!(writes.iter().any(|w| w.ends_with('\r')), "a write ends between CR and LF");
    let (url, _) = wire_upstream(vec![writes]).await;
    let app = app_with(ApiOptions { upstream: Some(Upstream::new(url, "m")), ..fast() });
    let model = send(&app, "s1", "m1", "a person please", &[]).await;
    assert_eq!(final_text(&model.body), "One moment.");
    let names: Vec<String> = shape(&model.body).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, handoff_names(Handoff::Queue));
}

#[tokio::test]
async fn malformed_tool_arguments_still_hand_off_and_unknown_tools_are_ignored() {
    let mut script = opening();
    // An unknown tool, then the hand-off with arguments that are not JSON; no text at all.
    script.push(tool_piece(0, Some(("call_a", "lookup_order")), "{\"order\": 1}"));
    script.push(tool_piece(1, Some(("call_b", "transfer_to_human")), "{\"reason\": "));
    script.push(tool_piece(1, None, "oops"));
    script.extend(closing("tool_calls"));
    let (url, _) = wire_upstream(vec![script]).await;
    let app = app_with(ApiOptions { upstream: Some(Upstream::new(url, "m")), ..fast() });
    let model = send(&app, "b1", "m1", "help", &[]).await;
    let scripted = send(&app_with(fast()), "b1", "m1", "/handoff", &[]).await;
    // No text from the model: the scripted line stands in, so the whole reply is `/handoff`'s.
    assert_eq!(deltas(&model.body), deltas(&scripted.body));
    assert_eq!(shape(&model.body), shape(&scripted.body));
    // Only unknown tools: a plain (empty) reply, no hand-off.
    let mut script = opening();
    script.push(tool_piece(0, Some(("call_a", "lookup_order")), "{}"));
    script.extend(closing("tool_calls"));
    let (url, _) = wire_upstream(vec![script]).await;
    let app = app_with(ApiOptions { upstream: Some(Upstream::new(url, "m")), ..fast() });
    let names: Vec<String> =
        shape(&send(&app, "b2", "m1", "help", &[]).await.body).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["accepted", "typing", "message", "done"]);
}

#[test]
fn tool_call_fragments_are_assembled_by_index_and_bounded() {
    use agent::{MAX_TOOL_ARGUMENTS, MAX_TOOL_CALLS, UpstreamReply};
    let data = |s: String| s.trim_end().strip_prefix("data: ").unwrap().to_owned();
    let mut reply = UpstreamReply::new();
    assert_eq!(reply.feed("[DONE]"), None);
    assert_eq!(reply.feed("not json"), None);
    assert_eq!(reply.feed(&data(content("Hi"))), Some("Hi".into()));
    // Two calls interleaved by index.
    reply.feed(&data(tool_piece(1, Some(("b", "transfer_to_human")), "{\"rea")));
    reply.feed(&data(tool_piece(0, Some(("a", "other")), "{}")));
    reply.feed(&data(tool_piece(1, None, "son\": \"billing\"}")));
    assert_eq!(reply.handoff().as_deref(), Some("billing"));
    assert_eq!(reply.unknown_tools(), ["other"]);
    // Indexes beyond the cap are dropped; arguments beyond the cap mark the call cut off.
    reply.feed(&data(tool_piece(MAX_TOOL_CALLS as u64, Some(("z", "transfer_to_human")), "{}")));
    assert_eq!(reply.calls.len(), 2);
    let mut big = UpstreamReply::new();
    big.feed(&data(tool_piece(0, Some(("a", "transfer_to_human")), "{\"reason\": \"")));
    for _ in 0..MAX_TOOL_ARGUMENTS / 100 + 2 {
        big.feed(&data(tool_piece(0, None, &"x".repeat(100))));
    }
    assert!(big.calls[0].arguments.len() <= MAX_TOOL_ARGUMENTS);
    assert_eq!(big.handoff().as_deref(), Some("unspecified"));
    // Empty or missing reasons are "unspecified"; long ones are capped.
    let call =
        |args: &str| agent::ToolCall { name: "transfer_to_human".into(), arguments: args.into(), ..Default::default() };
    assert_eq!(call("{}").reason(), "unspecified");
    assert_eq!(call("{\"reason\": \"  \"}").reason(), "unspecified");
    assert_eq!(call("[1]").reason(), "unspecified");
    let long = format!("{{\"reason\": \"{}\"}}", "y".repeat(2_000));
    assert_eq!(call(&long).reason().chars().count(), agent::MAX_REASON);
    // The usage chunk (empty choices) and an in-stream provider error.
    let mut usage = UpstreamReply::new();
    assert_eq!(usage.feed(r#"{"choices":[],"usage":{"total_tokens":3}}"#), None);
    assert_eq!(usage.error, None);
    usage.feed(r#"{"error":{"message":"overloaded"}}"#);
    assert!(usage.error.as_deref().is_some_and(|e| e.contains("overloaded")));
}

#[tokio::test]
async fn an_upstream_reply_over_the_byte_cap_is_cut_off() {
    // One endless line: the SSE parser's buffer must not grow past the cap.
    let line = format!("data: {{\"choices\":[{{\"delta\":{{\"content\":\"{}", "a".repeat(4_000));
    let (url, _) = wire_upstream(vec![vec![line.clone(), line.clone(), line]]).await;
    let api = ApiOptions { upstream: Some(Upstream::new(url, "m")), upstream_max_bytes: 6_000, ..fast() };
    let body = send(&app_with(api), "z1", "m1", "hi", &[]).await.body;
    assert!(
        events(&body).iter().any(
            |(_, e)| matches!(e, Ok(Some(AgentEvent::Error(err))) if err.code == colloquy::events::ErrorCode::SendError)
        ),
        "{body}"
    );
}

#[test]
fn the_upstream_is_named_without_its_key_or_query() {
    let upstream = Upstream {
        key: Some("sk-very-secret".into()),
        system: Some("Be kind.".into()),
        ..Upstream::new("https://user:pw@models.example/v1/chat/completions?api-key=sekrit#x", "gpt-x")
    };
    assert_eq!(upstream.shown_url(), "https://models.example/v1/chat/completions");
    let line = upstream_summary(&upstream);
    assert!(line.contains("gpt-x") && line.contains("https://models.example/v1/chat/completions"), "{line}");
    assert!(!line.contains("sk-very") && !line.contains("sekrit") && !line.contains("pw@"), "{line}");
    assert!(upstream_summary(&Upstream::new("http://127.0.0.1:11434/v1/chat/completions", "llama")).contains("no key"));
}

/// Issue 10, item 3: the provider's error text (an error status with a body, or an `error` object
/// inside the stream) goes to the server's log; the browser gets only the generic `SEND_ERROR`.
#[tokio::test]
async fn provider_error_text_stays_in_the_server_log() {
    let provider = Router::new()
        .route(
            "/status",
            post(|| async { (StatusCode::UNAUTHORIZED, "Incorrect API key provided: sk-pr0vider (org S3CRET-ORG)") }),
        )
        .route(
            "/stream",
            post(|| async {
                let body = "data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n\n\
                            data: {\"error\":{\"message\":\"quota of S3CRET-ORG exceeded for sk-pr0vider\"}}\n\n";
                ([(header::CONTENT_TYPE, "text/event-stream")], body)
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, provider).await.unwrap() });
    for path in ["/status", "/stream"] {
        let upstream = Upstream { key: Some("k".into()), ..Upstream::new(format!("http://{addr}{path}"), "m") };
        let app = app_with(ApiOptions { upstream: Some(upstream), ..fast() });
        let body = send(&app, "pe", "m1", "hi", &[]).await.body;
        let error = events(&body).into_iter().find_map(|(_, e)| match e {
            Ok(Some(AgentEvent::Error(err))) => Some(err),
            _ => None,
        });
        let error = error.unwrap_or_else(|| panic!("{path}: no error event: {body}"));
        assert_eq!(error.code, colloquy::events::ErrorCode::SendError, "{path}: {body}");
        assert_eq!(error.message, agent::refused().message, "{path}: {body}");
        for secret in ["sk-pr0vider", "S3CRET", "Incorrect API key", "quota", "127.0.0.1"] {
            assert!(!body.contains(secret), "{path}: {secret:?} reached the browser: {body}");
        }
    }
}

/// With zero pacing (the load bench, the tests) the scripted agent never waits on the timer:
/// `sleep(ZERO)` waits for the next millisecond tick, which capped one client at about 200
/// replies a second in `cargo xtask bench`. Checked on a runtime without a time driver, where
/// any `sleep` panics.
#[test]
fn an_unpaced_scripted_reply_never_waits_for_the_timer() {
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let deltas = runtime.block_on(async {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<String>(agent::STREAM_BUFFER);
        let reader = tokio::spawn(async move {
            let mut deltas = 0;
            while let Some(text) = rx.recv().await {
                deltas += usize::from(text.starts_with("event: delta"));
            }
            deltas
        });
        let request = AgentRequest {
            conversation_id: "np".into(),
            message_id: "m1".into(),
            text: "/long 20".into(),
            auth_token: None,
        };
        let steps = agent::scripted_steps(&request, &mut Memory::default(), 0.0);
        let out = agent::Out::new(tx, 1 << 20);
        assert!(agent::stream_steps(steps, fast().pace, &out).await);
        drop(out);
        reader.await.unwrap()
    });
    assert!(deltas > 5, "{deltas} deltas");
}

/// Every code a rejection can carry is in docs/agent-protocol.md's "Rejections" table, with its
/// status (docs/agent-protocol.md must stay exact: independent checks are written from it).
#[test]
fn every_rejection_code_is_documented_with_its_status() {
    let doc = include_str!("../../docs/agent-protocol.md");
    let start = doc.find("## Rejections").expect("the Rejections section");
    let table = &doc[start + doc[start..].find("\n\n|").expect("the table") + 2..];
    let rows: Vec<&str> = table.lines().take_while(|l| l.starts_with('|')).collect();
    for status in 400..=599u16 {
        let code = errors::code_for(StatusCode::from_u16(status).unwrap());
        let own = format!("| `{status}` | `{code}` |");
        let fallback = format!("| other `{}xx` | `{code}` |", status / 100);
        assert!(
            rows.iter().any(|r| r.starts_with(&own) || r.starts_with(&fallback)),
            "{status} {code} is not in docs/agent-protocol.md's Rejections table"
        );
    }
}

/// The connections `serve` accepts have Nagle's algorithm off (issue 10: the first event of a
/// keep-alive request waited 44 ms for a delayed ACK). The server runs in this process, so its
/// end of the connection is found among the process's descriptors and asked directly.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn served_connections_have_nagle_off() {
    use std::os::fd::{FromRawFd, IntoRawFd};
    let server = start(served(fast(), Limits::default())).await;
    let mut client = connect(server.addr, "GET /api/health HTTP/1.1\r\nhost: x\r\n\r\n").await;
    assert!(read_until(&mut client, "\r\n\r\n").await.starts_with("HTTP/1.1 200"));
    let client_addr = client.local_addr().unwrap();
    let mut server_side = None;
    for entry in std::fs::read_dir("/proc/self/fd").unwrap().flatten() {
        let is_socket = std::fs::read_link(entry.path()).is_ok_and(|t| t.to_string_lossy().starts_with("socket:"));
        let Some(fd) = entry.file_name().to_str().and_then(|n| n.parse::<i32>().ok()) else { continue };
        if !is_socket {
            continue;
        }
        // SAFETY: the descriptor is only borrowed: queried, then released without being closed.
        let socket = unsafe { std::net::TcpStream::from_raw_fd(fd) };
        let ends = (socket.local_addr().ok(), socket.peer_addr().ok());
        let nodelay = socket.nodelay().ok();
        let _ = socket.into_raw_fd();
        if ends == (Some(server.addr), Some(client_addr)) {
            server_side = nodelay;
        }
    }
    assert_eq!(server_side, Some(true), "the server's end of the connection has TCP_NODELAY");
    drop(client);
    server.stop().await;
}
