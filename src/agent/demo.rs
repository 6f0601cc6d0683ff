//! The embedded demo agent: no server, deterministic, streams its replies.
//!
//! Any text gets the streamed reply `You said: <text>`. Commands show every feature; the demo
//! page lists them ([`COMMANDS`]).

use super::{Agent, AgentEvent, AgentRequest};
use crate::events::{AgentKind, AgentMessage, ContentItem, ErrorCode, Runtime, WidgetError};
use futures::StreamExt;
use futures::channel::mpsc;
use futures::stream::LocalBoxStream;
use serde_json::json;
use std::cell::RefCell;
use std::collections::HashSet;
use std::rc::Rc;

/// The demo agent's commands and what they show.
pub const COMMANDS: &[(&str, &str)] = &[
    ("any text", "a streamed echo: You said: <text>"),
    ("/buttons", "response buttons Yes and No (customEvent buttonItemClicked)"),
    ("/actions", "the configured actions: button, form, link (action-triggered)"),
    ("/lead", "the lead capture form (lead-captured)"),
    ("/custom", "a user_defined item the host renders (userDefinedResponse)"),
    ("/markdown", "headings, lists, code and a link"),
    ("/long N", "a streamed markdown reply of N deltas"),
    ("/handoff", "queued for a human, agent joined, a message from the human"),
    ("/error", "an agent failure: the message is marked failed, with retry"),
    ("/end", "the conversation ends"),
];

/// The human agent of `/handoff`.
pub const HUMAN: &str = "Dana";

/// Options of the demo agent.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DemoOptions {
    /// Pause before the first chunk (ms).
    pub think_ms: u32,
    /// Pause between chunks (ms).
    pub chunk_ms: u32,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions { think_ms: 250, chunk_ms: 35 }
    }
}

/// One step of a scripted reply.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// Wait.
    Sleep(u32),
    /// Report an event.
    Emit(AgentEvent),
    /// Stream `chunks` as deltas of `message.id`, then report `message`.
    Stream {
        /// The chunks, in order; they concatenate to the message's text.
        chunks: Vec<String>,
        /// The complete message.
        message: AgentMessage,
    },
}

/// The demo agent.
pub struct DemoAgent {
    rt: Rc<dyn Runtime>,
    options: DemoOptions,
    memory: Rc<RefCell<Memory>>,
}

/// What the demo agent remembers within a conversation.
#[derive(Debug, Default)]
pub struct Memory {
    /// A human agent took over.
    pub human: bool,
    /// Messages whose first attempt failed on purpose (`/error`): the retry succeeds.
    pub failed_once: HashSet<String>,
}

impl DemoAgent {
    /// A demo agent on `rt`.
    pub fn new(rt: Rc<dyn Runtime>, options: DemoOptions) -> Self {
        DemoAgent { rt, options, memory: Rc::default() }
    }
}

/// Splits `text` into word-sized chunks that concatenate back to `text`.
pub fn chunks(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for ch in text.chars() {
        current.push(ch);
        if ch == ' ' || ch == '\n' {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

const MARKDOWN: &str = "# Markdown tour\n\nReplies render **bold**, *italic*, `inline code` and \
[links](https://example.com/docs) (they open in a new tab).\n\n## Lists\n\n- Sizes 36 to 47\n- Free returns\n  \
1. Print the label\n  2. Drop it off\n\n## Code\n\n```js\nColloquy.init({ mode: \"iframe\" });\n```\n\n> Quotes work too.";

/// The `/long N` reply: N deltas of markdown.
pub fn long_chunks(n: usize) -> Vec<String> {
    let mut out = vec!["## A long answer\n\n".to_owned()];
    for i in 1..n {
        let end = if i % 8 == 0 { ".\n\n" } else { ". " };
        out.push(format!("Sentence {i} of {n}{end}"));
    }
    out.truncate(n.max(1));
    out
}

/// The script answering `request` (pure: the tests read it).
pub fn script(request: &AgentRequest, memory: &mut Memory, now: f64) -> Vec<Step> {
    let reply_id = format!("{}-r", request.message_id);
    let message = |content: Vec<ContentItem>, from: AgentKind| AgentMessage {
        id: reply_id.clone(),
        thread_id: request.conversation_id.clone(),
        content,
        timestamp: now,
        from,
        agent_name: (from == AgentKind::Human).then(|| HUMAN.to_owned()),
    };
    let text_item = |text: &str| ContentItem::text(format!("{reply_id}-0"), text);
    let streamed = |text: &str, extra: Vec<ContentItem>| {
        let mut content = vec![text_item(text)];
        content.extend(extra);
        Step::Stream { chunks: chunks(text), message: message(content, AgentKind::Bot) }
    };
    let text = request.text.trim();
    let (command, arg) = text.split_once(' ').unwrap_or((text, ""));
    let mut steps = vec![Step::Emit(AgentEvent::Accepted), Step::Emit(AgentEvent::Typing), Step::Sleep(0)];
    if memory.human && !text.starts_with('/') {
        let reply = format!("Thanks! I'm looking into “{text}” for you.");
        steps.push(Step::Sleep(600));
        steps.push(Step::Emit(AgentEvent::Message(message(vec![text_item(&reply)], AgentKind::Human))));
        return steps;
    }
    match command {
        "/buttons" => steps.push(streamed(
            "Would you like help choosing a size?",
            vec![
                ContentItem::button(format!("{reply_id}-1"), "Yes", "Yes"),
                ContentItem::button(format!("{reply_id}-2"), "No", "No"),
            ],
        )),
        "/actions" => steps.push(streamed(
            "Here is what you can do from the chat:",
            vec![ContentItem { id: format!("{reply_id}-1"), kind: "actions".into(), ..Default::default() }],
        )),
        "/lead" => steps.push(streamed(
            "Leave your details and our team will get back to you.",
            vec![ContentItem { id: format!("{reply_id}-1"), kind: "lead_form".into(), ..Default::default() }],
        )),
        "/custom" => steps.push(streamed(
            "Here is your order, rendered by the host page:",
            vec![ContentItem {
                id: format!("{reply_id}-1"),
                kind: "user_defined".into(),
                user_defined: Some(json!({"template": "order_status", "orderId": "A-1042", "status": "Shipped"})),
                ..Default::default()
            }],
        )),
        "/markdown" => steps.push(streamed(MARKDOWN, vec![])),
        "/long" => {
            let n = arg.trim().parse::<usize>().unwrap_or(50).clamp(1, 5_000);
            let chunks = long_chunks(n);
            let content = vec![text_item(&chunks.concat())];
            steps.push(Step::Stream { chunks, message: message(content, AgentKind::Bot) });
        }
        "/handoff" => {
            steps.push(streamed("Let me connect you with a member of our team.", vec![]));
            steps.push(Step::Emit(AgentEvent::Queued { position: Some(2) }));
            steps.push(Step::Sleep(700));
            steps.push(Step::Emit(AgentEvent::Queued { position: Some(1) }));
            steps.push(Step::Sleep(700));
            steps.push(Step::Emit(AgentEvent::Connected { agent_name: HUMAN.into() }));
            steps.push(Step::Sleep(400));
            let hello = format!("Hi, I'm {HUMAN}. How can I help?");
            let human =
                AgentMessage { id: format!("{reply_id}-h"), ..message(vec![text_item(&hello)], AgentKind::Human) };
            steps.push(Step::Emit(AgentEvent::Message(human)));
            memory.human = true;
        }
        "/error" if memory.failed_once.insert(request.message_id.clone()) => {
            let error = WidgetError::new(ErrorCode::SendError, "The demo agent failed on purpose (/error).");
            steps.push(Step::Sleep(300));
            steps.push(Step::Emit(AgentEvent::Error(error.with_details(json!({"command": "/error"})))));
        }
        "/error" => steps.push(streamed("Retried: it worked this time.", vec![])),
        "/end" => {
            steps.push(streamed("Thanks for chatting with us. This conversation has ended.", vec![]));
            steps.push(Step::Emit(AgentEvent::Ended));
            *memory = Memory::default();
        }
        "/help" => {
            let list: Vec<String> = COMMANDS.iter().map(|(c, what)| format!("- `{c}`: {what}")).collect();
            steps.push(streamed(&format!("Try these:\n\n{}", list.join("\n")), vec![]));
        }
        _ => steps.push(streamed(&format!("You said: {text}"), vec![])),
    }
    steps
}

impl Agent for DemoAgent {
    fn reply(&self, request: AgentRequest) -> LocalBoxStream<'static, AgentEvent> {
        let (tx, rx) = mpsc::unbounded();
        let rt = self.rt.clone();
        let options = self.options;
        let steps = script(&request, &mut self.memory.borrow_mut(), self.rt.now_ms());
        self.rt.spawn(Box::pin(async move {
            for step in steps {
                match step {
                    // A pace of 0 does not wait at all (a 0 ms timer still costs a browser's
                    // 4 ms clamp per chunk).
                    Step::Sleep(0) if options.think_ms == 0 => {}
                    Step::Sleep(0) => rt.sleep(options.think_ms).await,
                    Step::Sleep(ms) => rt.sleep(ms).await,
                    Step::Emit(ev) => {
                        if tx.unbounded_send(ev).is_err() {
                            return; // the stream was dropped (cancelled)
                        }
                    }
                    Step::Stream { chunks, message } => {
                        for text in chunks {
                            let delta = AgentEvent::Delta { message_id: message.id.clone(), text };
                            if tx.unbounded_send(delta).is_err() {
                                return;
                            }
                            if options.chunk_ms > 0 {
                                rt.sleep(options.chunk_ms).await;
                            }
                        }
                        let _ = tx.unbounded_send(AgentEvent::Message(message));
                    }
                }
            }
        }));
        rx.boxed_local()
    }

    fn reset(&self) {
        *self.memory.borrow_mut() = Memory::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::testing::TestRuntime;
    use futures::executor::LocalPool;

    fn request(text: &str) -> AgentRequest {
        AgentRequest { conversation_id: "c".into(), message_id: "m1".into(), text: text.into(), auth_token: None }
    }

    fn final_message(steps: &[Step]) -> &AgentMessage {
        steps
            .iter()
            .rev()
            .find_map(|s| match s {
                Step::Stream { message, .. } => Some(message),
                Step::Emit(AgentEvent::Message(m)) => Some(m),
                _ => None,
            })
            .expect("a reply")
    }

    #[test]
    fn chunks_concatenate_to_the_text() {
        let text = "You said: hello  wide\nworld";
        assert_eq!(chunks(text).concat(), text);
        assert_eq!(chunks("one")[0], "one");
    }

    #[test]
    fn echoes_as_a_stream_then_a_complete_message() {
        let mut pool = LocalPool::new();
        let rt = TestRuntime::new(&pool);
        let agent = DemoAgent::new(rt.clone(), DemoOptions { think_ms: 0, chunk_ms: 0 });
        let mut stream = agent.reply(request("hi there"));
        let mut seen = Vec::new();
        pool.run_until(async {
            while let Some(ev) = stream.next().await {
                seen.push(ev);
            }
        });
        let deltas: String = seen
            .iter()
            .filter_map(|e| match e {
                AgentEvent::Delta { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(deltas, "You said: hi there");
        let AgentEvent::Message(m) = seen.last().unwrap() else { panic!("no final message") };
        assert_eq!(m.plain_text(), "You said: hi there");
        assert_eq!(m.thread_id, "c");
    }

    #[test]
    fn every_command_has_its_reply() {
        let mut memory = Memory::default();
        let kinds = |text: &str, memory: &mut Memory| -> Vec<String> {
            final_message(&script(&request(text), memory, 0.0)).content.iter().map(|c| c.kind.clone()).collect()
        };
        assert_eq!(kinds("/buttons", &mut memory), ["text", "button", "button"]);
        assert_eq!(kinds("/actions", &mut memory), ["text", "actions"]);
        assert_eq!(kinds("/lead", &mut memory), ["text", "lead_form"]);
        assert_eq!(kinds("/custom", &mut memory), ["text", "user_defined"]);
        assert!(final_message(&script(&request("/markdown"), &mut memory, 0.0)).plain_text().contains("```js"));
    }

    #[test]
    fn long_streams_exactly_n_deltas() {
        let steps = script(&request("/long 120"), &mut Memory::default(), 0.0);
        let Some(Step::Stream { chunks, message }) = steps.iter().find(|s| matches!(s, Step::Stream { .. })) else {
            panic!()
        };
        assert_eq!(chunks.len(), 120);
        assert_eq!(chunks.concat(), message.plain_text());
    }

    #[test]
    fn handoff_queues_connects_and_the_human_answers_next() {
        let mut memory = Memory::default();
        let steps = script(&request("/handoff"), &mut memory, 0.0);
        let events: Vec<&AgentEvent> = steps
            .iter()
            .filter_map(|s| match s {
                Step::Emit(e) => Some(e),
                _ => None,
            })
            .collect();
        assert!(events.contains(&&AgentEvent::Queued { position: Some(2) }));
        assert!(events.contains(&&AgentEvent::Connected { agent_name: HUMAN.into() }));
        assert_eq!(final_message(&steps).from, AgentKind::Human);
        let next = script(&request("my order is late"), &mut memory, 0.0);
        assert_eq!(final_message(&next).agent_name.as_deref(), Some(HUMAN));
    }

    #[test]
    fn error_fails_once_then_the_retry_succeeds() {
        let mut memory = Memory::default();
        let first = script(&request("/error"), &mut memory, 0.0);
        assert!(first.iter().any(|s| matches!(s, Step::Emit(AgentEvent::Error(e)) if e.code == ErrorCode::SendError)));
        let retry = script(&request("/error"), &mut memory, 0.0);
        assert_eq!(final_message(&retry).plain_text(), "Retried: it worked this time.");
    }

    #[test]
    fn end_ends_the_conversation() {
        let steps = script(&request("/end"), &mut Memory::default(), 0.0);
        assert!(steps.contains(&Step::Emit(AgentEvent::Ended)));
    }
}
