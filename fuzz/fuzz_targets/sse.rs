//! The agent's `text/event-stream` parser (src/agent/sse.rs) and the wire decoding of its events.
//! Oracle: no panic, and the same events whatever the chunking (the first byte picks the cuts).
#![no_main]

use colloquy::agent::sse::{SseParser, from_wire};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&cut, stream)) = data.split_first() else { return };
    let whole = SseParser::new().feed(stream);
    let mut chunked = Vec::new();
    let mut parser = SseParser::new();
    let step = usize::from(cut % 7) + 1;
    for chunk in stream.chunks(step) {
        chunked.extend(parser.feed(chunk));
    }
    assert_eq!(whole, chunked, "chunking changed the events");
    for ev in &whole {
        let _ = from_wire(ev);
    }
});
