//! The server, natively: routes, the SSE agent protocol, JWTs, CORS, limits, and the proxy (with a
//! fake OpenAI-compatible upstream on loopback).

use super::*;
use axum::body::Body;
use axum::http::Request;
use colloquy::agent::AgentEvent;
use colloquy::agent::sse::{SseParser, from_wire};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

const SECRET: &[u8] = b"s3cret";

fn fast() -> ApiOptions {
    ApiOptions { pace: Pace { think: Duration::ZERO, chunk: Duration::ZERO }, ..ApiOptions::default() }
}

fn fixture() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("colloquy-server-test-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("demo")).unwrap();
    std::fs::write(dir.join("embed.js"), "/* embed */").unwrap();
    std::fs::write(dir.join("index.html"), "widget page").unwrap();
    std::fs::write(dir.join("demo/index.html"), "demo page").unwrap();
    dir
}

fn app_with(api: ApiOptions) -> Router {
    app(&Options { dist: Some(fixture()), api: Some(api) })
}

struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

async fn call(app: &Router, method: &str, path: &str, headers: &[(&str, &str)], body: Option<Value>) -> Reply {
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
    assert_eq!(call(&app, "GET", "/", &[], None).await.body, "widget page");
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
    // The handoff happened once: the next message goes to the human.
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
    let app = app_with(ApiOptions { allowed_origins: vec!["https://shop.example".into()], ..fast() });
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
    let upstream = Upstream { url, key: "sk-secret".into(), model: "test-model".into() };
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
    let upstream =
        Upstream { url: "http://127.0.0.1:9/v1/chat/completions".into(), key: "k".into(), model: "m".into() };
    let app = app_with(ApiOptions { upstream: Some(upstream), ..fast() });
    let evs = events(&send(&app, "c8", "m1", "hi", &[]).await.body);
    assert!(evs.iter().any(|(_, e)| matches!(e, Ok(Some(AgentEvent::Error(err))) if err.code == colloquy::events::ErrorCode::ConnectionError)));
}
