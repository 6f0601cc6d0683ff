//! Everything that talks to the host page or the browser platform: the runtime (clock, timers,
//! randomness), the bridge to `embed.js`, JS values and DOM-event sinks, and storage.
//!
//! Components never import this module (they call the controller, which reaches the host only
//! through the dispatcher's sinks); that rule can be checked by reading their imports. What
//! components may use of the browser is in [`crate::dom`] and [`crate::hooks`].

pub mod bridge;
pub mod js;
pub mod panic;
pub mod storage;

use crate::events::Runtime;
use futures::future::LocalBoxFuture;

/// [`Runtime`] on the browser's clock, timers and microtask queue.
pub struct WebRuntime;

impl Runtime for WebRuntime {
    fn now_ms(&self) -> f64 {
        js_sys::Date::now()
    }

    fn sleep(&self, ms: u32) -> LocalBoxFuture<'static, ()> {
        Box::pin(gloo_timers::future::TimeoutFuture::new(ms))
    }

    fn spawn(&self, fut: LocalBoxFuture<'static, ()>) {
        wasm_bindgen_futures::spawn_local(fut);
    }

    fn console_error(&self, message: &str) {
        web_sys::console::error_1(&message.into());
    }

    fn next_frame(&self) -> LocalBoxFuture<'static, ()> {
        let (tx, rx) = futures::channel::oneshot::channel::<()>();
        leptos::prelude::request_animation_frame(move || {
            let _ = tx.send(());
        });
        Box::pin(async move {
            let _ = rx.await;
        })
    }

    fn fill_random(&self, buf: &mut [u8]) {
        let crypto = web_sys::window().and_then(|w| w.crypto().ok());
        // `crypto` exists in every browser the widget supports; never fall back to a weak source.
        let crypto = crypto.expect("crypto.getRandomValues is available");
        let _ = crypto.get_random_values_with_u8_array(buf);
    }

    fn yield_now(&self) -> LocalBoxFuture<'static, ()> {
        // A message to ourselves is a new task without setTimeout's 4 ms clamp.
        let (tx, rx) = futures::channel::oneshot::channel::<()>();
        let Ok(channel) = web_sys::MessageChannel::new() else { return self.sleep(0) };
        let tx = std::cell::Cell::new(Some(tx));
        let wake = wasm_bindgen::closure::Closure::once_into_js(move || {
            if let Some(tx) = tx.take() {
                let _ = tx.send(());
            }
        });
        channel.port1().set_onmessage(Some(wasm_bindgen::JsCast::unchecked_ref(&wake)));
        let _ = channel.port2().post_message(&wasm_bindgen::JsValue::NULL);
        Box::pin(async move {
            let _ = rx.await;
            drop(channel);
        })
    }

    fn online(&self) -> bool {
        web_sys::window().is_none_or(|w| w.navigator().on_line())
    }

    fn local_time(&self) -> (u8, u32) {
        let now = js_sys::Date::new_0();
        (now.get_day() as u8, now.get_hours() * 60 + now.get_minutes())
    }
}

/// Whether this document is hidden (another tab, a minimized window; in iframe mode the frame's
/// document follows the host page's).
pub fn page_hidden() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_some_and(|d| d.visibility_state() == web_sys::VisibilityState::Hidden)
}

/// Tells `chat` when the page is hidden or shown again (`visibilitychange`), so replies that
/// arrive unseen count as unread.
pub fn follow_page_visibility(chat: &std::rc::Rc<crate::chat::Chat>) {
    use wasm_bindgen::JsCast;
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    chat.page_visibility(page_hidden());
    let me = std::rc::Rc::downgrade(chat);
    let on_change = wasm_bindgen::closure::Closure::<dyn Fn()>::new(move || {
        if let Some(chat) = me.upgrade() {
            chat.page_visibility(page_hidden());
        }
    });
    let _ = document.add_event_listener_with_callback("visibilitychange", on_change.as_ref().unchecked_ref());
    on_change.forget();
}
