//! The markdown renderer (src/markdown.rs): no panic, no link or image target other than
//! http(s)/mailto, and a streaming split point that is a char boundary no later than the text.
#![no_main]

use colloquy::markdown::{Node, parse, safe_href, stable_prefix};
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
    let stable = stable_prefix(md, 0);
    assert!(stable <= md.len() && md.is_char_boundary(stable));
    // Streaming: the prefix only grows as text arrives, and a rescan from it agrees.
    let half = (0..=md.len() / 2).rev().find(|i| md.is_char_boundary(*i)).unwrap_or(0);
    let early = stable_prefix(&md[..half], 0);
    assert!(early <= stable, "stable prefix shrank: {early} > {stable}");
    assert_eq!(stable_prefix(md, early), stable);
});
