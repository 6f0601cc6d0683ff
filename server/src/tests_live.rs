//! Human hand-off against both stores: the queue, take (one winner), messages both ways,
//! typing, read receipts, end, the visitor's event stream resumed from `Last-Event-ID`, agent
//! tokens, the queue time-out, a second instance, a restart, and the bounds.
//!
//! SQLite always runs. Postgres runs when `COLLOQUY_TEST_POSTGRES` holds a URL of a server where
//! the user may create databases (`cargo xtask test` starts a throwaway cluster and sets it);
//! each test gets a database of its own. Without it the Postgres half is skipped with a notice.

use super::*;
use axum::http::Request;
use http_body_util::BodyExt;
use serde_json::Value;
use std::sync::atomic::{AtomicUsize, Ordering};
use tower::ServiceExt;

const SECRET: &[u8] = b"live-secret";

/// The environment variable with the Postgres URL of the tests.
pub const POSTGRES_ENV: &str = "COLLOQUY_TEST_POSTGRES";

fn options(stores: StoreLimits) -> ApiOptions {
    ApiOptions {
        jwt_secret: Some(SECRET.to_vec()),
        pace: Pace { think: Duration::ZERO, chunk: Duration::ZERO },
        heartbeat: Duration::from_millis(300),
        stores,
        ..ApiOptions::default()
    }
}

fn visitor(sub: &str) -> String {
    format!("Bearer {}", auth::mint(SECRET, sub, now().as_secs(), 600))
}

fn agent_token(name: &str) -> String {
    format!("Bearer {}", auth::mint_agent(SECRET, name, now().as_secs(), 600))
}

/// A fresh database of each backend: SQLite (a temporary file) and, when configured, Postgres.
async fn databases(test: &str) -> Vec<String> {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::SeqCst);
    let file = std::env::temp_dir().join(format!("colloquy-live-{}-{test}-{n}.db", std::process::id()));
    let _ = std::fs::remove_file(&file);
    let mut urls = vec![format!("sqlite://{}", file.display())];
    match std::env::var(POSTGRES_ENV).ok().filter(|u| !u.is_empty()) {
        Some(base) => urls.push(fresh_postgres(&base, &format!("t{}_{n}_{}", std::process::id(), test)).await),
        None => eprintln!("NOTICE: {POSTGRES_ENV} is not set: the Postgres half of {test} is skipped"),
    }
    urls
}

/// Creates database `name` on the server of `base` and returns its URL.
async fn fresh_postgres(base: &str, name: &str) -> String {
    use sqlx::Connection;
    let name: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect();
    let mut conn = sqlx::postgres::PgConnection::connect(base).await.expect("the test Postgres answers");
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name}")).execute(&mut conn).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.unwrap();
    let (head, _) = base.rsplit_once('/').expect("a URL with a database");
    format!("{head}/{name}")
}

fn instance(url: &str, api: &ApiOptions, limits: Limits) -> (Router, Store) {
    let api = ApiOptions { database: url.to_owned(), ..api.clone() };
    let store = Store::new(url, api.stores.db()).unwrap();
    let options = Options { api: Some(api), limits, ..Options::default() };
    (app_with_store(&options, store.clone()), store)
}

struct Answer {
    status: StatusCode,
    body: Value,
    text: String,
}

async fn call(app: &Router, method: &str, path: &str, auth: &str, body: Option<Value>) -> Answer {
    let reply = super::tests::call(app, method, path, &[("authorization", auth)], body).await;
    Answer { status: reply.status, body: serde_json::from_str(&reply.body).unwrap_or(Value::Null), text: reply.body }
}

fn is_error(a: &Answer, status: StatusCode, code: &str) -> bool {
    a.status == status && a.body["code"] == code && a.body["message"].as_str().is_some_and(|m| !m.is_empty())
}

/// Sends a visitor message and returns the reply's event names and data.
async fn say(app: &Router, auth: &str, conversation: &str, id: &str, text: &str) -> Vec<(String, Value)> {
    let path = format!("/api/conversations/{conversation}/messages");
    let a = call(app, "POST", &path, auth, Some(json!({"id": id, "text": text}))).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let mut out: Vec<(String, Value)> = Vec::new();
    for f in frames(&a.text) {
        // Deltas count once (their number depends on the text).
        if f.name == "delta" && out.last().is_some_and(|(n, _)| n == "delta") {
            continue;
        }
        out.push((f.name, f.data));
    }
    out
}

/// One SSE event.
#[derive(Debug, Clone)]
struct Frame {
    id: Option<String>,
    name: String,
    data: Value,
}

fn frames(text: &str) -> Vec<Frame> {
    let mut out = Vec::new();
    for block in text.split("\n\n") {
        let (mut id, mut name, mut data) = (None, None, String::new());
        for line in block.lines() {
            if let Some(v) = line.strip_prefix("id: ") {
                id = Some(v.to_owned());
            } else if let Some(v) = line.strip_prefix("event: ") {
                name = Some(v.to_owned());
            } else if let Some(v) = line.strip_prefix("data: ") {
                data.push_str(v);
            }
        }
        if let Some(name) = name {
            out.push(Frame { id, name, data: serde_json::from_str(&data).unwrap_or(Value::Null) });
        }
    }
    out
}

/// An open event stream, read as it arrives.
struct Live {
    body: axum::body::BodyDataStream,
    buf: String,
    heartbeats: usize,
}

async fn open(app: &Router, path: &str, auth: &str, last: Option<&str>) -> Result<Live, Answer> {
    let mut req = Request::get(path).header("authorization", auth);
    if let Some(last) = last {
        req = req.header("last-event-id", last);
    }
    let res = app.clone().oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
    let status = res.status();
    if status != StatusCode::OK {
        let text = String::from_utf8_lossy(&res.into_body().collect().await.unwrap().to_bytes()).into_owned();
        return Err(Answer { status, body: serde_json::from_str(&text).unwrap_or(Value::Null), text });
    }
    assert_eq!(res.headers()[header::CONTENT_TYPE], "text/event-stream");
    Ok(Live { body: res.into_body().into_data_stream(), buf: String::new(), heartbeats: 0 })
}

impl Live {
    /// The next `n` events (heartbeats counted, not returned); panics after 10 s.
    async fn next(&mut self, n: usize) -> Vec<Frame> {
        use futures::StreamExt;
        let mut out = Vec::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while out.len() < n {
            if let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                if block.starts_with(':') {
                    self.heartbeats += 1;
                } else {
                    out.extend(frames(&block));
                }
                continue;
            }
            let chunk = tokio::time::timeout_at(deadline, self.body.next())
                .await
                .unwrap_or_else(|_| panic!("timed out waiting for {n} events; got {out:?}"))
                .expect("the stream is open")
                .unwrap();
            self.buf.push_str(&String::from_utf8_lossy(&chunk));
        }
        out
    }

    /// Nothing but heartbeats arrives for `wait`.
    async fn quiet(&mut self, wait: Duration) -> bool {
        use futures::StreamExt;
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            while let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                if !block.starts_with(':') {
                    return false;
                }
                self.heartbeats += 1;
            }
            match tokio::time::timeout_at(deadline, self.body.next()).await {
                Err(_) => return true,
                Ok(Some(Ok(chunk))) => self.buf.push_str(&String::from_utf8_lossy(&chunk)),
                Ok(_) => return false,
            }
        }
    }
}

fn names(frames: &[Frame]) -> Vec<&str> {
    frames.iter().map(|f| f.name.as_str()).collect()
}

fn ids(frames: &[Frame]) -> Vec<i64> {
    frames.iter().map(|f| f.id.as_deref().unwrap().parse().unwrap()).collect()
}

#[tokio::test]
async fn a_handoff_is_queued_taken_answered_both_ways_and_ended() {
    for url in databases("lifecycle").await {
        let (app, _store) = instance(&url, &options(StoreLimits::default()), Limits::default());
        let (v, dana) = (visitor("vera"), agent_token("dana"));
        let reply = say(&app, &v, "L1", "m1", "/handoff").await;
        let reply_names: Vec<&str> = reply.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(reply_names, ["accepted", "typing", "delta", "message", "handoff", "done"], "{url}");
        assert_eq!(reply[4].1, json!({"status": "queued", "position": 1}));
        // The agent sees it in the queue with the history so far.
        let inbox = call(&app, "GET", "/api/agent/conversations", &dana, None).await;
        assert_eq!(inbox.status, StatusCode::OK, "{}", inbox.text);
        let queued = &inbox.body["queue"][0];
        assert_eq!((queued["id"].as_str(), queued["status"].as_str()), (Some("L1"), Some("queued")));
        let history: Vec<&str> =
            queued["messages"].as_array().unwrap().iter().map(|m| m["from"].as_str().unwrap()).collect();
        assert_eq!(history, ["visitor", "bot"]);
        assert_eq!(queued["messages"][0]["content"][0]["text"], "/handoff");
        assert_eq!(inbox.body["agent"]["name"], "dana");
        // The visitor's stream is open before the agent acts.
        let mut live = open(&app, "/api/conversations/L1/events", &v, None).await.map_err(|a| a.text).unwrap();
        let took = call(&app, "POST", "/api/agent/conversations/L1/take", &dana, None).await;
        assert_eq!(took.status, StatusCode::OK, "{}", took.text);
        assert_eq!(took.body["conversation"]["status"], "active");
        assert_eq!(took.body["conversation"]["agent"], "dana");
        let got = live.next(2).await;
        assert_eq!(names(&got), ["handoff", "read"]);
        assert_eq!(got[0].data, json!({"status": "connected", "agentName": "dana"}));
        assert_eq!(got[1].data, json!({"messageId": "m1"}));
        // Agent to visitor: typing, then a message.
        let typing = call(&app, "POST", "/api/agent/conversations/L1/typing", &dana, None).await;
        assert_eq!(typing.status, StatusCode::NO_CONTENT, "{}", typing.text);
        let sent =
            call(&app, "POST", "/api/agent/conversations/L1/messages", &dana, Some(json!({"text": "Hi, I'm Dana."})))
                .await;
        assert_eq!(sent.status, StatusCode::CREATED, "{}", sent.text);
        let got = live.next(2).await;
        assert_eq!(names(&got), ["typing", "message"]);
        let message = &got[1].data;
        assert_eq!((message["from"].as_str(), message["agentName"].as_str()), (Some("human"), Some("dana")));
        assert_eq!(message["content"][0]["text"], "Hi, I'm Dana.");
        assert_eq!(message["threadId"], "L1");
        assert_eq!(message["id"], sent.body["id"]);
        // The event parses as the widget parses reply events.
        let wire = colloquy::agent::sse::SseEvent { event: "message".into(), data: message.to_string(), id: None };
        assert!(matches!(colloquy::agent::sse::from_wire(&wire), Ok(Some(colloquy::agent::AgentEvent::Message(_)))));
        // Visitor to agent: the message goes to the human, not the AI.
        let reply = say(&app, &v, "L1", "m2", "my order is late").await;
        assert_eq!(reply.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["accepted", "done"]);
        let typing = call(&app, "POST", "/api/conversations/L1/typing", &v, None).await;
        assert_eq!(typing.status, StatusCode::NO_CONTENT);
        let one = call(&app, "GET", "/api/agent/conversations/L1", &dana, None).await;
        let texts: Vec<String> = one.body["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| format!("{}: {}", m["from"].as_str().unwrap(), m["content"][0]["text"].as_str().unwrap()))
            .collect();
        assert_eq!(texts[2..], ["human: Hi, I'm Dana.".to_owned(), "visitor: my order is late".to_owned()]);
        // The agent ends it: the visitor's stream says so; it leaves the inbox.
        let ended = call(&app, "POST", "/api/agent/conversations/L1/end", &dana, None).await;
        assert_eq!((ended.status, ended.body["conversation"]["status"].as_str()), (StatusCode::OK, Some("ended")));
        let got = live.next(1).await;
        assert_eq!((got[0].name.as_str(), &got[0].data), ("handoff", &json!({"status": "ended"})));
        let inbox = call(&app, "GET", "/api/agent/conversations", &dana, None).await;
        assert!(
            inbox.body["queue"].as_array().unwrap().is_empty() && inbox.body["mine"].as_array().unwrap().is_empty()
        );
        // The AI answers again; the agent cannot write any more.
        assert!(
            say(&app, &v, "L1", "m3", "thanks").await.iter().any(|(_, d)| d.to_string().contains("You said: thanks"))
        );
        let late = call(&app, "POST", "/api/agent/conversations/L1/messages", &dana, Some(json!({"text": "x"}))).await;
        assert!(is_error(&late, StatusCode::CONFLICT, "CONFLICT"), "{}", late.text);
        // Ids are increasing, every event has one, and heartbeats kept the stream alive.
        assert!(live.quiet(Duration::from_millis(700)).await);
        assert!(live.heartbeats >= 1);
    }
}

#[tokio::test]
async fn of_concurrent_takes_exactly_one_wins() {
    for url in databases("take").await {
        let (app, _store) = instance(&url, &options(StoreLimits::default()), Limits::default());
        let v = visitor("v");
        for round in 0..5 {
            let id = format!("T{round}");
            say(&app, &v, &id, "m1", "/handoff").await;
            let path = format!("/api/agent/conversations/{id}/take");
            let (a, b, c) = (agent_token("ann"), agent_token("bob"), agent_token("cy"));
            let (ra, rb, rc) = tokio::join!(
                call(&app, "POST", &path, &a, None),
                call(&app, "POST", &path, &b, None),
                call(&app, "POST", &path, &c, None)
            );
            let all = [&ra, &rb, &rc];
            let won: Vec<_> = all.iter().filter(|r| r.status == StatusCode::OK).collect();
            assert_eq!(won.len(), 1, "{url}: {:?}", all.iter().map(|r| &r.text).collect::<Vec<_>>());
            for lost in all.iter().filter(|r| r.status != StatusCode::OK) {
                assert!(is_error(lost, StatusCode::CONFLICT, "CONFLICT"), "{}", lost.text);
            }
            // The visitor heard of one agent only.
            let mut live =
                open(&app, &format!("/api/conversations/{id}/events"), &v, None).await.map_err(|a| a.text).unwrap();
            let got = live.next(2).await;
            assert_eq!(names(&got), ["handoff", "read"]);
            assert_eq!(got[0].data["agentName"], won[0].body["conversation"]["agent"]);
            assert!(live.quiet(Duration::from_millis(300)).await, "one connected event, not more");
        }
        // Taking what is not queued: 404 for an unknown id, 409 for a conversation with the bot.
        let dana = agent_token("dana");
        let r = call(&app, "POST", "/api/agent/conversations/nope/take", &dana, None).await;
        assert!(is_error(&r, StatusCode::NOT_FOUND, "NOT_FOUND"), "{}", r.text);
        say(&app, &v, "B1", "m1", "hello").await;
        let r = call(&app, "POST", "/api/agent/conversations/B1/take", &dana, None).await;
        assert!(is_error(&r, StatusCode::CONFLICT, "CONFLICT"), "{}", r.text);
    }
}

#[tokio::test]
async fn the_event_stream_resumes_from_last_event_id_without_loss_or_repeats() {
    for url in databases("resume").await {
        let (app, _store) = instance(&url, &options(StoreLimits::default()), Limits::default());
        let (v, dana) = (visitor("v"), agent_token("dana"));
        say(&app, &v, "R1", "m1", "/handoff").await;
        call(&app, "POST", "/api/agent/conversations/R1/take", &dana, None).await;
        let send = |n: usize| {
            let (app, dana) = (app.clone(), dana.clone());
            async move {
                let body = json!({"id": format!("h{n}"), "text": format!("line {n}")});
                let r = call(&app, "POST", "/api/agent/conversations/R1/messages", &dana, Some(body)).await;
                assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
            }
        };
        for n in 0..5 {
            send(n).await;
        }
        // A first connection reads some, then drops.
        let mut first = open(&app, "/api/conversations/R1/events", &v, None).await.map_err(|a| a.text).unwrap();
        let seen = first.next(4).await;
        drop(first);
        // Meanwhile more is written.
        for n in 5..10 {
            send(n).await;
        }
        let last = seen.last().unwrap().id.clone().unwrap();
        let mut again = open(&app, "/api/conversations/R1/events", &v, Some(&last)).await.map_err(|a| a.text).unwrap();
        // connected + read + 10 messages in all (the read receipt is not repeated).
        let total = 2 + 10;
        let rest = again.next(total - seen.len()).await;
        let all: Vec<Frame> = seen.into_iter().chain(rest).collect();
        let seen_ids = ids(&all);
        assert!(seen_ids.windows(2).all(|w| w[0] < w[1]), "strictly increasing: {seen_ids:?}");
        let lines: Vec<String> = all
            .iter()
            .filter(|f| f.name == "message")
            .map(|f| f.data["content"][0]["text"].as_str().unwrap().to_owned())
            .collect();
        let expected: Vec<String> = (0..10).map(|n| format!("line {n}")).collect();
        assert_eq!(lines, expected, "every message once, in order");
        assert!(again.quiet(Duration::from_millis(400)).await, "nothing twice");
        // From the last id: nothing more. From 0 (no header): everything again.
        let end = all.last().unwrap().id.clone().unwrap();
        let mut tail = open(&app, "/api/conversations/R1/events", &v, Some(&end)).await.map_err(|a| a.text).unwrap();
        assert!(tail.quiet(Duration::from_millis(400)).await);
        let mut whole = open(&app, "/api/conversations/R1/events", &v, None).await.map_err(|a| a.text).unwrap();
        assert_eq!(ids(&whole.next(total).await), seen_ids);
        // A bad Last-Event-ID is the documented JSON error.
        let bad = open(&app, "/api/conversations/R1/events", &v, Some("abc")).await.err().unwrap();
        assert!(is_error(&bad, StatusCode::BAD_REQUEST, "BAD_REQUEST"), "{}", bad.text);
    }
}

#[tokio::test]
async fn agent_calls_need_an_agent_token_and_streams_their_subject() {
    for url in databases("auth").await {
        let (app, _store) = instance(&url, &options(StoreLimits::default()), Limits::default());
        let path = "/api/agent/conversations";
        let none = call(&app, "GET", path, "", None).await;
        assert!(is_error(&none, StatusCode::UNAUTHORIZED, "AUTH_ERROR"), "{}", none.text);
        let as_visitor = call(&app, "GET", path, &visitor("dana"), None).await;
        assert!(is_error(&as_visitor, StatusCode::FORBIDDEN, "FORBIDDEN"), "{}", as_visitor.text);
        let expired = format!("Bearer {}", auth::mint_agent(SECRET, "dana", now().as_secs() - 100, 60));
        let r = call(&app, "GET", path, &expired, None).await;
        assert!(is_error(&r, StatusCode::UNAUTHORIZED, "AUTH_ERROR"), "{}", r.text);
        let forged = format!("Bearer {}", auth::mint_agent(b"another secret", "dana", now().as_secs(), 60));
        let r = call(&app, "GET", path, &forged, None).await;
        assert!(is_error(&r, StatusCode::UNAUTHORIZED, "AUTH_ERROR"), "{}", r.text);
        for p in ["/api/agent/events", "/api/agent/conversations/x/take"] {
            let method = if p.ends_with("take") { "POST" } else { "GET" };
            let r = call(&app, method, p, &visitor("v"), None).await;
            assert!(is_error(&r, StatusCode::FORBIDDEN, "FORBIDDEN"), "{p}: {}", r.text);
        }
        assert_eq!(call(&app, "GET", path, &agent_token("dana"), None).await.status, StatusCode::OK);
        // The visitor's stream is bound to the conversation's subject, as its messages are.
        say(&app, &visitor("alice"), "A1", "m1", "/handoff").await;
        let stolen = open(&app, "/api/conversations/A1/events", &visitor("mallory"), None).await.err().unwrap();
        assert!(is_error(&stolen, StatusCode::FORBIDDEN, "FORBIDDEN"), "{}", stolen.text);
        let anonymous = open(&app, "/api/conversations/A1/events", "", None).await.err().unwrap();
        assert!(is_error(&anonymous, StatusCode::UNAUTHORIZED, "AUTH_ERROR"), "{}", anonymous.text);
        let unknown = open(&app, "/api/conversations/nope/events", &visitor("alice"), None).await.err().unwrap();
        assert!(is_error(&unknown, StatusCode::NOT_FOUND, "NOT_FOUND"), "{}", unknown.text);
        // An agent cannot write into another agent's conversation.
        call(&app, "POST", "/api/agent/conversations/A1/take", &agent_token("ann"), None).await;
        let r = call(
            &app,
            "POST",
            "/api/agent/conversations/A1/messages",
            &agent_token("bob"),
            Some(json!({"text": "hi"})),
        )
        .await;
        assert!(is_error(&r, StatusCode::FORBIDDEN, "FORBIDDEN"), "{}", r.text);
    }
    // Without a secret there are no agent tokens: the agent API refuses every call.
    let app = app(&Options { api: Some(ApiOptions::default()), ..Options::default() });
    let r = call(&app, "GET", "/api/agent/conversations", "", None).await;
    assert!(is_error(&r, StatusCode::UNAUTHORIZED, "AUTH_ERROR"), "{}", r.text);
}

#[tokio::test]
async fn the_agents_stream_shows_the_queue_visitor_messages_and_typing() {
    for url in databases("console").await {
        let (app, _store) = instance(&url, &options(StoreLimits::default()), Limits::default());
        let (v, dana) = (visitor("v"), agent_token("dana"));
        let mut console = open(&app, "/api/agent/events", &dana, None).await.map_err(|a| a.text).unwrap();
        let snapshot = console.next(1).await;
        assert_eq!(snapshot[0].name, "snapshot");
        assert!(snapshot[0].data["queue"].is_array() && snapshot[0].data["mine"].is_array());
        say(&app, &v, "C1", "m1", "/handoff").await;
        // The history written with the queueing, then the change of the conversation.
        let got = console.next(3).await;
        assert_eq!(names(&got), ["message", "message", "conversation"], "{got:?}");
        assert_eq!(
            (got[0].data["from"].as_str(), got[0].data["conversationId"].as_str()),
            (Some("visitor"), Some("C1"))
        );
        assert_eq!(got[2].data["status"], "queued");
        call(&app, "POST", "/api/agent/conversations/C1/take", &dana, None).await;
        let got = console.next(1).await;
        assert_eq!((got[0].name.as_str(), got[0].data["status"].as_str()), ("conversation", Some("active")));
        say(&app, &v, "C1", "m2", "are you there?").await;
        call(&app, "POST", "/api/conversations/C1/typing", &v, None).await;
        let got = console.next(2).await;
        assert_eq!(names(&got), ["message", "typing"]);
        assert_eq!(got[0].data["content"][0]["text"], "are you there?");
        assert_eq!(got[1].data, json!({"from": "visitor", "conversationId": "C1", "eventId": got[1].data["eventId"]}));
        // Another agent's console does not get the messages of a conversation Dana has.
        let mut other = open(&app, "/api/agent/events", &agent_token("eve"), None).await.map_err(|a| a.text).unwrap();
        other.next(1).await;
        say(&app, &v, "C1", "m3", "hello?").await;
        assert_eq!(names(&console.next(1).await), ["message"]);
        assert!(other.quiet(Duration::from_millis(400)).await);
    }
}

#[tokio::test]
async fn the_visitor_ends_a_handoff_queued_or_taken_and_the_agents_see_it() {
    for url in databases("visitor_end").await {
        let (app, _store) = instance(&url, &options(StoreLimits::default()), Limits::default());
        let (v, dana) = (visitor("v"), agent_token("dana"));
        // Queued, then ended by the visitor: it leaves the queue.
        say(&app, &v, "E1", "m1", "/handoff").await;
        let other = call(&app, "POST", "/api/conversations/E1/end", &visitor("mallory"), None).await;
        assert!(is_error(&other, StatusCode::FORBIDDEN, "FORBIDDEN"), "{}", other.text);
        let end = call(&app, "POST", "/api/conversations/E1/end", &v, None).await;
        assert_eq!(end.status, StatusCode::NO_CONTENT, "{}", end.text);
        let inbox = call(&app, "GET", "/api/agent/conversations", &dana, None).await;
        assert_eq!(inbox.body["queue"], json!([]), "{}", inbox.text);
        let take = call(&app, "POST", "/api/agent/conversations/E1/take", &dana, None).await;
        assert!(is_error(&take, StatusCode::CONFLICT, "CONFLICT"), "{}", take.text);
        // Taken, then ended by the visitor: the agent's console hears of it, the visitor's
        // stream gets `handoff` ended, and a second end changes nothing.
        say(&app, &v, "E2", "m1", "/handoff").await;
        call(&app, "POST", "/api/agent/conversations/E2/take", &dana, None).await;
        let mut console = open(&app, "/api/agent/events", &dana, None).await.map_err(|a| a.text).unwrap();
        assert_eq!(console.next(1).await[0].data["mine"][0]["id"], "E2");
        let mut live = open(&app, "/api/conversations/E2/events", &v, None).await.map_err(|a| a.text).unwrap();
        let before = live.next(2).await;
        assert_eq!(names(&before), ["handoff", "read"], "{before:?}");
        assert_eq!(before[0].data["status"], "connected", "{before:?}");
        assert_eq!(call(&app, "POST", "/api/conversations/E2/end", &v, None).await.status, StatusCode::NO_CONTENT);
        // On Postgres the take's own change can reach the stream after its snapshot (the note
        // travels through NOTIFY): it may come first.
        let mut got = console.next(1).await;
        if got[0].data["status"] == "active" {
            got = console.next(1).await;
        }
        assert_eq!((got[0].name.as_str(), got[0].data["status"].as_str()), ("conversation", Some("ended")), "{got:?}");
        let got = live.next(1).await;
        assert_eq!((got[0].name.as_str(), got[0].data["status"].as_str()), ("handoff", Some("ended")), "{got:?}");
        assert_eq!(call(&app, "POST", "/api/conversations/E2/end", &v, None).await.status, StatusCode::NO_CONTENT);
        let write =
            call(&app, "POST", "/api/agent/conversations/E2/messages", &dana, Some(json!({"text": "hi"}))).await;
        assert!(is_error(&write, StatusCode::CONFLICT, "CONFLICT"), "{}", write.text);
        let missing = call(&app, "POST", "/api/conversations/nope/end", &v, None).await;
        assert!(is_error(&missing, StatusCode::NOT_FOUND, "NOT_FOUND"), "{}", missing.text);
    }
}

#[tokio::test]
async fn nobody_answers_the_visitor_is_offered_the_lead_form_and_the_conversation_stays() {
    for url in databases("timeout").await {
        let stores = StoreLimits { queue_timeout: Some(Duration::from_millis(500)), ..StoreLimits::default() };
        let (app, _store) = instance(&url, &options(stores), Limits::default());
        let v = visitor("v");
        say(&app, &v, "Q1", "m1", "/handoff").await;
        let mut live = open(&app, "/api/conversations/Q1/events", &v, None).await.map_err(|a| a.text).unwrap();
        let got = live.next(1).await;
        assert_eq!(got[0].name, "message");
        let message = &got[0].data;
        assert_eq!(message["from"], "bot");
        assert_eq!(message["content"][0]["text"], TIMEOUT_TEXT);
        assert_eq!(message["content"][1]["type"], "lead_form");
        assert!(live.quiet(Duration::from_millis(1_500)).await, "told once");
        let inbox = call(&app, "GET", "/api/agent/conversations", &agent_token("dana"), None).await;
        let q = &inbox.body["queue"][0];
        assert_eq!((q["id"].as_str(), q["timedOut"].as_bool()), (Some("Q1"), Some(true)));
        // Taken later, the visitor still hears of it.
        call(&app, "POST", "/api/agent/conversations/Q1/take", &agent_token("dana"), None).await;
        assert_eq!(live.next(1).await[0].data["status"], "connected");
    }
}

#[tokio::test]
async fn an_event_written_on_one_instance_reaches_a_stream_held_by_another() {
    for url in databases("instances").await {
        let api = options(StoreLimits::default());
        // Two instances: on Postgres, two stores (two pools, two listeners) as two processes
        // would have; on SQLite, one store (one process).
        let (one, store) = instance(&url, &api, Limits::default());
        let two = if url.starts_with("postgres") {
            instance(&url, &api, Limits::default()).0
        } else {
            let options =
                Options { api: Some(ApiOptions { database: url.clone(), ..api.clone() }), ..Options::default() };
            app_with_store(&options, store.clone())
        };
        let (v, dana) = (visitor("v"), agent_token("dana"));
        say(&one, &v, "I1", "m1", "/handoff").await;
        let mut live = open(&one, "/api/conversations/I1/events", &v, None).await.map_err(|a| a.text).unwrap();
        let mut console = open(&two, "/api/agent/events", &dana, None).await.map_err(|a| a.text).unwrap();
        console.next(1).await;
        let took = call(&two, "POST", "/api/agent/conversations/I1/take", &dana, None).await;
        assert_eq!(took.status, StatusCode::OK, "{}", took.text);
        call(&two, "POST", "/api/agent/conversations/I1/messages", &dana, Some(json!({"text": "from two"}))).await;
        let got = live.next(3).await;
        assert_eq!(names(&got), ["handoff", "read", "message"], "{url}");
        assert_eq!(got[2].data["content"][0]["text"], "from two");
        say(&one, &v, "I1", "m2", "from one").await;
        let got = console.next(3).await;
        let texts: Vec<&str> = got.iter().filter_map(|f| f.data["content"][0]["text"].as_str()).collect();
        assert!(texts.contains(&"from one"), "{url}: {got:?}");
    }
}

#[tokio::test]
async fn a_restart_loses_nothing() {
    let file = std::env::temp_dir().join(format!("colloquy-restart-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&file);
    let url = format!("sqlite://{}", file.display());
    let (v, dana) = (visitor("v"), agent_token("dana"));
    let last = {
        let (app, _store) = instance(&url, &options(StoreLimits::default()), Limits::default());
        say(&app, &v, "S1", "m1", "/handoff").await;
        call(&app, "POST", "/api/agent/conversations/S1/take", &dana, None).await;
        let sent =
            call(&app, "POST", "/api/agent/conversations/S1/messages", &dana, Some(json!({"text": "before"}))).await;
        sent.body["eventId"].as_i64().unwrap()
    };
    let (app, _store) = instance(&url, &options(StoreLimits::default()), Limits::default());
    let inbox = call(&app, "GET", "/api/agent/conversations", &dana, None).await;
    assert_eq!(inbox.body["mine"][0]["id"], "S1");
    // The retry of a message answered before the restart gets the same reply.
    let reply = say(&app, &v, "S1", "m1", "/handoff").await;
    assert_eq!(
        reply.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        ["accepted", "typing", "delta", "message", "handoff", "done"]
    );
    call(&app, "POST", "/api/agent/conversations/S1/messages", &dana, Some(json!({"text": "after"}))).await;
    let mut live =
        open(&app, "/api/conversations/S1/events", &v, Some(&last.to_string())).await.map_err(|a| a.text).unwrap();
    let got = live.next(1).await;
    assert_eq!(got[0].data["content"][0]["text"], "after");
}

#[tokio::test]
async fn event_streams_and_conversations_are_bounded() {
    for url in databases("bounds").await {
        let stores = StoreLimits { max_events: 8, ..StoreLimits::default() };
        let limits = Limits { max_event_streams_per_address: 1, ..Limits::default() };
        let (app, _store) = instance(&url, &options(stores), limits);
        let (v, dana) = (visitor("v"), agent_token("dana"));
        say(&app, &v, "F1", "m1", "/handoff").await;
        let held = open(&app, "/api/conversations/F1/events", &v, None).await.map_err(|a| a.text).unwrap();
        let refused = open(&app, "/api/agent/events", &dana, None).await.err().unwrap();
        assert!(is_error(&refused, StatusCode::TOO_MANY_REQUESTS, "TOO_MANY_REQUESTS"), "{}", refused.text);
        drop(held);
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(open(&app, "/api/agent/events", &dana, None).await.is_ok(), "the place came back");
        // 8 events per conversation: the queueing wrote 3, the take 3; two messages fill it.
        call(&app, "POST", "/api/agent/conversations/F1/take", &dana, None).await;
        let mut statuses = Vec::new();
        for n in 0..3 {
            let r = call(
                &app,
                "POST",
                "/api/agent/conversations/F1/messages",
                &dana,
                Some(json!({"text": format!("{n}")})),
            )
            .await;
            statuses.push(r.status);
            if r.status != StatusCode::CREATED {
                assert!(is_error(&r, StatusCode::TOO_MANY_REQUESTS, "TOO_MANY_REQUESTS"), "{}", r.text);
            }
        }
        assert_eq!(statuses, [StatusCode::CREATED, StatusCode::CREATED, StatusCode::TOO_MANY_REQUESTS]);
    }
}
