//! Tokens: the visitor's bearer JWT, renewed through `authTokenNeeded` when it expired, and the
//! JWT helpers the reference server shares (the widget only reads `exp`; it holds no secret).

use super::Chat;
use crate::events::{ErrorCode, Event};
use serde_json::Value;
use std::rc::Rc;

impl Chat {
    /// The configured token, refreshed through `authTokenNeeded` if its `exp` has passed.
    pub(super) async fn fresh_token(self: &Rc<Self>) -> Option<String> {
        let token = self.auth_token.borrow().clone()?;
        if !jwt_expired(&token, self.now()) {
            return Some(token);
        }
        self.refresh_token(Some(token)).await
    }

    /// Asks the host for a new token (`authTokenNeeded`); keeps it if one was set.
    pub async fn refresh_token(self: &Rc<Self>, expired: Option<String>) -> Option<String> {
        let pre = Event::AuthTokenNeeded { auth_token: expired.clone() };
        let Event::AuthTokenNeeded { auth_token } = self.dispatcher.emit(pre).await else { return expired };
        if auth_token.is_some() && auth_token != expired {
            *self.auth_token.borrow_mut() = auth_token.clone();
            return auth_token;
        }
        self.report(ErrorCode::AuthError, "the auth token expired and no handler provided a new one".into());
        expired
    }

    /// Replaces the auth token (`updateAuthToken`).
    pub fn set_auth_token(&self, token: Option<String>) {
        *self.auth_token.borrow_mut() = token;
    }
}

/// Whether a JWT's `exp` (seconds) is at or before `now_ms`. Tokens that are not JWTs, or have
/// no `exp`, never expire here (the server decides with a 401).
pub fn jwt_expired(token: &str, now_ms: f64) -> bool {
    let Some(payload) = token.split('.').nth(1) else { return false };
    let Some(bytes) = base64url_decode(payload) else { return false };
    let Ok(claims) = serde_json::from_slice::<Value>(&bytes) else { return false };
    claims.get("exp").and_then(Value::as_f64).is_some_and(|exp| exp * 1000.0 <= now_ms)
}

/// Decodes unpadded base64url.
pub fn base64url_decode(input: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(input.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in input.bytes().filter(|&c| c != b'=') {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}
