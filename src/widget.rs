//! Starting a widget. In both host modes the widget speaks the bridge protocol with `embed.js`
//! (docs/bridge.md); only the transport differs:
//! - iframe mode: `postMessage`, origin-pinned both ways;
//! - inline mode: direct function calls into and out of the wasm module, mounted in the shadow
//!   root `embed.js` made in the host page (handlers are called in the same task, and
//!   `hostElement` is the real element).
//!
//! [`mount`] mounts the UI on any element without a host (component tests).

use crate::agent::Agent;
use crate::agent::demo::{DemoAgent, DemoOptions};
use crate::chat::{Chat, ChatHandle};
use crate::components::Widget;
use crate::config::{AgentConfig, Config, ConfigIssue, Persist};
use crate::events::{Dispatcher, ErrorCode, Event, HandlerId, HostSink, Runtime, WidgetError};
use crate::host::WebRuntime;
use crate::host::bridge::{Bridge, HostMessage, HostRegistration, Init, Link, StoredItems, WidgetMessage};
use crate::host::storage::{Place, area_name, attach, key, resend_when_online};
use crate::layout::frame_size;
use leptos::prelude::*;
use serde_json::json;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::{JsCast, JsValue};

/// Builds the controller for `config` with the agent it names.
pub fn build_chat(config: Config, rt: Rc<dyn Runtime>, sink: Rc<dyn HostSink>) -> Rc<Chat> {
    let agent: Rc<dyn Agent> = match &config.agent {
        AgentConfig::Demo { chunk_ms, think_ms } => {
            let defaults = DemoOptions::default();
            let options = DemoOptions {
                chunk_ms: chunk_ms.unwrap_or(defaults.chunk_ms),
                think_ms: think_ms.unwrap_or(defaults.think_ms),
            };
            Rc::new(DemoAgent::new(rt.clone(), options))
        }
        AgentConfig::Http { url, .. } => Rc::new(crate::agent::http::HttpAgent::new(url)),
    };
    let dispatcher = Dispatcher::new(rt.clone(), sink);
    Chat::new(config, dispatcher, rt, agent)
}

/// Reports configuration problems: console message naming the field, and `error` events.
pub fn report_config_issues(chat: &Chat, issues: &[ConfigIssue], unknown: &[String]) {
    for issue in issues {
        web_sys::console::error_1(&issue.message().into());
        let error =
            WidgetError::new(ErrorCode::ConfigError, issue.message()).with_details(json!({"field": issue.field}));
        chat.dispatcher.post(Event::Error(error));
    }
    for key in unknown {
        web_sys::console::warn_1(&format!("Colloquy config: unknown key `{key}` is ignored").into());
    }
}

/// Mounts the widget UI for `chat` on `parent`. Dropping the handle unmounts it.
pub fn mount(parent: web_sys::HtmlElement, chat: Rc<Chat>) -> leptos::mount::UnmountHandle<impl Mountable> {
    leptos::mount::mount_to(parent, move || {
        provide_context(ChatHandle::new(chat));
        view! { <Widget /> }
    })
}

/// The widget side of one host connection: the bridge, and once `init` arrived, the chat.
struct Session {
    bridge: Rc<Bridge>,
    /// In an iframe (store through the host), or inline (store here).
    in_iframe: bool,
    /// Takes other tabs' changes to the stored conversation.
    remote: Option<crate::host::storage::Remote>,
    /// Where the UI mounts.
    root: web_sys::HtmlElement,
    chat: Option<Rc<Chat>>,
    unmount: Option<Box<dyn FnOnce()>>,
    /// host function id -> dispatcher registration.
    handlers: HashMap<u32, HandlerId>,
}

type Shared = Rc<RefCell<Session>>;

/// `postMessage` to the parent window, pinned to the host origin.
struct PostMessageLink {
    target: web_sys::Window,
    origin: String,
}

impl Link for PostMessageLink {
    fn send(&self, text: String) {
        let _ = self.target.post_message(&text.into(), &self.origin);
    }
}

/// A direct call of `embed.js`'s receiver (inline mode).
struct FunctionLink(js_sys::Function);

impl Link for FunctionLink {
    fn send(&self, text: String) {
        let _ = self.0.call1(&JsValue::NULL, &text.into());
    }
}

/// Starts the widget page in the iframe: listen to the host page (pinned to `origin`), say hello.
pub fn start_iframe(origin: String) {
    let window = web_sys::window().expect("a window");
    let Ok(Some(parent)) = window.parent() else { return };
    let body = window.document().and_then(|d| d.body()).expect("a body");
    let _ = body.class_list().add_1("cq-embedded");
    let bridge = Bridge::new(Box::new(PostMessageLink { target: parent.clone(), origin: origin.clone() }));
    crate::host::panic::attach(body.clone(), bridge.clone(), true);
    let session = Rc::new(RefCell::new(Session {
        bridge: bridge.clone(),
        in_iframe: true,
        remote: None,
        root: body,
        chat: None,
        unmount: None,
        handlers: HashMap::new(),
    }));
    let on_message = Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
        let from_parent = ev.source().is_some_and(|s| js_sys::Object::is(&s, parent.as_ref()));
        if ev.origin() != origin || !from_parent {
            return; // not our host page: dropped
        }
        if let Some(text) = ev.data().as_string() {
            receive(&session, &text);
        }
    });
    let _ = window.add_event_listener_with_callback("message", on_message.as_ref().unchecked_ref());
    on_message.forget();
    bridge.send(&WidgetMessage::Hello);
}

/// Mounts the widget inline, in `root` (inside the shadow root `embed.js` made), speaking the
/// bridge protocol through `post` (widget -> host). Returns the receiver (host -> widget);
/// `embed.js` sends `init` as soon as it has it.
pub fn mount_inline(root: web_sys::HtmlElement, post: js_sys::Function) -> js_sys::Function {
    let _ = root.class_list().add_1("cq-inline");
    let bridge = Bridge::new(Box::new(FunctionLink(post)));
    crate::host::panic::attach(root.clone(), bridge.clone(), false);
    let session = Rc::new(RefCell::new(Session {
        bridge: bridge.clone(),
        in_iframe: false,
        remote: None,
        root,
        chat: None,
        unmount: None,
        handlers: HashMap::new(),
    }));
    let receiver = Closure::<dyn Fn(String)>::new(move |text: String| receive(&session, &text));
    receiver.into_js_value().unchecked_into()
}

fn receive(session: &Shared, text: &str) {
    if crate::host::panic::panicked() {
        return; // the widget stopped (see host::panic)
    }
    match crate::host::bridge::decode(text) {
        Ok(Some(msg)) => handle(session, msg),
        Ok(None) => {}
        Err(why) => {
            web_sys::console::error_1(&format!("Colloquy: {why}").into());
            if let Some(chat) = &session.borrow().chat {
                chat.dispatcher.post(Event::Error(WidgetError::new(ErrorCode::ProtocolError, why)));
            }
        }
    }
}

/// Registers a host handler with the chat's dispatcher, remembering it for `off`.
fn register(s: &mut Session, chat: &Chat, h: HostRegistration) {
    let id = chat.dispatcher.on(h.api, &h.name, s.bridge.handler(h.id), h.once);
    s.handlers.insert(h.id, id);
}

/// `init`: builds the chat, mounts it, keeps the iframe's size in step, connects persistence,
/// then runs the start-up sequence.
fn init(session: &Shared, init: Init) {
    let mut s = session.borrow_mut();
    if s.chat.is_some() {
        return;
    }
    let Init { config, handlers, t0, page, stored } = init;
    let unknown = Config::unknown_keys(&config);
    let (config, issues) = Config::parse(&config);
    let chat = build_chat(config, Rc::new(WebRuntime), s.bridge.clone());
    crate::host::panic::attach_chat(chat.dispatcher.clone(), chat.state.locale.get_untracked().code());
    for h in handlers {
        register(&mut s, &chat, h);
    }
    report_config_issues(&chat, &issues, &unknown);
    let (bridge, state) = (s.bridge.clone(), chat.state);
    chat.set_viewport(page.width, page.height);
    let handle = mount(s.root.clone(), chat.clone());
    s.unmount = Some(Box::new(move || drop(handle)));
    // Sync the iframe's size and side with what is visible and the locale's direction (an
    // outside-world sync: an Effect).
    let sized = chat.clone();
    chat.with_owner(|| {
        Effect::new(move |_| {
            let (width, height) =
                frame_size(state.view.get(), state.maximized.get(), state.greeting.get(), state.viewport.get());
            let side = sized.config.side(state.locale.get()).as_str().to_owned();
            bridge.send(&WidgetMessage::Layout { width, height, side: Some(side) });
        })
    });
    // `lang` and `dir` on the widget's root (the mount point; in iframe mode also the page).
    let (root, in_iframe) = (s.root.clone(), s.in_iframe);
    chat.with_owner(|| {
        Effect::new(move |_| {
            let locale = state.locale.get();
            let page = in_iframe.then(|| root.owner_document().and_then(|d| d.document_element())).flatten();
            for el in std::iter::once(root.unchecked_ref::<web_sys::Element>()).chain(page.as_ref()) {
                let _ = el.set_attribute("lang", locale.code());
                let _ = el.set_attribute("dir", locale.dir());
            }
        })
    });
    s.bridge.send(&WidgetMessage::Done { req: 0, ok: true, value: None, error: None });
    s.chat = Some(chat.clone());
    let restored = persistence(&mut s, &chat, stored);
    resend_when_online(&chat);
    crate::host::follow_page_visibility(&chat);
    drop(s);
    chat.start(t0, &page.url, restored);
}

/// Connects the chat to its storage (the host page's in iframe mode, this document's inline)
/// and returns the conversation to restore.
fn persistence(s: &mut Session, chat: &Rc<Chat>, mut stored: StoredItems) -> Option<crate::persist::Snapshot> {
    let persist = chat.config.persist;
    let place = match persist {
        Persist::None => return None,
        _ if s.in_iframe => Place::Host(s.bridge.clone()),
        _ => Place::browser(persist)?,
    };
    let from_host = stored.remove(area_name(persist)).and_then(|mut items| items.remove(&key(&chat.config.name)));
    let (restored, remote) = attach(chat, place, from_host);
    if !s.in_iframe && persist == Persist::Local {
        remote.clone().listen();
    }
    s.remote = Some(remote);
    restored
}

fn handle(session: &Shared, msg: HostMessage) {
    if let HostMessage::Init(i) = msg {
        return init(session, *i);
    }
    let mut s = session.borrow_mut();
    match msg {
        HostMessage::Init(_) => {} // handled above
        HostMessage::Stored { key, value } => {
            if let Some(remote) = &s.remote {
                remote.changed(&key, value);
            }
        }
        HostMessage::Resize { width, height } => {
            if let Some(chat) = &s.chat {
                chat.set_viewport(width, height);
            }
        }
        HostMessage::On(h) => {
            if let Some(chat) = s.chat.clone() {
                register(&mut s, &chat, h);
            }
        }
        HostMessage::Off { id } => {
            if let (Some(chat), Some(reg)) = (s.chat.clone(), s.handlers.remove(&id)) {
                chat.dispatcher.off(reg);
            }
        }
        HostMessage::Ret { call, ok, payload, error } => {
            let result = if ok { Ok(payload) } else { Err(error.unwrap_or_else(|| "handler failed".into())) };
            s.bridge.settle(call, result);
        }
        HostMessage::Html { element, nodes } => crate::dom::sanitize::mirror(&s.root, &element, &nodes),
        HostMessage::Call { req, method, args } => {
            let Some(chat) = s.chat.clone() else { return };
            let bridge = s.bridge.clone();
            drop(s);
            let reply = crate::methods::call(&chat, &method, &args);
            let (ok, value, error) = match reply {
                Ok(v) => (true, Some(v), None),
                Err(e) => (false, None, Some(e)),
            };
            bridge.send(&WidgetMessage::Done { req, ok, value, error });
        }
        HostMessage::Destroy => {
            if let Some(chat) = s.chat.take() {
                chat.shutdown();
                chat.dispatcher.clear();
            }
            if let Some(unmount) = s.unmount.take() {
                unmount();
            }
        }
    }
}
