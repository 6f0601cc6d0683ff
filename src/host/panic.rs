//! A panic never leaves a silently dead widget.
//!
//! A panic ends in a trap: release builds use `-Cpanic=immediate-abort` where std is built from
//! source (no panic formatting in the wasm, about 5% smaller), every other build `panic =
//! "abort"`. Either way the wasm instance stops where it panicked: its task queue and reactive
//! graph never run again. The trap surfaces in JavaScript as an uncaught `WebAssembly.RuntimeError`
//! (an `error` event, or an `unhandledrejection` when the call came from a promise callback), and a
//! listener installed at start-up reports it. In debug builds a panic hook reports first, with the
//! panic's message. The report does everything at once, without Leptos and without awaiting:
//! - the host gets an `error` event with code `INTERNAL_ERROR` in every dialect (delivered
//!   synchronously through [`Dispatcher::deliver_now`]);
//! - the visitor gets a plain-DOM notice (`role="alert"`) with a Reload button: a GET form
//!   that reloads the widget page (iframe mode; `embed.js` starts it again on its `hello`) or the
//!   host page (inline mode), so reloading needs no code of the dead instance;
//! - in iframe mode the frame is resized so the notice shows even from the launcher.
//!
//! In inline mode the listener is on the host's window: it only takes traps whose stack names this
//! widget's wasm file (another module's trap on the page is not ours).
//!
//! Test hook: with the config flag `testHooks: true` (off by default),
//! `instance.send("/__panic")` panics inside the widget (docs/host-api.md).

use crate::events::{Dispatcher, ErrorCode, Event, WidgetError};
use crate::host::bridge::{Bridge, WidgetMessage};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::JsCast;

/// The text that panics on purpose when the config sets `testHooks`.
pub const TEST_TRIGGER: &str = "/__panic";

/// Where a panic is reported: set once the widget has a root, completed at `init`.
struct Target {
    root: web_sys::HtmlElement,
    bridge: Rc<Bridge>,
    in_iframe: bool,
    dispatcher: Option<Dispatcher>,
    locale: String,
}

thread_local! {
    static TARGET: RefCell<Option<Target>> = const { RefCell::new(None) };
    static PANICKED: Cell<bool> = const { Cell::new(false) };
}

/// Installs the trap listener (and, in debug builds, the panic hook). Call first thing at
/// start-up.
pub fn install() {
    #[cfg(debug_assertions)]
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        stopped(&payload_text(info.payload()));
    }));
    listen_for_traps();
}

/// Reports the stop once: the first report wins (a debug build's hook, then its trap).
fn stopped(message: &str) {
    if PANICKED.with(|p| p.replace(true)) {
        return;
    }
    TARGET.with(|t| {
        if let Ok(t) = t.try_borrow()
            && let Some(t) = t.as_ref()
        {
            report(t, message);
        }
    });
}

/// Listens on the window for the `WebAssembly.RuntimeError` a trap throws.
fn listen_for_traps() {
    let Some(window) = web_sys::window() else { return };
    let ours = own_wasm_url();
    let on = wasm_bindgen::closure::Closure::<dyn Fn(web_sys::Event)>::new(move |e: web_sys::Event| {
        let key = if e.type_() == "error" { "error" } else { "reason" };
        let Ok(error) = js_sys::Reflect::get(&e, &key.into()) else { return };
        if !error.is_instance_of::<js_sys::WebAssembly::RuntimeError>() {
            return;
        }
        let error: js_sys::Error = error.unchecked_into();
        let stack = js_sys::Reflect::get(&error, &"stack".into()).ok().and_then(|s| s.as_string()).unwrap_or_default();
        if trap_is_ours(ours.as_deref(), &stack) {
            stopped(&String::from(error.message()));
        }
    });
    for name in ["error", "unhandledrejection"] {
        let _ = window.add_event_listener_with_callback(name, on.as_ref().unchecked_ref());
    }
    on.forget(); // for the page's lifetime
}

/// This module's wasm URL, read from the stack of an error made while this wasm is running (its
/// frames name the file), if the engine shows it.
fn own_wasm_url() -> Option<String> {
    let stack = js_sys::Reflect::get(&js_sys::Error::new(""), &"stack".into()).ok()?.as_string()?;
    wasm_url_in(&stack).map(str::to_owned)
}

/// The first `….wasm` URL in a stack trace.
pub fn wasm_url_in(stack: &str) -> Option<&str> {
    let end = stack.find(".wasm")? + ".wasm".len();
    let start = stack[..end].rfind(|c: char| c.is_whitespace() || c == '(' || c == '@').map_or(0, |i| i + 1);
    Some(&stack[start..end]).filter(|url| url.contains("://"))
}

/// Whether a trap's stack is this widget's: it names our wasm file (when we know it).
pub fn trap_is_ours(ours: Option<&str>, stack: &str) -> bool {
    ours.is_none_or(|url| stack.contains(url))
}

/// The widget's root (the frame's body, or the inline mount) and its bridge.
pub fn attach(root: web_sys::HtmlElement, bridge: Rc<Bridge>, in_iframe: bool) {
    TARGET.with(|t| *t.borrow_mut() = Some(Target { root, bridge, in_iframe, dispatcher: None, locale: "en".into() }));
}

/// The running chat's dispatcher (for the `error` event) and locale (for the notice).
pub fn attach_chat(dispatcher: Dispatcher, locale: &str) {
    TARGET.with(|t| {
        if let Some(t) = t.borrow_mut().as_mut() {
            t.dispatcher = Some(dispatcher);
            t.locale = locale.to_owned();
        }
    });
}

/// Whether the widget panicked: it then ignores the host's messages (its state is not to be
/// trusted).
pub fn panicked() -> bool {
    PANICKED.with(Cell::get)
}

/// The panic message (`&str` and `String` payloads; anything else is unnamed).
pub fn payload_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

/// The `error` event the host receives.
pub fn internal_error(message: &str) -> WidgetError {
    WidgetError::new(ErrorCode::InternalError, format!("the widget stopped after an internal error: {message}"))
}

/// The notice and the button label in the widget's language, and whether it is written right
/// to left.
pub fn notice_text(locale: &str) -> (&'static str, &'static str, bool) {
    match locale {
        "es" => ("Algo salió mal en el chat.", "Recargar", false),
        "pt" => ("Algo deu errado no chat.", "Recarregar", false),
        "fr" => ("Un problème est survenu dans le chat.", "Recharger", false),
        "de" => ("Im Chat ist ein Fehler aufgetreten.", "Neu laden", false),
        "ar" => ("حدث خطأ في المحادثة.", "إعادة التحميل", true),
        "he" => ("משהו השתבש בצ'אט.", "טעינה מחדש", true),
        _ => ("Something went wrong in the chat.", "Reload", false),
    }
}

fn report(t: &Target, message: &str) {
    draw(t);
    if t.in_iframe {
        t.bridge.send(&WidgetMessage::Layout { width: "min(360px, 100vw)".into(), height: "200px".into(), side: None });
    }
    let delivered = t.dispatcher.as_ref().is_some_and(|d| d.deliver_now(&Event::Error(internal_error(message))));
    if !delivered {
        web_sys::console::error_1(&"Colloquy: the widget stopped before its error event could be delivered".into());
    }
}

/// Hides the dead widget and draws the notice, with plain DOM calls and CSSOM styles (no
/// stylesheet needed, fine under a strict CSP).
fn draw(t: &Target) {
    let Some(document) = t.root.owner_document() else { return };
    let children = t.root.child_nodes();
    for i in 0..children.length() {
        if let Some(el) = children.item(i).and_then(|c| c.dyn_into::<web_sys::HtmlElement>().ok()) {
            let _ = el.style().set_property("display", "none");
        }
    }
    let (text, label, rtl) = notice_text(&t.locale);
    let Ok(alert) = document.create_element("div") else { return };
    let _ = alert.set_attribute("role", "alert");
    let _ = alert.set_attribute("class", "cq-crash");
    let _ = alert.set_attribute("lang", &t.locale);
    if rtl {
        let _ = alert.set_attribute("dir", "rtl");
    }
    let Ok(p) = document.create_element("p") else { return };
    p.set_text_content(Some(text));
    let _ = alert.append_child(&p);
    if let Some(form) = reload_form(&document, label) {
        let _ = alert.append_child(&form);
    }
    if let Some(el) = alert.dyn_ref::<web_sys::HtmlElement>() {
        let st = el.style();
        for (k, v) in [
            ("position", "fixed"),
            ("right", "8px"),
            ("bottom", "8px"),
            ("box-sizing", "border-box"),
            ("width", "min(340px, calc(100vw - 16px))"),
            ("padding", "16px"),
            ("border-radius", "12px"),
            ("background", "#fff"),
            ("color", "#1f2328"),
            ("border", "1px solid #d0d7de"),
            ("box-shadow", "0 4px 16px rgba(0,0,0,.2)"),
            ("font", "15px/1.4 system-ui, sans-serif"),
            ("z-index", "2147483647"),
        ] {
            let _ = st.set_property(k, v);
        }
    }
    let _ = t.root.append_child(&alert);
}

/// A GET form to this document's own URL (its query as hidden fields) with a Reload button.
fn reload_form(document: &web_sys::Document, label: &str) -> Option<web_sys::Element> {
    let location = web_sys::window()?.location();
    let form = document.create_element("form").ok()?;
    form.set_attribute("method", "get").ok()?;
    form.set_attribute("action", &location.pathname().ok()?).ok()?;
    let params = web_sys::UrlSearchParams::new_with_str(&location.search().unwrap_or_default()).ok()?;
    for entry in js_sys::try_iter(&params).ok()??.flatten() {
        let pair: js_sys::Array = entry.unchecked_into();
        let input = document.create_element("input").ok()?;
        input.set_attribute("type", "hidden").ok()?;
        input.set_attribute("name", &pair.get(0).as_string()?).ok()?;
        input.set_attribute("value", &pair.get(1).as_string()?).ok()?;
        form.append_child(&input).ok()?;
    }
    let button = document.create_element("button").ok()?;
    button.set_attribute("type", "submit").ok()?;
    button.set_text_content(Some(label));
    if let Some(b) = button.dyn_ref::<web_sys::HtmlElement>() {
        for (k, v) in [("margin-top", "8px"), ("padding", "6px 14px"), ("font", "inherit"), ("cursor", "pointer")] {
            let _ = b.style().set_property(k, v);
        }
    }
    form.append_child(&button).ok()?;
    Some(form)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trap_is_ours_when_its_stack_names_our_wasm() {
        let chromium = "Error\n    at imports.wbg.__wbg_new_8a6f238a6ece86ea (http://127.0.0.1:18080/colloquy-96d1.js:1:100)\n    at http://127.0.0.1:18080/colloquy-5074_bg.wasm:wasm-function[4036]:0x10b2a5\n";
        let firefox = "@http://127.0.0.1:18080/colloquy-96d1.js:1:100\n@http://127.0.0.1:18080/colloquy-5074_bg.wasm:wasm-function[4036]:0x10b2a5\n";
        let ours = "http://127.0.0.1:18080/colloquy-5074_bg.wasm";
        assert_eq!(wasm_url_in(chromium), Some(ours));
        assert_eq!(wasm_url_in(firefox), Some(ours));
        assert_eq!(wasm_url_in("Error\n    at f (http://x/app.js:1:2)"), None);
        assert!(trap_is_ours(Some(ours), chromium));
        assert!(!trap_is_ours(Some(ours), "    at http://shop.example/other_bg.wasm:wasm-function[1]:0x1"));
        assert!(trap_is_ours(None, "any stack: the engine showed no wasm file at start-up"));
    }

    #[test]
    fn the_report_names_the_panic_and_speaks_the_widget_language() {
        assert_eq!(payload_text(&"boom"), "boom");
        assert_eq!(payload_text(&String::from("owned boom")), "owned boom");
        assert_eq!(payload_text(&42u8), "unknown panic");
        let e = internal_error("boom");
        assert_eq!(serde_json::to_value(&e).unwrap()["code"], "INTERNAL_ERROR");
        assert!(e.message.ends_with("boom"));
        assert_eq!(notice_text("en").1, "Reload");
        assert_eq!(notice_text("es").1, "Recargar");
        assert!(notice_text("he").2);
        assert_eq!(notice_text("xx"), notice_text("en"));
    }
}
