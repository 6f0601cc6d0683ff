//! Component tests in a real browser (wasm-bindgen-test + headless Chromium): mount the widget,
//! click and type like a visitor, assert the DOM and the `colloquy:*` DOM events.
#![cfg(target_arch = "wasm32")]

use colloquy::chat::Chat;
use colloquy::config::Config;
use colloquy::events::{AgentMessage, ContentItem, ViewChangeReason};
use colloquy::host::WebRuntime;
use colloquy::host::js::DomSink;
use colloquy::widget::{build_chat, mount};
use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;
use web_sys::{HtmlElement, HtmlTextAreaElement};

wasm_bindgen_test_configure!(run_in_browser);

fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

/// A mounted widget and the DOM events it dispatched.
struct Mounted {
    root: HtmlElement,
    chat: Rc<Chat>,
    events: Rc<RefCell<Vec<(String, serde_json::Value)>>>,
    _handle: Box<dyn std::any::Any>,
}

const EVENTS: &[&str] = &[
    "chat:ready",
    "view:change",
    "send",
    "receive",
    "action:triggered",
    "lead:captured",
    "feedback",
    "restartConversation",
    "attachment:uploaded",
];

async fn widget(config: serde_json::Value) -> Mounted {
    let root: HtmlElement = document().create_element("div").unwrap().unchecked_into();
    document().body().unwrap().append_child(&root).unwrap();
    let events = Rc::new(RefCell::new(Vec::new()));
    for name in EVENTS {
        let events = events.clone();
        let owned = name.to_string();
        let cb = Closure::<dyn Fn(web_sys::CustomEvent)>::new(move |e: web_sys::CustomEvent| {
            let detail = colloquy::host::js::from_js(&e.detail()).unwrap_or_default();
            events.borrow_mut().push((owned.clone(), detail));
        });
        root.add_event_listener_with_callback(&format!("colloquy:{name}"), cb.as_ref().unchecked_ref()).unwrap();
        cb.forget();
    }
    let (config, issues) = Config::parse(&config);
    assert!(issues.is_empty(), "{issues:?}");
    let chat = build_chat(config, Rc::new(WebRuntime), Rc::new(DomSink(root.clone().into())));
    let handle = mount(root.clone(), chat.clone());
    chat.start(js_sys::Date::now(), "https://shop.example/", None);
    let m = Mounted { root, chat, events, _handle: Box::new(handle) };
    m.wait("the launcher", |m| m.find(".cq-launcher:not([disabled])")).await;
    m
}

impl Mounted {
    fn find(&self, selector: &str) -> Option<HtmlElement> {
        self.root.query_selector(selector).ok().flatten().map(|e| e.unchecked_into())
    }

    fn all(&self, selector: &str) -> Vec<HtmlElement> {
        let list = self.root.query_selector_all(selector).unwrap();
        (0..list.length()).filter_map(|i| list.item(i)).map(|n| n.unchecked_into()).collect()
    }

    fn text(&self, selector: &str) -> String {
        self.find(selector).and_then(|e| e.text_content()).unwrap_or_default()
    }

    fn names(&self) -> Vec<String> {
        self.events.borrow().iter().map(|(n, _)| n.clone()).collect()
    }

    fn detail(&self, name: &str) -> serde_json::Value {
        self.events.borrow().iter().rev().find(|(n, _)| n == name).map(|(_, d)| d.clone()).unwrap_or_default()
    }

    /// Polls `probe` every 10 ms for up to 5 s.
    async fn wait<T>(&self, what: &str, mut probe: impl FnMut(&Self) -> Option<T>) -> T {
        for _ in 0..500 {
            if let Some(v) = probe(self) {
                return v;
            }
            TimeoutFuture::new(10).await;
        }
        panic!("timed out waiting for {what}");
    }

    async fn open(&self) -> HtmlTextAreaElement {
        // The launcher's name carries the unread count ("Open chat, 1 unread message").
        self.find("button.cq-launcher[aria-label^='Open chat']").unwrap().click();
        self.wait("the message box", |m| {
            m.find("[role=dialog]:not([hidden]) textarea[aria-label='Message']:not([disabled])")
        })
        .await
        .unchecked_into()
    }

    async fn type_and_send(&self, input: &HtmlTextAreaElement, text: &str) {
        input.set_value(text);
        input.dispatch_event(&web_sys::Event::new("input").unwrap()).unwrap();
        self.wait("an enabled send button", |m| m.find("button[aria-label='Send']:not([disabled])")).await.click();
    }

    async fn reply(&self, text: &str) -> HtmlElement {
        self.wait(&format!("the reply {text:?}"), |m| {
            m.all(".cq-message--agent[aria-busy=false]")
                .into_iter()
                .find(|e| e.text_content().unwrap_or_default().contains(text))
        })
        .await
    }
}

fn key(target: &HtmlElement, key: &str, shift: bool) -> bool {
    let init = web_sys::KeyboardEventInit::new();
    init.set_key(key);
    init.set_shift_key(shift);
    init.set_bubbles(true);
    init.set_cancelable(true);
    let ev = web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
    target.dispatch_event(&ev).unwrap()
}

#[wasm_bindgen_test]
async fn the_launcher_opens_the_window_and_the_demo_agent_echoes() {
    let w = widget(serde_json::json!({})).await;
    assert!(w.find("[role=dialog]").unwrap().has_attribute("hidden"), "the window starts closed");
    let input = w.open().await;
    w.wait("focus in the message box", |_| {
        (document().active_element().map(|e| e.unchecked_into::<HtmlElement>()) == Some(input.clone().into()))
            .then_some(())
    })
    .await;
    w.type_and_send(&input, "hello there").await;
    w.wait("the user's message", |m| (m.text(".cq-message--user .cq-text") == "hello there").then_some(())).await;
    assert_eq!(input.value(), "", "the composer clears after sending");
    w.reply("You said: hello there").await;
    let names = w.names();
    assert_eq!(names, ["view:change", "chat:ready", "view:change", "send", "receive"], "{:?}", w.events.borrow());
}

#[wasm_bindgen_test]
async fn enter_sends_and_shift_enter_does_not() {
    let w = widget(serde_json::json!({})).await;
    let input = w.open().await;
    input.set_value("line one");
    input.dispatch_event(&web_sys::Event::new("input").unwrap()).unwrap();
    assert!(key(input.unchecked_ref(), "Enter", true), "Shift+Enter keeps its default: a new line");
    TimeoutFuture::new(50).await;
    assert!(w.find(".cq-message--user").is_none());
    assert!(!key(input.unchecked_ref(), "Enter", false), "Enter is taken over");
    w.wait("the sent message", |m| m.find(".cq-message--user")).await;
}

#[wasm_bindgen_test]
async fn escape_closes_the_window_and_focus_returns_to_the_launcher() {
    let w = widget(serde_json::json!({})).await;
    w.open().await;
    let dialog = w.find("[role=dialog]").unwrap();
    key(&dialog, "Escape", false);
    w.wait("the window to close", |m| m.find("[role=dialog][hidden]")).await;
    let launcher = w.find("button[aria-label='Open chat']").unwrap();
    w.wait("focus on the launcher", |_| {
        (document().active_element().map(|e| e.unchecked_into::<HtmlElement>()) == Some(launcher.clone())).then_some(())
    })
    .await;
    assert_eq!(w.detail("view:change")["reason"], "mainWindowClosed");
}

#[wasm_bindgen_test]
async fn the_composer_counts_characters_and_blocks_overlong_messages() {
    let w = widget(serde_json::json!({"maxLength": 10})).await;
    let input = w.open().await;
    input.set_value("12345678901");
    input.dispatch_event(&web_sys::Event::new("input").unwrap()).unwrap();
    let counter = w.wait("the counter", |m| m.find(".cq-counter:not([hidden])")).await;
    assert_eq!(counter.text_content().unwrap(), "1 characters over the limit");
    assert!(w.find("button[aria-label='Send']").unwrap().has_attribute("disabled"));
    input.set_value("123456789");
    input.dispatch_event(&web_sys::Event::new("input").unwrap()).unwrap();
    w.wait("the count", |m| (m.text(".cq-counter") == "9/10").then_some(())).await;
}

#[wasm_bindgen_test]
async fn markdown_replies_render_as_nodes_and_links_open_safely() {
    let w = widget(serde_json::json!({})).await;
    let input = w.open().await;
    w.type_and_send(&input, "/markdown").await;
    let reply = w.reply("Markdown tour").await;
    let link: HtmlElement =
        reply.query_selector("a[href='https://example.com/docs']").unwrap().unwrap().unchecked_into();
    assert_eq!(link.get_attribute("target").as_deref(), Some("_blank"));
    assert_eq!(link.get_attribute("rel").as_deref(), Some("noopener noreferrer"));
    assert!(reply.query_selector("pre code.language-js").unwrap().is_some());
    assert!(reply.query_selector("h3").unwrap().is_some());
    assert!(reply.query_selector("ol li").unwrap().is_some());
}

#[wasm_bindgen_test]
async fn agent_html_is_text() {
    let w = widget(serde_json::json!({})).await;
    let input = w.open().await;
    w.type_and_send(&input, "<img src=x onerror=alert(1)> <script>bad()</script>").await;
    let reply = w.reply("You said:").await;
    assert!(reply.query_selector("img, script").unwrap().is_none());
    assert!(reply.text_content().unwrap().contains("<img src=x onerror=alert(1)>"));
}

#[wasm_bindgen_test]
async fn streamed_text_grows_in_place() {
    let w = widget(serde_json::json!({"agent": {"kind": "demo", "chunkMs": 40}})).await;
    let input = w.open().await;
    w.type_and_send(&input, "/long 30").await;
    let streaming = w.wait("a streaming reply", |m| m.find(".cq-message--agent[aria-busy=true]")).await;
    let early = streaming.text_content().unwrap_or_default().len();
    TimeoutFuture::new(300).await;
    let later = streaming.text_content().unwrap_or_default().len();
    assert!(later > early, "the same element grew: {early} -> {later}");
    let done = w.reply("Sentence 29 of 30").await;
    assert!(done.is_same_node(Some(&streaming)), "one element, updated as deltas arrive");
}

#[wasm_bindgen_test]
async fn response_buttons_post_back_once() {
    let w = widget(serde_json::json!({})).await;
    let input = w.open().await;
    w.type_and_send(&input, "/buttons").await;
    w.reply("Would you like help").await;
    let yes = w
        .wait("Yes", |m| m.all(".cq-reply-button").into_iter().find(|b| b.text_content().as_deref() == Some("Yes")))
        .await;
    yes.click();
    w.reply("You said: Yes").await;
    assert_eq!(w.detail("action:triggered")["source"], "response");
    assert!(w.all(".cq-reply-button").iter().all(|b| b.has_attribute("disabled")), "used once");
    assert_eq!(yes.get_attribute("aria-pressed").as_deref(), Some("true"));
}

#[wasm_bindgen_test]
async fn the_lead_form_validates_then_submits_once() {
    let w = widget(serde_json::json!({})).await;
    let input = w.open().await;
    w.type_and_send(&input, "/lead").await;
    let form = w.wait("the lead form", |m| m.find(".cq-message--agent form")).await;
    let submit: HtmlElement = form.query_selector("button[type=submit]").unwrap().unwrap().unchecked_into();
    submit.click();
    w.wait("validation messages", |m| (m.all(".cq-field-error").len() == 2).then_some(())).await;
    assert!(w.detail("lead:captured").is_null(), "nothing sent while invalid");
    let fields = form.query_selector_all("input").unwrap();
    for (i, value) in ["Ada", "ada@example.com", "+1 555 0100"].iter().enumerate() {
        let field: web_sys::HtmlInputElement = fields.item(i as u32).unwrap().unchecked_into();
        field.set_value(value);
        field.dispatch_event(&web_sys::Event::new("input").unwrap()).unwrap();
    }
    submit.click();
    w.wait("lead:captured", |m| (!m.detail("lead:captured").is_null()).then_some(())).await;
    assert_eq!(
        w.detail("lead:captured")["lead"],
        serde_json::json!({"name": "Ada", "email": "ada@example.com", "phone": "+1 555 0100"})
    );
    assert!(submit.has_attribute("disabled"), "submits once");
}

#[wasm_bindgen_test]
async fn feedback_thumbs_then_details() {
    let w = widget(serde_json::json!({})).await;
    let input = w.open().await;
    w.type_and_send(&input, "rate this").await;
    let reply = w.reply("You said: rate this").await;
    let up: HtmlElement = reply.query_selector("button[aria-label='Helpful']").unwrap().unwrap().unchecked_into();
    up.click();
    w.wait("feedback", |m| (m.detail("feedback")["interactionType"] == "button").then_some(())).await;
    assert_eq!(up.get_attribute("aria-pressed").as_deref(), Some("true"));
    let chip = w
        .wait("a category", |m| m.all(".cq-chip").into_iter().find(|c| c.text_content().as_deref() == Some("Accurate")))
        .await;
    chip.click();
    let send = w.wait("Send feedback", |m| m.find(".cq-feedback-details .cq-button--primary")).await;
    send.click();
    w.wait("details", |m| (m.detail("feedback")["interactionType"] == "details").then_some(())).await;
    assert_eq!(w.detail("feedback")["categories"], serde_json::json!(["Accurate"]));
    assert_eq!(w.detail("feedback")["isPositive"], true);
}

#[wasm_bindgen_test]
async fn restart_asks_first_then_clears_the_conversation() {
    let w = widget(serde_json::json!({})).await;
    let input = w.open().await;
    w.type_and_send(&input, "hi").await;
    w.reply("You said: hi").await;
    w.find("button[aria-label='Restart conversation']").unwrap().click();
    let confirm = w.wait("the confirm", |m| m.find("[role=alertdialog]")).await;
    let restart: HtmlElement = confirm.query_selector("button.cq-button--primary").unwrap().unwrap().unchecked_into();
    restart.click();
    w.wait("an empty list", |m| m.find(".cq-message").is_none().then_some(())).await;
    assert!(w.names().contains(&"restartConversation".to_owned()));
}

#[wasm_bindgen_test]
async fn set_locale_translates_the_ui() {
    let w = widget(serde_json::json!({"locale": "pt"})).await;
    assert!(w.find("button[aria-label='Abrir chat']").is_some());
    w.chat.set_locale(colloquy::i18n::Locale::Es);
    w.wait("Spanish", |m| m.find("button[aria-label='Abrir chat']")).await;
    w.find("button[aria-label='Abrir chat']").unwrap().click();
    w.wait("the Spanish message box", |m| m.find("textarea[aria-label='Mensaje']")).await;
}

#[wasm_bindgen_test]
async fn hebrew_turns_the_widget_right_to_left_live() {
    use colloquy::i18n::Locale;
    let w = widget(serde_json::json!({"locale": "en"})).await;
    let root = w.find(".cq-widget").unwrap();
    assert_eq!(root.get_attribute("dir").as_deref(), Some("ltr"));
    assert!(root.class_list().contains("cq-right"));
    w.chat.set_locale(Locale::He);
    w.wait("rtl", |m| m.find(".cq-widget[dir='rtl'][lang='he']")).await;
    assert!(root.class_list().contains("cq-left"), "the launcher follows the direction");
    assert!(w.find("button[aria-label='פתיחת הצ׳אט']").is_some());
}

#[wasm_bindgen_test]
fn numbers_and_sizes_go_through_intl() {
    use colloquy::i18n::{Locale, bytes, number};
    assert_eq!(number(Locale::En, 1234.0), "1,234");
    assert_eq!(number(Locale::De, 1234.0), "1.234");
    assert_eq!(bytes(Locale::En, 2.5 * 1024.0 * 1024.0), "2.5 MB");
    assert_eq!(bytes(Locale::Fr, 2.5 * 1024.0 * 1024.0).replace(['\u{a0}', '\u{202f}'], " "), "2,5 Mo");
    assert_eq!(bytes(Locale::En, 2048.0), "2 kB");
    assert_eq!(bytes(Locale::En, 100.0), "100 bytes");
}

#[wasm_bindgen_test]
async fn unread_replies_show_a_badge_on_the_launcher() {
    let w = widget(serde_json::json!({})).await;
    w.chat.send("while closed".into(), vec![]);
    w.wait("the badge", |m| (m.text(".cq-badge") == "1").then_some(())).await;
    let launcher = w.find(".cq-launcher").unwrap();
    assert_eq!(launcher.get_attribute("aria-label").as_deref(), Some("Open chat, 1 unread message"));
    w.open().await;
    w.wait("no badge", |m| m.find(".cq-badge").is_none().then_some(())).await;
}

#[wasm_bindgen_test]
async fn a_reader_who_scrolled_up_gets_a_new_messages_pill() {
    // No stylesheet in these tests: give the list a height so it scrolls.
    let style = document().create_element("style").unwrap();
    style.set_text_content(Some(".cq-scroll { height: 200px; overflow-y: auto; }"));
    document().head().unwrap().append_child(&style).unwrap();
    let w = widget(serde_json::json!({})).await;
    let input = w.open().await;
    for i in 0..8 {
        w.type_and_send(&input, &format!("message number {i} with enough text to take some room")).await;
        w.reply(&format!("message number {i}")).await;
    }
    let scroller = w.find(".cq-scroll").unwrap();
    scroller.set_scroll_top(0);
    scroller.dispatch_event(&web_sys::Event::new("scroll").unwrap()).unwrap();
    TimeoutFuture::new(50).await;
    let agent = AgentMessage {
        id: "late-1".into(),
        thread_id: "t".into(),
        content: vec![ContentItem::text("late-1-0", "A reply that arrives while you read")],
        timestamp: js_sys::Date::now(),
        from: Default::default(),
        agent_name: None,
    };
    w.chat.stage(|s| {
        let mut messages = w.chat.state.messages.get_untracked();
        messages.push(colloquy::state::Message::from_agent(&agent));
        s.set_messages(messages);
    });
    let pill = w.wait("the pill", |m| m.find(".cq-pill")).await;
    assert_eq!(scroller.scroll_top(), 0, "the reader was not yanked down");
    pill.click();
    w.wait("the bottom", |_| (scroller.scroll_top() > 0).then_some(())).await;
    w.chat.close(ViewChangeReason::MainWindowClosed);
}

/// A thread of `n` messages, ids `t0..`, alternating visitor and agent.
fn thread(n: usize) -> Vec<colloquy::events::ThreadMessage> {
    (0..n)
        .map(|i| colloquy::events::ThreadMessage {
            id: format!("t{i}"),
            sender: if i % 2 == 0 { "user" } else { "response" }.into(),
            content: vec![ContentItem::text(format!("t{i}-0"), format!("Message number {i} of the long thread"))],
            message_state: colloquy::events::MessageState {
                timestamp: Some(1_790_000_000_000.0 + i as f64 * 60_000.0),
                status: Some(colloquy::events::Status::Delivered),
                ..Default::default()
            },
        })
        .collect()
}

/// Every node (elements, text, comments) under `root`.
fn node_count(root: &web_sys::Node) -> u32 {
    let mut n = 0;
    let mut child = root.first_child();
    while let Some(c) = child {
        n += 1 + node_count(&c);
        child = c.next_sibling();
    }
    n
}

#[wasm_bindgen_test]
async fn a_long_thread_mounts_only_the_rows_near_the_viewport() {
    let style = document().create_element("style").unwrap();
    style.set_text_content(Some(".cq-scroll { height: 300px; overflow-y: auto; }"));
    document().head().unwrap().append_child(&style).unwrap();
    let w = widget(serde_json::json!({})).await;
    w.open().await;
    w.chat.load_thread(thread(10_000));
    w.wait("the newest message", |m| m.find("[data-id='t9999']")).await;
    TimeoutFuture::new(100).await;
    let rows = w.all(".cq-row");
    assert!((3..=40).contains(&rows.len()), "{} rows mounted", rows.len());
    assert_eq!(rows[0].get_attribute("aria-setsize").as_deref(), Some("10000"));
    let nodes = node_count(&w.root);
    assert!(nodes <= 1_500, "{nodes} nodes");
    // The newest message is the one tab stop.
    let stops = w.all(".cq-row[tabindex='0']");
    assert_eq!(stops.len(), 1);
    assert_eq!(stops[0].get_attribute("data-index").as_deref(), Some("9999"));

    // Scrolling to the top mounts the oldest message (and still only a few rows).
    let scroller = w.find(".cq-scroll").unwrap();
    scroller.set_scroll_top(0);
    let oldest = w.wait("the oldest message", |m| m.find("[data-id='t0']")).await;
    TimeoutFuture::new(100).await;
    assert!(w.all(".cq-row").len() <= 40);
    assert!(w.find("[data-id='t9999']").is_none(), "the newest was unmounted");
    let top = oldest.get_bounding_client_rect().top() - scroller.get_bounding_client_rect().top();
    assert!((-1.0..300.0).contains(&top), "the oldest message is in view ({top})");

    // The keyboard reaches a row that is not mounted: End goes back to the newest.
    let first: HtmlElement = w.find(".cq-row[data-index='0']").unwrap();
    first.focus().unwrap();
    key(&first, "End", false);
    let newest = w.wait("the newest row mounted", |m| m.find(".cq-row[data-index='9999']")).await;
    w.wait("focus on the newest row", |_| {
        (document().active_element().map(|e| e.unchecked_into::<HtmlElement>()) == Some(newest.clone())).then_some(())
    })
    .await;
    assert_eq!(newest.get_attribute("tabindex").as_deref(), Some("0"));
    w.chat.close(ViewChangeReason::MainWindowClosed);
}

#[wasm_bindgen_test]
#[ignore = "times out in one of its waits (not diagnosed yet); history.spec.ts checks the same in both modes"]
async fn new_messages_are_announced_once_and_loaded_history_is_not() {
    let w = widget(serde_json::json!({})).await;
    let input = w.open().await;
    w.chat.load_thread(thread(50));
    w.wait("the history", |m| m.find("[data-id='t49']")).await;
    assert_eq!(w.all(".cq-announcer p").len(), 0, "history is not announced");
    let log = w.find("[role=log]").unwrap();
    assert_eq!(log.get_attribute("aria-live").as_deref(), Some("off"), "rows mounting while scrolling stay silent");
    w.type_and_send(&input, "announce me").await;
    w.reply("You said: announce me").await;
    TimeoutFuture::new(100).await;
    let lines: Vec<String> = w.all(".cq-announcer p").iter().map(|p| p.text_content().unwrap_or_default()).collect();
    assert_eq!(lines, ["announce me", "You said: announce me"]);
}

#[wasm_bindgen_test]
async fn streaming_does_not_write_the_snapshot_per_delta() {
    // Count the widget's writes to storage.
    js_sys::Function::new_no_args(
        "const s = Storage.prototype;
         if (!s.__cqOriginal) {
           s.__cqOriginal = s.setItem;
           s.setItem = function (k, v) {
             if (String(k).startsWith('colloquy:persist-test')) window.__cqWrites = (window.__cqWrites || 0) + 1;
             return s.__cqOriginal.call(this, k, v);
           };
         }
         window.__cqWrites = 0;",
    )
    .call0(&JsValue::NULL)
    .unwrap();
    let root: HtmlElement = document().create_element("div").unwrap().unchecked_into();
    document().body().unwrap().append_child(&root).unwrap();
    let (config, _) =
        Config::parse(&serde_json::json!({"name": "persist-test", "agent": {"kind": "demo", "chunkMs": 15}}));
    let chat = build_chat(config, Rc::new(WebRuntime), Rc::new(DomSink(root.clone().into())));
    let place = colloquy::host::storage::Place::browser(colloquy::config::Persist::Local).unwrap();
    let (_, _remote) = colloquy::host::storage::attach(&chat, place, None);
    let _handle = mount(root.clone(), chat.clone());
    chat.start(js_sys::Date::now(), "https://shop.example/", None);
    TimeoutFuture::new(300).await;
    chat.send("/long 60".into(), vec![]);
    for _ in 0..500 {
        TimeoutFuture::new(20).await;
        if chat.state.messages.with_untracked(|ms| ms.len() == 2 && !ms[1].streaming().get_untracked()) {
            break;
        }
    }
    TimeoutFuture::new(colloquy::host::storage::SAVE_DELAY_MS + 200).await;
    let writes = js_sys::Reflect::get(&web_sys::window().unwrap(), &"__cqWrites".into()).unwrap().as_f64().unwrap();
    assert!((1.0..=5.0).contains(&writes), "{writes} writes for a reply of 60 deltas");
    let stored = web_sys::window()
        .unwrap()
        .local_storage()
        .unwrap()
        .unwrap()
        .get_item("colloquy:persist-test:conversation")
        .unwrap()
        .unwrap();
    assert!(stored.contains("Sentence 59 of 60"), "the finished reply is stored");
}

/// `use_focus_keeper` (issue 13, item 5): while its owner lives, a focused control that goes away
/// hands the focus to the region; once the owner is disposed its MutationObserver and `focusin`
/// listener are gone, and the same loss leaves the focus where the browser puts it.
#[wasm_bindgen_test]
async fn the_focus_keeper_keeps_the_focus_and_lets_go_when_disposed() {
    use leptos::tachys::html::node_ref::NodeRefContainer;
    // The reactive executor (effects) is set up by mounting.
    leptos::mount::mount_to(document().create_element("div").unwrap().unchecked_into(), || ()).forget();
    let region: HtmlElement = document().create_element("div").unwrap().unchecked_into();
    region.set_tab_index(-1);
    document().body().unwrap().append_child(&region).unwrap();
    let button = |label: &str| -> HtmlElement {
        let b: HtmlElement = document().create_element("button").unwrap().unchecked_into();
        b.set_text_content(Some(label));
        region.append_child(&b).unwrap();
        b
    };
    let region_element: web_sys::Element = region.clone().into();
    let active_is_region = || document().active_element().is_some_and(|e| e == region_element);
    let owner = Owner::new();
    owner.with(|| {
        let target = NodeRef::<leptos::html::Div>::new();
        colloquy::hooks::use_focus_keeper(target);
        target.load(region.as_ref());
    });
    TimeoutFuture::new(50).await;
    let first = button("first");
    first.focus().unwrap();
    first.remove();
    let mut kept = false;
    for _ in 0..100 {
        if active_is_region() {
            kept = true;
            break;
        }
        TimeoutFuture::new(10).await;
    }
    assert!(kept, "the focus went back to the region");
    owner.cleanup();
    // A listener or observer left behind would call a dropped closure (an uncaught error) or
    // move the focus.
    let errors = Rc::new(RefCell::new(Vec::<String>::new()));
    let seen = errors.clone();
    let on_error = Closure::<dyn Fn(web_sys::Event)>::new(move |e: web_sys::Event| {
        let message = js_sys::Reflect::get(&e, &"message".into()).ok().and_then(|m| m.as_string());
        seen.borrow_mut().push(message.unwrap_or_default());
    });
    let window = web_sys::window().unwrap();
    window.add_event_listener_with_callback("error", on_error.as_ref().unchecked_ref()).unwrap();
    let second = button("second");
    second.focus().unwrap();
    assert_eq!(document().active_element(), Some(second.clone().into()));
    second.remove();
    TimeoutFuture::new(200).await;
    window.remove_event_listener_with_callback("error", on_error.as_ref().unchecked_ref()).unwrap();
    assert!(errors.borrow().is_empty(), "a disposed keeper still ran: {:?}", errors.borrow());
    assert!(!active_is_region(), "a disposed keeper still moved the focus");
    region.remove();
}
