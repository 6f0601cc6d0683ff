//! The server's HS256 JWT verification (server/src/auth.rs): garbage is refused without a
//! panic, an accepted token carries an unexpired `exp`, and a minted token for any subject
//! verifies and keeps its subject.
#![no_main]

use colloquy_server::auth::{mint, verify};
use libfuzzer_sys::fuzz_target;

const SECRET: &[u8] = b"fuzz-secret";
const NOW: u64 = 1_700_000_000;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(claims) = verify(SECRET, text, NOW) {
        assert!(claims["exp"].as_u64().is_some_and(|exp| exp > NOW));
    }
    let token = mint(SECRET, text, NOW, 60);
    let claims = verify(SECRET, &token, NOW).expect("a minted token verifies");
    assert_eq!(claims["sub"], text);
    assert!(verify(b"other", &token, NOW).is_err());
});
