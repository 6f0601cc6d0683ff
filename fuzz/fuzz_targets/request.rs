//! The server's message request (`POST /api/conversations/{id}/messages`, server/src/lib.rs):
//! the whole axum route (bearer check, path, JSON body extraction, validation) with a fuzzed
//! `Authorization` header, conversation id and body. Oracle: no panic and no 5xx.
//!
//! Input: byte 0 bit 0 set: a valid token (so the body is parsed), else the header as fuzzed;
//! then `header \n conversation id \n body`.
#![no_main]

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use colloquy_server::agent::Pace;
use colloquy_server::{ApiOptions, Options, app};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use std::time::Duration;
use tower::ServiceExt;

const SECRET: &[u8] = b"fuzz-secret";

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| tokio::runtime::Builder::new_current_thread().enable_time().build().expect("a runtime"))
}

fn router() -> axum::Router {
    static APP: OnceLock<axum::Router> = OnceLock::new();
    APP.get_or_init(|| {
        let api = ApiOptions {
            jwt_secret: Some(SECRET.to_vec()),
            pace: Pace { think: Duration::ZERO, chunk: Duration::ZERO },
            ..ApiOptions::default()
        };
        app(&Options { api: Some(api), ..Options::default() })
    })
    .clone()
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let mut parts = rest.splitn(3, |b| *b == b'\n');
    let (auth, id, body) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default(), parts.next());
    let Ok(id) = std::str::from_utf8(id) else { return };
    let mut request = Request::post(format!("/api/conversations/{id}/messages"))
        .header(header::CONTENT_TYPE, if mode & 2 == 0 { "application/json" } else { "text/plain" });
    if mode & 1 == 1 {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        let token = colloquy_server::auth::mint(SECRET, "fuzz", now.as_secs(), 60);
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    } else {
        request = request.header(header::AUTHORIZATION, auth);
    }
    let Ok(request) = request.body(Body::from(body.unwrap_or_default().to_vec())) else { return };
    let response = runtime().block_on(router().oneshot(request)).expect("the router is infallible");
    assert!(!response.status().is_server_error(), "{}", response.status());
    if response.status() == StatusCode::OK {
        assert_eq!(response.headers()[header::CONTENT_TYPE], "text/event-stream");
    }
});
