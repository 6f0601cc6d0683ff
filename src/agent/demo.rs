//! The embedded demo agent: no server, deterministic, streams its replies.
//!
//! Any text gets the streamed reply `You said: <text>`.

use super::{Agent, AgentEvent, AgentRequest};
use crate::events::{AgentMessage, ContentItem, Runtime};
use futures::StreamExt;
use futures::channel::mpsc;
use futures::stream::LocalBoxStream;
use std::rc::Rc;

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

/// The demo agent.
pub struct DemoAgent {
    rt: Rc<dyn Runtime>,
    options: DemoOptions,
}

impl DemoAgent {
    /// A demo agent on `rt`.
    pub fn new(rt: Rc<dyn Runtime>, options: DemoOptions) -> Self {
        DemoAgent { rt, options }
    }
}

/// Splits `text` into word-sized chunks that concatenate back to `text`.
pub fn chunks(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for ch in text.chars() {
        current.push(ch);
        if ch == ' ' {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

impl Agent for DemoAgent {
    fn reply(&self, request: AgentRequest) -> LocalBoxStream<'static, AgentEvent> {
        let (tx, rx) = mpsc::unbounded();
        let rt = self.rt.clone();
        let options = self.options;
        let reply_id = format!("{}-r", request.message_id);
        let text = format!("You said: {}", request.text);
        self.rt.spawn(Box::pin(async move {
            let _ = tx.unbounded_send(AgentEvent::Typing);
            rt.sleep(options.think_ms).await;
            for chunk in chunks(&text) {
                let _ = tx.unbounded_send(AgentEvent::Delta { message_id: reply_id.clone(), text: chunk });
                rt.sleep(options.chunk_ms).await;
            }
            let message = AgentMessage {
                id: reply_id.clone(),
                thread_id: request.conversation_id,
                content: vec![ContentItem::text(format!("{reply_id}-0"), text)],
                timestamp: rt.now_ms(),
            };
            let _ = tx.unbounded_send(AgentEvent::Message(message));
        }));
        rx.boxed_local()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::dispatcher::testing::TestRuntime;
    use futures::executor::LocalPool;

    #[test]
    fn chunks_concatenate_to_the_text() {
        let text = "You said: hello  wide world";
        assert_eq!(chunks(text).concat(), text);
        assert_eq!(chunks("one")[0], "one");
    }

    #[test]
    fn echoes_as_a_stream_then_a_complete_message() {
        let mut pool = LocalPool::new();
        let rt = TestRuntime::new(&pool);
        let agent = DemoAgent::new(rt.clone(), DemoOptions { think_ms: 0, chunk_ms: 0 });
        let mut stream =
            agent.reply(AgentRequest { conversation_id: "c".into(), message_id: "m1".into(), text: "hi there".into() });
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
}
