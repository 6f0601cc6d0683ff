//! Component tests in a real browser (wasm-bindgen-test + headless Chromium): mount the widget,
//! click and type like a visitor, assert the DOM and the DOM events.
#![cfg(target_arch = "wasm32")]

use colloquy::config::Config;
use colloquy::web::WebRuntime;
use colloquy::web::js::DomSink;
use colloquy::widget::{build_chat, mount};
use gloo_timers::future::TimeoutFuture;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use wasm_bindgen_test::*;
use web_sys::{HtmlElement, HtmlTextAreaElement};

wasm_bindgen_test_configure!(run_in_browser);

fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

fn host() -> HtmlElement {
    let div: HtmlElement = document().create_element("div").unwrap().unchecked_into();
    document().body().unwrap().append_child(&div).unwrap();
    div
}

/// Polls `probe` every 10 ms for up to 5 s.
async fn wait_for<T>(what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    for _ in 0..500 {
        if let Some(v) = probe() {
            return v;
        }
        TimeoutFuture::new(10).await;
    }
    panic!("timed out waiting for {what}");
}

fn find(root: &HtmlElement, selector: &str) -> Option<HtmlElement> {
    root.query_selector(selector).ok().flatten().map(|e| e.unchecked_into())
}

/// Records the names of `colloquy:*` DOM events dispatched on `target`.
fn record_dom_events(target: &HtmlElement, names: &[&str]) -> Rc<RefCell<Vec<String>>> {
    let seen = Rc::new(RefCell::new(Vec::new()));
    for name in names {
        let seen = seen.clone();
        let owned = name.to_string();
        let cb = Closure::<dyn Fn(web_sys::Event)>::new(move |_| seen.borrow_mut().push(owned.clone()));
        target.add_event_listener_with_callback(&format!("colloquy:{name}"), cb.as_ref().unchecked_ref()).unwrap();
        cb.forget();
    }
    seen
}

#[wasm_bindgen_test]
async fn the_launcher_opens_the_window_and_the_demo_agent_echoes() {
    let root = host();
    let events = record_dom_events(&root, &["chat:ready", "view:change", "send", "receive"]);
    let chat = build_chat(Config::default(), Rc::new(WebRuntime), Rc::new(DomSink(root.clone().into())));
    let _mounted = mount(root.clone(), chat.clone());
    chat.start(js_sys::Date::now(), "https://shop.example/");

    let launcher =
        wait_for("an enabled launcher", || find(&root, "button[aria-label='Open chat']:not([disabled])")).await;
    assert!(find(&root, "[role=dialog]").is_none(), "the window starts closed");
    launcher.click();

    let input: HtmlTextAreaElement =
        wait_for("the message box", || find(&root, "textarea[aria-label='Message']")).await.unchecked_into();
    assert_eq!(document().active_element().map(|e| e.unchecked_into::<HtmlElement>()), Some(input.clone().into()));
    input.set_value("hello there");
    input.dispatch_event(&web_sys::Event::new("input").unwrap()).unwrap();
    wait_for("an enabled send button", || find(&root, "button[aria-label='Send']:not([disabled])")).await.click();

    let user = wait_for("the user's message", || find(&root, ".cq-message--user")).await;
    assert_eq!(user.text_content().unwrap().trim(), "hello there");
    assert_eq!(input.value(), "", "the composer clears after sending");
    wait_for("the streamed echo", || {
        find(&root, ".cq-message--agent[aria-busy=false]")
            .filter(|m| m.text_content().unwrap().trim() == "You said: hello there")
    })
    .await;
    assert_eq!(*events.borrow(), ["view:change", "chat:ready", "view:change", "send", "receive"]);
}

#[wasm_bindgen_test]
async fn escape_closes_the_window() {
    let root = host();
    let chat = build_chat(Config::default(), Rc::new(WebRuntime), Rc::new(DomSink(root.clone().into())));
    let _mounted = mount(root.clone(), chat.clone());
    chat.start(js_sys::Date::now(), "https://shop.example/");
    wait_for("the launcher", || find(&root, "button[aria-label='Open chat']:not([disabled])")).await.click();
    let dialog = wait_for("the window", || find(&root, "[role=dialog]")).await;
    let init = web_sys::KeyboardEventInit::new();
    init.set_key("Escape");
    init.set_bubbles(true);
    dialog
        .dispatch_event(&web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap())
        .unwrap();
    wait_for("the window to close", || find(&root, "[role=dialog]").is_none().then_some(())).await;
    assert!(find(&root, "button[aria-label='Open chat']").is_some());
}
