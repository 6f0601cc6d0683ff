//! The controller's flows, natively: intents in, events out (in order, with their payloads).

use super::tokens::jwt_expired;
use super::*;
use crate::agent::demo::{DemoAgent, DemoOptions};
use crate::events::testing::{Behaviour, RecordingSink, TestHandler, TestRuntime};
use crate::events::{AgentMessage, Api, MessageState};
use futures::executor::LocalPool;
use serde_json::{Value, json};

struct Fixture {
    pool: LocalPool,
    rt: Rc<TestRuntime>,
    chat: Rc<Chat>,
    log: Rc<RefCell<Vec<String>>>,
    seen: Rc<RefCell<Vec<Value>>>,
    _owner: Owner,
}

impl Fixture {
    fn new(config: Config) -> Self {
        Self::paced(config, DemoOptions { think_ms: 0, chunk_ms: 0 })
    }

    /// With the demo agent's pauses on the manual clock.
    fn paced(config: Config, pace: DemoOptions) -> Self {
        Self::with_agent(config, |rt| Rc::new(DemoAgent::new(rt, pace)))
    }

    /// With the agent `make` builds.
    fn with_agent(config: Config, make: impl FnOnce(Rc<TestRuntime>) -> Rc<dyn Agent>) -> Self {
        let owner = Owner::new();
        owner.set();
        let pool = LocalPool::new();
        let rt = TestRuntime::new(&pool);
        let agent = make(rt.clone());
        let dispatcher = Dispatcher::new(rt.clone(), Rc::new(RecordingSink::default()));
        let chat = Chat::new(config, dispatcher, rt.clone(), agent);
        let f = Fixture { pool, rt, chat, log: Default::default(), seen: Default::default(), _owner: owner };
        f.on(Api::Native, "*", Behaviour::Record);
        f
    }

    fn on(&self, api: Api, name: &str, behaviour: Behaviour) {
        let h = Rc::new(TestHandler { tag: "h", log: self.log.clone(), seen: self.seen.clone(), behaviour });
        self.chat.dispatcher.on(api, name, h, false);
    }

    /// Runs until nothing is left to do, advancing the clock through the agent's pauses.
    fn settle(&mut self) {
        for _ in 0..50 {
            self.pool.run_until_stalled();
            self.rt.advance(1_000.0);
        }
        self.pool.run_until_stalled();
    }

    fn names(&self) -> Vec<String> {
        self.log.borrow().iter().map(|l| l.trim_start_matches("h:").to_owned()).collect()
    }

    fn payloads(&self, name: &str) -> Vec<Value> {
        self.names().iter().zip(self.seen.borrow().iter()).filter(|(n, _)| *n == name).map(|(_, v)| v.clone()).collect()
    }

    fn started(config: Config) -> Self {
        let mut f = Fixture::new(config);
        f.chat.start(500.0, "https://shop.example/products/shoe", None);
        f.settle();
        f.log.borrow_mut().clear();
        f.seen.borrow_mut().clear();
        f
    }
}

fn natives(names: &[String]) -> Vec<&str> {
    names.iter().map(String::as_str).filter(|n| *n != "analytics").collect()
}

#[test]
fn start_up_announces_loaded_visible_ready_in_order() {
    let mut f = Fixture::new(Config::default());
    f.chat.start(500.0, "https://shop.example/", None);
    f.settle();
    assert_eq!(natives(&f.names()), ["chat:loaded", "view:pre:change", "view:change", "chat:visible", "chat:ready"]);
    assert!(f.chat.state.ready.get_untracked());
    assert_eq!(f.chat.state.view.get_untracked(), ViewState::CLOSED);
}

#[test]
fn visibility_rules_keep_the_launcher_hidden() {
    let mut config = Config::default();
    config.visibility.urls = vec!["/help/*".into()];
    let mut f = Fixture::new(config);
    f.chat.start(500.0, "https://shop.example/products/shoe", None);
    f.settle();
    assert_eq!(natives(&f.names()), ["chat:loaded", "chat:ready"]);
    assert_eq!(f.chat.state.view.get_untracked(), ViewState::HIDDEN);
}

#[test]
fn a_message_round_trip() {
    let mut f = Fixture::started(Config::default());
    f.chat.send("hello".into(), vec![]);
    f.settle();
    let names = f.names();
    let names = natives(&names);
    let deltas = names.iter().filter(|n| **n == "pre:stream:delta").count();
    assert!(deltas >= 2, "streamed in chunks");
    let without_deltas: Vec<&str> = names.into_iter().filter(|n| *n != "pre:stream:delta").collect();
    // The window is closed: the reply is unread.
    assert_eq!(without_deltas, ["conversation:started", "pre:send", "send", "pre:receive", "receive", "unread:change"]);
    let ms = f.chat.state.messages.get_untracked();
    assert_eq!(ms.len(), 2);
    assert_eq!(ms[0].status.get_untracked(), Status::Delivered);
    assert_eq!(ms[1].text.get_untracked(), "You said: hello");
    assert!(!ms[1].streaming.get_untracked());
}

/// A delta's payload carries the delta: the message so far travels once, empty, with the first
/// delta (the host side accumulates it), so payloads do not grow with the reply.
#[test]
fn delta_payloads_do_not_grow_with_the_reply() {
    let mut f = Fixture::started(Config::default());
    f.chat.send("/long 300".into(), vec![]);
    f.settle();
    let deltas = f.payloads("pre:stream:delta");
    assert!(deltas.len() >= 300, "{} deltas", deltas.len());
    let first = &deltas[0]["message"];
    assert_eq!(first["content"][0]["text"], "", "the message so far starts empty");
    assert_eq!(first["id"], deltas[0]["messageId"]);
    assert!(deltas[1..].iter().all(|d| d.get("message").is_none()), "sent once per message");
    let size = |d: &Value| d.to_string().len();
    let largest_later = deltas[1..].iter().map(size).max().unwrap();
    let typical = size(&deltas[1]);
    assert!(largest_later < typical + 200, "payloads stay the size of a delta: {largest_later} vs {typical}");
    let streamed: String = deltas.iter().map(|d| d["delta"]["content"][0]["text"].as_str().unwrap_or("")).collect();
    let ms = f.chat.state.messages.get_untracked();
    assert_eq!(ms[1].text.get_untracked(), streamed, "every delta rendered, in order");
}

/// Conversation and message ids come from the platform's secure random source
/// (`crypto.getRandomValues` in the browser), not from `Math.random` or the clock alone.
#[test]
fn ids_come_from_the_secure_random_source() {
    let mut f = Fixture::started(Config::default());
    let before = f.rt.random_bytes.get();
    f.chat.send("hello".into(), vec![]);
    f.settle();
    assert!(f.rt.random_bytes.get() >= before + 16 + 4, "a UUID's 16 bytes and a message id's 4");
    let id = f.chat.state.conversation.get_untracked().unwrap();
    let parts: Vec<&str> = id.split('-').collect();
    assert_eq!(parts.iter().map(|p| p.len()).collect::<Vec<_>>(), [8, 4, 4, 4, 12], "{id}");
    assert!(parts[2].starts_with('4'), "version 4: {id}");
    assert!(matches!(&parts[3][..1], "8" | "9" | "a" | "b"), "RFC 4122 variant: {id}");
}

#[test]
fn a_second_message_keeps_the_conversation() {
    let mut f = Fixture::started(Config::default());
    f.chat.send("one".into(), vec![]);
    f.settle();
    f.chat.send("two".into(), vec![]);
    f.settle();
    assert_eq!(f.names().iter().filter(|n| *n == "conversation:started").count(), 1);
}

#[test]
fn a_suppressed_stream_still_renders_the_final_message() {
    let mut f = Fixture::started(Config::default());
    f.on(Api::Native, "pre:stream:delta", Behaviour::Rewrite(Box::new(|v| v["delta"]["content"] = json!([]))));
    f.chat.send("quiet".into(), vec![]);
    f.settle();
    assert_eq!(f.chat.state.messages.get_untracked()[1].text.get_untracked(), "You said: quiet");
}

#[test]
fn pre_receive_rewrites_what_renders() {
    let mut f = Fixture::started(Config::default());
    f.on(
        Api::Native,
        "pre:receive",
        Behaviour::Rewrite(Box::new(|v| v["message"]["content"][0]["text"] = json!("Rewritten by the host"))),
    );
    f.chat.send("x".into(), vec![]);
    f.settle();
    assert_eq!(f.chat.state.messages.get_untracked()[1].text.get_untracked(), "Rewritten by the host");
    assert_eq!(f.payloads("receive")[0]["message"]["content"][0]["text"], "Rewritten by the host");
}

#[test]
fn view_changes_and_maximize() {
    let mut f = Fixture::started(Config::default());
    f.chat.open();
    f.settle();
    f.chat.set_maximized(true);
    f.settle();
    f.chat.close(ViewChangeReason::MainWindowMinimized);
    f.settle();
    assert_eq!(
        natives(&f.names()),
        [
            "view:pre:change",
            "view:change",
            "view:properties:pre:change",
            "view:properties:change",
            "view:pre:change",
            "view:change"
        ]
    );
    assert_eq!(f.payloads("view:properties:change")[0]["newViewState"], json!({"maximized": true}));
    assert_eq!(f.payloads("view:change")[1]["reason"], "mainWindowMinimized");
}

#[test]
fn a_view_pre_change_handler_can_keep_the_window_closed() {
    let mut f = Fixture::started(Config::default());
    f.on(
        Api::Native,
        "view:pre:change",
        Behaviour::Rewrite(Box::new(|v| v["newViewState"]["mainWindow"] = json!(false))),
    );
    f.chat.open();
    f.settle();
    assert!(!f.chat.state.view.get_untracked().main_window);
}

#[test]
fn restart_ends_the_conversation_and_empties_the_list() {
    let mut f = Fixture::started(Config::default());
    f.chat.send("hi".into(), vec![]);
    f.settle();
    f.log.borrow_mut().clear();
    f.chat.restart();
    f.settle();
    assert_eq!(
        natives(&f.names()),
        ["pre:restartConversation", "conversation:ended", "unread:change", "restartConversation"]
    );
    assert!(f.chat.state.messages.get_untracked().is_empty());
    f.chat.send("again".into(), vec![]);
    f.settle();
    assert!(f.names().contains(&"conversation:started".to_owned()));
}

#[test]
fn a_handler_can_cancel_a_restart() {
    let mut f = Fixture::started(Config::default());
    f.chat.send("hi".into(), vec![]);
    f.settle();
    f.on(Api::Native, "pre:restartConversation", Behaviour::Rewrite(Box::new(|v| v["cancel"] = json!(true))));
    f.chat.restart();
    f.settle();
    assert_eq!(f.chat.state.messages.get_untracked().len(), 2);
}

#[test]
fn handoff_and_end_reach_sa_events() {
    let mut f = Fixture::started(Config::default());
    f.on(Api::Sa, "*", Behaviour::Record);
    f.chat.send("/handoff".into(), vec![]);
    f.settle();
    f.chat.send("/end".into(), vec![]);
    f.settle();
    let names = f.names();
    for name in ["CONTACT_STARTED", "TRANSFER_TO_QUEUE", "CONNECT_TO_AGENT", "CONTACT_ENDED"] {
        assert_eq!(names.iter().filter(|n| *n == name).count(), 1, "{name} once in {names:?}");
    }
    assert_eq!(f.chat.state.handoff.get_untracked(), Handoff::None, "ended");
    assert!(f.chat.state.ended.get_untracked());
    let human = f.chat.state.messages.get_untracked().into_iter().find(|m| m.sender == Sender::Human).unwrap();
    assert_eq!(human.agent_name.as_deref(), Some("Dana"));
    let first = f.chat.state.messages.get_untracked()[0].clone();
    assert_eq!(first.status.get_untracked(), Status::Read, "the human read it");
}

#[test]
fn a_failed_message_is_kept_and_retried() {
    let mut f = Fixture::started(Config::default());
    f.chat.send("/error".into(), vec![]);
    f.settle();
    let user = f.chat.state.messages.get_untracked()[0].clone();
    assert_eq!(user.status.get_untracked(), Status::Failed);
    assert_eq!(f.payloads("error")[0]["code"], "SEND_ERROR");
    f.chat.retry(&user.id);
    f.settle();
    assert_eq!(user.status.get_untracked(), Status::Delivered);
    assert_eq!(
        f.chat.state.messages.get_untracked().last().unwrap().text.get_untracked(),
        "Retried: it worked this time."
    );
}

#[test]
fn response_buttons_fire_custom_event_and_post_back() {
    let mut f = Fixture::started(Config::default());
    f.on(Api::Native, "customEvent", Behaviour::Record);
    f.on(Api::ChatSpark, "action-triggered", Behaviour::Record);
    f.chat.send("/buttons".into(), vec![]);
    f.settle();
    let reply = f.chat.state.messages.get_untracked()[1].clone();
    let yes = reply.items.get_untracked()[0].clone();
    f.log.borrow_mut().clear();
    f.seen.borrow_mut().clear();
    f.chat.click_button(&reply.id, &yes);
    f.settle();
    let names = f.names();
    assert_eq!(&names[..3], ["action:triggered", "customEvent", "action-triggered"]);
    let custom = &f.payloads("customEvent")[0];
    assert_eq!(custom["customEventName"], "buttonItemClicked");
    assert_eq!(custom["contentItem"]["label"], "Yes");
    assert!(names.contains(&"send".to_owned()), "post_back sends the value");
}

#[test]
fn user_defined_items_go_to_the_host() {
    let mut f = Fixture::started(Config::default());
    f.chat.send("/custom".into(), vec![]);
    f.settle();
    let ud = &f.payloads("userDefinedResponse")[0];
    assert_eq!(ud["contentItem"]["type"], "user_defined");
    assert_eq!(ud["contentItem"]["user_defined"]["orderId"], "A-1042");
    let names = f.names();
    let ud_at = names.iter().position(|n| n == "userDefinedResponse").unwrap();
    let receive_at = names.iter().position(|n| n == "receive").unwrap();
    assert!(ud_at < receive_at);
}

#[test]
fn actions_lead_feedback_files_and_user() {
    let mut f = Fixture::started(Config::default());
    let link = Action {
        id: "docs".into(),
        kind: ActionKind::Link,
        label: Some("Docs".into()),
        primary: false,
        url: Some("https://example.com/docs".into()),
        fields: vec![],
    };
    f.chat.trigger_action(&link, Map::new());
    let mut lead = Map::new();
    lead.insert("email".into(), json!("ada@example.com"));
    f.chat.submit_lead(lead);
    f.chat.send("rate me".into(), vec![]);
    f.settle();
    let reply_id =
        f.chat.state.messages.get_untracked().iter().rev().find(|m| m.sender == Sender::Agent).unwrap().id.clone();
    f.chat.feedback(&reply_id, false, None);
    f.chat.feedback(&reply_id, false, Some(("wrong size".into(), vec!["Inaccurate".into()])));
    f.chat.attached(Attachment { name: "a.png".into(), file_type: "image/png".into(), file_size: 10.0 });
    let mut user = Map::new();
    user.insert("name".into(), json!("Ada"));
    f.chat.update_user(user);
    f.settle();
    assert_eq!(f.payloads("action:triggered")[0]["data"], json!({"url": "https://example.com/docs"}));
    assert_eq!(f.payloads("lead:captured")[0]["lead"], json!({"email": "ada@example.com"}));
    let fb = f.payloads("feedback");
    assert_eq!(
        (fb[0]["interactionType"].clone(), fb[1]["interactionType"].clone()),
        (json!("button"), json!("details"))
    );
    assert_eq!(fb[1]["categories"], json!(["Inaccurate"]));
    assert_eq!(fb[1]["isPositive"], false);
    assert_eq!(f.payloads("attachment:uploaded")[0]["fileSize"], 10.0);
    assert_eq!(f.payloads("user:updated")[0]["user"]["name"], "Ada");
}

fn jwt(exp_s: u64) -> String {
    let b64 = |s: &str| {
        // Test-side encoder for the fixture only.
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let bytes = s.as_bytes();
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b)) << (8 * (3 - chunk.len()));
            for i in 0..=chunk.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        out
    };
    format!("{}.{}.sig", b64(r#"{"alg":"HS256"}"#), b64(&format!(r#"{{"sub":"v","exp":{exp_s}}}"#)))
}

#[test]
fn jwt_expiry() {
    assert!(jwt_expired(&jwt(10), 10_000.0));
    assert!(!jwt_expired(&jwt(11), 10_000.0));
    assert!(!jwt_expired("opaque-token", 1e15));
}

#[test]
fn an_expired_token_is_refreshed_through_auth_token_needed() {
    let config = Config { auth_token: Some(jwt(0)), ..Config::default() };
    let mut f = Fixture::started(config);
    f.on(Api::Native, "authTokenNeeded", Behaviour::Rewrite(Box::new(|v| v["authToken"] = json!("fresh"))));
    f.chat.send("hi".into(), vec![]);
    f.settle();
    assert_eq!(f.payloads("authTokenNeeded")[0]["authToken"], json!(jwt(0)));
    assert_eq!(f.chat.auth_token.borrow().as_deref(), Some("fresh"));
}

#[test]
fn load_thread_rejects_malformed_messages() {
    let mut f = Fixture::started(Config::default());
    let good = ThreadMessage {
        id: "a".into(),
        sender: "user".into(),
        content: vec![ContentItem::text("a-0", "earlier")],
        message_state: MessageState { timestamp: Some(1.0), ..MessageState::default() },
    };
    let bad = ThreadMessage {
        id: "b".into(),
        sender: "alien".into(),
        content: vec![],
        message_state: MessageState::default(),
    };
    f.chat.load_thread(vec![good, bad]);
    f.settle();
    assert_eq!(f.chat.state.messages.get_untracked().len(), 1);
    assert_eq!(f.payloads("error")[0]["code"], "PROTOCOL_ERROR");
    assert_eq!(f.names()[0], "pre:threadLoaded");
}

#[test]
fn malformed_agent_messages_are_rejected() {
    let empty = AgentMessage {
        id: "r".into(),
        thread_id: "t".into(),
        content: vec![],
        timestamp: 0.0,
        from: Default::default(),
        agent_name: None,
    };
    assert!(check_agent_message(&empty).is_err());
    let unlabeled =
        AgentMessage { content: vec![ContentItem { kind: "button".into(), ..Default::default() }], ..empty };
    assert!(check_agent_message(&unlabeled).unwrap_err().contains("no label"));
}

#[test]
fn unread_counts_replies_while_closed() {
    let mut f = Fixture::started(Config::default());
    f.chat.send("hi".into(), vec![]);
    f.settle();
    assert_eq!(f.chat.state.unread.get_untracked(), 1);
    f.chat.open();
    f.settle();
    assert_eq!(f.chat.state.unread.get_untracked(), 0);
    assert_eq!(
        f.payloads("unread:change"),
        [json!({"type": "unread:change", "count": 1}), json!({"type": "unread:change", "count": 0})]
    );
    // Window open, page hidden: counted; shown again: seen.
    f.chat.page_visibility(true);
    f.chat.send("again".into(), vec![]);
    f.settle();
    assert_eq!(f.chat.state.unread.get_untracked(), 1);
    f.chat.page_visibility(false);
    assert_eq!(f.chat.state.unread.get_untracked(), 0);
    // Window open, page visible: nothing to count.
    f.chat.send("seen".into(), vec![]);
    f.settle();
    assert_eq!(f.chat.state.unread.get_untracked(), 0);
    assert_eq!(f.payloads("unread:change").len(), 4);
}

#[test]
fn every_queued_message_goes_out_when_back_online() {
    let mut f = Fixture::started(Config::default());
    for text in ["first", "second", "third"] {
        let m = Message::new(text, Sender::User, 1.0, text, Status::Queued);
        f.chat.state.push(m);
    }
    f.chat.ensure_conversation();
    f.chat.resend_queued();
    f.settle();
    let replies: Vec<String> = f
        .chat
        .state
        .messages
        .get_untracked()
        .iter()
        .filter(|m| m.sender == Sender::Agent)
        .map(|m| m.text.get_untracked())
        .collect();
    assert_eq!(replies, ["You said: first", "You said: second", "You said: third"]);
    assert!(!f.chat.state.busy.get_untracked());
}

#[test]
fn stop_ends_every_reply_in_progress() {
    let mut f = Fixture::paced(Config::default(), DemoOptions { think_ms: 10, chunk_ms: 100 });
    f.chat.start(500.0, "https://shop.example/", None);
    f.pool.run_until_stalled();
    f.chat.send("/long 50".into(), vec![]);
    f.chat.send("/long 50".into(), vec![]);
    for _ in 0..5 {
        f.pool.run_until_stalled();
        f.rt.advance(100.0);
    }
    f.pool.run_until_stalled();
    let streaming = f.chat.state.messages.get_untracked().iter().filter(|m| m.streaming.get_untracked()).count();
    assert_eq!(streaming, 2, "both replies are streaming");
    assert!(f.chat.state.busy.get_untracked());
    f.chat.stop();
    f.settle();
    assert!(!f.chat.state.busy.get_untracked());
    assert!(f.chat.state.messages.get_untracked().iter().all(|m| !m.streaming.get_untracked()));
    assert!(!f.names().contains(&"receive".to_owned()), "stopped replies are not received");
}

#[test]
fn a_reload_mid_handoff_keeps_the_human_the_notices_and_the_unread_count() {
    let mut f = Fixture::started(Config::default());
    f.chat.send("/handoff".into(), vec![]);
    f.settle();
    let before = f.chat.state.messages.get_untracked();
    assert!(before.iter().any(|m| m.notice.is_some()), "the handoff left notices");
    assert!(matches!(f.chat.state.handoff.get_untracked(), Handoff::Connected(_)));
    assert!(f.chat.state.unread.get_untracked() > 0);
    let order = |ms: &[Message]| ms.iter().map(|m| (m.id.clone(), m.notice.clone())).collect::<Vec<_>>();
    let text = crate::persist::Snapshot::of(&f.chat.state).to_text();
    let stored = crate::persist::Snapshot::parse(&text).unwrap().for_restore();
    let mut g = Fixture::new(Config::default());
    g.chat.start(500.0, "https://shop.example/", Some(stored));
    g.settle();
    assert_eq!(g.chat.state.handoff.get_untracked(), f.chat.state.handoff.get_untracked());
    assert_eq!(g.chat.state.unread.get_untracked(), f.chat.state.unread.get_untracked());
    assert_eq!(order(&g.chat.state.messages.get_untracked()), order(&before));
}

// ----- the live channel ------------------------------------------------------------------------

mod live_channel {
    use super::*;
    use crate::agent::{AgentEvent, AgentRequest, LiveEvent, LiveRequest, SignalRequest, VisitorSignal};
    use crate::config::{AgentConfig, LiveEvents};
    use crate::events::{AgentKind, ContentItem};
    use futures::StreamExt;
    use futures::channel::mpsc::{UnboundedSender, unbounded};
    use futures::stream::LocalBoxStream;

    /// An HTTP-like agent whose replies are scripted and whose live connections the test drives.
    #[derive(Default)]
    struct Scripted {
        replies: RefCell<Vec<Vec<AgentEvent>>>,
        connections: RefCell<Vec<(LiveRequest, UnboundedSender<LiveEvent>)>>,
        signals: RefCell<Vec<SignalRequest>>,
    }

    impl Agent for Scripted {
        fn reply(&self, _: AgentRequest) -> LocalBoxStream<'static, AgentEvent> {
            let events = self.replies.borrow_mut().remove(0);
            futures::stream::iter(events).boxed_local()
        }

        fn events(&self, request: LiveRequest) -> Option<LocalBoxStream<'static, LiveEvent>> {
            let (tx, rx) = unbounded();
            self.connections.borrow_mut().push((request, tx));
            Some(rx.boxed_local())
        }

        fn signal(&self, request: SignalRequest) {
            self.signals.borrow_mut().push(request);
        }
    }

    impl Scripted {
        fn push(&self, event: LiveEvent) {
            let connections = self.connections.borrow();
            connections.last().expect("a connection").1.unbounded_send(event).expect("the stream is open");
        }

        fn signals(&self) -> Vec<VisitorSignal> {
            self.signals.borrow().iter().map(|r| r.signal.clone()).collect()
        }

        fn requests(&self) -> Vec<LiveRequest> {
            self.connections.borrow().iter().map(|(r, _)| r.clone()).collect()
        }

        fn open(&self) -> bool {
            self.connections.borrow().last().is_some_and(|(_, tx)| !tx.is_closed())
        }
    }

    fn human(id: &str, text: &str) -> AgentMessage {
        AgentMessage {
            id: id.into(),
            thread_id: "c".into(),
            content: vec![ContentItem::text(format!("{id}-0"), text)],
            timestamp: 1.0,
            from: AgentKind::Human,
            agent_name: Some("Dana".into()),
        }
    }

    fn event(id: u32, event: AgentEvent) -> LiveEvent {
        LiveEvent::Event { id: Some(id.to_string()), event }
    }

    fn http(events: LiveEvents) -> Config {
        Config { agent: AgentConfig::Http { url: "/api".into(), events }, ..Config::default() }
    }

    fn fixture(config: Config, replies: Vec<Vec<AgentEvent>>) -> (Fixture, Rc<Scripted>) {
        let agent = Rc::new(Scripted { replies: RefCell::new(replies), ..Scripted::default() });
        let shared = agent.clone();
        let mut f = Fixture::with_agent(config, move |_| shared);
        f.chat.start(500.0, "https://shop.example/", None);
        f.settle();
        f.log.borrow_mut().clear();
        f.seen.borrow_mut().clear();
        (f, agent)
    }

    fn queued_reply() -> Vec<AgentEvent> {
        let mut bot = human("b-1", "Let me connect you.");
        bot.from = AgentKind::Bot;
        bot.agent_name = None;
        vec![AgentEvent::Accepted, AgentEvent::Message(bot), AgentEvent::Queued { position: Some(1) }]
    }

    fn count(names: &[String], name: &str) -> usize {
        names.iter().filter(|n| *n == name).count()
    }

    /// The whole handoff on the live channel: opened by `queued`, a drop mid-way resumed with
    /// the last id, nothing lost or shown twice, the host's events in order, closed by `ended`.
    #[test]
    fn a_handoff_goes_on_over_the_live_channel_and_survives_a_drop() {
        let (mut f, agent) = fixture(http(LiveEvents::Handoff), vec![queued_reply()]);
        f.on(Api::Sa, "*", Behaviour::Record);
        f.chat.send("a human, please".into(), vec![]);
        f.settle();
        assert_eq!(agent.requests().len(), 1, "queued opens the stream");
        assert_eq!(agent.requests()[0].last_event_id, None);
        let user = f.chat.state.messages.get_untracked()[0].id.clone();
        agent.push(LiveEvent::Opened);
        agent.push(event(1, AgentEvent::Connected { agent_name: "Dana".into() }));
        agent.push(event(2, AgentEvent::Typing));
        f.pool.run_until_stalled();
        assert!(f.chat.state.typing.get_untracked(), "the human is typing");
        f.settle();
        assert!(!f.chat.state.typing.get_untracked(), "the indicator goes after a while without typing");
        agent.push(event(3, AgentEvent::Message(human("h-1", "Hi, I'm Dana"))));
        agent.push(event(3, AgentEvent::Message(human("h-1", "Hi, I'm Dana"))));
        agent.push(event(4, AgentEvent::Message(human("b-1", "the bot's message again"))));
        agent.push(LiveEvent::Read { id: Some("5".into()), message_id: user.clone() });
        f.settle();
        assert!(!f.chat.state.typing.get_untracked());
        assert_eq!(f.chat.state.live_event_id.get_untracked().as_deref(), Some("5"));
        // The connection drops: the widget comes back after a backoff, from event 5.
        agent.push(LiveEvent::Dropped { why: "reset".into(), retry_after_ms: None });
        f.pool.run_until_stalled();
        assert_eq!(agent.requests().len(), 1, "not at once: after a backoff");
        f.settle();
        assert_eq!(agent.requests().len(), 2);
        assert_eq!(agent.requests()[1].last_event_id.as_deref(), Some("5"));
        agent.push(LiveEvent::Opened);
        agent.push(event(3, AgentEvent::Message(human("h-1", "Hi, I'm Dana"))));
        agent.push(event(6, AgentEvent::Message(human("h-2", "Anything else?"))));
        agent.push(event(7, AgentEvent::Ended));
        f.settle();
        assert!(!agent.open(), "ended closes the stream");
        assert_eq!(agent.requests().len(), 2, "and it stays closed");
        let names = f.names();
        let lifecycle: Vec<&str> = names
            .iter()
            .map(String::as_str)
            .filter(|n| {
                n.starts_with("handoff:")
                    || *n == "conversation:ended"
                    || n.chars().all(|c| c.is_ascii_uppercase() || c == '_')
            })
            .collect();
        assert_eq!(
            lifecycle,
            [
                "CHAT_LOADED",
                "CHAT_VISIBLE",
                "CONTACT_STARTED",
                "handoff:queued",
                "TRANSFER_TO_QUEUE",
                "handoff:connected",
                "CONNECT_TO_AGENT",
                "conversation:ended",
                "CONTACT_ENDED"
            ]
        );
        assert_eq!(count(&names, "receive"), 3, "the bot's message, h-1 and h-2, once each: {names:?}");
        let ids: Vec<String> =
            f.chat.state.messages.get_untracked().iter().filter(|m| m.notice.is_none()).map(|m| m.id.clone()).collect();
        assert_eq!(ids, [user.as_str(), "b-1", "h-1", "h-2"]);
        assert_eq!(f.chat.state.message(&user).unwrap().status.get_untracked(), Status::Read);
        assert_eq!(f.chat.state.live_event_id.get_untracked(), None, "a new conversation starts afresh");
    }

    /// The visitor's side of a hand-off: typing reaches the person while one has (or is about to
    /// have) the conversation, at most once per 2 s; the person's latest message is reported
    /// read once the visitor can see it, and only once.
    #[test]
    fn the_person_sees_the_visitor_typing_and_reading() {
        let mut config = http(LiveEvents::Handoff);
        config.auth_token = Some("t".into());
        let (mut f, agent) = fixture(config, vec![queued_reply()]);
        f.chat.visitor_typing();
        assert!(agent.signals().is_empty(), "no hand-off: nobody to tell");
        f.chat.send("a human, please".into(), vec![]);
        f.settle();
        f.chat.visitor_typing();
        f.chat.visitor_typing();
        f.rt.advance(1_000.0);
        f.chat.visitor_typing();
        assert_eq!(agent.signals(), [VisitorSignal::Typing], "at most one per 2 s");
        f.rt.advance(1_000.0);
        f.chat.visitor_typing();
        assert_eq!(agent.signals(), [VisitorSignal::Typing, VisitorSignal::Typing]);
        let request = agent.signals.borrow()[0].clone();
        assert_eq!(Some(request.conversation_id), f.chat.state.conversation.get_untracked());
        assert_eq!(request.auth_token.as_deref(), Some("t"));
        // The person writes while the window is closed: not read yet.
        agent.push(LiveEvent::Opened);
        agent.push(event(1, AgentEvent::Connected { agent_name: "Dana".into() }));
        agent.push(event(2, AgentEvent::Message(human("h-1", "Hi, I'm Dana"))));
        f.settle();
        assert_eq!(agent.signals().len(), 2, "the window is closed: not read");
        f.chat.open();
        f.settle();
        let read = |id: &str| VisitorSignal::Read { message_id: id.into() };
        assert_eq!(agent.signals().last(), Some(&read("h-1")), "seen when the window opens");
        agent.push(event(3, AgentEvent::Message(human("h-2", "Anything else?"))));
        f.settle();
        assert_eq!(agent.signals().last(), Some(&read("h-2")), "seen as it arrives");
        f.chat.page_visibility(true);
        f.chat.page_visibility(false);
        f.chat.close(ViewChangeReason::CalledChangeView);
        f.chat.open();
        f.settle();
        let reads = agent.signals().iter().filter(|s| matches!(s, VisitorSignal::Read { .. })).count();
        assert_eq!(reads, 2, "each reported once");
    }

    /// The visitor or the host ending a handed-off conversation tells the server; the person
    /// ending it does not come back as a signal, nor does a conversation no one was handed.
    #[test]
    fn ending_a_handoff_from_the_visitors_side_tells_the_server() {
        let end = |ending: &dyn Fn(&Fixture)| {
            let (mut f, agent) = fixture(http(LiveEvents::Handoff), vec![queued_reply()]);
            f.chat.send("a human, please".into(), vec![]);
            f.settle();
            ending(&f);
            f.settle();
            agent.signals()
        };
        assert_eq!(end(&|f| f.chat.end_conversation(EndReason::User)), [VisitorSignal::End]);
        assert_eq!(end(&|f| f.chat.end_conversation(EndReason::Host)), [VisitorSignal::End]);
        assert_eq!(end(&|f| f.chat.restart()), [VisitorSignal::End]);
        assert_eq!(end(&|f| f.chat.end_conversation(EndReason::Agent)), []);
        let (mut f, agent) = fixture(http(LiveEvents::Handoff), vec![vec![AgentEvent::Accepted]]);
        f.chat.send("hi".into(), vec![]);
        f.settle();
        f.chat.end_conversation(EndReason::User);
        f.settle();
        assert_eq!(agent.signals(), [], "no hand-off: nobody to tell");
    }

    /// A conversation handed off with the token "old", whose host renews it to "new".
    fn handed_off_with_renewal() -> (Fixture, Rc<Scripted>) {
        let mut config = http(LiveEvents::Handoff);
        config.auth_token = Some("old".into());
        let (mut f, agent) = fixture(config, vec![queued_reply()]);
        f.on(Api::Native, "authTokenNeeded", Behaviour::Rewrite(Box::new(|v| v["authToken"] = json!("new"))));
        f.chat.send("help".into(), vec![]);
        f.settle();
        (f, agent)
    }

    #[test]
    fn a_401_renews_the_token_once_and_a_refusal_ends_the_channel() {
        let (mut f, agent) = handed_off_with_renewal();
        assert_eq!(agent.requests()[0].auth_token.as_deref(), Some("old"));
        agent.push(LiveEvent::AuthExpired);
        f.pool.run_until_stalled();
        assert_eq!(agent.requests().len(), 2, "renewed and retried at once");
        assert_eq!(agent.requests()[1].auth_token.as_deref(), Some("new"));
        agent.push(LiveEvent::Opened);
        agent.push(LiveEvent::Refused(WidgetError::new(
            ErrorCode::ConnectionError,
            "The live channel was refused (HTTP 404).",
        )));
        f.settle();
        assert_eq!(agent.requests().len(), 2, "no retry after a refusal");
        let errors = f.payloads("error");
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0]["code"], "CONNECTION_ERROR");
        assert!(!f.chat.state.ended.get_untracked(), "the conversation goes on");
    }

    #[test]
    fn a_second_401_in_a_row_is_an_auth_error() {
        let (mut f, agent) = handed_off_with_renewal();
        agent.push(LiveEvent::AuthExpired);
        f.settle();
        agent.push(LiveEvent::AuthExpired);
        f.settle();
        assert_eq!(agent.requests().len(), 2);
        assert_eq!(f.payloads("error").iter().map(|e| e["code"].clone()).collect::<Vec<_>>(), [json!("AUTH_ERROR")]);
    }

    #[test]
    fn always_opens_at_the_first_reply_and_a_reload_resumes_from_the_stored_id() {
        let hello = vec![AgentEvent::Accepted, AgentEvent::Message(human("b-1", "Hello"))];
        let (mut f, agent) = fixture(http(LiveEvents::Always), vec![hello]);
        f.chat.send("hi".into(), vec![]);
        f.settle();
        assert_eq!(agent.requests().len(), 1, "open without a handoff");
        agent.push(LiveEvent::Opened);
        agent.push(event(41, AgentEvent::Typing));
        agent.push(event(42, AgentEvent::Message(human("h-1", "A human says hi"))));
        f.settle();
        let text = crate::persist::Snapshot::of(&f.chat.state).to_text();
        let stored = crate::persist::Snapshot::parse(&text).unwrap().for_restore();
        assert_eq!(stored.last_event_id.as_deref(), Some("42"));
        // The page reloads mid-handoff, in the default mode: the stream reopens where it was.
        let mut stored = stored;
        stored.handoff = Handoff::Connected("Dana".into());
        let (g, again) = {
            let agent = Rc::new(Scripted::default());
            let shared = agent.clone();
            let mut g = Fixture::with_agent(http(LiveEvents::Handoff), move |_| shared);
            g.chat.start(500.0, "https://shop.example/", Some(stored));
            g.settle();
            (g, agent)
        };
        assert_eq!(again.requests().len(), 1);
        assert_eq!(again.requests()[0].last_event_id.as_deref(), Some("42"));
        // Restart closes it.
        g.chat.restart();
        let mut g = g;
        g.settle();
        assert!(!again.open());
    }

    #[test]
    fn the_demo_agent_has_no_live_channel() {
        let mut f = Fixture::started(Config::default());
        f.chat.send("/handoff".into(), vec![]);
        f.settle();
        assert!(!f.names().contains(&"error".to_owned()), "{:?}", f.names());
    }
}
