//! The config parser (src/config.rs): any JSON a host passes to `init` gives a config and a list
//! of issues, never a panic; a second parse of the same value gives the same result.
#![no_main]

use colloquy::config::Config;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    let (config, issues) = Config::parse(&value);
    let _ = Config::unknown_keys(&value);
    let (again, _) = Config::parse(&value);
    assert_eq!(config, again);
    for issue in &issues {
        let _ = issue.message();
    }
    let _ = config.visibility.allows("https://shop.example/a?b#c", 3, 600);
});
