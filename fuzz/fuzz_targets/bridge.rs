//! The bridge message decoder (src/host/bridge.rs): whatever a host page posts, `decode` answers
//! `Ok` or `Err`, never panics. A decoded `hostElement` mirror goes through the sanitizer
//! (src/dom/sanitize.rs), whose output holds only allowlisted elements and attributes, and web
//! links and images only.
#![no_main]

use colloquy::host::bridge::{HostMessage, MirrorNode, decode};
use colloquy::dom::sanitize::{safe_href, safe_src, sanitize};
use libfuzzer_sys::fuzz_target;

const ALLOWED_ATTRIBUTES: &[&str] =
    &["alt", "class", "colspan", "height", "rowspan", "title", "width", "href", "src", "target", "rel"];

fn check(nodes: &[MirrorNode]) {
    for node in nodes {
        if let MirrorNode::Element(tag, attrs, children) = node {
            assert!(
                ![
                    "script", "style", "iframe", "object", "embed", "base", "meta", "svg", "math", "noscript",
                    "template"
                ]
                .contains(&tag.as_str())
            );
            assert!(tag.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()), "tag {tag:?}");
            for (name, value) in attrs {
                assert!(ALLOWED_ATTRIBUTES.contains(&name.as_str()), "attribute {name}");
                if name == "href" {
                    assert!(safe_href(value));
                }
                if name == "src" {
                    assert!(safe_src(value));
                }
            }
            check(children);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(Some(HostMessage::Html { nodes, .. })) = decode(text) {
        check(&sanitize(&nodes));
    }
});
