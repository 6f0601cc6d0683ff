//! HS256 JSON Web Tokens: verification of the widget's bearer token, and minting (short-lived
//! development tokens for the demo and the tests).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Why a token was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rejection {
    /// Not three base64url parts of JSON.
    Malformed,
    /// Not `alg: HS256` (never `none`).
    Algorithm,
    /// The signature does not match.
    Signature,
    /// No `exp` claim.
    NoExpiry,
    /// `exp` has passed.
    Expired,
    /// `nbf` (not before) is still to come.
    NotYetValid,
}

fn sign(secret: &[u8], input: &str) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any size");
    mac.update(input.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// A token for `sub` valid for `ttl_s` seconds from `now_s`.
pub fn mint(secret: &[u8], sub: &str, now_s: u64, ttl_s: u64) -> String {
    let header = B64.encode(json!({"alg": "HS256", "typ": "JWT"}).to_string());
    let claims = B64.encode(json!({"sub": sub, "iat": now_s, "exp": now_s + ttl_s}).to_string());
    let input = format!("{header}.{claims}");
    let signature = B64.encode(sign(secret, &input));
    format!("{input}.{signature}")
}

/// An agent token for `name` (`sub` and `name` both `name`, `role: "agent"`), valid for
/// `ttl_s` seconds from `now_s`.
pub fn mint_agent(secret: &[u8], name: &str, now_s: u64, ttl_s: u64) -> String {
    let header = B64.encode(json!({"alg": "HS256", "typ": "JWT"}).to_string());
    let claims = json!({"sub": name, "name": name, "role": "agent", "iat": now_s, "exp": now_s + ttl_s});
    let input = format!("{header}.{}", B64.encode(claims.to_string()));
    let signature = B64.encode(sign(secret, &input));
    format!("{input}.{signature}")
}

/// The claims of a valid token: signed, `exp` in the future, `nbf` (when present) reached.
pub fn verify(secret: &[u8], token: &str, now_s: u64) -> Result<Value, Rejection> {
    let mut parts = token.split('.');
    let (Some(header), Some(claims), Some(signature), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Rejection::Malformed);
    };
    let decode = |part: &str| -> Result<Value, Rejection> {
        let bytes = B64.decode(part).map_err(|_| Rejection::Malformed)?;
        serde_json::from_slice(&bytes).map_err(|_| Rejection::Malformed)
    };
    if decode(header)?.get("alg").and_then(Value::as_str) != Some("HS256") {
        return Err(Rejection::Algorithm);
    }
    let signature = B64.decode(signature).map_err(|_| Rejection::Malformed)?;
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any size");
    mac.update(format!("{header}.{claims}").as_bytes());
    mac.verify_slice(&signature).map_err(|_| Rejection::Signature)?;
    let claims = decode(claims)?;
    let exp = claims.get("exp").and_then(Value::as_u64).ok_or(Rejection::NoExpiry)?;
    if exp <= now_s {
        return Err(Rejection::Expired);
    }
    match claims.get("nbf") {
        None => {}
        Some(nbf) => match nbf.as_u64() {
            Some(nbf) if nbf > now_s => return Err(Rejection::NotYetValid),
            Some(_) => {}
            None => return Err(Rejection::Malformed),
        },
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"test-secret";

    #[test]
    fn minted_tokens_verify_until_they_expire() {
        let token = mint(SECRET, "visitor", 1_000, 60);
        assert_eq!(verify(SECRET, &token, 1_059).unwrap()["sub"], "visitor");
        assert_eq!(verify(SECRET, &token, 1_060), Err(Rejection::Expired));
        assert_eq!(verify(b"other", &token, 1_000), Err(Rejection::Signature));
    }

    #[test]
    fn rejects_tampering_none_and_garbage() {
        let token = mint(SECRET, "visitor", 1_000, 60);
        let (head, rest) = token.split_once('.').unwrap();
        let (_, sig) = rest.split_once('.').unwrap();
        let forged_claims = B64.encode(json!({"sub": "admin", "exp": 9_999_999_999u64}).to_string());
        assert_eq!(verify(SECRET, &format!("{head}.{forged_claims}.{sig}"), 1_000), Err(Rejection::Signature));
        let none = B64.encode(json!({"alg": "none"}).to_string());
        assert_eq!(verify(SECRET, &format!("{none}.{forged_claims}."), 1_000), Err(Rejection::Algorithm));
        assert_eq!(verify(SECRET, "not-a-token", 1_000), Err(Rejection::Malformed));
        let no_exp = B64.encode(json!({"sub": "x"}).to_string());
        let input = format!("{head}.{no_exp}");
        let signed = format!("{input}.{}", B64.encode(sign(SECRET, &input)));
        assert_eq!(verify(SECRET, &signed, 1_000), Err(Rejection::NoExpiry));
    }

    fn signed(claims: Value) -> String {
        let head = B64.encode(json!({"alg": "HS256", "typ": "JWT"}).to_string());
        let input = format!("{head}.{}", B64.encode(claims.to_string()));
        format!("{input}.{}", B64.encode(sign(SECRET, &input)))
    }

    #[test]
    fn not_before_is_honoured() {
        let token = signed(json!({"sub": "v", "nbf": 1_100, "exp": 2_000}));
        assert_eq!(verify(SECRET, &token, 1_099), Err(Rejection::NotYetValid));
        assert_eq!(verify(SECRET, &token, 1_100).unwrap()["sub"], "v");
        let bad = signed(json!({"sub": "v", "nbf": "soon", "exp": 2_000}));
        assert_eq!(verify(SECRET, &bad, 1_100), Err(Rejection::Malformed));
    }

    #[test]
    fn the_widget_reads_the_expiry_of_minted_tokens() {
        let token = mint(SECRET, "visitor", 1_000, 60);
        assert!(!colloquy::chat::tokens::jwt_expired(&token, 1_059_000.0));
        assert!(colloquy::chat::tokens::jwt_expired(&token, 1_060_000.0));
    }
}
