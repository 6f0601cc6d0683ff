//! Starting a widget: inside the iframe (handlers in the host page, across the bridge), or
//! mounted directly on an element (inline mode, tests).

use crate::agent::Agent;
use crate::agent::demo::{DemoAgent, DemoOptions};
use crate::chat::{Chat, ChatHandle};
use crate::components::Widget;
use crate::config::{Config, ConfigIssue};
use crate::events::{Dispatcher, ErrorCode, Event, HandlerId, HostSink, Runtime, WidgetError};
use crate::i18n::Locale;
use crate::layout::frame_size;
use crate::web::WebRuntime;
use crate::web::bridge::{Bridge, HostMessage, WidgetMessage};
use leptos::prelude::*;
use serde_json::json;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;

/// Builds the controller for `config` with the default agent for it.
pub fn build_chat(config: Config, rt: Rc<dyn Runtime>, sink: Rc<dyn HostSink>) -> Rc<Chat> {
    let agent: Rc<dyn Agent> = Rc::new(DemoAgent::new(rt.clone(), DemoOptions::default()));
    let dispatcher = Dispatcher::new(rt.clone(), sink);
    let chat = Chat::new(config, dispatcher, rt, agent);
    chat.state.locale.set(Locale::from_code(&chat.config.locale));
    chat
}

/// Reports configuration problems: console message naming the field, and `error` events.
pub fn report_config_issues(chat: &Chat, issues: &[ConfigIssue]) {
    for issue in issues {
        web_sys::console::error_1(&issue.message().into());
        let error =
            WidgetError::new(ErrorCode::ConfigError, issue.message()).with_details(json!({"field": issue.field}));
        chat.dispatcher.post(Event::Error(error));
    }
}

/// Mounts the widget UI for `chat` on `parent`. Dropping the handle unmounts it.
pub fn mount(parent: web_sys::HtmlElement, chat: Rc<Chat>) -> leptos::mount::UnmountHandle<impl Mountable> {
    leptos::mount::mount_to(parent, move || {
        provide_context(ChatHandle::new(chat));
        view! { <Widget /> }
    })
}

/// The widget page inside the iframe.
struct IframeWidget {
    bridge: Rc<Bridge>,
    chat: Option<Rc<Chat>>,
    /// host function id -> dispatcher registration.
    handlers: HashMap<u32, HandlerId>,
}

/// Starts the widget page in the iframe: listen to the host page (pinned to `origin`), say hello.
pub fn start_iframe(origin: String) {
    let window = web_sys::window().expect("a window");
    let Ok(Some(parent)) = window.parent() else { return };
    let bridge = Bridge::new(parent, origin);
    let widget = Rc::new(RefCell::new(IframeWidget { bridge: bridge.clone(), chat: None, handlers: HashMap::new() }));
    let on_message = Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
        let accepted = widget.borrow().bridge.accept(&ev);
        match accepted {
            Ok(Some(msg)) => handle(&widget, msg),
            Ok(None) => {}
            Err(why) => protocol_error(&widget, why),
        }
    });
    let _ = window.add_event_listener_with_callback("message", on_message.as_ref().unchecked_ref());
    on_message.forget();
    bridge.send(&WidgetMessage::Hello);
}

fn protocol_error(widget: &Rc<RefCell<IframeWidget>>, why: String) {
    web_sys::console::error_1(&format!("Colloquy: {why}").into());
    if let Some(chat) = &widget.borrow().chat {
        chat.dispatcher.post(Event::Error(WidgetError::new(ErrorCode::ProtocolError, why)));
    }
}

fn handle(widget: &Rc<RefCell<IframeWidget>>, msg: HostMessage) {
    let mut w = widget.borrow_mut();
    match msg {
        HostMessage::Init { config, handlers, t0, page } => {
            if w.chat.is_some() {
                return;
            }
            let (config, issues) = Config::parse(&config);
            let rt: Rc<dyn Runtime> = Rc::new(WebRuntime);
            let chat = build_chat(config, rt, w.bridge.clone());
            for h in handlers {
                let id = chat.dispatcher.on(h.api, &h.name, w.bridge.handler(h.id), h.once);
                w.handlers.insert(h.id, id);
            }
            report_config_issues(&chat, &issues);
            let body = web_sys::window().and_then(|w| w.document()).and_then(|d| d.body()).expect("a body");
            let _ = body.class_list().add_1("cq-embedded");
            let bridge = w.bridge.clone();
            let state = chat.state;
            state.viewport.set((page.width, page.height));
            mount(body, chat.clone()).forget();
            // Sync the iframe's size with what is visible (an outside-world sync: an Effect).
            Effect::new(move |_| {
                let (width, height) = frame_size(state.view.get(), state.maximized.get(), state.viewport.get());
                bridge.send(&WidgetMessage::Layout { width, height });
            });
            w.bridge.send(&WidgetMessage::Done { req: 0, ok: true, value: None, error: None });
            w.chat = Some(chat.clone());
            drop(w);
            chat.start(t0);
        }
        HostMessage::Resize { width, height } => {
            if let Some(chat) = &w.chat {
                chat.state.viewport.set((width, height));
            }
        }
        HostMessage::On(h) => {
            if let Some(chat) = w.chat.clone() {
                let id = chat.dispatcher.on(h.api, &h.name, w.bridge.handler(h.id), h.once);
                w.handlers.insert(h.id, id);
            }
        }
        HostMessage::Off { id } => {
            if let (Some(chat), Some(reg)) = (w.chat.clone(), w.handlers.remove(&id)) {
                chat.dispatcher.off(reg);
            }
        }
        HostMessage::Ret { call, ok, payload, error } => {
            let result = if ok { Ok(payload) } else { Err(error.unwrap_or_else(|| "handler failed".into())) };
            w.bridge.settle(call, result);
        }
        HostMessage::Call { req, method, args } => {
            let Some(chat) = w.chat.clone() else { return };
            let bridge = w.bridge.clone();
            drop(w);
            let reply = crate::methods::call(&chat, &method, &args);
            let (ok, value, error) = match reply {
                Ok(v) => (true, Some(v), None),
                Err(e) => (false, None, Some(e)),
            };
            bridge.send(&WidgetMessage::Done { req, ok, value, error });
        }
    }
}
