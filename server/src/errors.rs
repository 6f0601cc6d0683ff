//! Every rejection is the documented JSON `{"code", "message"}`: the server's own, and the ones the
//! framework makes (axum's extractor rejections, 404/405 from routing and files, tower-http's
//! 413).

use axum::Json;
use axum::body::Body;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::json;
use std::time::Duration;

/// The JSON error answer.
pub fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(json!({"code": code, "message": message}))).into_response()
}

/// A `429`/`503` with `Retry-After` (whole seconds, at least 1).
pub fn busy(status: StatusCode, code: &str, message: &str, retry_after: Duration) -> Response {
    let mut response = error(status, code, message);
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after.as_secs().max(1)));
    response
}

/// The `code` for a status the server did not describe itself.
pub fn code_for(status: StatusCode) -> &'static str {
    match status.as_u16() {
        401 => "AUTH_ERROR",
        403 => "FORBIDDEN",
        404 => "NOT_FOUND",
        405 => "METHOD_NOT_ALLOWED",
        408 => "REQUEST_TIMEOUT",
        413 => "PAYLOAD_TOO_LARGE",
        415 => "UNSUPPORTED_MEDIA_TYPE",
        429 => "TOO_MANY_REQUESTS",
        503 => "UNAVAILABLE",
        400..=499 => "BAD_REQUEST",
        _ => "INTERNAL_ERROR",
    }
}

/// Middleware: turns any error response that is not JSON into the JSON error (same status, same
/// headers such as `Allow` and `Retry-After`; the framework's text becomes the message).
pub async fn json_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_json =
        response.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if is_json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 4_096).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&text);
    let message = match text.trim() {
        "" => status.canonical_reason().unwrap_or("error").to_lowercase(),
        t => t.to_owned(),
    };
    let body = json!({"code": code_for(status), "message": message}).to_string();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.remove(header::CONTENT_ENCODING);
    parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Response::from_parts(parts, Body::from(body))
}

/// Whether an error of type `E` (named `name`) caused the rejection.
fn caused_by<E: std::error::Error + 'static>(rejection: &JsonRejection, name: &str) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(rejection);
    while let Some(e) = source {
        if e.is::<E>() {
            return true;
        }
        source = e.source();
    }
    format!("{rejection:?}").contains(name)
}

/// `Json<T>` whose rejections are the JSON error (`408` when the body did not arrive in time).
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Response> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(r) if caused_by::<tower_http::timeout::TimeoutError>(&r, "TimeoutError") => {
                Err(error(StatusCode::REQUEST_TIMEOUT, "REQUEST_TIMEOUT", "the request body did not arrive in time"))
            }
            Err(r) if caused_by::<http_body_util::LengthLimitError>(&r, "LengthLimitError") => {
                Err(error(StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE", "the request body is too large"))
            }
            Err(rejection) => {
                let status = rejection.status();
                Err(error(status, code_for(status), &rejection.body_text()))
            }
        }
    }
}
