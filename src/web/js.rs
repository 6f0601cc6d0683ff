//! Direct delivery: handlers that are JS functions in this page, and DOM events on the host
//! element (inline mode, and the widget page's own listeners).

use crate::events::{Delivery, Handler, HostSink, dispatcher::HandlerResult};
use futures::future::LocalBoxFuture;
use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};

/// A JSON value as a fresh JS value (objects, arrays, strings, numbers, booleans, null).
pub fn to_js(value: &Value) -> JsValue {
    let text = serde_json::to_string(value).expect("JSON values serialize");
    js_sys::JSON::parse(&text).unwrap_or(JsValue::NULL)
}

/// A JS value as JSON, if it is representable (functions and elements are dropped).
pub fn from_js(value: &JsValue) -> Option<Value> {
    let text = js_sys::JSON::stringify(value).ok()?.as_string()?;
    serde_json::from_str(&text).ok()
}

/// The argument a handler is called with: the payload, with `dates` keys as JS `Date`s.
pub fn delivery_arg(d: &Delivery) -> JsValue {
    let arg = to_js(&d.payload);
    for key in d.dates {
        let key = JsValue::from_str(key);
        if let Ok(ms) = js_sys::Reflect::get(&arg, &key) {
            let _ = js_sys::Reflect::set(&arg, &key, &js_sys::Date::new(&ms));
        }
    }
    arg
}

/// A readable description of a thrown JS value.
pub fn describe_js_error(err: &JsValue) -> String {
    if let Some(e) = err.dyn_ref::<js_sys::Error>() {
        return String::from(e.message());
    }
    err.as_string().or_else(|| from_js(err).map(|v| v.to_string())).unwrap_or_else(|| "unknown error".into())
}

/// A JS function called directly.
pub struct JsHandler(pub js_sys::Function);

impl Handler for JsHandler {
    fn call(&self, d: &Delivery) -> LocalBoxFuture<'static, HandlerResult> {
        let arg = delivery_arg(d);
        if let Some(el) = d.element.as_deref().and_then(|id| web_sys::window()?.document()?.get_element_by_id(id)) {
            let _ = js_sys::Reflect::set(&arg, &"hostElement".into(), &el);
        }
        let result =
            if d.payload.is_null() { self.0.call0(&JsValue::NULL) } else { self.0.call1(&JsValue::NULL, &arg) };
        match result {
            Err(e) => {
                let why = describe_js_error(&e);
                Box::pin(async move { Err(why) })
            }
            Ok(ret) => Box::pin(async move {
                if let Some(promise) = ret.dyn_ref::<js_sys::Promise>() {
                    wasm_bindgen_futures::JsFuture::from(promise.clone()).await.map_err(|e| describe_js_error(&e))?;
                }
                let _ = js_sys::Reflect::delete_property(arg.unchecked_ref::<js_sys::Object>(), &"hostElement".into());
                Ok(from_js(&arg))
            }),
        }
    }
}

/// Dispatches `colloquy:<name>` CustomEvents on an element.
pub struct DomSink(pub web_sys::EventTarget);

impl HostSink for DomSink {
    fn dom_event(&self, name: &str, detail: &Value) {
        let init = web_sys::CustomEventInit::new();
        init.set_detail(&to_js(detail));
        init.set_bubbles(true);
        init.set_composed(true);
        if let Ok(ev) = web_sys::CustomEvent::new_with_event_init_dict(&format!("colloquy:{name}"), &init) {
            let _ = self.0.dispatch_event(&ev);
        }
    }
}
