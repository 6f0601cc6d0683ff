//! Markdown of agent replies -> a small node tree (pulldown-cmark), never HTML strings.
//!
//! Raw HTML in the markdown renders as text. Links keep only `http:`, `https:` and `mailto:`
//! targets and open in a new tab with `rel="noopener noreferrer"`; images become links (no
//! third-party pixels load in the widget). [`stable_prefix`] lets a streaming reply render its
//! finished blocks once and re-render only the block still growing.

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// A rendered node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    /// An element with attributes and children.
    El {
        /// Tag name.
        tag: &'static str,
        /// Attributes.
        attrs: Vec<(&'static str, String)>,
        /// Children.
        children: Vec<Node>,
    },
    /// Text.
    Text(String),
}

/// An open element while parsing: its tag and attributes (`None`: a dropped wrapper whose
/// children go to its parent), and the children so far.
type Frame = (Option<(&'static str, Vec<(&'static str, String)>)>, Vec<Node>);

/// Whether `url` may be a link target.
pub fn safe_href(url: &str) -> bool {
    let u = url.trim_start().to_ascii_lowercase();
    u.starts_with("https://") || u.starts_with("http://") || u.starts_with("mailto:")
}

/// Replies sit inside the window (whose title is an h2): a reply's shallowest heading becomes
/// h3 and deeper ones follow, so the outline never skips a level.
fn heading(level: HeadingLevel, shallowest: usize) -> &'static str {
    match (level as usize).saturating_sub(shallowest) {
        0 => "h3",
        1 => "h4",
        2 => "h5",
        _ => "h6",
    }
}

/// Parses markdown into nodes.
pub fn parse(md: &str) -> Vec<Node> {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let shallowest = Parser::new_ext(md, options)
        .filter_map(|e| match e {
            Event::Start(Tag::Heading { level, .. }) => Some(level as usize),
            _ => None,
        })
        .min()
        .unwrap_or(1);
    let mut stack: Vec<Frame> = vec![(None, Vec::new())];
    let mut in_table_head = false;
    for event in Parser::new_ext(md, options) {
        match event {
            Event::Start(tag) => {
                let open: Option<(&'static str, Vec<(&'static str, String)>)> = match tag {
                    Tag::Paragraph => Some(("p", vec![])),
                    Tag::Heading { level, .. } => Some((heading(level, shallowest), vec![])),
                    Tag::BlockQuote(_) => Some(("blockquote", vec![])),
                    Tag::CodeBlock(kind) => {
                        let lang = match kind {
                            CodeBlockKind::Fenced(lang) => lang.split_whitespace().next().unwrap_or("").to_owned(),
                            CodeBlockKind::Indented => String::new(),
                        };
                        stack.push((Some(("pre", vec![])), Vec::new()));
                        let attrs = if lang.is_empty() { vec![] } else { vec![("class", format!("language-{lang}"))] };
                        Some(("code", attrs))
                    }
                    Tag::List(Some(start)) if start != 1 => Some(("ol", vec![("start", start.to_string())])),
                    Tag::List(Some(_)) => Some(("ol", vec![])),
                    Tag::List(None) => Some(("ul", vec![])),
                    Tag::Item => Some(("li", vec![])),
                    Tag::Table(_) => Some(("table", vec![])),
                    Tag::TableHead => {
                        in_table_head = true;
                        stack.push((Some(("thead", vec![])), Vec::new()));
                        Some(("tr", vec![]))
                    }
                    Tag::TableRow => Some(("tr", vec![])),
                    Tag::TableCell => Some((if in_table_head { "th" } else { "td" }, vec![])),
                    Tag::Emphasis => Some(("em", vec![])),
                    Tag::Strong => Some(("strong", vec![])),
                    Tag::Strikethrough => Some(("del", vec![])),
                    Tag::Link { dest_url, title, .. } if safe_href(&dest_url) => {
                        let mut attrs = vec![
                            ("href", dest_url.to_string()),
                            ("target", "_blank".into()),
                            ("rel", "noopener noreferrer".into()),
                        ];
                        if !title.is_empty() {
                            attrs.push(("title", title.to_string()));
                        }
                        Some(("a", attrs))
                    }
                    Tag::Image { dest_url, .. } if safe_href(&dest_url) => Some((
                        "a",
                        vec![
                            ("href", dest_url.to_string()),
                            ("target", "_blank".into()),
                            ("rel", "noopener noreferrer".into()),
                            ("class", "cq-image-link".into()),
                        ],
                    )),
                    _ => None,
                };
                stack.push((open, Vec::new()));
            }
            Event::End(end) => {
                let closes_two = matches!(end, TagEnd::CodeBlock | TagEnd::TableHead);
                if matches!(end, TagEnd::TableHead) {
                    in_table_head = false;
                }
                for _ in 0..if closes_two { 2 } else { 1 } {
                    close(&mut stack);
                }
            }
            Event::Text(t) | Event::Html(t) | Event::InlineHtml(t) | Event::InlineMath(t) | Event::DisplayMath(t) => {
                push_text(&mut stack, &t)
            }
            Event::Code(t) => {
                leaf(&mut stack, Node::El { tag: "code", attrs: vec![], children: vec![Node::Text(t.to_string())] })
            }
            Event::SoftBreak => push_text(&mut stack, "\n"),
            Event::HardBreak => leaf(&mut stack, Node::El { tag: "br", attrs: vec![], children: vec![] }),
            Event::Rule => leaf(&mut stack, Node::El { tag: "hr", attrs: vec![], children: vec![] }),
            Event::TaskListMarker(done) => push_text(&mut stack, if done { "☑ " } else { "☐ " }),
            Event::FootnoteReference(t) => push_text(&mut stack, &format!("[{t}]")),
        }
    }
    while stack.len() > 1 {
        close(&mut stack);
    }
    stack.pop().map(|(_, children)| children).unwrap_or_default()
}

fn leaf(stack: &mut [Frame], node: Node) {
    if let Some(top) = stack.last_mut() {
        top.1.push(node);
    }
}

fn push_text(stack: &mut [Frame], text: &str) {
    if let Some((_, children)) = stack.last_mut() {
        if let Some(Node::Text(last)) = children.last_mut() {
            last.push_str(text);
        } else {
            children.push(Node::Text(text.to_owned()));
        }
    }
}

fn close(stack: &mut Vec<Frame>) {
    let Some((open, children)) = stack.pop() else { return };
    let Some(parent) = stack.last_mut() else { return };
    match open {
        Some((tag, attrs)) => parent.1.push(Node::El { tag, attrs, children }),
        None => {
            for child in children {
                match (parent.1.last_mut(), child) {
                    (Some(Node::Text(last)), Node::Text(t)) => last.push_str(&t),
                    (_, child) => parent.1.push(child),
                }
            }
        }
    }
}

/// Where the finished blocks of a growing markdown text end: up to the last blank line outside
/// a code fence. Each byte is scanned once however often the text grows (only complete lines are
/// read; a partial last line waits for its newline), so finding the boundary costs what arrived.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StableScan {
    /// Bytes scanned so far (always at a line start).
    scanned: usize,
    /// The open code fence: its marker byte and run length.
    fence: Option<(u8, usize)>,
    /// The byte length of the finished prefix.
    stable: usize,
}

impl StableScan {
    /// Scans what `md` gained since the last call and returns the length of its finished prefix.
    /// `md` must extend the text of the previous calls.
    pub fn advance(&mut self, md: &str) -> usize {
        let mut at = self.scanned;
        for line in md[self.scanned..].split_inclusive('\n') {
            if !line.ends_with('\n') {
                break;
            }
            let end = at + line.len();
            let trimmed = line.trim_start_matches(' ');
            let indent = line.len() - trimmed.len();
            let marker = trimmed.bytes().next().filter(|b| *b == b'`' || *b == b'~');
            if indent < 4
                && let Some(m) = marker
            {
                let run = trimmed.bytes().take_while(|b| *b == m).count();
                match self.fence {
                    None if run >= 3 => self.fence = Some((m, run)),
                    Some((fm, fr)) if fm == m && run >= fr && trimmed[run..].trim().is_empty() => self.fence = None,
                    _ => {}
                }
            }
            if self.fence.is_none() && line.trim().is_empty() {
                self.stable = end;
            }
            at = end;
        }
        self.scanned = at;
        self.stable
    }
}

/// The byte length of the prefix of `md` made of finished blocks (see [`StableScan`]).
pub fn stable_prefix(md: &str) -> usize {
    StableScan::default().advance(md)
}

/// Whether a growing unfinished block (the tail) of `len` bytes, last rendered at `rendered`
/// bytes, is due for a full markdown render. Small tails render on every update; a long one when
/// it grew by a quarter, so re-rendering a block that keeps growing costs a constant amount per
/// byte that arrives (a geometric series), not one render of the whole block per update. What
/// arrives in between is shown as plain text until the next render.
pub fn tail_due(len: usize, rendered: usize) -> bool {
    const SMALL: usize = 2048;
    len < SMALL || rendered == 0 || len < rendered || len >= rendered + rendered / 4
}

#[cfg(test)]
mod tests {
    use super::*;

    fn el(tag: &'static str, children: Vec<Node>) -> Node {
        Node::El { tag, attrs: vec![], children }
    }

    fn text(t: &str) -> Node {
        Node::Text(t.into())
    }

    #[test]
    fn paragraphs_emphasis_and_code() {
        assert_eq!(
            parse("Hello **bold** and `code`"),
            [el(
                "p",
                vec![text("Hello "), el("strong", vec![text("bold")]), text(" and "), el("code", vec![text("code")])]
            )]
        );
        let code = parse("```rust\nfn main() {}\n```");
        assert_eq!(
            code,
            [el(
                "pre",
                vec![Node::El {
                    tag: "code",
                    attrs: vec![("class", "language-rust".into())],
                    children: vec![text("fn main() {}\n")]
                }]
            )]
        );
    }

    #[test]
    fn lists_and_headings() {
        assert_eq!(
            parse("# Title\n\n- a\n- b"),
            [el("h3", vec![text("Title")]), el("ul", vec![el("li", vec![text("a")]), el("li", vec![text("b")])])]
        );
    }

    #[test]
    fn headings_start_at_h3_whatever_level_the_reply_starts_at() {
        let tags = |md: &str| -> Vec<&'static str> {
            parse(md).into_iter().filter_map(|n| if let Node::El { tag, .. } = n { Some(tag) } else { None }).collect()
        };
        assert_eq!(tags("## A\n\n### B\n\n## C"), ["h3", "h4", "h3"]);
        assert_eq!(tags("# A\n\n## B"), ["h3", "h4"]);
    }

    #[test]
    fn raw_html_is_text() {
        assert_eq!(parse("<script>alert(1)</script>"), [text("<script>alert(1)</script>")]);
        assert_eq!(parse("hi <img src=x onerror=alert(1)>"), [el("p", vec![text("hi <img src=x onerror=alert(1)>")])]);
    }

    #[test]
    fn links_are_safe_and_open_in_a_new_tab() {
        let nodes = parse("[docs](https://example.com) and [bad](javascript:alert(1))");
        let Node::El { children, .. } = &nodes[0] else { panic!() };
        assert_eq!(
            children[0],
            Node::El {
                tag: "a",
                attrs: vec![
                    ("href", "https://example.com".into()),
                    ("target", "_blank".into()),
                    ("rel", "noopener noreferrer".into())
                ],
                children: vec![text("docs")]
            }
        );
        assert_eq!(children[1], text(" and bad"));
    }

    #[test]
    fn images_become_links() {
        let nodes = parse("![a cat](https://example.com/cat.png)");
        let Node::El { children, .. } = &nodes[0] else { panic!() };
        assert!(matches!(&children[0], Node::El { tag: "a", children, .. } if children == &[text("a cat")]));
    }

    #[test]
    fn tables() {
        let nodes = parse("| a | b |\n|---|---|\n| 1 | 2 |");
        let Node::El { tag: "table", children, .. } = &nodes[0] else { panic!("{nodes:?}") };
        assert!(matches!(&children[0], Node::El { tag: "thead", .. }));
    }

    #[test]
    fn stable_prefix_stops_at_blank_lines_outside_fences() {
        let md = "para one\n\npara two\n\n```\ncode\n\nmore code\n";
        let mut scan = StableScan::default();
        let stable = scan.advance(md);
        assert_eq!(&md[..stable], "para one\n\npara two\n\n");
        let closed = format!("{md}```\n\ntail");
        let stable = scan.advance(&closed);
        assert_eq!(&closed[stable..], "tail");
        assert_eq!(stable_prefix("no blank line yet"), 0);
    }

    #[test]
    fn scanning_as_the_text_grows_finds_what_one_scan_finds() {
        let md = "# Title\n\nSome *text* that\nwraps.\n\n```rust\nfn a() {}\n\n```\n\n- one\n- two\n\nend";
        let mut scan = StableScan::default();
        for end in (0..=md.len()).filter(|&i| md.is_char_boundary(i)) {
            let grown = scan.advance(&md[..end]);
            // A partial last line is not counted until its newline arrives.
            let complete = md[..end].rfind('\n').map_or(0, |i| i + 1);
            assert_eq!(grown, stable_prefix(&md[..complete]), "at {end}");
        }
        assert_eq!(&md[scan.advance(md)..], "end");
    }

    #[test]
    fn a_growing_tail_renders_a_constant_amount_per_byte() {
        // One block that grows to 1 MB a few bytes at a time.
        let (mut rendered, mut work) = (0usize, 0usize);
        for len in (0..=1_000_000).step_by(7) {
            if tail_due(len, rendered) {
                work += len;
                rendered = len;
            }
        }
        assert!(work < 6 * 1_000_000, "rendered {work} bytes for a 1 MB block");
    }
}
