//! The markdown renderer (src/markdown.rs): no panic, no link or image target other than
//! http(s)/mailto, and a streaming split point that is a char boundary no later than the text.
#![no_main]

use colloquy::markdown::{Node, StableScan, parse, safe_href, stable_prefix};
use libfuzzer_sys::fuzz_target;

fn check(nodes: &[Node]) {
    for node in nodes {
        if let Node::El { tag, attrs, children } = node {
            assert!(!tag.is_empty());
            for (name, value) in attrs {
                if *name == "href" || *name == "src" {
                    assert!(safe_href(value), "unsafe {name} {value:?}");
                }
                assert!(!name.starts_with("on"), "event handler attribute {name}");
            }
            check(children);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(md) = std::str::from_utf8(data) else { return };
    check(&parse(md));
    let stable = stable_prefix(md);
    assert!(stable <= md.len() && md.is_char_boundary(stable));
    // Streaming: scanning as the text grows finds what one scan of the complete lines finds, and
    // the prefix only grows.
    let half = (0..=md.len() / 2).rev().find(|i| md.is_char_boundary(*i)).unwrap_or(0);
    let mut scan = StableScan::default();
    let early = scan.advance(&md[..half]);
    assert!(early <= stable, "stable prefix shrank: {early} > {stable}");
    let grown = scan.advance(md);
    let complete = md.rfind('\n').map_or(0, |i| i + 1);
    assert_eq!(grown, stable_prefix(&md[..complete]));
});
