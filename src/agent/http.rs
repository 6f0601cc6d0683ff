//! The HTTP agent (docs/agent-protocol.md): creates the conversation, POSTs each message, and
//! reads the reply as a `text/event-stream` of `accepted`, `typing`, `delta`, `message`,
//! `handoff`, `error` and `done` events. Dropping the reply stream aborts the request (the stop
//! button). Failures map to `CONNECTION_ERROR`, `AUTH_ERROR`, `SEND_ERROR`, `NETWORK_ERROR`.

use super::sse::{SseParser, from_wire, live_from_wire};
use super::{Agent, AgentEvent, AgentRequest, LiveEvent, LiveRequest, SignalRequest, VisitorSignal};
use crate::events::{ErrorCode, WidgetError};
use futures::StreamExt;
use futures::channel::mpsc::{UnboundedSender, unbounded};
use futures::stream::LocalBoxStream;
use gloo_net::http::{Request, Response};
use serde_json::json;
use std::cell::RefCell;
use std::collections::HashSet;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// An agent server at `base` (for example `https://agent.example.com/api`).
pub struct HttpAgent {
    base: String,
    created: Rc<RefCell<HashSet<String>>>,
}

impl HttpAgent {
    /// An agent at `base`.
    pub fn new(base: &str) -> Self {
        HttpAgent { base: base.trim_end_matches('/').to_owned(), created: Rc::default() }
    }
}

/// Aborts the request when the reply stream is dropped.
struct AbortOnDrop(Option<web_sys::AbortController>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(c) = &self.0 {
            c.abort();
        }
    }
}

fn offline() -> bool {
    web_sys::window().is_some_and(|w| !w.navigator().on_line())
}

fn unreachable_error(what: &str, e: impl std::fmt::Display) -> WidgetError {
    if offline() {
        WidgetError::new(ErrorCode::NetworkError, "You are offline; the message will be sent when you are back online.")
    } else {
        WidgetError::new(ErrorCode::ConnectionError, format!("Could not reach the agent ({what}): {e}"))
    }
}

async fn status_error(response: Response) -> AgentEvent {
    let status = response.status();
    if status == 401 {
        return AgentEvent::AuthExpired;
    }
    let body = response.text().await.unwrap_or_default();
    let body: String = body.chars().take(300).collect();
    AgentEvent::Error(
        WidgetError::new(ErrorCode::SendError, format!("The agent answered HTTP {status}."))
            .with_details(json!({"status": status, "body": body})),
    )
}

fn post(url: &str, token: &Option<String>, signal: &web_sys::AbortSignal) -> gloo_net::http::RequestBuilder {
    let mut request = Request::post(url).header("Accept", "text/event-stream").abort_signal(Some(signal));
    if let Some(t) = token {
        request = request.header("Authorization", &format!("Bearer {t}"));
    }
    request
}

async fn run(
    base: String,
    created: Rc<RefCell<HashSet<String>>>,
    req: AgentRequest,
    tx: UnboundedSender<AgentEvent>,
    signal: web_sys::AbortSignal,
) {
    let send = |ev: AgentEvent| {
        let _ = tx.unbounded_send(ev);
    };
    let conversations = format!("{base}/conversations");
    if !created.borrow().contains(&req.conversation_id) {
        let body = json!({"conversationId": req.conversation_id});
        let response = match post(&conversations, &req.auth_token, &signal).json(&body) {
            Ok(r) => r.send().await,
            Err(e) => return send(AgentEvent::Error(WidgetError::new(ErrorCode::SendError, e.to_string()))),
        };
        match response {
            Err(e) => return send(AgentEvent::Error(unreachable_error("creating the conversation", e))),
            Ok(r) if !r.ok() => return send(status_error(r).await),
            Ok(_) => {
                created.borrow_mut().insert(req.conversation_id.clone());
            }
        }
    }
    let url = format!("{conversations}/{}/messages", req.conversation_id);
    let body = json!({"id": req.message_id, "text": req.text});
    let response = match post(&url, &req.auth_token, &signal).json(&body) {
        Ok(r) => r.send().await,
        Err(e) => return send(AgentEvent::Error(WidgetError::new(ErrorCode::SendError, e.to_string()))),
    };
    let response = match response {
        Err(e) => return send(AgentEvent::Error(unreachable_error("sending", e))),
        Ok(r) if !r.ok() => return send(status_error(r).await),
        Ok(r) => r,
    };
    let Some(stream) = response.body() else {
        return send(AgentEvent::Error(WidgetError::new(ErrorCode::ProtocolError, "The agent's reply had no body.")));
    };
    let mut parser = SseParser::new();
    let mut finished = false;
    let read = read_body(stream, &signal, |bytes| {
        for event in parser.feed(bytes) {
            if event.event == "done" {
                finished = true;
                continue;
            }
            match from_wire(&event) {
                Ok(Some(ev)) => {
                    finished |= matches!(ev, AgentEvent::Message(_) | AgentEvent::Error(_) | AgentEvent::Ended);
                    send(ev)
                }
                Ok(None) => {}
                Err(why) => send(AgentEvent::Malformed(why)),
            }
        }
    })
    .await;
    match read {
        Ok(()) => {}
        Err(None) => return,
        Err(Some(why)) => {
            return send(AgentEvent::Error(unreachable_error("the connection dropped mid-reply", why)));
        }
    }
    if !finished {
        send(AgentEvent::Error(unreachable_error("the reply ended before it was complete", "stream closed")));
    }
}

/// Reads a body to its end, feeding each chunk to `each`; `Err` with why the connection broke.
async fn read_body(
    stream: web_sys::ReadableStream,
    signal: &web_sys::AbortSignal,
    mut each: impl FnMut(&[u8]),
) -> Result<(), Option<String>> {
    let reader: web_sys::ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    loop {
        let chunk = match JsFuture::from(reader.read()).await {
            Ok(chunk) => chunk,
            Err(_) if signal.aborted() => return Err(None),
            Err(e) => return Err(Some(crate::host::js::describe_js_error(&e))),
        };
        let done = js_sys::Reflect::get(&chunk, &"done".into()).ok().and_then(|d| d.as_bool()).unwrap_or(true);
        if done {
            return Ok(());
        }
        let Ok(value) = js_sys::Reflect::get(&chunk, &"value".into()) else { return Ok(()) };
        each(&js_sys::Uint8Array::new(&value).to_vec());
    }
}

/// One connection of the live event stream (`GET {base}/conversations/{id}/events`).
async fn live(base: String, req: LiveRequest, tx: UnboundedSender<LiveEvent>, signal: web_sys::AbortSignal) {
    let send = |ev: LiveEvent| {
        let _ = tx.unbounded_send(ev);
    };
    let dropped = |why: String, retry_after_ms| LiveEvent::Dropped { why, retry_after_ms };
    let url = format!("{base}/conversations/{}/events", req.conversation_id);
    let mut request = Request::get(&url).header("Accept", "text/event-stream").abort_signal(Some(&signal));
    if let Some(t) = &req.auth_token {
        request = request.header("Authorization", &format!("Bearer {t}"));
    }
    if let Some(id) = &req.last_event_id {
        request = request.header("Last-Event-ID", id);
    }
    let response = match request.send().await {
        Ok(r) => r,
        Err(_) if signal.aborted() => return,
        Err(e) => return send(dropped(format!("could not connect: {e}"), None)),
    };
    let status = response.status();
    let event_stream =
        response.headers().get("content-type").is_some_and(|t| t.trim_start().starts_with("text/event-stream"));
    match status {
        200 if event_stream => {}
        401 => return send(LiveEvent::AuthExpired),
        408 | 425 | 429 | 500..=599 => {
            let retry_after_ms =
                response.headers().get("retry-after").and_then(|s| s.trim().parse::<u32>().ok()).map(|s| s * 1000);
            return send(dropped(format!("HTTP {status}"), retry_after_ms));
        }
        _ => {
            let body: String = response.text().await.unwrap_or_default().chars().take(300).collect();
            let message = if status == 200 {
                "The live channel did not answer with an event stream.".to_owned()
            } else {
                format!("The live channel was refused (HTTP {status}).")
            };
            let code = if status == 200 { ErrorCode::ProtocolError } else { ErrorCode::ConnectionError };
            let error = WidgetError::new(code, message).with_details(json!({"status": status, "body": body}));
            return send(LiveEvent::Refused(error));
        }
    }
    let Some(stream) = response.body() else { return send(dropped("no body".into(), None)) };
    send(LiveEvent::Opened);
    let mut parser = SseParser::new();
    let result = read_body(stream, &signal, |bytes| {
        for event in parser.feed(bytes) {
            if let Some(ev) = live_from_wire(&event) {
                send(ev);
            }
        }
    })
    .await;
    match result {
        Ok(()) => send(dropped("the server closed the stream".into(), None)),
        Err(Some(why)) => send(dropped(why, None)),
        Err(None) => {}
    }
}

/// POSTs one visitor signal (`/typing` and `/end` without a body, `/read` with the message id).
/// Best effort: a failure is only logged, the next signal supersedes it.
async fn signal(base: String, req: SignalRequest) {
    let id = &req.conversation_id;
    let (url, body) = match &req.signal {
        VisitorSignal::Typing => (format!("{base}/conversations/{id}/typing"), None),
        VisitorSignal::End => (format!("{base}/conversations/{id}/end"), None),
        VisitorSignal::Read { message_id } => {
            (format!("{base}/conversations/{id}/read"), Some(json!({ "messageId": message_id })))
        }
    };
    let mut request = Request::post(&url);
    if let Some(t) = &req.auth_token {
        request = request.header("Authorization", &format!("Bearer {t}"));
    }
    let sent = match body {
        Some(body) => match request.json(&body) {
            Ok(r) => r.send().await,
            Err(e) => Err(e),
        },
        None => request.send().await,
    };
    match sent {
        Ok(r) if r.ok() => {}
        Ok(r) => web_sys::console::warn_1(&format!("Colloquy: {url} answered HTTP {}", r.status()).into()),
        Err(e) => web_sys::console::warn_1(&format!("Colloquy: could not reach {url}: {e}").into()),
    }
}

/// A stream of `rx` that aborts the request when dropped.
fn guarded<T: 'static>(
    rx: futures::channel::mpsc::UnboundedReceiver<T>,
    controller: Option<web_sys::AbortController>,
) -> LocalBoxStream<'static, T> {
    let guard = AbortOnDrop(controller);
    rx.map(move |ev| {
        let _keep = &guard;
        ev
    })
    .boxed_local()
}

impl Agent for HttpAgent {
    fn events(&self, request: LiveRequest) -> Option<LocalBoxStream<'static, LiveEvent>> {
        let (tx, rx) = unbounded();
        let controller = web_sys::AbortController::new().ok();
        match controller.as_ref().map(|c| c.signal()) {
            Some(signal) => wasm_bindgen_futures::spawn_local(live(self.base.clone(), request, tx, signal)),
            None => {
                let error =
                    WidgetError::new(ErrorCode::ConnectionError, "This browser cannot make cancellable requests.");
                let _ = tx.unbounded_send(LiveEvent::Refused(error));
            }
        }
        Some(guarded(rx, controller))
    }

    fn reply(&self, request: AgentRequest) -> LocalBoxStream<'static, AgentEvent> {
        let (tx, rx) = unbounded();
        let controller = web_sys::AbortController::new().ok();
        let signal = controller.as_ref().map(|c| c.signal());
        if let Some(signal) = signal {
            wasm_bindgen_futures::spawn_local(run(self.base.clone(), self.created.clone(), request, tx, signal));
        } else {
            let error = WidgetError::new(ErrorCode::ConnectionError, "This browser cannot make cancellable requests.");
            let _ = tx.unbounded_send(AgentEvent::Error(error));
        }
        guarded(rx, controller)
    }

    fn signal(&self, request: SignalRequest) {
        wasm_bindgen_futures::spawn_local(signal(self.base.clone(), request));
    }

    fn reset(&self) {
        self.created.borrow_mut().clear();
    }
}
