//! The bridge between the widget and `embed.js` in the host page.
//!
//! Messages are JSON strings `{"colloquy": 1, "op": ..., ...}` (docs/bridge.md), carried by a
//! [`Link`]: `postMessage` in iframe mode, origin-pinned both ways (the widget page learns the
//! host origin from its URL, accepts only messages from that origin and `window.parent`, and
//! posts with that origin as `targetOrigin`; `embed.js` does the same with the widget origin,
//! taken from its own `src`), or direct function calls in inline mode.

use crate::events::{Api, Delivery, Handler, HostSink, dispatcher::HandlerResult};
use futures::channel::oneshot;
use futures::future::LocalBoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

/// Protocol version (the value of the `colloquy` key).
pub const VERSION: u64 = 1;

/// A handler the host registered: `id` names the function on the host side.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct HostRegistration {
    /// Host-side function id.
    pub id: u32,
    /// The API it was registered through.
    pub api: Api,
    /// Event or callback name (`*`: all).
    pub name: String,
    /// Remove after the first call.
    #[serde(default)]
    pub once: bool,
}

/// Facts about the host page that the widget needs (visibility rules).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct PageInfo {
    /// `location.href` of the host page.
    #[serde(default)]
    pub url: String,
    /// `innerWidth` of the host page, for the phone layout.
    #[serde(default)]
    pub width: f64,
    /// `innerHeight` of the host page.
    #[serde(default)]
    pub height: f64,
}

/// The host page's stored `colloquy:*` items, by storage area (`local`, `session`).
pub type StoredItems = HashMap<String, HashMap<String, String>>;

/// `init`: start the widget.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Init {
    /// The config object, functions removed.
    pub config: Value,
    /// Handlers registered so far (including config callbacks).
    #[serde(default)]
    pub handlers: Vec<HostRegistration>,
    /// When `embed.js` loaded (epoch ms): the time of `chat:loaded`.
    pub t0: f64,
    /// The host page.
    #[serde(default)]
    pub page: PageInfo,
    /// The host page's stored `colloquy:*` items.
    #[serde(default)]
    pub stored: StoredItems,
}

/// One node of a `hostElement` mirror: text, or an element `[tag, {attribute: value}, children]`
/// (`tag` is the HTML local name, `#foreign` for SVG and MathML elements).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum MirrorNode {
    /// A text node.
    Text(String),
    /// An element.
    Element(String, HashMap<String, String>, Vec<MirrorNode>),
}

/// Host page -> widget. Decoded by hand from the `op` (no serde tagged-enum buffering).
#[derive(Clone, Debug, PartialEq)]
pub enum HostMessage {
    /// Start the widget.
    Init(Box<Init>),
    /// Another tab changed a stored `colloquy:*` item (`value` `None`: removed).
    Stored {
        /// The key.
        key: String,
        /// The new value.
        value: Option<String>,
    },
    /// The host page's viewport changed size.
    Resize {
        /// `innerWidth`.
        width: f64,
        /// `innerHeight`.
        height: f64,
    },
    /// A handler was registered.
    On(HostRegistration),
    /// A handler was removed.
    Off {
        /// Host-side function id.
        id: u32,
    },
    /// The outcome of a `call`: the payload as the handler left it, or what it threw.
    Ret {
        /// The call id.
        call: u32,
        /// Whether the handler returned (or resolved) rather than threw (or rejected).
        ok: bool,
        /// The payload object as the handler left it.
        payload: Option<Value>,
        /// What was thrown.
        error: Option<String>,
    },
    /// What a host handler rendered into its `hostElement` fallback (cross-origin iframe).
    Html {
        /// The widget element it belongs to.
        element: String,
        /// The host element's children as the host page parsed them (never re-parsed here);
        /// sanitized before they render.
        nodes: Vec<MirrorNode>,
    },
    /// The host destroyed the instance (inline mode: unmount).
    Destroy,
    /// An instance method call, answered by `done`.
    Call {
        /// Request id.
        req: u32,
        /// Method name.
        method: String,
        /// Arguments.
        args: Vec<Value>,
    },
}

impl HostMessage {
    /// Reads a message from its JSON object.
    pub fn from_value(v: &Value) -> Result<HostMessage, String> {
        fn field<T: serde::de::DeserializeOwned>(v: &Value, key: &str) -> Result<T, String> {
            T::deserialize(v.get(key).unwrap_or(&Value::Null)).map_err(|e| format!("`{key}`: {e}"))
        }
        fn optional<T: serde::de::DeserializeOwned>(v: &Value, key: &str) -> Result<Option<T>, String> {
            match v.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(x) => T::deserialize(x).map(Some).map_err(|e| format!("`{key}`: {e}")),
            }
        }
        let op = v.get("op").and_then(Value::as_str).unwrap_or("");
        Ok(match op {
            "init" => HostMessage::Init(Box::new(Init::deserialize(v).map_err(|e| e.to_string())?)),
            "stored" => HostMessage::Stored { key: field(v, "key")?, value: optional(v, "value")? },
            "resize" => HostMessage::Resize { width: field(v, "width")?, height: field(v, "height")? },
            "on" => HostMessage::On(HostRegistration::deserialize(v).map_err(|e| e.to_string())?),
            "off" => HostMessage::Off { id: field(v, "id")? },
            "ret" => HostMessage::Ret {
                call: field(v, "call")?,
                ok: field(v, "ok")?,
                payload: optional(v, "payload")?,
                error: optional(v, "error")?,
            },
            "html" => HostMessage::Html { element: field(v, "element")?, nodes: field(v, "nodes")? },
            "destroy" => HostMessage::Destroy,
            "call" => HostMessage::Call {
                req: field(v, "req")?,
                method: field(v, "method")?,
                args: optional(v, "args")?.unwrap_or_default(),
            },
            other => return Err(format!("unknown op `{other}`")),
        })
    }
}

/// Widget -> host page.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "op", rename_all = "camelCase")]
pub enum WidgetMessage {
    /// The widget page listens; the host may send `init`.
    Hello,
    /// Call host function `func` with `payload`; answer with `ret`.
    Call {
        /// Call id.
        call: u32,
        /// Host-side function id.
        #[serde(rename = "fn")]
        func: u32,
        /// The argument (`null` with `bare`).
        payload: Value,
        /// Keys of `payload` to turn into `Date`s.
        dates: Vec<String>,
        /// Call with no argument (Chask `onReady`, ...).
        bare: bool,
        /// Id of the widget element to hand over as `payload.hostElement`.
        #[serde(skip_serializing_if = "Option::is_none")]
        element: Option<String>,
        /// The stream the payload belongs to: the host completes `payload.message` with the
        /// message so far (docs/bridge.md, "Streams").
        #[serde(skip_serializing_if = "Option::is_none")]
        stream: Option<String>,
    },
    /// Dispatch `colloquy:<name>` on the host element.
    Dom {
        /// Canonical event name.
        name: String,
        /// `detail`.
        detail: Value,
        /// As for `call`; after dispatching, the host appends this delta to the stream.
        #[serde(skip_serializing_if = "Option::is_none")]
        stream: Option<String>,
    },
    /// The widget's visible parts changed: resize the iframe to `width` x `height` (CSS
    /// lengths; `0px` hides it).
    Layout {
        /// CSS width.
        width: String,
        /// CSS height.
        height: String,
        /// The corner the iframe is pinned to: `left` or `right` (`None`: where it is).
        #[serde(skip_serializing_if = "Option::is_none")]
        side: Option<String>,
    },
    /// Store an item in the host page's storage (iframe mode: first-party storage).
    Store {
        /// `local` or `session`.
        area: String,
        /// A `colloquy:*` key.
        key: String,
        /// The value.
        value: String,
    },
    /// Answer to `init` or `call`.
    Done {
        /// The request id (`0` for init).
        req: u32,
        /// Success.
        ok: bool,
        /// Result value.
        #[serde(skip_serializing_if = "Option::is_none")]
        value: Option<Value>,
        /// Error message.
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
}

/// Encodes a message for the wire.
pub fn encode(msg: &WidgetMessage) -> String {
    let mut v = serde_json::to_value(msg).expect("messages serialize");
    v["colloquy"] = VERSION.into();
    v.to_string()
}

/// Decodes a message from the wire. `Ok(None)`: not a Colloquy message (ignored silently).
pub fn decode(data: &str) -> Result<Option<HostMessage>, String> {
    let Ok(v) = serde_json::from_str::<Value>(data) else { return Ok(None) };
    match v.get("colloquy").and_then(Value::as_u64) {
        None => Ok(None),
        Some(VERSION) => HostMessage::from_value(&v).map(Some).map_err(|e| format!("malformed bridge message: {e}")),
        Some(other) => Err(format!("bridge protocol version {other} is not supported (this widget speaks {VERSION})")),
    }
}

/// How messages reach the host side.
pub trait Link {
    /// Delivers one encoded message.
    fn send(&self, text: String);
}

/// The widget side of the bridge.
pub struct Bridge {
    link: Box<dyn Link>,
    next_call: Cell<u32>,
    pending: RefCell<HashMap<u32, oneshot::Sender<HandlerResult>>>,
}

impl Bridge {
    /// A bridge over `link`.
    pub fn new(link: Box<dyn Link>) -> Rc<Self> {
        Rc::new(Bridge { link, next_call: Cell::new(1), pending: RefCell::default() })
    }

    /// Sends a message to the host side.
    pub fn send(&self, msg: &WidgetMessage) {
        self.link.send(encode(msg));
    }

    /// Settles a pending `call` with the host's `ret`.
    pub fn settle(&self, call: u32, result: HandlerResult) {
        if let Some(tx) = self.pending.borrow_mut().remove(&call) {
            let _ = tx.send(result);
        }
    }

    /// A handler that calls host function `id`.
    pub fn handler(self: &Rc<Self>, id: u32) -> Rc<dyn Handler> {
        Rc::new(RemoteHandler { bridge: self.clone(), id })
    }
}

impl HostSink for Bridge {
    fn dom_event(&self, d: &Delivery) {
        self.send(&WidgetMessage::Dom { name: d.name.clone(), detail: d.payload.clone(), stream: d.stream.clone() });
    }
}

/// A handler living on the host side.
struct RemoteHandler {
    bridge: Rc<Bridge>,
    id: u32,
}

/// Forgets a pending call when its future is dropped (on timeout).
struct PendingGuard(Rc<Bridge>, u32);

impl Drop for PendingGuard {
    fn drop(&mut self) {
        self.0.pending.borrow_mut().remove(&self.1);
    }
}

impl Handler for RemoteHandler {
    fn call(&self, d: &Delivery) -> LocalBoxFuture<'static, HandlerResult> {
        let call = self.bridge.next_call.get();
        self.bridge.next_call.set(call + 1);
        let (tx, rx) = oneshot::channel();
        self.bridge.pending.borrow_mut().insert(call, tx);
        self.bridge.send(&WidgetMessage::Call {
            call,
            func: self.id,
            payload: d.payload.clone(),
            dates: d.dates.iter().map(|s| (*s).to_owned()).collect(),
            bare: d.payload.is_null(),
            element: d.element.clone(),
            stream: d.stream.clone(),
        });
        let guard = PendingGuard(self.bridge.clone(), call);
        Box::pin(async move {
            let _guard = guard;
            rx.await.unwrap_or_else(|_| Err("the host page went away".into()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decodes_the_host_messages() {
        let init = r#"{"colloquy":1,"op":"init","config":{"mode":"iframe"},"t0":5,
                       "handlers":[{"id":1,"api":"chask","name":"onReady"}]}"#;
        let Some(HostMessage::Init(init)) = decode(init).unwrap() else { panic!() };
        let Init { config, handlers, t0, stored, .. } = *init;
        assert!(stored.is_empty());
        assert_eq!(config, json!({"mode": "iframe"}));
        assert_eq!(t0, 5.0);
        assert_eq!(handlers[0], HostRegistration { id: 1, api: Api::Chask, name: "onReady".into(), once: false });
        assert_eq!(
            decode(r#"{"colloquy":1,"op":"ret","call":3,"ok":false,"error":"boom"}"#).unwrap(),
            Some(HostMessage::Ret { call: 3, ok: false, payload: None, error: Some("boom".into()) })
        );
    }

    #[test]
    fn ignores_foreign_messages_and_rejects_malformed_ones() {
        assert_eq!(decode("not json").unwrap(), None);
        assert_eq!(decode(r#"{"type":"webpackOk"}"#).unwrap(), None);
        assert!(decode(r#"{"colloquy":1,"op":"on","id":"x"}"#).unwrap_err().contains("malformed"));
        assert!(decode(r#"{"colloquy":1,"op":"launch"}"#).is_err());
        assert!(decode(r#"{"colloquy":2,"op":"off","id":1}"#).unwrap_err().contains("version 2"));
    }

    #[test]
    fn decodes_a_mirrored_tree() {
        let text = r#"{"colloquy":1,"op":"html","element":"e1","nodes":["hi ",["b",{"class":"x"},["there"]]]}"#;
        let Some(HostMessage::Html { element, nodes }) = decode(text).unwrap() else { panic!() };
        assert_eq!(element, "e1");
        let attrs = HashMap::from([("class".to_owned(), "x".to_owned())]);
        assert_eq!(
            nodes,
            [
                MirrorNode::Text("hi ".into()),
                MirrorNode::Element("b".into(), attrs, vec![MirrorNode::Text("there".into())])
            ]
        );
        assert!(decode(r#"{"colloquy":1,"op":"html","element":"e1","nodes":[["b"]]}"#).is_err());
        assert!(decode(r#"{"colloquy":1,"op":"html","element":"e1","html":"<b>x</b>"}"#).is_err());
    }

    #[test]
    fn encodes_with_the_version_tag() {
        let text = encode(&WidgetMessage::Layout { width: "96px".into(), height: "96px".into(), side: None });
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v, json!({"colloquy": 1, "op": "layout", "width": "96px", "height": "96px"}));
        let side = Some("left".into());
        let text = encode(&WidgetMessage::Layout { width: "96px".into(), height: "96px".into(), side });
        assert!(text.contains(r#""side":"left""#));
    }
}
