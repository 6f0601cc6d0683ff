//! JSON <-> JS values, thrown-value descriptions, and [`DomSink`]: `colloquy:*` DOM events on an
//! element, for a widget mounted without a host page (component tests).

use crate::events::{Delivery, HostSink};
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

/// A readable description of a thrown JS value.
pub fn describe_js_error(err: &JsValue) -> String {
    if let Some(e) = err.dyn_ref::<js_sys::Error>() {
        return String::from(e.message());
    }
    err.as_string().or_else(|| from_js(err).map(|v| v.to_string())).unwrap_or_else(|| "unknown error".into())
}

/// Dispatches `colloquy:<name>` CustomEvents on an element.
pub struct DomSink(pub web_sys::EventTarget);

impl HostSink for DomSink {
    fn dom_event(&self, d: &Delivery) {
        let init = web_sys::CustomEventInit::new();
        init.set_detail(&to_js(&d.payload));
        init.set_bubbles(true);
        init.set_composed(true);
        if let Ok(ev) = web_sys::CustomEvent::new_with_event_init_dict(&format!("colloquy:{}", d.name), &init) {
            let _ = self.0.dispatch_event(&ev);
        }
    }
}
