//! The agent API (docs/agent-protocol.md, "The agent API") over gloo-net: the inbox, one
//! conversation, take, send, typing, read, end, and the console's event stream
//! (`GET /api/agent/events`).
//!
//! Every call carries the agent token as `Authorization: Bearer`. The event stream is read with
//! `fetch` (a streamed body), not `EventSource`, which cannot send that header: the token never
//! goes into a URL (and so into logs).

use colloquy::agent::sse::{SseEvent, SseParser};
use gloo_net::http::{Request, RequestBuilder, Response};
use serde_json::{Value, json};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// A refused or failed call: the server's `{"code", "message"}`, or why it could not be made
/// (`status` 0).
#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    /// The HTTP status (0: no answer).
    pub status: u16,
    /// The server's code (`AUTH_ERROR`, `FORBIDDEN`, `CONFLICT`, ...), or `NETWORK_ERROR`.
    pub code: String,
    /// The server's message.
    pub message: String,
}

impl ApiError {
    fn network(e: impl std::fmt::Display) -> ApiError {
        ApiError { status: 0, code: "NETWORK_ERROR".into(), message: format!("the server could not be reached ({e})") }
    }

    /// The rejection read from a refused answer (`{"code", "message"}`; else its status).
    async fn from_response(r: Response) -> ApiError {
        let status = r.status();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        let field = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_owned);
        ApiError {
            status,
            code: field("code").unwrap_or_else(|| "HTTP_ERROR".into()),
            message: field("message").unwrap_or_else(|| format!("the server answered HTTP {status}")),
        }
    }

    /// Whether the token is the problem (refused, expired, not an agent's): sign in again.
    pub fn is_auth(&self) -> bool {
        self.status == 401 || (self.status == 403 && self.code == "FORBIDDEN" && self.message.contains("token"))
    }

    /// For people: the server's message with its status and code.
    pub fn describe(&self) -> String {
        if self.status == 0 {
            self.message.clone()
        } else {
            format!("{} ({} {})", self.message, self.status, self.code)
        }
    }
}

/// How the event stream ended.
#[derive(Debug)]
pub enum StreamEnd {
    /// The stream was cancelled (sign-out).
    Aborted,
    /// Refused: stop and say so (a `401`/`403`).
    Refused(ApiError),
    /// Dropped or not opened (network, `5xx`, `429`): reconnect.
    Dropped(String),
}

/// The agent API at `base` (`/api`) with an agent token.
#[derive(Clone, Debug, PartialEq)]
pub struct Api {
    base: String,
    token: String,
}

/// The API base for a console served at `.../console/`: `.../api`, on the same origin.
pub fn base_for(path: &str) -> String {
    let prefix = path.rfind("/console/").map_or("", |at| &path[..at]);
    format!("{prefix}/api")
}

impl Api {
    /// The API next to this page, with `token`.
    pub fn new(token: &str) -> Api {
        let path = web_sys::window().and_then(|w| w.location().pathname().ok()).unwrap_or_default();
        Api { base: base_for(&path), token: token.trim().to_owned() }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/agent{path}", self.base)
    }

    fn authorised(&self, request: RequestBuilder) -> RequestBuilder {
        request.header("Authorization", &format!("Bearer {}", self.token))
    }

    async fn answer(request: Result<Request, gloo_net::Error>) -> Result<Option<Value>, ApiError> {
        let response = request.map_err(ApiError::network)?.send().await.map_err(ApiError::network)?;
        if !response.ok() {
            return Err(ApiError::from_response(response).await);
        }
        if response.status() == 204 {
            return Ok(None);
        }
        response.json().await.map(Some).map_err(ApiError::network)
    }

    async fn get(&self, path: &str) -> Result<Value, ApiError> {
        let request = self.authorised(Request::get(&self.url(path))).build();
        Self::answer(request).await.map(Option::unwrap_or_default)
    }

    async fn post(&self, path: &str, body: Option<Value>) -> Result<Value, ApiError> {
        let request = self.authorised(Request::post(&self.url(path)));
        let request = match body {
            Some(body) => request.json(&body),
            None => request.build(),
        };
        Self::answer(request).await.map(Option::unwrap_or_default)
    }

    /// `GET /agent/conversations`: `{"agent", "queue", "mine"}`.
    pub async fn inbox(&self) -> Result<Value, ApiError> {
        self.get("/conversations").await
    }

    /// `GET /agent/conversations/{id}`: a summary with its history.
    pub async fn conversation(&self, id: &str) -> Result<Value, ApiError> {
        self.get(&format!("/conversations/{id}")).await
    }

    /// `POST .../take`: `{"conversation": summary}`; `409` when another agent was first.
    pub async fn take(&self, id: &str) -> Result<Value, ApiError> {
        self.post(&format!("/conversations/{id}/take"), None).await
    }

    /// `POST .../messages`: `{"id", "eventId"}`.
    pub async fn send(&self, id: &str, message_id: &str, text: &str) -> Result<Value, ApiError> {
        self.post(&format!("/conversations/{id}/messages"), Some(json!({"id": message_id, "text": text}))).await
    }

    /// `POST .../typing`.
    pub async fn typing(&self, id: &str) -> Result<(), ApiError> {
        self.post(&format!("/conversations/{id}/typing"), None).await.map(drop)
    }

    /// `POST .../read`: the visitor's messages so far are read.
    pub async fn read(&self, id: &str) -> Result<(), ApiError> {
        self.post(&format!("/conversations/{id}/read"), None).await.map(drop)
    }

    /// `POST .../end`: `{"conversation": summary}`.
    pub async fn end(&self, id: &str) -> Result<Value, ApiError> {
        self.post(&format!("/conversations/{id}/end"), None).await
    }

    /// Reads the console's event stream, calling `opened` once it is open and `each` for every
    /// event, until it ends (never `Ok`: a stream does not end by itself).
    pub async fn events(
        &self,
        signal: &web_sys::AbortSignal,
        opened: impl FnOnce(),
        mut each: impl FnMut(SseEvent),
    ) -> StreamEnd {
        let request = self
            .authorised(Request::get(&self.url("/events")))
            .header("Accept", "text/event-stream")
            .abort_signal(Some(signal));
        let response = match request.send().await {
            Ok(r) => r,
            Err(_) if signal.aborted() => return StreamEnd::Aborted,
            Err(e) => return StreamEnd::Dropped(format!("could not connect: {e}")),
        };
        match response.status() {
            200 => {}
            401 | 403 => return StreamEnd::Refused(ApiError::from_response(response).await),
            status => return StreamEnd::Dropped(format!("HTTP {status}")),
        }
        let Some(body) = response.body() else { return StreamEnd::Dropped("no body".into()) };
        opened();
        let reader: web_sys::ReadableStreamDefaultReader = body.get_reader().unchecked_into();
        let mut parser = SseParser::new();
        loop {
            let chunk = match JsFuture::from(reader.read()).await {
                Ok(chunk) => chunk,
                Err(_) if signal.aborted() => return StreamEnd::Aborted,
                Err(_) => return StreamEnd::Dropped("the connection dropped".into()),
            };
            let done = js_sys::Reflect::get(&chunk, &"done".into()).ok().and_then(|d| d.as_bool()).unwrap_or(true);
            if done {
                return StreamEnd::Dropped("the server closed the stream".into());
            }
            let Ok(value) = js_sys::Reflect::get(&chunk, &"value".into()) else { continue };
            for event in parser.feed(&js_sys::Uint8Array::new(&value).to_vec()) {
                each(event);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_is_next_to_the_console() {
        assert_eq!(base_for("/console/"), "/api");
        assert_eq!(base_for("/console/index.html"), "/api");
        assert_eq!(base_for("/support/console/"), "/support/api", "behind a path prefix");
        assert_eq!(base_for("/"), "/api");
    }

    #[test]
    fn rejections_read_for_people() {
        let e = ApiError { status: 403, code: "FORBIDDEN".into(), message: "this is not an agent token".into() };
        assert_eq!(e.describe(), "this is not an agent token (403 FORBIDDEN)");
        assert!(e.is_auth());
        let other = ApiError { message: "another agent has this conversation".into(), ..e };
        assert!(!other.is_auth(), "a conversation's 403 is not a sign-in problem");
        assert!(
            ApiError { status: 401, code: "AUTH_ERROR".into(), message: "token refused: Expired".into() }.is_auth()
        );
        assert_eq!(ApiError::network("offline").describe(), "the server could not be reached (offline)");
    }
}
