//! The browser side of the dispatcher: the runtime, direct JS handlers, DOM events, and the
//! postMessage bridge to the host page.

pub mod bridge;
pub mod dom;
pub mod js;
pub mod panic;
pub mod sanitize;
pub mod storage;
pub mod time;

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

    fn random(&self) -> f64 {
        js_sys::Math::random()
    }

    fn online(&self) -> bool {
        web_sys::window().is_none_or(|w| w.navigator().on_line())
    }

    fn local_time(&self) -> (u8, u32) {
        let now = js_sys::Date::new_0();
        (now.get_day() as u8, now.get_hours() * 60 + now.get_minutes())
    }
}
